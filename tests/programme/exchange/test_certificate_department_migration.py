"""0034 on a database that already holds certificate records and paid claims: each record names the department
that sent it (its batch's organisation), a claim paid on a record keeps "certificate:<department id>:<number>"
(so the service finds it, and the certificate is still not paid twice), one paid on scans keeps the number alone,
links from claims to records survive SQLite's copy of the table, and the round trip keeps all of it."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.errors import Conflict
from app.extensions import db
from app.timefmt import beijing_today
from catalog import categories
from programme.exchange import imports as exchange
from programme.exchange.models import ExchangeBatch, ExchangeKind
from programme.money import subsidies
from tests import factories
from tests.migrating import fresh_app
from tests.programme.exchange.test_attack_certificate_squatting import _row
from tests.programme.exchange.test_attack_own_records import _ningbo_hr
from tests.programme.helpers import hr_department, open_year, staff, worker
from tests.programme.money.test_subsidies import enrolled
from tests.programme.money.test_subsidy_evidence import _second_enrolment

BEFORE = "0033_wish_cleared_answers"


def _keys() -> dict[int, str]:
    return dict(db.session.execute(text("SELECT id, result_key FROM programme_subsidy_claims")).all())


def _paid(claim_id: int, key: str, record_id: int | None = None) -> None:
    """An approval as 0033's code stored it: the normalised number alone."""
    db.session.execute(text("UPDATE programme_subsidy_claims SET status = 'approved', result_key = :k, "
                            "certificate_id = :r WHERE id = :i"), {"k": key, "r": record_id, "i": claim_id})


def test_records_name_their_department_and_paid_keys_name_it_too(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        factories.seed_orgs()
        categories.seed_menu(db.session)
        plan = open_year()
        me, enrolment = enrolled(plan)
        hr, _clerk = hr_department()
        batch = ExchangeBatch(kind=ExchangeKind.certificate, org_id=hr.id, filename="c.csv", rows=1, imported=1)
        db.session.add(batch)
        db.session.flush()
        # written as 0033's table holds it: no department on the record, its number unique site-wide
        db.session.execute(text(
            "INSERT INTO certificate_records (batch_id, user_id, id_number, name, occupation, skill_level,"
            " certificate_no, issued_on) VALUES (:b, :u, :i, :n, '机电一体化', 3, 'S-0034', :on)"),
            {"b": batch.id, "u": me.id, "i": me.profile.id_number, "n": me.profile.real_name, "on": beijing_today()})
        record_id = db.session.execute(text("SELECT id FROM certificate_records")).scalar_one()
        on_record = subsidies.claim(db.session, me, enrolment, "senior_worker", "S-0034", "")
        other, theirs = enrolled(plan, "郑四")
        on_scans = subsidies.claim(db.session, other, theirs, "senior_worker", "S-9999", "")
        _paid(on_record.id, "S0034", record_id)
        _paid(on_scans.id, "S9999")
        ids, hr_id = (on_record.id, on_scans.id), hr.id
        db.session.commit()
        folded = {ids[0]: f"certificate:{hr_id}:S0034", ids[1]: "S9999"}

        upgrade()
        assert _keys() == folded
        assert db.session.execute(text("SELECT org_id FROM certificate_records")).scalar_one() == hr_id
        linked = db.session.execute(text("SELECT certificate_id FROM programme_subsidy_claims WHERE id = :i"),
                                    {"i": ids[0]}).scalar()
        assert linked == record_id  # kept through SQLite's copy of the table
        db.session.commit()  # PostgreSQL: an open read would hold the migration's ALTER TABLE for good
        downgrade(revision=BEFORE)
        assert _keys() == {ids[0]: "S0034", ids[1]: "S9999"}
        assert "org_id" not in {c["name"] for c in inspect(db.engine).get_columns("certificate_records")}
        db.session.commit()
        upgrade()
        assert _keys() == folded

        db.session.expire_all()
        squatter, clerk = _ningbo_hr()  # another department's record under the number is accepted now
        friend = worker("郑一", union_code="330203")
        assert exchange.import_file(db.session, clerk, squatter, "certificate", _row(friend, "S-0034"),
                                    "c.csv").imported == 1
        again = subsidies.claim(db.session, me, _second_enrolment(me), "senior_worker", "S-0034", "",
                                attained_on=beijing_today())
        with pytest.raises(Conflict) as refused:  # the certificate paid before 0034 is not paid again
            subsidies.decide(db.session, staff(code="330105"), again, True)
        assert refused.value.code == "already_subsidised" and f"第 {ids[0]} 号申请" in refused.value.message
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
