"""Aggregate statistics for the departments: the yearly report's own figures (programme/reporting/reports.py)
for the province or one city, per region below it, counts of people only. No figure from a group smaller than
ANALYTICS_MIN_LEARNERS leaves the site (the course analytics' threshold); when a row of regions would hide just
one small figure, the next smallest is withheld too, so the total minus the others cannot reveal it; and a city's
own answer withholds what the province's answer withheld for it, so no figure comes back by difference across two
answers either.

A department reads its own area only (programme/exchange/areas.py, as pulls do): a city bureau its own city, a
province-level one the province or any city."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, OrgKind, OrgLevel
from app.accounts.policy import SYSTEM
from app.errors import Invalid
from programme.exchange import areas
from programme.reporting import disclosure, reports

KEYS = ("applications", "admitted", "enrolled", "graduations", "certificates")


def _metrics() -> list[reports.Metric]:
    found = {m.key: m for m in reports.programme_metrics() + reports.support_metrics()}
    return [found[key] for key in KEYS]


def province(session: Session) -> Organisation:
    found = session.scalar(select(Organisation).where(Organisation.kind == OrgKind.union,
                                                      Organisation.level == OrgLevel.province))
    assert found is not None, "the union tree is seeded with the site"
    return found


def region_for(reader: Organisation, city: Organisation | None) -> Organisation:
    """The region `reader` asked for: `city`, or its own area when none is named; a city outside that area (or any
    region for an organisation that is not a department) is refused: a 宁波 bureau read 杭州's county figures."""
    area = areas.area_of(reader)
    if area is None or (city is not None and not city.is_within(area)):
        message = _("只能查询本部门辖区（%(area)s）内的统计。", area=(area or reader).name)
        raise Invalid(_("参数 %(name)s 不正确。", name="city"), code="outside_area", fields={"city": message})
    return city or area


def suppressed(figures: list[int], floor: int) -> list[int | None]:
    """Each figure, or None where it counts fewer people than `floor` (zero is shown: it names nobody); then the
    smallest others are hidden with them until the hidden ones together count at least `floor`, as the public
    report does (programme/reporting/disclosure.py): two hidden cities of one each were read as 12 - 10 = 2."""
    cells = disclosure.breakdown({i: (f, f) for i, f in enumerate(figures)}, floor, sum(figures))
    return [f if cells[i].shown else None for i, f in enumerate(figures)]


def _columns(report: reports.Report, floor: int) -> dict[str, list[int | None]]:
    return {m.key: suppressed([int(report.by_region[m.key].get(r.id, 0)) for r in report.regions], floor)
            for m in report.metrics}


def _withheld_above(session: Session, region: Organisation, year: int, floor: int) -> set[str]:
    """The figures the province's answer withholds for this city: given here (its total, or its rows' sum), the
    province's total less it gave back what was withheld (a review worked out a city of 2 so)."""
    if region.level == OrgLevel.province:
        return set()
    above = reports.build(session, SYSTEM, province(session), year, _metrics())
    at = next((i for i, r in enumerate(above.regions) if r.id == region.id), None)
    return {key for key, column in _columns(above, floor).items() if at is None or column[at] is None}


def figures(session: Session, region: Organisation, year: int, floor: int) -> dict[str, Any]:
    """One year's figures for `region` (the province or a city) and each union below it."""
    report = reports.build(session, SYSTEM, region, year, _metrics())
    columns = _columns(report, floor)
    withheld = _withheld_above(session, region, year, floor)
    for key in withheld:
        columns[key] = [None] * len(report.regions)
    rows = [{"region": {"code": r.code, "name": r.name},
             "figures": {key: columns[key][i] for key in KEYS}} for i, r in enumerate(report.regions)]
    totals = {m.key: None if m.key in withheld else int(report.total(m.key)) for m in report.metrics}
    return {"year": year, "region": {"code": region.code, "name": region.name}, "min_group": floor,
            "metrics": {m.key: f"{m.label}（{m.unit}）" for m in report.metrics}, "rows": rows,
            "total": {key: (None if value is None or 0 < value < floor else value) for key, value in totals.items()}}
