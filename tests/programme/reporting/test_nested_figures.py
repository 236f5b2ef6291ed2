"""Figures lying within one another in a row (applications ⊇ admitted ⊇ enrolled): each at or above the floor is
not enough, their difference names a group too (6 applied, 5 admitted: one refused). The rule is
disclosure.column; it is tried on its own, as a property, and on the public quality page and its PDF."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from app.accounts import organisations
from app.accounts.policy import SYSTEM
from app.extensions import db as _db
from programme.admissions import applications, declarations, plans, quotas
from programme.reporting import disclosure
from programme.reporting.disclosure import COMPLEMENT, NESTED, SMALL
from tests.pdfs import text
from tests.programme.reporting.test_open_report import FLOOR, _rows
from tests.programme.reporting.test_reports import eligible_worker

APPLIED, ADMITTED = 0, 1  # columns of the quality table: 报读申请, 录取, 注册学籍, ...


def _columns(rows: dict[str, tuple[int, ...]], floor: int = FLOOR) -> list[disclosure.Column[str]]:
    """Each row's (applied, admitted, enrolled), counted people, as quality_report nests them."""
    made: list[disclosure.Column[str]] = []
    for level in range(len(next(iter(rows.values())))):
        groups = {k: (v[level], float(v[level])) for k, v in rows.items()}
        total = sum(v[level] for v in rows.values())
        made.append(disclosure.column(groups, (total, float(total)), floor, list(reversed(made))))
    return made


def test_a_small_difference_withholds_the_smaller_figure():
    applied, admitted = _columns({"a": (6, 5), "b": (30, 20)})
    assert applied.cells["a"].value == 6 and admitted.cells["a"].withheld == NESTED
    # both totals are printed: 36 - 25 less b's 10 would give a's one back, so b's admitted goes too
    assert admitted.cells["b"].withheld == COMPLEMENT and admitted.total_cell.value == 25


def test_a_difference_of_none_or_at_least_the_floor_is_shown():
    applied, admitted = _columns({"a": (10, 5), "b": (7, 7), "c": (0, 0)})
    assert [admitted.cells[k].value for k in "abc"] == [5, 7, 0] and admitted.total_cell.value == 12


def test_a_small_difference_in_total_withholds_the_total_and_every_row_differing():
    applied, admitted = _columns({"a": (3, 0), "b": (8, 8), "c": (9, 8)})
    assert applied.cells["a"].withheld == SMALL and admitted.total_cell.withheld == NESTED  # 20 - 16
    assert admitted.cells["c"].withheld == NESTED and admitted.cells["a"].withheld == NESTED  # else they add to 16


def test_a_row_whose_enclosing_figure_is_withheld_keeps_its_difference_too():
    """a's applications are small, so b's are withheld with them; b's admitted printed, 100 - 90 (the rest) - 10
    (b) would give a's and b's refused (4) back."""
    applied, admitted = _columns({"a": (4, 0), "b": (10, 10), "c": (100, 90)})
    assert applied.cells["b"].withheld == COMPLEMENT and admitted.cells["b"].value == 10  # b refused no one
    assert admitted.cells["a"].withheld == NESTED and admitted.cells["c"].withheld == COMPLEMENT


def test_three_levels_enrolled_within_admitted_within_applied():
    applied, admitted, enrolled = _columns({"a": (6, 6, 5), "b": (40, 30, 20)})
    assert admitted.cells["a"].value == 6 and enrolled.cells["a"].withheld == NESTED
    assert enrolled.cells["b"].withheld == COMPLEMENT


def _readable_differences(outer: disclosure.Column[str], inner: disclosure.Column[str]) -> list[float]:
    """Every difference a reader can subtract: a row's two shown cells, the two totals (or the rows adding up to
    them), and the totals less the shown rows, over the rows either withholds."""
    found = [o.value - i.value for k in outer.cells
             if (o := outer.cells[k]).shown and (i := inner.cells[k]).shown and o.value is not None
             and i.value is not None]

    def total(column: disclosure.Column[str]) -> float | None:
        if column.total_cell.shown:
            return column.total_cell.value
        return sum(c.value or 0 for c in column.cells.values()) if all(c.shown for c in column.cells.values()) \
            else None

    outer_total, inner_total = total(outer), total(inner)
    if outer_total is not None and inner_total is not None:
        found.append(outer_total - inner_total)
        shown_both = [k for k in outer.cells if outer.cells[k].shown and inner.cells[k].shown]
        found.append(outer_total - inner_total - sum((outer.cells[k].value or 0) - (inner.cells[k].value or 0)
                                                     for k in shown_both))
    hidden_outer = {k for k, c in outer.cells.items() if not c.shown}
    hidden_inner = {k for k, c in inner.cells.items() if not c.shown}
    if outer_total is not None and hidden_outer and not hidden_outer & hidden_inner:
        found.append(outer_total - sum(c.value or 0 for c in outer.cells.values()) - sum(
            inner.cells[k].value or 0 for k in hidden_outer))
    if inner_total is not None and hidden_inner and not hidden_outer & hidden_inner:
        found.append(sum(outer.cells[k].value or 0 for k in hidden_inner) - (
            inner_total - sum(c.value or 0 for c in inner.cells.values())))
    return found


def _nested_rows(draw: st.DrawFn) -> tuple[int, int, int]:
    applied = draw(st.integers(0, 40))
    admitted = draw(st.integers(0, applied))
    return applied, admitted, draw(st.integers(0, admitted))


rows_strategy = st.dictionaries(st.sampled_from("abcdefg"), st.composite(_nested_rows)(), min_size=1)


@settings(max_examples=300, deadline=None)
@given(rows_strategy)
def test_no_difference_a_reader_can_subtract_names_a_small_group(rows):
    columns = _columns(rows)
    for column in columns:
        assert all(c.people is None or c.people == 0 or c.people >= FLOOR for c in column.cells.values())
    for n, outer in enumerate(columns):
        for inner in columns[n + 1:]:
            assert not [d for d in _readable_differences(outer, inner) if 0 < d < FLOOR], (rows, outer, inner)


def _offering(plan, major: str, level: str = "zhuanke"):
    offering = declarations.declare(_db.session, SYSTEM, plan, organisations.get_by_code(_db.session, "INST-T1"),
                                    declarations.OfferingInput(level=level, major=major, mode="业余", years=3,
                                                               tuition_yuan=6000, places=50))
    declarations.review(_db.session, SYSTEM, offering, "select", "")
    return offering


def _applied(admitted: int, refused: int) -> None:
    """INST-T1's 2026 offering 机电一体化技术: `admitted` workers admitted, `refused` refused."""
    org = organisations.get_by_code
    plan = plans.open_plan(_db.session, SYSTEM, plans.PlanInput(
        year=2026, notice_date=date(2026, 3, 1), opens_on=date(2026, 3, 1), closes_on=date(2026, 12, 31)))
    quotas.allocate(_db.session, SYSTEM, plan, org(_db.session, "330100"), 100, 200_000)
    quotas.allocate(_db.session, SYSTEM, plan, org(_db.session, "330106"), 50, 20_000)
    offering = _offering(plan, "机电一体化技术")
    for n in range(admitted + refused):
        application = applications.apply(_db.session, eligible_worker(""), offering, date(2026, 6, 1))
        applications.verify(_db.session, SYSTEM, application, True)
        applications.admit(_db.session, SYSTEM, application, n < admitted, "" if n < admitted else "名额已满")
    _db.session.commit()


def _differences(row: list[str]) -> list[int]:
    """Every difference of two printed figures of the row (applied, admitted, enrolled)."""
    shown = [int(v.replace(",", "")) for v in row[:3] if v.replace(",", "").isdigit()]
    return [a - b for n, a in enumerate(shown) for b in shown[n + 1:]]


def _pdf_table(client) -> str:
    """The PDF's table as extracted text (a cell wrapped onto two lines joined again)."""
    pdf = text(client.get("/open/quality/2026/INST-T1.pdf").data).replace("为防推算\n，", "为防推算，")
    return pdf.split("分项目情况")[1].split("暂无数据")[0]


def test_six_applied_five_admitted_the_one_refused_cannot_be_worked_out(app, client):
    with app.app_context():
        _applied(FLOOR, 1)
    rows = _rows(client.get("/open/quality/2026/INST-T1").get_data(as_text=True))
    for name in ("机电一体化技术", "合计"):
        assert not [d for d in _differences(rows[name]) if 0 < d < FLOOR], rows[name]
        assert rows[name][APPLIED] == str(FLOOR + 1) and rows[name][ADMITTED] == "为防推算，不公布"
    table = _pdf_table(client)
    assert table.count("为防推算，不公布") == 2 and f"\n{FLOOR}\n" not in table, table  # the same cells in the PDF


def test_ten_applied_five_admitted_both_shown(app, client):
    with app.app_context():
        _applied(FLOOR, FLOOR)
    rows = _rows(client.get("/open/quality/2026/INST-T1").get_data(as_text=True))
    for name in ("机电一体化技术", "合计"):
        assert rows[name][:2] == [str(2 * FLOOR), str(FLOOR)]
    table = _pdf_table(client)
    assert "为防推算" not in table and f"\n{2 * FLOOR}\n{FLOOR}\n" in table, table
