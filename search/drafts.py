"""Staff search over their own organisation's resources in every status. Drafts never enter the public
index, and an organisation holds hundreds of resources, not thousands, so this reads the database and
matches with the same analyzer (words and their pairs, title before summary)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalog import service
from catalog.models import Resource
from search import analysis
from search.query import normalize_query


def _score(tokens: list[str], title: set[str], rest: set[str]) -> float:
    if not all(t in title or t in rest for t in tokens):
        return 0.0
    return sum(3.0 if t in title else 1.0 for t in tokens)


def search(session: Session, actor: Any, query: str, limit: int = 50) -> list[Resource]:
    """The actor's organisations' resources matching every word of `query` (all of them when empty)."""
    resources = service.resources_of(session, service.provider_orgs(actor))
    tokens = analysis.words(normalize_query(query))
    if not tokens:
        return resources[:limit]
    scored = []
    for resource in resources:
        title = {p.text for p in analysis.pieces(resource.title)}
        rest = {p.text for p in analysis.pieces(f"{resource.summary}\n{' '.join(t.name for t in resource.tags)}")}
        score = _score(tokens, title, rest)
        if score:
            scored.append((score, resource))
    scored.sort(key=lambda pair: -pair[0])
    return [resource for _score_, resource in scored[:limit]]
