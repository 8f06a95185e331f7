"""Tracked authors followed by Semantic Scholar author id, as plain functions.

``harvest_s2_authors`` pages ``GET /graph/v1/author/{id}/papers`` for every active tracked
author with an S2 author id. Each paper is loaded as an S2 source record and mention (the same
record the citation look-ups store: S2 paperId is its key), with a dated citation observation;
the author's entry on each paper carries the S2 author id and the tracked id, so the merge links
the tracked person as an author of every work. Each paper also counts as looked up by S2 today,
so the citation refresh does not ask about it again. Each page commits with the run's counts.
With ``numbers`` (the default) each author also costs one ``GET /author/{id}`` for S2's own
paper count, citation total and h-index, stored by day in ``author_report`` beside the
computed metrics.

An author id S2 does not know (404) is reported by id and the other authors still run; a run
where every author was unknown ends ``failed``, one where some were ``partial``. A spent request
budget, or 429s that persist after the client's retries, end the run ``blocked``: what was
committed stays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.citations import answer_items
from flows.pipelines.runs import HarvestSummary, Progress, RunTracker, load_items, log_progress
from harvesters.citations import BudgetSpentError, CitationAnswer
from harvesters.records import WorkRecord
from harvesters.s2.client import UnknownAuthorError
from models.authors import TrackedAuthor
from models.citations.author_reports import store_author_reports
from models.citations.store import record_lookups, store_observations
from models.loader import LoadCounts

SOURCE = "s2"
MODE = "authors"


@dataclass(frozen=True)
class S2Author:
    """A tracked author followed on Semantic Scholar."""

    name: str
    s2_author_id: str
    tracked_id: int | None = None


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
) -> list[S2Author]:
    """Active tracked authors that have an S2 author id, by name; only ``names`` when given
    (compared case-insensitively; a named author without an S2 id is left out)."""
    wanted = {n.strip().lower() for n in names or ()}
    with sessions() as session:
        rows = session.scalars(
            select(TrackedAuthor)
            .where(TrackedAuthor.active.is_(True), TrackedAuthor.s2_author_id.is_not(None))
            .order_by(TrackedAuthor.name)
        )
        return [
            S2Author(t.name, t.s2_author_id or "", t.id)
            for t in rows
            if not wanted or t.name.lower() in wanted
        ]


def harvest_s2_authors(
    sessions: sessionmaker[Session],
    harvester: Any,
    authors: Sequence[S2Author],
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
    today = today or datetime.now(UTC).date()
    client = harvester.client
    params: dict[str, Any] = {
        "authors": [a.s2_author_id for a in authors],
        "observed_on": today.isoformat(),
        "max_requests": client.budget.limit,
        "authenticated": bool(getattr(client, "has_key", False)),  # never the key itself
        "numbers": numbers,
    }
    run = RunTracker(sessions, SOURCE, MODE, params)
    tally: dict[str, Any] = {
        "authors": 0,
        "works": 0,
        "observations": 0,
        "reports": 0,
        "requests": 0,
    }
    unknown: list[str] = []
    try:
        for author in authors:
            try:
                if numbers:
                    report = harvester.author_report(author.s2_author_id, today)
                    store_author_reports(run.session, SOURCE, [report], run_id=run.run.id)
                    tally["reports"] += 1
                for answers in harvester.author_works(
                    author.s2_author_id, today, author.tracked_id
                ):
                    counts = _store(run.session, run.run.id, answers, today, tally)
                    tally["requests"] = client.requests_made
                    run.commit_batch(counts, cursor=dict(tally))
            except UnknownAuthorError as exc:
                run.session.rollback()
                unknown.append(f"{author.name}: {exc}")
                log_progress(progress, "S2 authors: %s", unknown[-1])
                continue
            tally["authors"] += 1
            log_progress(progress, "S2 authors: %s, %d work(s) so far", author.name, tally["works"])
    except BudgetSpentError as exc:
        run.session.rollback()
        tally["requests"] = client.requests_made
        run.run.cursor = {**tally, "unknown": unknown}
        log_progress(progress, "S2 authors: budget spent after %d request(s)", tally["requests"])
        return run.finish("blocked", f"{type(exc).__name__}: {exc}")
    except BaseException as exc:
        run.fail(exc)
        raise
    tally["requests"] = client.requests_made
    run.run.cursor = {**tally, "unknown": unknown}
    if unknown:
        status = "failed" if len(unknown) == len(authors) else "partial"
        return run.finish(status, "; ".join(unknown))
    return run.finish()


def _store(
    session: Session,
    run_id: int,
    answers: list[CitationAnswer],
    today: date,
    tally: dict[str, Any],
) -> LoadCounts:
    """Load one page: records + mentions (merged), then their observations of ``today``."""
    items = answer_items(answers)
    counts = load_items(session, run_id, items)
    stored = {r.source_id for r in items if isinstance(r, WorkRecord)}
    observations = [
        a.observation
        for a in answers
        if a.observation is not None and a.observation.source_id in stored
    ]
    inserted, _ = store_observations(session, observations, run_id=run_id)
    # Counted today: the citation look-ups (harvest s2, the nightly's next stage) skip them.
    asked = sorted(stored)
    record_lookups(session, SOURCE, [("s2", i, i) for i in asked], today=today, run_id=run_id)
    tally["works"] += len(stored)
    tally["observations"] += inserted
    return counts
