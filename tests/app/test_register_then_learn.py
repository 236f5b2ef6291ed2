"""Register, then learn (issue 18, item 3): registering asks no profile; the first programme application does,
and the worker comes back to the offering after saving it (or skips it for plain study)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from programme.admissions.models import Application
from tests.app.sms_codes import register
from tests.conftest import post_form
from tests.programme.helpers import ELIGIBLE, fresh_id_number
from tests.programme.test_views import THIS_YEAR, open_now


def test_applying_without_a_profile_leads_to_the_profile_form_and_back(app, client):
    offering_id = open_now(app)
    assert register(client, "13912345678").status_code == 302
    offering = f"/programme/offerings/{offering_id}"
    page = client.get(offering).get_data(as_text=True)
    to_profile = f"/me/profile?next={offering}"
    assert "填写个人资料后报读" in page and to_profile in page
    asked = post_form(client, offering, {}, source="/me/profile")  # a form sent anyway is led there too
    assert asked.status_code == 302 and asked.headers["Location"] == to_profile
    form = client.get(to_profile).get_data(as_text=True)
    assert "暂不填写" in form and f'href="{offering}"' in form  # skipping goes back too
    profile = {**ELIGIBLE, "real_name": "王小明", "id_number": fresh_id_number(),  # applying needs both
               "contract_start": f"{THIS_YEAR - 1}-01-01", "contract_end": "", "union_member": "y", "next": offering}
    saved = post_form(client, to_profile, profile)
    assert saved.status_code == 302 and saved.headers["Location"] == offering
    assert post_form(client, offering, {}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Application.id))) == 1


def test_a_foreign_next_on_the_profile_form_goes_nowhere_else(client):
    register(client, "13912345678")
    form = client.get("/me/profile?next=//evil.example/").get_data(as_text=True)
    assert 'href="//evil.example/"' not in form and 'href="/me"' in form
