"""``scholarflow harvest s2`` / ``harvest openalex``: citation look-ups of the stored works;
``harvest s2-authors`` / ``harvest openalex-authors``: the works of the authors followed by
Semantic Scholar author id, or by OpenAlex author id or ORCID; the checks of those handles on
``authors add``.

Light at import time: the pipeline (SQLAlchemy, httpx) is imported when a harvest runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from flows.cli.common import Attempt, UserError, progress_unless_quiet

CITATION_SOURCES = ("s2", "openalex")


def add_harvest_options(harvest: argparse.ArgumentParser) -> None:
    """The options of the citation sources on ``scholarflow harvest``."""
    harvest.add_argument(
        "--citations-max-age",
        dest="citations_max_age",
        type=int,
        metavar="DAYS",
        help="s2/openalex: ask again about works last asked at least DAYS days ago "
        "(default $SCHOLARFLOW_CITATION_MAX_AGE_DAYS or 7; 0: every work)",
    )
    harvest.add_argument(
        "--citations-max-requests",
        dest="citations_max_requests",
        type=int,
        metavar="N",
        help="s2/openalex: stop after N requests per source (the run ends blocked; the next "
        "one continues)",
    )
    harvest.add_argument(
        "--no-s2-numbers",
        dest="s2_numbers",
        action="store_false",
        help="s2-authors: list the papers only, without asking S2 for each author's own "
        "paper count, citations and h-index (one request per author)",
    )


def _skipped(args: argparse.Namespace, source: str) -> bool:
    """Skipped when the harvest was narrowed to arXiv ids or sets without naming ``source``."""
    named = source in (args.sources or [])
    return not named and bool(getattr(args, "ids", None) or getattr(args, "sets", None))


def _options(args: argparse.Namespace) -> tuple[int, int | None]:
    from flows.pipelines.citations import max_age_from_env

    max_age = getattr(args, "citations_max_age", None)
    if max_age is None:
        try:
            max_age = max_age_from_env()
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    if max_age < 0:
        raise UserError(f"--citations-max-age must be >= 0, got {max_age}")
    return max_age, getattr(args, "citations_max_requests", None)


def harvest_s2_cli(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """One Semantic Scholar look-up run; the key comes from ``SCHOLARFLOW_S2_API_KEY``."""
    if _skipped(args, "s2"):
        return
    from flows.pipelines.citations import harvest_citations, s2_harvester
    from harvesters.s2.client import api_key_from_env

    max_age, max_requests = _options(args)
    harvester = s2_harvester(
        api_key=api_key_from_env(), replay=bool(args.replay), max_requests=max_requests
    )
    attempt(
        lambda: harvest_citations(
            sessions, harvester, max_age_days=max_age, progress=progress_unless_quiet(args)
        )
    )


def harvest_openalex_cli(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """One OpenAlex look-up run; the mailto comes from ``SCHOLARFLOW_OPENALEX_MAILTO``."""
    if _skipped(args, "openalex"):
        return
    from flows.pipelines.citations import harvest_citations, openalex_harvester
    from harvesters.openalex.client import mailto_from_env

    max_age, max_requests = _options(args)
    harvester = openalex_harvester(
        mailto=mailto_from_env(), replay=bool(args.replay), max_requests=max_requests
    )
    attempt(
        lambda: harvest_citations(
            sessions, harvester, max_age_days=max_age, progress=progress_unless_quiet(args)
        )
    )


def s2_author_id_from(text: str) -> str:
    """The S2 author id of ``--s2-id``; raises UserError for anything but digits."""
    from flows.pipelines.s2_authors import valid_s2_author_id

    return _checked("--s2-id", valid_s2_author_id, text)


def openalex_author_id_from(text: str) -> str:
    """The ``A…`` id of ``--openalex-id`` (an openalex.org URL too); raises UserError."""
    from flows.pipelines.openalex_authors import valid_openalex_author_id

    return _checked("--openalex-id", valid_openalex_author_id, text)


def orcid_from(text: str) -> str:
    """The bare ORCID of ``--orcid`` (an orcid.org URL too), check digit verified; raises
    UserError."""
    from flows.pipelines.openalex_authors import valid_orcid

    return _checked("--orcid", valid_orcid, text)


def _checked(option: str, valid: Any, text: str) -> str:
    try:
        return valid(text)
    except ValueError as exc:
        raise UserError(f"{option}: {exc}") from exc


# The handles at most one tracked author may have: column and how it is named to the user.
UNIQUE_HANDLES = {"s2_author_id": "S2 author id", "openalex_author_id": "OpenAlex author id"}


def check_handle_free(session: Any, column: str, value: str, name: str) -> None:
    """Raises UserError when a tracked author other than ``name`` already has ``value`` in
    ``column`` (one of :data:`UNIQUE_HANDLES`)."""
    from sqlalchemy import select

    from models.authors import TrackedAuthor

    owner = session.scalar(
        select(TrackedAuthor.name).where(getattr(TrackedAuthor, column) == value)
    )
    if owner is not None and owner != name.strip():
        raise UserError(f"{UNIQUE_HANDLES[column]} {value} is already tracked as {owner!r}")


def harvest_s2_authors_cli(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """Every paper of the tracked authors with an S2 author id (``--author``: only those)."""
    if _skipped(args, "s2-authors"):
        return
    from flows.pipelines.citations import s2_harvester
    from flows.pipelines.s2_authors import harvest_s2_authors, tracked_s2_authors
    from harvesters.s2.client import api_key_from_env

    authors = tracked_s2_authors(sessions, getattr(args, "authors", None))
    say = progress_unless_quiet(args)
    if not authors:
        if say is not None and "s2-authors" in (args.sources or []):
            say(
                "s2-authors: no tracked author with an S2 author id; add one with "
                "`scholarflow authors add NAME --s2-id ID`"
            )
        return
    harvester = s2_harvester(
        api_key=api_key_from_env(),
        replay=bool(args.replay),
        max_requests=getattr(args, "citations_max_requests", None),
    )
    numbers = getattr(args, "s2_numbers", True)
    attempt(lambda: harvest_s2_authors(sessions, harvester, authors, numbers=numbers, progress=say))


def harvest_openalex_authors_cli(args: argparse.Namespace, sessions: Any, attempt: Attempt) -> None:
    """Every work of the tracked authors with an OpenAlex author id or an ORCID (``--author``:
    only those); the mailto comes from ``SCHOLARFLOW_OPENALEX_MAILTO``."""
    if _skipped(args, "openalex-authors"):
        return
    from flows.pipelines.citations import openalex_harvester
    from flows.pipelines.openalex_authors import harvest_openalex_authors, tracked_openalex_authors
    from harvesters.openalex.client import mailto_from_env

    authors = tracked_openalex_authors(sessions, getattr(args, "authors", None))
    say = progress_unless_quiet(args)
    if not authors:
        if say is not None and "openalex-authors" in (args.sources or []):
            say(
                "openalex-authors: no tracked author with an OpenAlex author id or ORCID; add "
                "one with `scholarflow authors add NAME --openalex-id ID` (or --orcid ORCID)"
            )
        return
    harvester = openalex_harvester(
        mailto=mailto_from_env(),
        replay=bool(args.replay),
        max_requests=getattr(args, "citations_max_requests", None),
    )
    attempt(lambda: harvest_openalex_authors(sessions, harvester, authors, progress=say))
