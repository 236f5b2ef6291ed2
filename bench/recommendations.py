"""Offline evaluation of the recommendations (issue 24 item 6): hide each learner's last started course, rank
from the rest with credits/recommend_rules.py, and count how often the hidden course is in the first 5 and 10,
against "most popular" (the most started courses the learner has not started) in the same run.

The enrolment sequences are synthetic, made the way workers study: each learner has a trade (the occupations
of bench/search_corpus.py), moves along that trade's 初级工 → 技师 pathway most of the time, and otherwise takes
what co-workers take or what everyone takes. The real courses of ../shared/data/courses_cn_mooc.csv (read from
there, never copied; skipped cleanly when absent) join as general courses, with their real learner counts as
how likely a learner is to pick one. Deterministic for a seed.

    .venv/bin/python bench/recommendations.py [--learners 5000] [--quick] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from search_corpus import LEVELS, OCCUPATIONS, SHARED_COURSES  # noqa: E402

from credits.recommend_rules import Course, Inputs, PathwayInProgress, hit_rate, most_popular, rank  # noqa: E402

CITIES = ["杭州市", "宁波市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市", "衢州市", "舟山市", "台州市", "丽水市"]
# ../shared/data beside the checkout, or beside a folder of worktrees (/work/wt/<name> next to /work/shared)
REAL_FILE = next((p / "shared" / "data" / SHARED_COURSES.name for p in ROOT.parents
                  if (p / "shared" / "data" / SHARED_COURSES.name).exists()), SHARED_COURSES)
REAL_LIMIT = 300  # general courses taken from the real file (its most learned ones)


@dataclass
class World:
    courses: dict[int, Course]
    pathways: dict[str, list[int]]           # occupation -> its courses, 初级工 first
    general: list[int]                       # courses of no trade
    weights: list[float]                     # how likely a learner picks each general course
    source: str


def _trade_courses(courses: dict[int, Course], pathways: dict[str, list[int]]) -> None:
    for occupation, (leaf, industry, topics) in OCCUPATIONS.items():
        ids = []
        for level, topic in zip(LEVELS[1:], topics, strict=False):
            course_id = len(courses) + 1
            courses[course_id] = Course(course_id, f"{occupation}{level}：{topic}", frozenset({industry}),
                                        frozenset({leaf}))
            ids.append(course_id)
        pathways[occupation] = ids


def _real_general(courses: dict[int, Course]) -> tuple[list[int], list[float]]:
    if not REAL_FILE.exists():
        return [], []
    with REAL_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["title"].strip()]
    rows.sort(key=lambda r: -int(r["learner_count"] or 0))
    ids, weights = [], []
    for row in rows[:REAL_LIMIT]:
        course_id = len(courses) + 1
        courses[course_id] = Course(course_id, row["title"].strip(), frozenset(),
                                    frozenset({row["category"] or "综合素质"}))
        ids.append(course_id)
        weights.append(max(1.0, int(row["learner_count"] or 0)) ** 0.5)
    return ids, weights


def build_world() -> World:
    courses: dict[int, Course] = {}
    pathways: dict[str, list[int]] = {}
    _trade_courses(courses, pathways)
    general, weights = _real_general(courses)
    source = f"{len(general)} real courses from {REAL_FILE}" if general else "no real course file"
    if not general:  # a few generated general courses instead, Zipf-weighted
        for rank_ in range(40):
            course_id = len(courses) + 1
            courses[course_id] = Course(course_id, f"综合素质课程{rank_ + 1}", frozenset(), frozenset({"综合素质"}))
            general.append(course_id)
            weights.append(1 / (rank_ + 1))
    return World(courses, pathways, general, weights, source)


def sequences(world: World, learners: int, seed: int) -> list[tuple[str, str, list[int]]]:
    """(occupation, city, started courses in order) per learner."""
    rng = random.Random(seed)
    occupations = list(world.pathways)
    taste = [1 / (i + 1) for i in range(len(occupations))]  # some trades have many more learners
    out = []
    for _ in range(learners):
        occupation = rng.choices(occupations, taste)[0]
        city = rng.choice(CITIES)
        track = world.pathways[occupation]
        same_industry = [c for occ, ids in world.pathways.items() if occ != occupation
                         and OCCUPATIONS[occ][1] == OCCUPATIONS[occupation][1] for c in ids]
        taken: list[int] = []
        for _step in range(rng.randint(2, 7)):
            left = [c for c in track if c not in taken]
            roll = rng.random()
            if roll < 0.5 and left:
                pick = left[0] if rng.random() < 0.8 else rng.choice(left)
            elif roll < 0.65 and same_industry:
                pick = rng.choice(same_industry)
            else:
                pick = rng.choices(world.general, world.weights)[0]
            if pick not in taken:
                taken.append(pick)
        out.append((occupation, city, taken))
    return out


def _training(learners: list[tuple[str, str, list[int]]]) -> tuple[Counter[int], dict[int, dict[int, int]],
                                                                    dict[str, list[int]]]:
    """Popularity, co-completion and each city's union catalog, from every learner's history without the last."""
    popularity: Counter[int] = Counter()
    co: dict[int, Counter[int]] = defaultdict(Counter)
    by_city: dict[str, Counter[int]] = defaultdict(Counter)
    for _occupation, city, taken in learners:
        history = taken[:-1]
        popularity.update(history)
        by_city[city].update(history)
        for a in history:
            for b in history:
                if a != b:
                    co[a][b] += 1
    unions = {city: [c for c, _ in counts.most_common(20)] for city, counts in by_city.items()}
    return popularity, {a: dict(found) for a, found in co.items()}, unions


def evaluate(world: World, learners: list[tuple[str, str, list[int]]], k_max: int = 10) -> dict[str, float]:
    popularity, co, unions = _training(learners)
    courses = {i: Course(c.id, c.title, c.industries, c.categories, popularity[i]) for i, c in world.courses.items()}
    ours, baseline, truths = [], [], []
    for occupation, city, taken in learners:
        if len(taken) < 2:
            continue
        history, truth = frozenset(taken[:-1]), taken[-1]
        track = world.pathways[occupation]
        paths = [PathwayInProgress(occupation, tuple(c for c in track if c not in history))] \
            if history & set(track) else []
        inputs = Inputs(courses=courses, started=history,
                        industries=frozenset(i for c in history for i in courses[c].industries),
                        categories=frozenset(x for c in history for x in courses[c].categories),
                        pathways=paths, co_completion={c: co.get(c, {}) for c in history},
                        union_name=city, union_courses=unions.get(city, []))
        ours.append([r.course.id for r in rank(inputs, k_max)])
        baseline.append(most_popular(courses.values(), history, k_max))
        truths.append(truth)
    return {"learners": len(truths), **{f"ours@{k}": hit_rate(ours, truths, k) for k in (5, 10)},
            **{f"popular@{k}": hit_rate(baseline, truths, k) for k in (5, 10)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="500 learners")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    world = build_world()
    learners = sequences(world, 500 if args.quick else args.learners, args.seed)
    started = time.perf_counter()
    result = evaluate(world, learners)
    seconds = time.perf_counter() - started
    print(f"{len(world.courses)} courses ({world.source}), {int(result['learners'])} learners, seed {args.seed}, "
          f"{seconds:.1f} s")
    print("| ranking | hit rate@5 | hit rate@10 |\n| --- | --- | --- |")
    print(f"| most popular (baseline) | {result['popular@5']:.3f} | {result['popular@10']:.3f} |")
    print(f"| recommend_rules.rank | {result['ours@5']:.3f} | {result['ours@10']:.3f} |")
    for k in (5, 10):
        base = result[f"popular@{k}"]
        ratio = result[f"ours@{k}"] / base if base else float("inf")
        print(f"ratio@{k} (ours / most popular): {ratio:.2f}")


if __name__ == "__main__":
    main()
