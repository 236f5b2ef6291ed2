"""Credit bank demo: two pathways over the demo catalog (a 专科 programme of 浙江开放大学 and a 电工 高级工
skill track of 杭州职业技术学院, whose demo staff account can manage it, and which counts the short demo course a
worker finishes in minutes), one conversion-table row, and a pending recognition request from the demo worker
for that staff account to review."""

from __future__ import annotations

import io

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import stores
from app.accounts.models import User
from app.accounts.organisations import get_by_code
from app.accounts.policy import SYSTEM
from app.pdf_font import pdf_font
from catalog.models import Resource
from credits import conversion, pathways, recognition

PATHWAYS = [
    ("INST-ZJOU", "academic", "机电一体化技术（专科）", 80,
     "浙江开放大学成人专科。修满80学分，其中电工电子基础、高等数学基础为必修。",
     [("机电一体化技术（专科）：电工电子基础", True), ("高等数学基础（高起本）", True), ("大学语文（高起本）", False),
      ("数控车床操作与编程", False), ("智能制造与工业机器人入门", False), ("安全生产基础知识", False)]),
    ("INST-HZVTC", "skill", "电工（高级工）技能提升路径", 12,
     "面向持初级、中级证书的电工，学完必修课程并累计12学分，可报考电工三级（高级工）。",
     [("电工（初级）上岗培训", True), ("电力安全工作规程解读", True), ("安全生产基础知识", False),
      ("安全用电三堂课（演示速成课）", False)]),
]
WORKER_PHONE = "13900000007"  # app.demo's worker account (李小梅)


def _pdf() -> bytes:
    # reportlab (~12 MB resident) only when a PDF is made, not in every web process from its start
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setFont(pdf_font(), 18)
    pdf.drawString(72, 720, "职业技能等级证书（演示）")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def load(session: Session, data_dir: str | None = None) -> dict[str, int]:
    """Needs the demo catalog and accounts; evidence goes to the app's credit evidence store unless told."""
    files = data_dir or stores.area(current_app.config, "credit_evidence")
    made = []
    for org_code, kind, title, needed, description, items in PATHWAYS:
        org = get_by_code(session, org_code)
        if org is None:
            continue
        pathway = pathways.create(session, SYSTEM, org, {"title": title, "kind": kind, "required_credits": needed,
                                                          "description": description})
        for resource_title, required in items:
            resource = session.scalar(select(Resource).where(Resource.title == resource_title))
            if resource is not None:
                pathways.add_item(session, SYSTEM, pathway.id, resource.id, required)
        made.append(pathway)
    if not made:
        return {"pathways": 0}
    conversion.add_conversion(session, SYSTEM, {
        "outcome_type": "skill_certificate", "occupation": "电工", "level": "高级工", "credits": "10",
        "pathways": [p.id for p in made]})
    worker = session.scalar(select(User).where(User.phone == WORKER_PHONE))
    if worker is not None:
        recognition.submit(session, worker, {
            "outcome_type": "skill_certificate", "title": "电工职业技能等级证书（高级工）", "occupation": "电工",
            "level": "高级工", "certificate_no": "DEMO-3301-000123", "issuer": "INST-HZVTC", "claimed_credits": "10",
        }, _pdf(), files)
    session.flush()
    return {"pathways": len(made), "conversions": 1}
