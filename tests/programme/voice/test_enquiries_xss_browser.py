"""Hostile strings typed by workers (enquiries, survey comments) and by the province (the policy page's rich
text), rendered in a real browser for the worker, the answering union and the reviewers: nothing injected."""

import pytest

from app.accounts import profiles
from app.extensions import db
from app.text import has_control_chars
from programme.voice import enquiries, surveys
from tests import factories
from tests.catalog.helpers import make
from tests.programme.voice.helpers import studied
from tests.security.test_xss_browser import assert_clean
from tests.security.xss_payloads import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.render_once]
CLEAN = [p for p in PAYLOADS if not has_control_chars(p)]


def test_hostile_questions_answers_comments_and_policy_render_as_text(app, page, login):
    phone = login("worker")
    with app.app_context():
        from app.accounts.models import User

        asker = db.session.query(User).filter_by(phone=phone).one()
        profiles.update_profile(db.session, asker, asker, {"union_member": True, "union_code": "330106"})
        staff = factories.user("union_staff", "330106")
        for payload in CLEAN:
            enquiry = enquiries.ask(db.session, asker, subject=payload[:100], question=payload + " 请问？",
                                    max_count=len(CLEAN) + 1)
            enquiries.answer(db.session, staff, enquiry, payload)
        resource = make(publish=True)
        target = surveys.target(db.session, "resource", resource.id)
        for payload in CLEAN[::10]:  # each rater is an account (a password hash): a sample is enough
            rater = factories.user(name=payload[:50])
            studied(rater, resource)  # an answer needs study
            surveys.respond(db.session, rater, target, satisfaction=3, comment=payload)
        enquiries.save_policy_page(db.session, factories.user("union_staff", "330000"), title=CLEAN[0][:100],
                                   body="<p>政策</p>" + "".join(CLEAN))
        db.session.commit()
        last = enquiry.id
    assert_clean(page, "/enquiries")
    assert_clean(page, f"/enquiries/{last}")
    assert_clean(page, "/me")
    assert_clean(page, "/policy")
    assert "<script>alert(1)</script>" in page.inner_text("main") or "政策" in page.inner_text("main")
    page.goto("/me")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    login("union_staff", "330100")
    assert_clean(page, "/enquiries/inbox?status=all")
    assert_clean(page, f"/enquiries/{last}")
    assert_clean(page, "/surveys/provider/INST-T1")
    assert_clean(page, "/surveys/quality")
