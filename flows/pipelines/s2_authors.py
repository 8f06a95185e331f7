"""Tracked authors followed by Semantic Scholar author id, as plain functions.

``harvest_s2_authors`` pages ``GET /graph/v1/author/{id}/papers`` for every active tracked
author with an S2 author id, through the loop of :mod:`flows.pipelines.followed_authors`
(S2 paperId is each record's key). With ``numbers`` (the default) each author also costs one
``GET /author/{id}`` for S2's own paper count, citation total and h-index, stored by day in
``author_report`` beside the computed metrics. An author id S2 does not know (404) is reported
by id; the others still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.followed_authors import (
    FollowedAuthor,
    Following,
    harvest_followed_authors,
    observed_today,
    tracked_authors_with,
)
from flows.pipelines.runs import HarvestSummary, Progress, log_progress
from harvesters.s2.client import UnknownAuthorError
from models.citations.author_reports import store_author_reports

SOURCE = "s2"
FOLLOWING = Following(SOURCE, "S2 authors", (UnknownAuthorError,))

S2Author = FollowedAuthor
"""A tracked author followed on Semantic Scholar (scheme ``s2``)."""


def valid_s2_author_id(text: str) -> str:
    """``text`` stripped when it is an S2 author id (digits only, e.g. ``1723755``).

    Raises ValueError otherwise, naming the value.
    """
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise ValueError(
            f"{text!r} is not a Semantic Scholar author id (digits only, e.g. 1723755, "
            "as in semanticscholar.org/author/NAME/1723755)"
        )
    return value


def tracked_s2_authors(
    sessions: sessionmaker[Session], names: Sequence[str] | None = None
) -> list[FollowedAuthor]:
    """Active tracked authors that have an S2 author id, by name; only ``names`` when given
    (compared case-insensitively; a named author without an S2 id is left out)."""
    return tracked_authors_with(sessions, [("s2", "s2_author_id")], names)


def harvest_s2_authors(
    sessions: sessionmaker[Session],
    harvester: Any,
    authors: Sequence[FollowedAuthor],
    *,
    today: date | None = None,
    numbers: bool = True,
    progress: Progress | None = None,
) -> HarvestSummary | None:
    """List every paper of ``authors`` on S2 and store each with its citation count of
    ``today`` and, with ``numbers``, S2's own numbers for each author. Returns the run's
    summary (None when ``authors`` is empty: no run); raises what the harvester raises, other
    than a 404 or a spent budget, after marking the run failed."""
    if not authors:
        log_progress(progress, "S2 authors: no tracked author with an S2 author id")
        return None
    today = observed_today(today)
    client = harvester.client
    params: dict[str, Any] = {
        "authors": [a.value for a in authors],
        "observed_on": today.isoformat(),
        "max_requests": client.budget.limit,
        "authenticated": bool(getattr(client, "has_key", False)),  # never the key itself
        "numbers": numbers,
    }

    def report(session: Session, run_id: int, author: FollowedAuthor) -> dict[str, int]:
        found = harvester.author_report(author.value, today)
        store_author_reports(session, SOURCE, [found], run_id=run_id)
        return {"reports": 1}

    return harvest_followed_authors(
        sessions,
        FOLLOWING,
        client,
        authors,
        lambda a: harvester.author_works(a.value, today, a.tracked_id),
        today=today,
        params=params,
        before_each=report if numbers else None,
        progress=progress,
    )
