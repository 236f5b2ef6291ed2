"""0032 on a database that kept ID numbers as typed: a full-width number becomes its ASCII form unless another
profile holds (or would hold) the same number, when both are left for staff to merge; exchanged records are folded
(many per person, none collides); the round trip keeps the folded forms."""

from __future__ import annotations

from datetime import date

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.accounts import organisations
from app.accounts.models import WorkerProfile
from app.extensions import db
from programme.exchange.models import ExchangeBatch, ExchangeKind
from tests import factories
from tests.migrating import fresh_app

BEFORE = "0031_diploma_per_institution"
WIDE = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ALONE, TWINNED, TWICE_WIDE = "11010519491231002X", "110105198001010016", "330106199001010011"


def _profiles() -> dict[int, str]:
    return dict(db.session.execute(text("SELECT user_id, id_number FROM worker_profiles")).all())


def test_stored_id_numbers_are_folded_unless_two_profiles_would_hold_one(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        factories.seed_orgs()
        stored = {"alone": ALONE.translate(WIDE), "ascii": TWINNED, "its twin": TWINNED.translate(WIDE),
                  "wide": TWICE_WIDE.translate(WIDE), "half wide": TWICE_WIDE[:9] + TWICE_WIDE[9:].translate(WIDE)}
        users = {name: factories.user(name=name) for name in stored}
        db.session.add_all(WorkerProfile(user=users[name], id_number=number) for name, number in stored.items())
        batch = ExchangeBatch(kind=ExchangeKind.certificate, filename="old.csv", rows=1, imported=1,
                              org_id=organisations.get_by_code(db.session, factories.INSTITUTION).id)
        db.session.add(batch)
        db.session.flush()
        # written as 0031's table holds it (today's model names the sending department, a column 0034 adds)
        db.session.execute(text("INSERT INTO certificate_records (batch_id, id_number, name, occupation, skill_level,"
                                " certificate_no, issued_on) VALUES (:b, :i, '张三明', '电工', 3, 'S-0032', :on)"),
                           {"b": batch.id, "i": TWINNED.translate(WIDE), "on": date(2026, 5, 20)})
        db.session.commit()
        ids = {name: user.id for name, user in users.items()}
        folded = {ids["alone"]: ALONE, **{ids[name]: stored[name] for name in stored if name != "alone"}}

        upgrade()
        assert _profiles() == folded
        assert db.session.execute(text("SELECT id_number FROM certificate_records")).scalar() == TWINNED
        db.session.commit()  # PostgreSQL: the downgrade's DROP TABLE waited for this open read's locks, for good
        downgrade(revision=BEFORE)
        upgrade()
        assert _profiles() == folded
        db.session.remove()
        db.engine.dispose()
