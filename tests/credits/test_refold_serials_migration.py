"""0035 on a database that kept training serials as typed before 第 and 号 were dropped and Chinese numerals read as
digits: the old row was compared as stored when another person sent the same certificate, so "浙培字2025001" was a
new certificate next to a kept "浙培字第2025001号", credited to a second person. Stored numbers are folded as new ones
are; the round trip keeps the folded forms."""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.accounts import organisations
from app.errors import Conflict, Invalid
from app.extensions import db
from credits import ledger, recognition
from credits.models import OutcomeType, Recognition, RecognitionStatus
from tests import factories
from tests.credits.credit_factories import pdf_bytes, request_values
from tests.migrating import fresh_app

BEFORE = "0034_certificate_per_department"
TRAINING = {"outcome_type": "training_certificate", "title": "焊接安全培训结业证书", "occupation": "", "level": "",
            "claimed_credits": "6"}
KEPT = {"holder": "浙培字第2025001号", "copy": "浙培字第2025001号", "numerals": "浙培字二〇二五〇〇二",
        "skill": "S33010020250001"}
FOLDED = {"holder": "浙培字2025001", "copy": "浙培字2025001", "numerals": "浙培字2025002", "skill": "S33010020250001"}


def _numbers() -> dict[int, str]:
    return dict(db.session.execute(text("SELECT id, certificate_no FROM credit_recognitions")).all())


def _kept(user, number: str, status: RecognitionStatus, issuer: str) -> Recognition:
    """A request as it was kept before 0035, number as typed then."""
    outcome = OutcomeType.skill_certificate if number.startswith("S") else OutcomeType.training_certificate
    row = Recognition(user_id=user.id, outcome_type=outcome, title=TRAINING["title"], certificate_no=number,
                      issuer_id=organisations.get_by_code(db.session, issuer).id, claimed_credits=6,
                      evidence_key=f"k{user.id}", evidence_type="pdf", status=status)
    db.session.add(row)
    return row


def test_stored_serials_are_folded_so_another_person_s_copy_is_refused(tmp_path):
    app = fresh_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        factories.seed_orgs()
        people = {name: factories.user(name=name) for name in ("张三", "李四", "王五", "赵六")}
        rows = {"holder": _kept(people["张三"], KEPT["holder"], RecognitionStatus.approved, "INST-T1"),
                "copy": _kept(people["李四"], KEPT["copy"], RecognitionStatus.pending, "330100"),
                "numerals": _kept(people["王五"], KEPT["numerals"], RecognitionStatus.approved, "INST-T1"),
                "skill": _kept(people["王五"], KEPT["skill"], RecognitionStatus.pending, "INST-T1")}
        db.session.commit()
        ids = {name: row.id for name, row in rows.items()}

        upgrade()
        for typed in ("浙培字2025001", "浙培字第2025001号", "浙培字2025002"):  # another person's copy, sent now
            with pytest.raises(Invalid) as err:
                recognition.submit(db.session, people["赵六"], request_values(**TRAINING, certificate_no=typed,
                                                                              issuer="330100"),
                                   pdf_bytes(), app.config["DATA_DIR"])
            assert "已提交过学分认定" in err.value.fields["certificate_no"]
            db.session.rollback()
        with pytest.raises(Conflict) as refused:  # the copy sent back then is not approved either
            recognition.review(db.session, factories.user("union_staff", org_code="330100"), ids["copy"], "approve")
        assert refused.value.code == "already_recognised"
        db.session.rollback()
        assert ledger.ledger(db.session, people["李四"].id) == []
        assert ledger.ledger(db.session, people["赵六"].id) == []
        assert _numbers() == {ids[name]: FOLDED[name] for name in ids}
        db.session.commit()  # PostgreSQL: the downgrade's DROP waits for an open read's locks, for good
        downgrade(revision=BEFORE)
        upgrade()
        assert _numbers() == {ids[name]: FOLDED[name] for name in ids}
        db.session.remove()
        db.engine.dispose()
