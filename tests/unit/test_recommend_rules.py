"""The ranking's rules over plain inputs: every recommendation explains itself, nothing started or finished
comes back, and a pathway in progress outranks everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credits.recommend_rules import Course, Inputs, PathwayInProgress, hit_rate, most_popular, rank


def _catalog(n: int = 12) -> dict[int, Course]:
    industries = ["energy", "construction", "logistics"]
    return {i: Course(i, f"课程{i}", frozenset({industries[i % 3]}), frozenset({f"分类{i % 4}"}), popularity=100 - i)
            for i in range(1, n + 1)}


def test_each_pathway_puts_its_next_two_steps_first():
    inputs = Inputs(courses=_catalog(), pathways=[PathwayInProgress("甲", (1, 2, 3)), PathwayInProgress("乙", (4, 5))])
    assert [r.course.id for r in rank(inputs, 4)] == [1, 2, 4, 5]


def test_pathway_courses_come_first_and_say_so():
    courses = _catalog()
    inputs = Inputs(courses=courses, started=frozenset({1}),
                    pathways=[PathwayInProgress("电工 高级工", (11, 12))],
                    co_completion={1: {5: 30}}, industries=frozenset({"energy"}))
    found = rank(inputs, 5)
    assert [r.course.id for r in found[:2]] == [11, 12]
    assert found[0].reasons[0].kind == "pathway" and found[0].reasons[0].subject == "电工 高级工"
    assert found[2].course.id == 5 and found[2].reasons[0].kind == "peers" and found[2].reasons[0].subject == "课程1"


def test_nothing_started_or_finished_is_recommended_even_when_everything_points_at_it():
    courses = _catalog()
    started = frozenset({1, 2, 3})
    inputs = Inputs(courses=courses, started=started, pathways=[PathwayInProgress("路径", (2, 4))],
                    co_completion={1: {3: 9, 4: 2}}, union_courses=(1, 2, 3), union_name="杭州市总工会")
    found = rank(inputs, 12)
    assert not {r.course.id for r in found} & started
    assert found[0].course.id == 4


def test_a_newcomer_gets_the_union_catalog_then_the_favourites_with_reasons():
    inputs = Inputs(courses=_catalog(), union_courses=(9, 7), union_name="杭州市总工会")
    found = rank(inputs, 4)
    assert [r.course.id for r in found[:2]] == [9, 7]
    assert found[0].reasons[0].kind == "union" and found[0].reasons[0].subject == "杭州市总工会"
    assert found[2].reasons[0].kind == "popular"


@given(started=st.frozensets(st.integers(1, 12)), limit=st.integers(1, 12),
       pathway=st.lists(st.integers(1, 14), max_size=5), peers=st.dictionaries(
           st.integers(1, 12), st.dictionaries(st.integers(1, 14), st.integers(1, 50), max_size=4), max_size=4))
def test_every_recommendation_has_a_reason_and_is_new(started, limit, pathway, peers):
    inputs = Inputs(courses=_catalog(), started=started, pathways=[PathwayInProgress("路径", tuple(pathway))],
                    co_completion=peers, industries=frozenset({"energy"}), categories=frozenset({"分类1"}))
    found = rank(inputs, limit)
    assert len(found) == min(limit, 12 - len(started))
    assert all(r.reasons for r in found)
    assert not {r.course.id for r in found} & started
    ids = [r.course.id for r in found]
    assert len(ids) == len(set(ids))
    in_pathway = [r.course.id in pathway[:2] for r in found]  # its next two steps
    assert in_pathway == sorted(in_pathway, reverse=True)  # pathway courses before all others


def test_most_popular_baseline_skips_what_was_started():
    assert most_popular(_catalog().values(), frozenset({1, 3}), 3) == [2, 4, 5]


def test_hit_rate_counts_the_next_course_within_the_first_k():
    ranked = [[5, 6, 7], [1, 2, 3], [9], []]
    truths = [7, 4, 9, 1]
    assert hit_rate(ranked, truths, 1) == 0.25
    assert hit_rate(ranked, truths, 3) == 0.5
    assert hit_rate([], [], 5) == 0.0
    with pytest.raises(ValueError):
        hit_rate([[1]], [1, 2], 5)
