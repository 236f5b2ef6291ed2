"""Credit bank test data, made through the services: workers, credit-bearing resources, completions,
pathways and evidence files (a real PDF drawn by reportlab, a real PNG)."""

from __future__ import annotations

import io
import itertools
from typing import Any

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db
from credits import awards, pathways
from credits.models import Pathway
from tests import factories
from tests.catalog.helpers import make, png


def worker(name: str = "张小明") -> Any:
    return factories.user("worker", name=name)


def resource(credits_: float = 4, title: str = "低压电工作业", provider: str = "INST-T1") -> Any:
    return make(provider, title=title, publish=True, credits=str(credits_))


def complete(user: Any, item: Any) -> Any:
    return awards.award_completion(db.session, user.id, item.id)


def pathway(required_credits: float = 80, items: tuple[tuple[Any, bool], ...] = (), org: str = "INST-T1",
            title: str = "机电一体化技术（专科）", kind: str = "academic") -> Pathway:
    found = pathways.create(db.session, SYSTEM, organisations.get_by_code(db.session, org),
                            {"title": title, "kind": kind, "required_credits": str(required_credits)})
    for item, required in items:
        pathways.add_item(db.session, SYSTEM, found.id, item.id, required)
    return found


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Certificate")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def png_bytes() -> bytes:
    return png((320, 200))


_NUMBERS = itertools.count(1)


def request_values(**overrides: Any) -> dict[str, Any]:
    """A recognition request's fields, each call a certificate of its own (one certificate is recognised once)."""
    values = {"outcome_type": "skill_certificate", "title": "电工职业技能等级证书（高级工）", "occupation": "电工",
              "level": "高级工", "certificate_no": f"S330100-2024-{next(_NUMBERS):04d}", "issuer": "INST-T1",
              "claimed_credits": "6"}
    values.update(overrides)
    return values
