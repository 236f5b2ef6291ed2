"""0031 on a database that already paid diplomas: the stored bare-number `result_key` of a diploma claim becomes
"diploma:<institution id>:<number>" (so the service finds it, and a claim of the same diploma is still refused),
a skill certificate's stays as it was, and the round trip back and forth keeps both."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.errors import Conflict
from app.extensions import db
from catalog import categories
from programme.money import subsidies
from programme.money.models import SubsidyClaim
from tests import factories
from tests.migrating import fresh_app
from tests.programme.exchange.test_attack_diploma_squatting import NUMBER, REAL, _approve, _enrolled, _import
from tests.programme.helpers import open_year, org, worker

BEFORE = "0030_subtitle_sizes"


def _keys() -> dict[int, str]:
    return dict(db.session.execute(text("SELECT id, result_key FROM programme_subsidy_claims")).all())


def test_stored_diploma_keys_are_folded_into_their_institutions(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        factories.seed_orgs()
        categories.seed_menu(db.session)
        plan = open_year()
        graduate, enrolment = _enrolled(worker("林真"), plan, REAL)
        assert _import(REAL, graduate).imported == 1
        diploma = subsidies.claim(db.session, graduate, enrolment, "dazhuan", NUMBER, "")
        _approve(diploma)
        skilled, theirs = _enrolled(worker("钱技"), plan, REAL)
        skill = subsidies.claim(db.session, skilled, theirs, "senior_worker", "S-0031", "")
        institution_id, ids, record_id = org(REAL).id, (diploma.id, skill.id), diploma.graduation_id
        assert record_id is not None
        # as 0030's code stored them: the normalised number alone (the skill claim approved on scans: today's
        # certificate records, with their sending department, cannot be written at 0030)
        db.session.execute(text("UPDATE programme_subsidy_claims SET result_key = :k WHERE id = :i"),
                           {"k": NUMBER, "i": diploma.id})
        db.session.execute(text("UPDATE programme_subsidy_claims SET result_key = 'S0031', status = 'approved' "
                                "WHERE id = :i"), {"i": skill.id})
        db.session.commit()
        folded = {ids[0]: f"diploma:{institution_id}:{NUMBER}", ids[1]: "S0031"}

        upgrade()
        assert _keys() == folded
        linked = db.session.execute(text("SELECT graduation_id FROM programme_subsidy_claims WHERE id = :i"),
                                    {"i": ids[0]}).scalar()
        assert linked == record_id  # kept through SQLite's copy of the table
        downgrade(revision=BEFORE)
        assert _keys() == {ids[0]: NUMBER, ids[1]: "S0031"}
        upgrade()
        assert _keys() == folded

        db.session.expire_all()
        again = subsidies.claim(db.session, graduate, enrolment, "benke", NUMBER, "")
        with pytest.raises(Conflict) as refused:
            _approve(again)
        assert refused.value.code == "already_subsidised" and f"第 {ids[0]} 号申请" in refused.value.message
        assert db.session.get(SubsidyClaim, ids[0]).result_key == folded[ids[0]]
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
