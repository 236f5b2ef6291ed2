"""The asset page names the course an asset plays in only to who may view that course: a union over the uploading
organisation sees the asset, not another city's draft course it was attached to as a co-author's video."""

from __future__ import annotations

from app.accounts import organisations
from app.accounts.policy import SYSTEM, can
from catalog import coauthors
from media import service as media_service
from media.models import AssetStatus, MediaAsset
from tests import factories
from tests.catalog.helpers import make

DRAFT = "宁波某校未公开的草稿课程"


def test_a_union_reads_no_draft_title_it_may_not_view_on_the_asset_page(app, db, client, auth):
    resource = make("INST-T2", title=DRAFT, media=False)  # an institution under Ningbo
    row = coauthors.invite(db.session, SYSTEM, resource, "ENT-T1")
    partner = factories.user("enterprise_staff", "ENT-T1")  # an enterprise under Xihu, Hangzhou
    coauthors.accept(db.session, partner, row)
    asset = MediaAsset(org_id=organisations.get_by_code(db.session, "ENT-T1").id, title="v.mp4",
                       status=AssetStatus.ready, duration_s=60.0, has_video=True, has_audio=True)
    db.session.add(asset)
    db.session.flush()
    asset.output_key = f"assets/{asset.id}/fixture"
    media_service.attach(db.session, partner, asset, resource.lessons[0].id)
    db.session.commit()
    asset_id, resource_id = asset.id, resource.id

    auth.as_role("enterprise_staff", "ENT-T1")  # the co-author uploading it names its course
    assert DRAFT in client.get(f"/media/assets/{asset_id}").get_data(as_text=True)

    auth.logout()
    auth.as_role("union_staff", "330106")  # Xihu's union: over the uploader, not over the draft's provider
    assert not can(factories.user("union_staff", "330106"), "resource.view", resource)
    page = client.get(f"/media/assets/{asset_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and DRAFT not in html and "第1课" not in html
    assert f"#{resource_id}（已撤回或未发布）" in html
