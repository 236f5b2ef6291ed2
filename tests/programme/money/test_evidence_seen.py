"""A reviewer's evidence check covers the files their page listed (a review's finding: a file added after the
reviewer opened the claim was checked unseen when they pressed 证明材料核验无误)."""

import re

from app.extensions import db
from programme.money import evidence, subsidies
from programme.money.models import SubsidyClaim
from tests.conftest import post_form
from tests.credits.credit_factories import pdf_bytes
from tests.programme.helpers import open_year
from tests.programme.money.test_subsidies import enrolled


def test_attack_a_file_added_after_the_page_opened_is_not_checked_unseen(app, client, auth):
    with app.app_context():
        me, record = enrolled(open_year())
        store = evidence.storage(app.config["DATA_DIR"])
        claim = subsidies.claim(db.session, me, record, "dazhuan", "SEEN-1", "", files=[pdf_bytes()], storage=store,
                                attained_on=record.enrolled_on)
        claim_id = claim.id
        db.session.commit()
    auth.as_role("union_staff", "330106")
    page = client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)
    shown = re.findall(r'name="seen_file" value="(\d+)"', page)
    assert len(shown) == 1
    with app.app_context():
        claimant = db.session.get(SubsidyClaim, claim_id)
        evidence.attach(db.session, claimant.enrolment.user, claimant, [pdf_bytes()], store)  # a second file
        db.session.commit()
    post_form(client, f"/programme/claims/{claim_id}/check-evidence", {"note": "已核对", "seen_file": shown},
              f"/programme/claims/{claim_id}/review")
    assert "请重新查看后再核验" in client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).evidence_checked_at is None
    page = client.get(f"/programme/claims/{claim_id}/review").get_data(as_text=True)  # opened again: both files
    shown = re.findall(r'name="seen_file" value="(\d+)"', page)
    assert len(shown) == 2
    post_form(client, f"/programme/claims/{claim_id}/check-evidence", {"note": "已核对", "seen_file": shown},
              f"/programme/claims/{claim_id}/review")
    with app.app_context():
        assert db.session.get(SubsidyClaim, claim_id).evidence_checked_at is not None
