"""Re-running failed transcodes in bulk (media/bulk.py): each through service.retry, for the uploading
organisation's staff or a site admin; another organisation's videos are refused without their names."""

from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.accounts import organisations
from app.extensions import db
from app.jobs.models import Job
from media import bulk
from media.models import AssetStatus, MediaAsset
from media.service import MediaSettings
from tests import factories
from tests.conftest import post_form
from tests.media.conftest import api_token


def _failed(org_code: str = factories.INSTITUTION, title: str = "第一课.mp4",
            status: AssetStatus = AssetStatus.failed) -> MediaAsset:
    asset = MediaAsset(org_id=organisations.get_by_code(db.session, org_code).id, title=title, status=status,
                       error_code="transcode_failed", error="转码失败")
    db.session.add(asset)
    db.session.flush()
    asset.source_key = f"assets/{asset.id}/source.mp4"
    db.session.flush()
    return asset


def test_failed_and_cancelled_are_queued_again_each_audited(app, db):
    first, second = _failed(), _failed(title="第二课.mp4", status=AssetStatus.cancelled)
    ready = _failed(title="好的.mp4", status=AssetStatus.ready)
    outcome = bulk.retry_many(db.session, MediaSettings.of(app), factories.user("institution_staff"),
                              [first.id, second.id, ready.id])
    assert outcome.done == ["《第一课.mp4》", "《第二课.mp4》"]
    assert [r.reason for r in outcome.refused] == ["这个视频现在不需要重新转码。"]
    assert first.status == second.status == AssetStatus.queued and ready.status == AssetStatus.ready
    assert db.session.get(Job, first.job_id) is not None
    rows = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "media.retry")).all()
    assert sorted(r.target_kind for r in rows) == ["batch", "media_asset", "media_asset"]


def test_attack_another_institutions_videos_are_refused(app, db):
    theirs = _failed(factories.OTHER_INSTITUTION, title="别人的视频.mp4")
    outcome = bulk.retry_many(db.session, MediaSettings.of(app), factories.user("institution_staff"), [theirs.id])
    assert theirs.status == AssetStatus.failed and [r.name for r in outcome.refused] == [f"#{theirs.id}"]
    assert bulk.failed_assets(db.session, factories.user("institution_staff")) == []


def test_a_site_admin_sees_and_reruns_everyones(app, db):
    mine, theirs = _failed(), _failed(factories.OTHER_INSTITUTION)
    admin = factories.user("admin")
    assert {a.id for a in bulk.failed_assets(db.session, admin)} == {mine.id, theirs.id}
    assert len(bulk.retry_many(db.session, MediaSettings.of(app), admin, [mine.id, theirs.id]).done) == 2


def test_failed_page_and_api(app, db, client, auth):
    first, second = _failed(), _failed(title="第二课.mp4")
    db.session.commit()
    auth.as_role("institution_staff")
    page = client.get("/media/failed").get_data(as_text=True)
    assert page.count('form="bulk-retry"') == 2 and "第二课.mp4" in page
    assert post_form(client, "/media/failed", {}).status_code == 303
    assert "请先勾选要处理的条目" in client.get("/media/failed").get_data(as_text=True)
    assert post_form(client, "/media/failed", {"ids": [str(first.id)]}).status_code == 303
    assert "已处理1项" in client.get("/media/failed").get_data(as_text=True)
    token = {"X-CSRFToken": api_token(client)}
    answer = client.post("/api/v1/media/retry", json={"ids": [second.id, 777777]}, headers=token)
    assert answer.status_code == 200
    assert answer.get_json()["done"] == [second.id] and answer.get_json()["refused"][0]["id"] == 777777
    bad = client.post("/api/v1/media/retry", json={"ids": "1,2"}, headers=token)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "nothing_selected"
    assert client.post("/api/v1/media/retry", json={"ids": ["x"]}, headers=token).get_json()["error"]["code"] \
        == "bad_ids"
    auth.logout()
    auth.as_role("worker")
    assert client.get("/media/failed").status_code == 403
