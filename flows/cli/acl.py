"""The ACL Anthology harvest as the CLI and the Prefect flow run it: where the data lives,
which tracked authors to match, and the parts to run (sync, tracked authors, backfill).

``scholarflow harvest acl`` keeps a local copy of the Anthology's ``data/xml`` under
``SCHOLARFLOW_ACL_DATA_DIR`` (default ``./acl-anthology-data``) in sync with GitHub, unless
``--data-dir`` names an existing checkout (or a folder with the same ``data/`` layout), which
is then read as it is.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from flows.cli.common import Attempt, UserError, progress_unless_quiet
from flows.pipelines.acl import (
    AclAuthor,
    harvest_acl_authors,
    harvest_acl_venue,
    sync_acl_data,
    years_selector,
)
from flows.runtime import tracked_author_queries
from harvesters.acl.data import AclDataMissingError, GitHubAnthologySync, LocalAnthology, Select
from harvesters.errors import HarvestError
from harvesters.http.client import PoliteHttpClient
from models.queries import list_tracked_authors

DATA_DIR_ENV = "SCHOLARFLOW_ACL_DATA_DIR"
DEFAULT_DATA_DIR = "acl-anthology-data"
# raw.githubusercontent.com serves files, not an API; half a second between downloads keeps a
# first sync of ~1,500 files near ten minutes without hammering it.
DOWNLOAD_INTERVAL = 0.5


class AclDataUnavailableError(HarvestError):
    """There is no local ACL data to parse (no --data-dir and no synced copy)."""


def managed_data_dir() -> Path:
    """Where the synced copy lives: ``$SCHOLARFLOW_ACL_DATA_DIR`` or ``./acl-anthology-data``."""
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)


def github_sync(dest: Path, *, replay: bool = False) -> GitHubAnthologySync:
    """The GitHub sync into ``dest``; with ``replay`` no politeness delay."""
    if replay:
        client = PoliteHttpClient(min_interval=0.0, sleep=lambda _s: None)
    else:
        client = PoliteHttpClient(min_interval=DOWNLOAD_INTERVAL)
    return GitHubAnthologySync(client, dest)


def open_data(data_dir: str | Path) -> LocalAnthology:
    """The collection files under ``data_dir``. Raises AclDataUnavailableError when there are
    none (a sync that never ran, or a wrong --data-dir)."""
    try:
        return LocalAnthology(data_dir)
    except AclDataMissingError as exc:
        raise AclDataUnavailableError(str(exc)) from exc


def acl_tracked_authors(
    sessions: sessionmaker[Session], names: list[str] | None = None
) -> list[AclAuthor]:
    """The active tracked authors (or those named, case-insensitive) with their ACL handles.

    Raises UnknownAuthorError for a name that is not tracked.
    """
    queries = tracked_author_queries(sessions, names)  # picks and checks the names
    with sessions() as session:
        tracked = {t.id: t for t in list_tracked_authors(session)}
    return [
        AclAuthor(
            name=q.name,
            tracked_id=q.tracked_id,
            acl_id=tracked[q.tracked_id].acl_person_id if q.tracked_id in tracked else None,
            orcid=tracked[q.tracked_id].orcid if q.tracked_id in tracked else None,
        )
        for q in queries
    ]


def sync_selection(with_authors: bool, year_from: int | None, year_to: int | None) -> Select | None:
    """Which files a sync fetches: all for tracked authors, else the backfill's years."""
    return None if with_authors else years_selector(year_from, year_to)


def wants_backfill(venue: str | None, year_from: int | None, year_to: int | None) -> bool:
    return venue is not None or year_from is not None or year_to is not None


def parse_years(text: str) -> tuple[int, int]:
    """``2023`` or ``2020-2023`` as ``(from, to)``. Raises ValueError otherwise."""
    first, _, last = text.partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError as exc:
        raise ValueError(f"not a year or a year range (2020-2023): {text!r}") from exc
    if start > end:
        raise ValueError(f"year range runs backwards: {text!r}")
    return start, end


# --------------------------------------------------------------------------- CLI


def harvest_acl_cli(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """``scholarflow harvest acl``: sync (unless --data-dir), then the tracked authors and/or
    a --venue/--years backfill, each its own harvest run."""
    try:
        year_from, year_to = parse_years(args.acl_years) if args.acl_years else (None, None)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    backfill = wants_backfill(args.acl_venue, year_from, year_to)
    progress = progress_unless_quiet(args)
    narrowed = bool(getattr(args, "ids", None) or getattr(args, "sets", None) or backfill)
    authors = acl_tracked_authors(sessions, args.authors) if args.authors or not narrowed else []
    if not authors and not backfill:
        if progress:
            progress(
                "ACL: no tracked authors; add one with `scholarflow authors add NAME --acl-id ID`"
            )
        return
    data_dir = Path(args.data_dir) if args.data_dir else managed_data_dir()
    if not args.data_dir:
        attempt(
            lambda: sync_acl_data(
                sessions,
                github_sync(data_dir, replay=bool(args.replay)),
                select=sync_selection(bool(authors), year_from, year_to),
                progress=progress,
            )
        )
    if authors:
        attempt(
            lambda: harvest_acl_authors(sessions, open_data(data_dir), authors, progress=progress)
        )
    if backfill:
        attempt(
            lambda: harvest_acl_venue(
                sessions,
                open_data(data_dir),
                args.acl_venue,
                year_from=year_from,
                year_to=year_to,
                progress=progress,
            )
        )
