"""A retried asset that shares another asset's identical file (media.dedup.share) lets its own source go: before,
its file stayed on disk pointed at by no row and counted by no quota (upload, cancel, upload again, retry: one
source's worth per round, past the organisation's quota)."""

from __future__ import annotations

from app.accounts import organisations
from app.extensions import db
from media import tus
from media.models import MediaAsset
from media.service import MediaSettings
from tests.media.conftest import api_token, make_clip, tus_upload


def _used(app) -> int:
    with app.app_context():
        return tus.storage_used(db.session, organisations.get_by_code(db.session, "INST-T1").id)


def _files(app) -> list[str]:
    with app.app_context():
        return sorted(MediaSettings.of(app).storage.walk("assets"))


def test_upload_cancel_upload_retry_leaves_no_unaccounted_source(app, client, auth, tmp_path):
    data = make_clip(tmp_path / "lecture.mp4", seconds=1, size="160x120", rate=5, audio=False).read_bytes()
    auth.as_role("institution_staff")
    headers = {"X-CSRFToken": api_token(client)}

    def create() -> int:
        response = client.post("/api/v1/media", json={"upload_url": tus_upload(client, data)}, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return int(response.get_json()["id"])

    first = create()
    assert client.post(f"/api/v1/media/{first}/cancel", headers=headers).get_json()["status"] == "cancelled"
    second = create()  # the first is cancelled, so not shared: the second keeps a copy of its own
    with app.app_context():
        first_source, second_source = (db.session.get(MediaAsset, i).source_key for i in (first, second))
    assert first_source != second_source and _files(app) == sorted([first_source, second_source])
    used = _used(app)

    assert client.post(f"/api/v1/media/{first}/retry", headers=headers).status_code == 200  # shares the second's
    with app.app_context():
        assert db.session.get(MediaAsset, first).source_key == second_source
    assert _files(app) == [second_source]  # the first's own file went with the commit
    assert _used(app) == used  # each asset still counts its source, as before the retry

    assert client.delete(f"/api/v1/media/{first}", headers=headers).status_code == 204
    assert _files(app) == [second_source]  # still the second's
    assert client.delete(f"/api/v1/media/{second}", headers=headers).status_code == 204
    assert _used(app) == 0 and _files(app) == []
