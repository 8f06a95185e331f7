"""Google Scholar pipelines: plain functions the CLI and the Prefect flow call.

``harvest_scholar_profiles`` harvests the tracked authors' profiles page by page (each page
committed with its observations and source records), then optionally fills single
publications within a request budget. When Google blocks the harvest (CAPTCHA, 403, login
redirect) or the time budget runs out, the run ends with status ``blocked`` and the reason,
everything committed stays, and the cursor ``scholar/profiles`` lists the authors still to do:
the next run starts with them. ``import_gs_data`` and ``export_gs_data`` read and write the
AcadHomepage crawler's files.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.runs import (
    REJECTED,
    HarvestSummary,
    Progress,
    RunTracker,
    load_items,
    log_progress,
    rejection_reason,
)
from harvesters.errors import HarvestError, SourceResponseError, is_transient
from harvesters.records import QuarantinedInput
from harvesters.scholar.client import ScholarBlockedError, ScholarClient
from harvesters.scholar.gsdata import (
    BADGE_FILE,
    BADGE_LABEL,
    GS_DATA_FILE,
    build_badge,
    build_gs_data,
    dump_json,
    format_updated,
    read_gs_data,
)
from harvesters.scholar.harvester import (
    SOURCE,
    ScholarHarvester,
    ScholarPage,
    ScholarPublication,
    dumps,
    merge_publication,
)
from harvesters.scholar.settings import ScholarSettings, secret_block_name
from models.base import utcnow
from models.loader import LoadCounts
from models.runs import clear_cursor, get_cursor, resolve_quarantined, set_cursor
from models.sanitize import RowRejected
from models.scholar.store import (
    ScholarTarget,
    gs_data_state,
    profile_id_of,
    publications_to_fill,
    record_observations,
    resolve_scholar_id,
    store_profile,
    store_publications,
    stored_payloads,
    unlist_missing,
)

logger = logging.getLogger(__name__)

CURSOR_KEY = "profiles"
Clock = Callable[[], datetime]


# --------------------------------------------------------------------------- building


def scholar_settings(
    *,
    budget_seconds: float | None = None,
    max_fills: int | None = None,
    environ: Mapping[str, str] | None = None,
    load_secret: Callable[[str], Any] | None = None,
) -> ScholarSettings:
    """Settings from the environment, credentials from the Prefect Secret block named by
    ``SCHOLARFLOW_SCHOLAR_SECRET_BLOCK`` (if set), then the explicit overrides.

    Raises SettingsError on an unusable value.
    """
    settings = ScholarSettings.from_env(environ)
    block = secret_block_name(environ)
    if block:
        settings = settings.with_credentials((load_secret or load_prefect_secret)(block))
    overrides: dict[str, Any] = {}
    if budget_seconds is not None:
        overrides["budget_seconds"] = float(budget_seconds)
    if max_fills is not None:
        overrides["max_fills"] = int(max_fills)
    return dataclasses.replace(settings, **overrides) if overrides else settings


def load_prefect_secret(name: str) -> Any:
    """The value of the Prefect Secret block ``name`` (a string or a JSON object)."""
    from prefect.blocks.system import Secret

    block: Any = Secret.load(name)  # typed as maybe-async; synchronous outside an event loop
    return block.get()


def scholar_harvester(settings: ScholarSettings, *, replay: bool = False) -> ScholarHarvester:
    """The Scholar harvester; with ``replay`` no politeness delay and no sleeping."""
    if replay:
        settings = dataclasses.replace(settings, delay_seconds=0.0)
        return ScholarHarvester(ScholarClient(settings, sleep=lambda _s: None))
    return ScholarHarvester(ScholarClient(settings))


# --------------------------------------------------------------------------- harvest


def resume_order(
    targets: list[ScholarTarget], cursor: Mapping[str, Any] | None
) -> list[ScholarTarget]:
    """``targets`` with those still pending from an unfinished run first (in their order)."""
    pending = list((cursor or {}).get("pending") or [])
    if not pending:
        return targets
    by_id = {t.scholar_id: t for t in targets}
    first = [by_id[i] for i in pending if i in by_id]
    return first + [t for t in targets if t.scholar_id not in set(pending)]


def harvest_scholar_profiles(
    sessions: sessionmaker[Session],
    harvester: ScholarHarvester,
    targets: list[ScholarTarget],
    *,
    fills: int | None = None,
    progress: Progress | None = None,
    now: Clock = utcnow,
) -> HarvestSummary:
    """Harvest each target's profile, then fill up to ``fills`` publications (default: the
    harvester's ``max_fills`` setting), most cited never-filled ones first.

    Returns the run's summary: ``succeeded``, or ``blocked`` with the reason when Google
    blocked the harvest or the time budget ran out (nothing raised; committed pages stay and
    the cursor names the authors still to do), or ``partial`` when some input was
    quarantined. A profile that cannot be fetched for a lasting reason (a 404 for a wrong id,
    a page that is not a profile) is quarantined and the next author still runs. A transient
    error (unreachable, timeout, 429, 5xx after retries) and other errors mark the run failed
    and are raised again; the next run starts with the author it stopped at.
    """
    fills = harvester.client.settings.max_fills if fills is None else fills
    params = {"authors": [t.name for t in targets], "fills": fills, **harvester.describe()}
    run = RunTracker(sessions, SOURCE, "profiles", params)
    session = run.session
    pending = [t.scholar_id for t in targets]
    try:
        order = resume_order(targets, get_cursor(session, SOURCE, CURSOR_KEY))
        pending = [t.scholar_id for t in order]
        for index, target in enumerate(order):
            pending = [t.scholar_id for t in order[index:]]
            cursor = {"phase": "profiles", "pending": pending}
            set_cursor(session, SOURCE, CURSOR_KEY, cursor, run.run.id)
            session.commit()
            log_progress(progress, "Scholar: %s (%s)", target.name, target.scholar_id)
            _harvest_profile(run, harvester, target, cursor, now())
        pending = []
        if fills:
            _fill_publications(run, harvester, targets, fills, progress, now)
        clear_cursor(session, SOURCE, CURSOR_KEY)
        run.run.cursor = {"phase": "done", "pending": []}
        session.commit()
    except ScholarBlockedError as exc:
        session.rollback()
        cursor = {"phase": "profiles" if pending else "fills", "pending": pending}
        set_cursor(session, SOURCE, CURSOR_KEY, {**cursor, "blocked": exc.reason}, run.run.id)
        run.run.cursor = cursor
        log_progress(progress, "Scholar: stopped, %s; the next run continues", exc.reason)
        return run.finish("blocked", str(exc))
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


def _harvest_profile(
    run: RunTracker,
    harvester: ScholarHarvester,
    target: ScholarTarget,
    cursor: dict[str, Any],
    observed_at: datetime,
) -> None:
    session = run.session
    try:
        for page in harvester.profile_pages(target.scholar_id):
            counts = store_page(
                session,
                run.run.id,
                page,
                observed_at,
                origin="harvest",
                tracked_id=target.tracked_id,
            )
            run.commit_batch(counts, cursor)
    except ScholarBlockedError:
        raise
    except HarvestError as exc:
        if is_transient(exc):
            # Unreachable, timed out, 429 or 5xx after retries: the run failed, the input is
            # not bad. Re-raised so the run ends ``failed``; the cursor resumes here.
            raise
        session.rollback()
        reason = f"Scholar profile {target.scholar_id} ({target.name}): {exc}"
        logger.warning("%s", reason)
        item = QuarantinedInput(SOURCE, reason, str(exc), target.scholar_id)
        run.commit_batch(load_items(session, run.run.id, [item]), cursor)


def store_page(
    session: Session,
    run_id: int,
    page: ScholarPage,
    observed_at: datetime,
    *,
    origin: str,
    tracked_id: int | None = None,
) -> LoadCounts:
    """Store one page: the profile and its observations, the publications (a filled one
    stays filled) and theirs, their source records through the loader, and, on the last
    page, which publications the profile no longer lists. Flushes, does not commit.

    A profile or publication holding a value the database cannot store (a 10**12 citation
    count) is quarantined with the reason; the rest of the page is stored. A profile stored
    fine clears its earlier quarantined records (they are quarantined again if still bad).
    """
    refused: list[QuarantinedInput] = []
    profile_id: int | None = None
    if page.profile is not None:
        try:
            with session.begin_nested():
                profile_id = store_profile(
                    session,
                    page.profile,
                    observed_at=observed_at,
                    origin=origin,
                    run_id=run_id,
                    tracked_id=tracked_id,
                )
                record_observations(
                    session,
                    "profile",
                    {page.scholar_id: page.profile.observations()},
                    observed_at=observed_at,
                    origin=origin,
                    run_id=run_id,
                )
            resolve_quarantined(session, SOURCE, [page.scholar_id])
        except REJECTED as exc:
            reason = f"Scholar profile {page.scholar_id}: {rejection_reason(exc)}"
            logger.warning("%s", reason)
            raw = dumps(page.profile.payload)
            refused.append(QuarantinedInput(SOURCE, reason, raw, page.scholar_id))
            profile_id = profile_id_of(session, page.scholar_id)
    else:
        profile_id = profile_id_of(session, page.scholar_id)
    publications = page.publications
    if profile_id is not None and publications:
        stored = stored_payloads(session, profile_id, [p.author_pub_id for p in publications])
        publications = [
            dataclasses.replace(
                p, payload=merge_publication(stored.get(p.author_pub_id), p.payload)
            )
            for p in publications
        ]
        bad = store_publications(session, profile_id, publications, observed_at=observed_at)
        publications, more = _without_refused(publications, bad)
        refused += more
        publications, more = _observe_publications(
            session, publications, observed_at, origin, run_id
        )
        refused += more
    counts = load_items(
        session,
        run_id,
        [p.work_record() for p in publications] + list(page.quarantined) + refused,
    )
    if page.complete and profile_id is not None:
        unlist_missing(session, profile_id, observed_at)
    return counts


def _without_refused(
    publications: list[ScholarPublication], refused: list[tuple[str, Exception]]
) -> tuple[list[ScholarPublication], list[QuarantinedInput]]:
    """The publications the store took, and a quarantine item for each it refused."""
    if not refused:
        return publications, []
    why = dict(refused)
    items = [
        QuarantinedInput(
            SOURCE,
            f"Scholar publication {p.author_pub_id}: rejected: {why[p.author_pub_id]}",
            p.raw,
            p.author_pub_id,
        )
        for p in publications
        if p.author_pub_id in why
    ]
    for item in items:
        logger.warning("%s", item.reason)
    return [p for p in publications if p.author_pub_id not in why], items


def _observe_publications(
    session: Session,
    publications: list[ScholarPublication],
    observed_at: datetime,
    origin: str,
    run_id: int | None,
) -> tuple[list[ScholarPublication], list[QuarantinedInput]]:
    """Record the publications' observations; returns those recorded, and a quarantine
    item for each whose values the database cannot hold (its other rows are not written)."""

    def observe(chosen: list[ScholarPublication]) -> None:
        record_observations(
            session,
            "publication",
            {p.author_pub_id: p.observations() for p in chosen},
            observed_at=observed_at,
            origin=origin,
            run_id=run_id,
        )

    try:
        observe(publications)
        return publications, []
    except RowRejected:
        pass
    kept: list[ScholarPublication] = []
    refused: list[tuple[str, Exception]] = []
    for publication in publications:
        try:
            observe([publication])
            kept.append(publication)
        except RowRejected as exc:
            refused.append((publication.author_pub_id, exc))
    _, items = _without_refused(publications, refused)
    return kept, items


def _fill_publications(
    run: RunTracker,
    harvester: ScholarHarvester,
    targets: list[ScholarTarget],
    limit: int,
    progress: Progress | None,
    now: Clock,
) -> None:
    session = run.session
    names = {t.scholar_id: t.name for t in targets}
    todo = publications_to_fill(session, list(names), limit)
    log_progress(progress, "Scholar: filling %d publication(s)", len(todo))
    cursor = {"phase": "fills", "pending": []}
    for scholar_id, position, payload in todo:
        publication = ScholarPublication(
            scholar_id, position, payload, owner_name=names[scholar_id]
        )
        try:
            filled = harvester.fill(publication)
        except SourceResponseError as exc:
            item = QuarantinedInput(SOURCE, str(exc), str(exc), publication.author_pub_id)
            run.commit_batch(load_items(session, run.run.id, [item]), cursor)
            continue
        observed_at = now()
        profile_id = profile_id_of(session, scholar_id)
        kept, refused = [filled], []
        if profile_id is not None:
            bad = store_publications(
                session, profile_id, [filled], observed_at=observed_at, filled=True
            )
            kept, refused = _without_refused(kept, bad)
            kept, more = _observe_publications(session, kept, observed_at, "harvest", run.run.id)
            refused += more
        items = [p.work_record() for p in kept] + refused
        run.commit_batch(load_items(session, run.run.id, items), cursor)


# --------------------------------------------------------------------------- gs_data files


def import_gs_data(
    sessions: sessionmaker[Session], text: str, *, name: str, progress: Progress | None = None
) -> HarvestSummary:
    """Load a crawler gs_data.json as a Scholar snapshot dated by its ``updated`` field:
    observations of that day, the profile and publications (unless newer ones are stored),
    and the publications' source records.

    Raises GsDataError (before any run is opened) when the text is not a gs_data.json.
    """
    snapshot = read_gs_data(text, origin=name)
    params = {
        "file": name,
        "scholar_id": snapshot.profile.scholar_id,
        "updated": snapshot.updated_text,
    }
    run = RunTracker(sessions, SOURCE, "gs-data-import", params)
    try:
        page = ScholarPage(
            snapshot.profile.scholar_id,
            snapshot.profile,
            snapshot.publications,
            snapshot.quarantined,
            # A quarantined publication is still listed: do not unlist it.
            complete=not snapshot.quarantined,
        )
        counts = store_page(run.session, run.run.id, page, snapshot.updated, origin="gs-data")
        run.commit_batch(counts)
        log_progress(
            progress,
            "Scholar: imported %s (%d publications, updated %s)",
            snapshot.profile.name,
            len(snapshot.publications),
            snapshot.updated_text,
        )
    except BaseException as exc:
        run.fail(exc)
        raise
    return run.finish()


def export_gs_data(
    sessions: sessionmaker[Session], who: str, directory: Path, *, label: str = BADGE_LABEL
) -> tuple[Path, Path]:
    """Write ``gs_data.json`` and ``gs_data_shieldsio.json`` for ``who`` (a scholar id or a
    tracked author) into ``directory``; ``updated`` is when the stored snapshot was taken.

    Raises UnknownAuthorError when no Scholar profile is stored for ``who``.
    """
    with sessions() as session:
        scholar_id = resolve_scholar_id(session, who)
        state = gs_data_state(session, scholar_id)
    data = build_gs_data(state.payload, state.publications, format_updated(state.observed_at))
    citedby = state.payload.get("citedby", state.citedby)
    badge = build_badge(citedby if citedby is not None else 0, label)
    directory.mkdir(parents=True, exist_ok=True)
    return (
        _write_atomically(directory / GS_DATA_FILE, dump_json(data)),
        _write_atomically(directory / BADGE_FILE, dump_json(badge)),
    )


def _write_atomically(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
