"""Attack: another city's HR department (or anyone with its exchange rights) imports a file carrying a Hangzhou
worker's skill-certificate number first, naming one of its own workers. The issuing department's file is still
accepted (the row was refused: "已导入过或在文件中重复"), the holder's claim rests on the issuer's record, and a
department's own number is still refused twice."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db as _db
from app.timefmt import beijing_today
from programme.exchange import imports as exchange
from programme.exchange.models import CertificateRecord
from programme.money import claim_checks, subsidies
from programme.money.models import ClaimStatus
from tests.programme.exchange.test_attack_own_records import CERT_HEADER, _ningbo_hr
from tests.programme.helpers import hr_department, open_year, staff, worker
from tests.programme.money.test_subsidies import enrolled

NUMBER = "S330100-2026-0077"


def _row(person, number: str = NUMBER) -> bytes:
    return (CERT_HEADER + f"{person.profile.id_number},{person.profile.real_name},机电一体化,高级工,{number},"
            f"{beijing_today().isoformat()}\n").encode()


def test_attack_another_departments_import_does_not_block_the_issuers_file(app, db):
    me, record = enrolled(open_year())  # a 西湖区 (Hangzhou) worker
    squatter, clerk = _ningbo_hr()
    friend = worker("郑一", union_code="330203")  # a Ningbo worker, under the Hangzhou worker's number
    assert exchange.import_file(_db.session, clerk, squatter, "certificate", _row(friend), "c.csv").imported == 1

    hr, hr_clerk = hr_department()
    real = exchange.import_file(_db.session, hr_clerk, hr, "certificate", _row(me), "c.csv")
    assert real.errors == [] and real.imported == 1
    again = exchange.import_file(_db.session, hr_clerk, hr, "certificate", _row(me), "c.csv")
    assert again.imported == 0 and "已导入过" in again.errors[0].message
    twice = exchange.import_file(_db.session, clerk, squatter, "certificate", _row(friend), "c.csv")
    assert twice.imported == 0  # the squatter's own number too
    assert _db.session.scalar(select(func.count()).select_from(CertificateRecord)) == 2

    claim = subsidies.claim(_db.session, me, record, "senior_worker", NUMBER, "人社厅", attained_on=beijing_today())
    review = claim_checks.review(_db.session, claim)
    assert review.record is not None and review.record.org_id == hr.id and review.problems == []
    subsidies.decide(_db.session, staff(code="330106"), claim, True)
    assert claim.status == ClaimStatus.approved and claim.certificate_id == review.record.id
