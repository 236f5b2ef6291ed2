"""Services for the organisation tree: seeding the Zhejiang unions, adding organisations,
and importing townships from a division CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import divisions
from app.accounts.models import Organisation, OrgKind, OrgLevel, User
from app.accounts.policy import can, require
from app.errors import Invalid, NotFound
from app.tabular import DEFAULT_LIMITS, TableLimits, read_table
from app.text import has_control_chars, is_digits

_CHILD_LEVEL = {OrgLevel.province: OrgLevel.city, OrgLevel.city: OrgLevel.county,
                OrgLevel.county: OrgLevel.township}


def get_by_code(session: Session, code: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(_("组织代码 %(code)s 不存在。", code=code))
    return org


def _add(session: Session, code: str, name: str, kind: OrgKind, level: OrgLevel,
         parent: Organisation | None) -> Organisation:
    org = Organisation(code=code, name=name, kind=kind, level=level, parent=parent,
                       path=(parent.path if parent else "/") + code + "/")
    session.add(org)
    return org


def seed_zhejiang(session: Session) -> int:
    """Create the province, city and county unions that are missing; returns how many were added."""
    existing = set(session.scalars(select(Organisation.code)))
    added = 0

    def ensure(code: str, name: str, level: OrgLevel, parent: Organisation | None) -> Organisation:
        nonlocal added
        if code in existing:
            return get_by_code(session, code)
        added += 1
        return _add(session, code, divisions.union_name(name), OrgKind.union, level, parent)

    province = ensure(*divisions.PROVINCE, OrgLevel.province, None)
    for city_code, city_name, counties in divisions.cities():
        city = ensure(city_code, city_name, OrgLevel.city, province)
        for county_code, county_name in counties:
            ensure(county_code, county_name, OrgLevel.county, city)
    session.flush()
    return added


def create_organisation(session: Session, actor: User, *, parent_code: str, code: str, name: str,
                        kind: OrgKind) -> Organisation:
    """Add a township union under a county, or an institution/enterprise/department under any union."""
    parent = get_by_code(session, parent_code)
    require(actor, "org.manage", parent)
    errors: dict[str, str] = {}
    code, name = code.strip(), name.strip()
    # ASCII only: codes go into URLs, file names and HTTP headers (str.isalnum alone also passes 西, ３ or ٣).
    if not code or len(code) > 32 or not code.isascii() or not code.replace("-", "").isalnum():
        errors["code"] = _("代码只能由字母、数字和连字符组成，最长32位。")
    elif session.scalar(select(Organisation.id).where(Organisation.code == code)):
        errors["code"] = _("代码 %(code)s 已被使用。", code=code)
    if not name or len(name) > 200 or has_control_chars(name):
        errors["name"] = _("请填写名称（最多200字，不含控制字符）。")
    if kind == OrgKind.union and parent.level not in _CHILD_LEVEL:
        errors["kind"] = _("乡镇（街道）工会下不能再设工会。")
    # A township's division code belongs to its county, whatever kind of organisation asks for it: an enterprise under
    # 杭州 holding 330212001 would keep 鄞州区 from ever adding or importing that township.
    if "code" not in errors and len(code) == 9 and is_digits(code) and not code.startswith(parent.code):
        errors["code"] = _("代码 %(code)s 不属于%(name)s。", code=code, name=parent.name)
    if errors:
        raise Invalid(_("请修改标出的内容。"), fields=errors)
    level = _CHILD_LEVEL[parent.level] if kind == OrgKind.union else parent.level
    org = _add(session, code, name, kind, level, parent)
    session.flush()
    return org


@dataclass
class ImportReport:
    added: int = 0
    skipped: int = 0  # already present
    errors: list[str] = field(default_factory=list)


def _division_code(raw: str) -> str:
    """Division files write 33 / 3301 / 330102 / 330102001; our codes pad to 6 or keep 9 digits."""
    raw = raw.strip()
    return raw.ljust(6, "0") if len(raw) < 6 else raw


def _township_rows(data: bytes | str, limits: TableLimits) -> list[dict[str, str]]:
    """The file's rows as {header: cell}, read by the one tabular reader (its encodings and limits)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    table = read_table(raw, "townships.csv", limits)
    header = [cell.strip().lstrip("\ufeff") for cell in next(table, [])]
    if not {"code", "name", "parent_code"} <= set(header):
        raise Invalid(_("文件需要包含 code、name、parent_code 三列。"), code="bad_columns")
    return [dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in table
            if any(cell.strip() for cell in row)]


def import_townships(session: Session, actor: User, data: bytes | str,
                     progress: Callable[[int], None] | None = None,
                     limits: TableLimits = DEFAULT_LIMITS) -> ImportReport:
    """Import township/street unions from a CSV with columns code, name, level, parent_code.

    Other levels in the file are checked against what we have and skipped. All rows are checked
    before anything is added: a file with errors changes nothing.
    """
    rows = _township_rows(data, limits)
    if not rows:
        raise Invalid(_("文件需要包含 code、name、parent_code 三列。"), code="bad_columns")
    counties = {o.code: o for o in session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.union, Organisation.level == OrgLevel.county))}
    existing: dict[str, int | None] = dict(session.execute(select(Organisation.code, Organisation.parent_id)).all())
    report, todo = ImportReport(), []
    for lineno, row in enumerate(rows, start=2):
        if row.get("level", "township").strip() not in ("township", ""):
            continue
        code, name = _division_code(row["code"]), (row["name"] or "").strip()
        parent = counties.get(_division_code(row["parent_code"] or ""))
        if len(code) != 9 or not (code.isascii() and code.isdigit()):
            report.errors.append(_("第%(line)d行：乡镇代码应为9位数字。", line=lineno))
        elif parent is None:
            report.errors.append(_("第%(line)d行：上级县（市、区）%(code)s 不存在。", line=lineno,
                                   code=row["parent_code"]))
        elif not can(actor, "org.import", parent):
            report.errors.append(_("第%(line)d行：您无权在%(name)s下导入。", line=lineno, name=parent.name))
        elif not code.startswith(parent.code):  # a township's code begins with its county's: not another county's
            report.errors.append(_("第%(line)d行：乡镇代码%(code)s不属于%(name)s。", line=lineno, code=code,
                                   name=parent.name))
        elif not name:
            report.errors.append(_("第%(line)d行：缺少名称。", line=lineno))
        elif len(name) > 200 or has_control_chars(name):  # as the form's own check
            report.errors.append(_("第%(line)d行：请填写名称（最多200字，不含控制字符）。", line=lineno))
        elif code in existing and existing[code] != parent.id:
            report.errors.append(_("第%(line)d行：代码%(code)s已被其他组织使用。", line=lineno, code=code))
        elif code in existing:
            report.skipped += 1
        else:
            todo.append((code, name, parent))
            existing[code] = parent.id
    if report.errors:
        return report
    for i, (code, name, parent) in enumerate(todo, start=1):
        _add(session, code, divisions.union_name(name, township=True), OrgKind.union, OrgLevel.township, parent)
        if progress and i % 100 == 0:
            progress(100)
    session.flush()
    report.added = len(todo)
    return report


def names_by_code(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """{code: name} of the organisations with these codes (unknown codes are left out)."""
    wanted = list(codes)
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.code, Organisation.name).where(Organisation.code.in_(wanted)))
    return dict(rows.all())


def of_kinds(session: Session, kinds: Iterable[OrgKind]) -> list[Organisation]:
    """Every organisation of these kinds, by code (what a site admin may pick from)."""
    return list(session.scalars(select(Organisation).where(Organisation.kind.in_(list(kinds)))
                                .order_by(Organisation.code)))


def subtree(session: Session, root: Organisation, kinds: Iterable[OrgKind] | None = None) -> list[Organisation]:
    query = select(Organisation).where(Organisation.path.startswith(root.path)).order_by(Organisation.path)
    if kinds is not None:
        query = query.where(Organisation.kind.in_(list(kinds)))
    return list(session.scalars(query))


def count(session: Session) -> int:
    return session.scalar(select(func.count(Organisation.id))) or 0
