"""Batch enrolment: an enterprise enrols a group of its confirmed workers in one resource or in every course
of a pathway, from an uploaded list (CSV or XLSX with a 手机号 column, read by app/tabular.py) or from the
workers it picks. Every row is checked first, each refusal a line of its own ("第3行：..."); one bad row and
nobody is enrolled. app/bulk.py does not fit: it keeps what went through and lists the rest, while a group
enrolled half is what the enterprise must never get. Each enrolment goes through learning's own `enrol`, so
enrolling someone twice changes nothing. The answer never says who was enrolled before: that is the worker's
learning, which an enterprise sees only with consent (progress.py), so it gets one count of course places open."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.accounts.masking import mask_phone
from app.accounts.models import Organisation, User
from app.accounts.policy import require
from app.errors import Invalid
from app.tabular import DEFAULT_LIMITS, TableLimits, read_rows
from catalog.models import Resource
from credits.models import Pathway
from learning.enrolment import enrol
from programme.enterprises import links

MAX_ROWS = 500  # one workshop's worth; a bigger group goes in several batches
PHONE = re.compile(r"^1\d{10}$")
FIELDS = ("phone", "name")
ALIASES = {"手机号": "phone", "手机": "phone", "手机号码": "phone", "电话": "phone", "姓名": "name"}


@dataclass(frozen=True)
class Target:
    """What the group is enrolled in: one resource, or each published course of a pathway."""

    kind: str  # resource | pathway
    id: int
    title: str
    resource_ids: tuple[int, ...]


@dataclass(frozen=True)
class Row:
    number: int  # the line in the file, or the position in the picked list
    phone: str
    name: str = ""


@dataclass
class Result:
    target: Target
    workers: list[User]
    # course places now open to the workers (workers x courses), made now or before: which, the answer must not
    # tell, or a batch of one worker probes what they study without their consent (docs/security.md)
    enrolled: int


def target(session: Session, kind: str, raw_id: object) -> Target:
    """The resource (published) or pathway (active, with published courses) the form names."""
    try:
        target_id = int(str(raw_id))
    except ValueError:
        target_id = 0
    if kind == "resource":
        resource = session.get(Resource, target_id)
        if resource is not None and resource.is_published:
            return Target("resource", resource.id, resource.title, (resource.id,))
    elif kind == "pathway":
        pathway = session.get(Pathway, target_id)
        if pathway is not None and pathway.active:
            ids = tuple(i.resource_id for i in pathway.items if i.resource.is_published)
            if ids:
                return Target("pathway", pathway.id, pathway.title, ids)
    raise Invalid(_("请选择已发布的课程或学分路径。"), code="no_target", fields={"target": _("请选择报名的内容。")})


def rows_from_file(data: bytes, filename: str, limits: TableLimits = DEFAULT_LIMITS) -> list[Row]:
    """The list's rows (a 手机号 column, 姓名 optional); a file that cannot be read is one Invalid."""
    _written, rows = read_rows(data, filename, limits=limits, fields=FIELDS, aliases=ALIASES, required=("phone",))
    if len(rows) > MAX_ROWS:
        raise Invalid(_("一次最多报名%(n)d人，请分批上传。", n=MAX_ROWS), code="too_many_rows",
                      fields={"file": _("一次最多报名%(n)d人，请分批上传。", n=MAX_ROWS)})
    return [Row(number, cells.get("phone", "").strip().replace(" ", ""), cells.get("name", "").strip())
            for number, cells in rows]


def rows_from_picks(session: Session, enterprise: Organisation, user_ids: Sequence[int]) -> list[Row]:
    """The workers picked on the page, as rows (their phone numbers), each checked like an uploaded one."""
    rows = []
    for index, user_id in enumerate(dict.fromkeys(user_ids), start=1):
        worker = links.confirmed_worker(session, enterprise, user_id)
        rows.append(Row(index, worker.phone if worker is not None else f"#{user_id}"))
    return rows


def _name_matches(worker: User, name: str) -> bool:
    real = worker.profile.real_name if worker.profile is not None else None
    return not name or name in (worker.name, real)


def _check(session: Session, enterprise: Organisation, rows: list[Row]) -> tuple[list[User], dict[str, str]]:
    errors: dict[str, str] = {}
    workers: list[User] = []
    seen: dict[str, int] = {}
    for row in rows:
        key, shown = f"row-{row.number}", mask_phone(row.phone) if PHONE.match(row.phone) else row.phone[:20]
        worker = session.scalar(select(User).where(User.phone == row.phone)) if PHONE.match(row.phone) else None
        if not PHONE.match(row.phone):
            errors[key] = _("第%(n)d行：手机号“%(phone)s”不是11位手机号码。", n=row.number, phone=shown)
        elif row.phone in seen:
            errors[key] = _("第%(n)d行：手机号 %(phone)s 与第%(m)d行重复。", n=row.number, phone=shown,
                            m=seen[row.phone])
        # no account and a stranger's account answer alike: 500 numbers a call must not tell who is registered
        elif worker is None or links.confirmed_worker(session, enterprise, worker.id) is None:
            errors[key] = _("第%(n)d行：%(phone)s 不是本企业已确认的职工"
                            "（请职工先在“我的企业”中关联本企业，再由企业确认）。", n=row.number, phone=shown)
        elif not _name_matches(worker, row.name):
            errors[key] = _("第%(n)d行：姓名“%(name)s”与手机号 %(phone)s 的账号不符。", n=row.number,
                            name=row.name[:20], phone=shown)
        else:
            workers.append(worker)
        seen.setdefault(row.phone, row.number)
    return workers, errors


def enrol_group(session: Session, actor: User, enterprise: Organisation, found: Target, rows: list[Row]) -> Result:
    """Check every row; with none refused, enrol each worker in each course of the target, all in one go."""
    require(actor, "enterprise.manage", enterprise)
    if not rows:
        raise Invalid(_("请上传名单或勾选职工。"), code="nobody", fields={"ids": _("请上传名单或勾选职工。")})
    if len(rows) > MAX_ROWS:
        raise Invalid(_("一次最多报名%(n)d人，请分批上传。", n=MAX_ROWS), code="too_many_rows")
    workers, errors = _check(session, enterprise, rows)
    if errors:
        raise Invalid(_("名单中有%(n)d行有误，没有为任何人报名。请修改后重新提交。", n=len(errors)), code="bad_rows",
                      fields=errors)
    with session.begin_nested():  # all of the group or none of it
        for worker in workers:
            for resource_id in found.resource_ids:
                enrol(session, worker, resource_id)  # once only, however often: an earlier enrolment stays as it is
        # the enterprise's admins read its audit log (audit.view): no count of who was enrolled before here either
        audit.record(session, actor, "enterprise.batch_enrol", found.kind, found.id, org_id=enterprise.id,
                     workers=[w.id for w in workers], courses=list(found.resource_ids))
    return Result(found, workers, len(workers) * len(found.resource_ids))
