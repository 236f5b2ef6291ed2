"""Who may upload media (the policy table), subtitles conversion, storage keys, and the pages."""

from __future__ import annotations

import pytest

from app import storage
from app.accounts import organisations
from app.accounts.policy import can
from app.errors import Invalid
from media import serving, subtitles
from tests import factories

ROLES = [("anonymous", None), ("worker", None), ("institution_staff", "INST-T1"), ("institution_staff", "INST-T2"),
         ("enterprise_staff", "ENT-T1"), ("union_staff", "330000"), ("union_staff", "330100"),
         ("union_staff", "330106"), ("union_staff", "330200"), ("admin", None)]
TABLE = {
    # target org:  anon worker t1 t2 ent prov hz xihu nb admin
    "INST-T1": (0, 0, 1, 0, 0, 0, 0, 0, 0, 1),
    "ENT-T1": (0, 0, 0, 0, 1, 0, 0, 0, 0, 1),
    "330100": (0, 0, 0, 0, 0, 1, 1, 0, 0, 1),
    "330106": (0, 0, 0, 0, 0, 1, 1, 1, 0, 1),
}
CASES = [(target, role, org, bool(row[i])) for target, row in TABLE.items() for i, (role, org) in enumerate(ROLES)]


@pytest.mark.parametrize(("target", "role", "org", "expected"), CASES,
                         ids=[f"{c[0]}-{c[1]}@{c[2]}" for c in CASES])
def test_media_upload_policy(db, target, role, org, expected):
    user = None if role == "anonymous" else factories.user(role, org)
    assert can(user, "media.upload", organisations.get_by_code(db.session, target)) is expected


def test_media_view_policy_follows_the_uploading_organisation(db):
    class Asset:
        org = organisations.get_by_code(db.session, "INST-T1")

    allowed = {(role, org) for role, org in ROLES if role != "anonymous"
               and can(factories.user(role, org), "media.view", Asset)}
    assert allowed == {("institution_staff", "INST-T1"), ("union_staff", "330000"), ("union_staff", "330100"),
                       ("admin", None)}


def test_srt_becomes_webvtt_and_webvtt_is_kept():
    srt = b"1\n00:00:01,5 --> 00:00:03,000\n<i>hello</i> <font color=red>there</font>\n\n2\n1:02:03,004 --> " \
          b"1:02:04,000\nbye\n"
    assert subtitles.to_webvtt(srt) == ("WEBVTT\n\n00:00:01.500 --> 00:00:03.000\n<i>hello</i> there\n\n"
                                        "01:02:03.004 --> 01:02:04.000\nbye\n")
    vtt = "WEBVTT\n\nNOTE made by hand\n\nintro\n00:01.000 --> 00:02.000 align:start\n你好\n".encode()
    assert subtitles.to_webvtt(vtt) == "WEBVTT\n\n00:00:01.000 --> 00:00:02.000 align:start\n你好\n"
    with pytest.raises(Invalid) as caught:
        subtitles.to_webvtt(b"just some words")
    assert caught.value.code == "subtitle_invalid"
    assert subtitles.language("ZH-CN")[0] == "zh-CN" and subtitles.language("en") == ("en", "English")
    with pytest.raises(Invalid):
        subtitles.language("../etc")


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "assets/1/../../x", "Assets/1", "assets//1", "a/.hidden",
                                 "assets/1/名字.mp4", "assets/1/x y"])
def test_storage_refuses_keys_we_did_not_build(tmp_path, key):
    with pytest.raises(storage.BadKey):
        storage.LocalStorage(tmp_path).path(key)


def test_storage_put_tree_is_one_rename_and_never_overwrites(tmp_path):
    store = storage.LocalStorage(tmp_path / "media")
    work = store.work_dir("job-1")
    (work / "hls_240").mkdir()
    (work / "hls_240" / "index.m3u8").write_text("#EXTM3U\n")
    store.put_tree("assets/1/abc", work)
    assert store.exists("assets/1/abc/hls_240/index.m3u8") and not work.exists()
    assert store.size("assets/1/abc") == 8
    with pytest.raises(FileExistsError):
        store.put_tree("assets/1/abc", store.work_dir("job-2"))
    store.delete("assets/1/abc")
    assert not store.exists("assets/1/abc")


def test_upload_page_for_staff_only(client, auth):
    assert client.get("/media/upload").status_code == 302  # to the login page
    auth.as_role("worker")
    assert client.get("/media/upload").status_code == 403
    auth.logout()
    auth.as_role("institution_staff")
    html = client.get("/media/upload").get_data(as_text=True)
    assert 'name="csrf-token"' in html and "tus.min." in html and "upload." in html and "上传视频" in html


@pytest.mark.parametrize("mode", ["inprocess", "external"])
def test_the_embedded_worker_starts_with_the_first_request_only_in_inprocess_mode(tmp_path, mode):
    from app import create_app
    from app.extensions import db

    app = create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": "x", "MEDIA_WORKER": mode, "JOBS_POLL_S": 0.05})
    with app.app_context():
        db.create_all()
    assert "worker" not in app.extensions  # not at import or app creation (CLI commands stay quiet)
    assert app.test_client().get("/healthz").status_code == 200
    worker = app.extensions.get("worker")
    try:
        assert (worker is not None) == (mode == "inprocess")
        if worker is not None:
            assert worker._thread.is_alive() and worker._thread.daemon
    finally:
        if worker is not None:
            worker.stop()
        with app.app_context():
            db.engine.dispose()


def test_vendored_scripts_match_the_recorded_versions():
    import hashlib
    from pathlib import Path

    vendor = Path(__file__).resolve().parents[2] / "static" / "vendor"
    readme = (vendor / "README.md").read_text()
    for folder, script in (("hls.js", "hls.min.js"), ("tus-js-client", "tus.min.js")):
        digest = hashlib.sha256((vendor / folder / script).read_bytes()).hexdigest()
        assert digest in readme and (vendor / folder / "LICENSE").exists()


def test_a_replaced_subtitle_file_goes_only_when_the_change_commits(app, db):
    """Rolled back (a failed commit, an error later in the request): the new file is removed and the old one,
    still pointed at, stays. Committed: the old file goes."""
    from media import service
    from media.models import MediaAsset

    settings = service.MediaSettings.of(app)
    staff = factories.user("institution_staff", "INST-T1")
    asset = MediaAsset(org=organisations.get_by_code(db.session, "INST-T1"), title="a.mp4")
    db.session.add(asset)
    db.session.flush()
    first = service.add_subtitle(db.session, settings, staff, asset, "zh-CN", b"1\n00:00:01,000 --> 00:00:02,000\nA\n")
    db.session.commit()
    old = first.path
    second = service.add_subtitle(db.session, settings, staff, asset, "zh-CN", b"1\n00:00:01,000 --> 00:00:02,000\nB\n")
    new = second.path
    assert settings.storage.exists(old) and settings.storage.exists(new)
    db.session.rollback()
    assert settings.storage.exists(old) and not settings.storage.exists(new)
    assert [s.path for s in db.session.get(MediaAsset, asset.id).subtitles] == [old]
    third = service.add_subtitle(db.session, settings, staff, asset, "zh-CN", b"1\n00:00:01,000 --> 00:00:02,000\nC\n")
    db.session.commit()
    assert not settings.storage.exists(old) and settings.storage.exists(third.path)


def test_a_video_takes_a_bounded_number_of_subtitle_languages(app, db):
    """Each made-up tag (en-a0, en-a1, ...) stored another 2 MB beyond the organisation's quota: a video takes at
    most MAX_LANGUAGES, a tag no wider than its column, and an existing language is still replaced."""
    from app.errors import Invalid
    from media import service, subtitles
    from media.models import MediaAsset

    settings = service.MediaSettings.of(app)
    staff = factories.user("institution_staff", "INST-T1")
    asset = MediaAsset(org=organisations.get_by_code(db.session, "INST-T1"), title="a.mp4")
    db.session.add(asset)
    db.session.flush()
    cue = b"1\n00:00:01,000 --> 00:00:02,000\nA\n"
    for n in range(subtitles.MAX_LANGUAGES):
        service.add_subtitle(db.session, settings, staff, asset, f"en-a{n}", cue)
    with pytest.raises(Invalid) as more:
        service.add_subtitle(db.session, settings, staff, asset, "en-zz", cue)
    assert more.value.code == "too_many_subtitles"
    service.add_subtitle(db.session, settings, staff, asset, "en-a0", cue)  # a replacement, not one more
    with pytest.raises(Invalid):
        subtitles.language("en-" + "-".join(["abcdefgh"] * 3))
    assert len(asset.subtitles) == subtitles.MAX_LANGUAGES


def test_a_playlist_from_a_bucket_signs_each_segment_and_keeps_sub_playlists_relative():
    text = '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg_00001.ts\n\nhls_240/index.m3u8\n'
    signed = serving.rewrite_playlist(text, lambda rel: f"https://s3.example/{rel}?X-Amz-Signature=1")
    assert signed == ('#EXTM3U\n#EXT-X-MAP:URI="https://s3.example/init.mp4?X-Amz-Signature=1"\n#EXTINF:4.0,\n'
                      'https://s3.example/seg_00001.ts?X-Amz-Signature=1\n\nhls_240/index.m3u8\n')


def test_a_published_lesson_s_video_is_changed_by_its_editors_only_and_after_withdrawing(app, db):
    """A review's attack: an enterprise co-authored an institution's course with its own video, was removed as
    co-author once published, and still replaced the subtitles learners read, moved the video onto a draft of its
    own (the published lesson then played nothing) and deleted it. Changing an asset changes the lesson playing it:
    that lesson's editors only, while its resource is editable."""
    from app.accounts.policy import SYSTEM
    from app.errors import Conflict, Forbidden
    from catalog import coauthors
    from catalog import service as catalog_service
    from catalog.models import Lesson
    from media import service as media_service
    from media.models import AssetStatus, MediaAsset
    from media.service import MediaSettings
    from tests.catalog.helpers import make

    resource = make("INST-T1", title="电工安全", media=False)
    lesson_id = resource.lessons[0].id
    row = coauthors.invite(db.session, SYSTEM, resource, "ENT-T1")
    partner = factories.user("enterprise_staff", "ENT-T1")
    coauthors.accept(db.session, partner, row)
    asset = MediaAsset(org_id=organisations.get_by_code(db.session, "ENT-T1").id, title="v.mp4",
                       status=AssetStatus.ready, duration_s=480.0, has_video=True, has_audio=True)
    db.session.add(asset)
    db.session.flush()
    asset.output_key = f"assets/{asset.id}/fixture"
    media_service.attach(db.session, partner, asset, lesson_id)
    catalog_service.submit(db.session, SYSTEM, resource)
    catalog_service.review(db.session, SYSTEM, resource, "select")
    coauthors.remove(db.session, SYSTEM, row)
    own_draft = make("ENT-T1", title="企业自己的草稿", media=False).lessons[0].id
    settings = MediaSettings.of(app)
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n加微信领取假证书\n".encode()
    with pytest.raises(Forbidden):
        media_service.add_subtitle(db.session, settings, partner, asset, "zh-CN", vtt)
    with pytest.raises(Forbidden):
        media_service.attach(db.session, partner, asset, own_draft)
    with pytest.raises(Conflict):
        media_service.delete_asset(db.session, settings, partner, asset)
    assert db.session.get(Lesson, lesson_id).media_asset_id == asset.id and asset.subtitles == []
    # withdrawn to fix a typo, or back in review: the removed co-author still does not delete the lesson's video
    catalog_service.withdraw(db.session, factories.user("institution_staff", "INST-T1"), resource, "改错别字")
    with pytest.raises(Forbidden):
        media_service.delete_asset(db.session, settings, partner, asset)
    assert db.session.get(Lesson, lesson_id).media_asset_id == asset.id
