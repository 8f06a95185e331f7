"""Citation look-ups (Semantic Scholar, OpenAlex) as plain functions; the CLI and flows call them.

One run asks one source about the works already stored whose identifiers it was not asked about
within ``max_age_days`` (never-asked works first, then the least recently asked), 500 ids per S2
request and 50 per OpenAlex filter. Each answer is loaded as a source record and mention (its ids
join a preprint to its published version) with a dated citation observation, and every asked id
is remembered with the day, found or not. Each request's results commit with the run's counts.

A spent request budget, or 429s that persist after the client's retries, end the run
``blocked``: what was committed stays, and the next run continues with the works not asked yet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.runs import (
    HarvestSummary,
    Progress,
    RunTracker,
    batches,
    load_items,
    log_progress,
)
from harvesters.citations import BudgetSpentError, CitationAnswer, Lookup
from harvesters.records import QuarantinedInput, WorkRecord
from models.citations.store import (
    DEFAULT_MAX_AGE_DAYS,
    LookupTarget,
    lookup_targets,
    record_lookups,
    store_observations,
)
from models.loader import LoadCounts

logger = logging.getLogger(__name__)

MAX_AGE_ENV = "SCHOLARFLOW_CITATION_MAX_AGE_DAYS"


class CitationHarvester(Protocol):
    """What the pipeline needs of S2Harvester and OpenAlexHarvester."""

    source: str
    batch_size: int
    schemes: tuple[str, ...]
    client: Any

    def request_group(self, lookup: Lookup) -> str: ...

    def lookup(
        self, lookups: Sequence[Lookup], observed_on: date
    ) -> Iterator[list[CitationAnswer]]: ...


def max_age_from_env() -> int:
    """Days after which a work is asked again: ``SCHOLARFLOW_CITATION_MAX_AGE_DAYS`` or 7.

    Raises ValueError for a value that is not a non-negative integer.
    """
    import os

    text = os.environ.get(MAX_AGE_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_AGE_DAYS
    if not text.isdigit():
        raise ValueError(f"{MAX_AGE_ENV} must be a whole number of days, not {text!r}")
    return int(text)


def harvest_citations(
    sessions: sessionmaker[Session],
    harvester: CitationHarvester,
    *,
    max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    limit: int | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> HarvestSummary:
    """Ask ``harvester``'s source about every stored work not asked within ``max_age_days``
    (0: all of them), at most ``limit`` works. Returns the run's summary: ``blocked`` when the
    budget ran out; raises what the harvester raises otherwise, after marking the run failed
    (committed requests stay)."""
    if max_age_days < 0:
        raise ValueError(f"max_age_days must be >= 0, not {max_age_days}")
    source = harvester.source
    today = today or datetime.now(UTC).date()
    client = harvester.client
    params: dict[str, Any] = {
        "max_age_days": max_age_days,
        "limit": limit,
        "observed_on": today.isoformat(),
        "max_requests": client.budget.limit,
        # Whether a key / mailto was used, never its value.
        "authenticated": bool(
            getattr(client, "has_key", False) or getattr(client, "has_mailto", False)
        ),
    }
    run = RunTracker(sessions, source, "citations", params)
    run_id = run.run.id
    tally = {"works": 0, "asked": 0, "found": 0, "not_found": 0, "observations": 0, "requests": 0}
    try:
        targets = lookup_targets(
            run.session,
            source,
            harvester.schemes,
            today=today,
            max_age_days=max_age_days,
            limit=limit,
        )
        run.session.commit()
        tally["works"] = len(targets)
        log_progress(
            progress,
            "%s: %d work(s) to look up (older than %d day(s) or new)",
            source,
            len(targets),
            max_age_days,
        )
        for group in _grouped(harvester, targets):
            for part in batches(group, harvester.batch_size):
                lookups = sorted({(t.scheme, t.value) for t in part})
                for answers in harvester.lookup(lookups, today):
                    counts = _store_answers(run.session, run_id, source, answers, today, tally)
                    tally["requests"] = client.requests_made
                    run.commit_batch(counts, cursor=dict(tally))
                log_progress(
                    progress,
                    "%s: %d/%d asked, %d found",
                    source,
                    tally["asked"],
                    len(targets),
                    tally["found"],
                )
    except BudgetSpentError as exc:
        run.session.rollback()
        tally["requests"] = client.requests_made
        run.run.cursor = dict(tally)
        log_progress(
            progress,
            "%s: budget spent after %d request(s); the next run continues",
            source,
            tally["requests"],
        )
        return run.finish("blocked", f"{type(exc).__name__}: {exc}")
    except BaseException as exc:
        run.fail(exc)
        raise
    tally["requests"] = client.requests_made
    run.run.cursor = dict(tally)
    return run.finish()


def _grouped(harvester: CitationHarvester, targets: list[LookupTarget]) -> list[list[LookupTarget]]:
    """Targets split by request group (OpenAlex: filter key), each group in staleness order."""
    groups: dict[str, list[LookupTarget]] = {}
    for target in targets:
        groups.setdefault(harvester.request_group((target.scheme, target.value)), []).append(target)
    return list(groups.values())


def answer_items(answers: list[CitationAnswer]) -> list[WorkRecord | QuarantinedInput]:
    """What the loader takes from ``answers``: each record, and each input to quarantine."""
    items: list[WorkRecord | QuarantinedInput] = []
    for answer in answers:
        if answer.record is not None:
            items.append(answer.record)
        if answer.bad is not None:
            items.append(answer.bad)
    return items


def _store_answers(
    session: Session,
    run_id: int,
    source: str,
    answers: list[CitationAnswer],
    today: date,
    tally: dict[str, int],
) -> LoadCounts:
    """Load one request's answers: records + mentions, observations, the asked ids."""
    counts = load_items(session, run_id, answer_items(answers))
    observations = [a.observation for a in answers if a.observation is not None]
    inserted, _ = store_observations(session, observations, run_id=run_id)
    record_lookups(
        session,
        source,
        [(*a.asked, a.record.source_id if a.record else None) for a in answers],
        today=today,
        run_id=run_id,
    )
    found = {a.asked for a in answers if a.found}
    tally["asked"] += len({a.asked for a in answers})
    tally["found"] += len(found)
    tally["not_found"] += len({a.asked for a in answers} - found)
    tally["observations"] += inserted
    return counts


def s2_harvester(
    *, api_key: str | None = None, replay: bool = False, max_requests: int | None = None
) -> Any:
    """The Semantic Scholar harvester; with ``replay`` no delays (nothing goes out)."""
    from harvesters.s2.client import S2Client
    from harvesters.s2.harvester import S2Harvester

    if replay:
        client = S2Client(
            api_key=api_key, min_interval=0.0, sleep=lambda _s: None, max_requests=max_requests
        )
    else:
        client = S2Client(api_key=api_key, max_requests=max_requests)
    return S2Harvester(client)


def openalex_harvester(
    *, mailto: str | None = None, replay: bool = False, max_requests: int | None = None
) -> Any:
    """The OpenAlex harvester; with ``replay`` no delays (nothing goes out)."""
    from harvesters.openalex.client import OpenAlexClient
    from harvesters.openalex.harvester import OpenAlexHarvester

    if replay:
        client = OpenAlexClient(
            mailto=mailto, min_interval=0.0, sleep=lambda _s: None, max_requests=max_requests
        )
    else:
        client = OpenAlexClient(mailto=mailto, max_requests=max_requests)
    return OpenAlexHarvester(client)
