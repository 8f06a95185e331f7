"""Tracked authors followed on OpenAlex, by OpenAlex author id or else by ORCID, as plain
functions.

``harvest_openalex_authors`` pages ``GET /works?filter=authorships.author.id:A…`` (or
``authorships.author.orcid:https://orcid.org/…`` for an author with an ORCID and no OpenAlex
id) for every active tracked author with either, through the loop of
:mod:`flows.pipelines.followed_authors` (the ``W…`` id is each record's key, and each work
carries ``counts_by_year``). OpenAlex answers an unknown author with an empty list, so an
author listing no work is reported by id; the others still run. The ``mailto`` of the polite
pool travels in a header only: the run's parameters say whether one was sent, never which.
"""

from __future__ import annotations

import re
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
from harvesters.citations import normalize_orcid
from harvesters.openalex.harvester import NoListedWorksError
from harvesters.openalex.parse import SOURCE

FOLLOWING = Following(SOURCE, "OpenAlex authors", (NoListedWorksError,))
# The handles an author is followed by, in order: the OpenAlex id wins over the ORCID.
HANDLES = (("openalex", "openalex_author_id"), ("orcid", "orcid"))
_AUTHOR_ID = re.compile(
    r"^(?:https?://(?:api\.)?openalex\.org/(?:authors/)?)?(A\d{4,12})/?$", re.IGNORECASE
)
_ORCID_SHAPE = re.compile(
    r"^(?:https?://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]/?$", re.IGNORECASE
)


def valid_openalex_author_id(text: str) -> str:
    """The ``A…`` id of ``text`` (the bare id, or an ``openalex.org`` URL of it), upper-cased.

    Raises ValueError otherwise, naming the value.
    """
    match = _AUTHOR_ID.match(text.strip())
    if match is None:
        raise ValueError(
            f"{text!r} is not an OpenAlex author id (A and digits, e.g. A5036846358, "
            "as in openalex.org/A5036846358)"
        )
    return match.group(1).upper()


def valid_orcid(text: str) -> str:
    """The bare ORCID of ``text`` (``0000-0003-4519-864X`` or its orcid.org URL), with its
    ISO 7064 check digit verified. Raises ValueError otherwise, naming the value."""
    value = text.strip()
    orcid = normalize_orcid(value.rstrip("/")) if _ORCID_SHAPE.match(value) else None
    if orcid is None or not _orcid_checksum_ok(orcid):
        raise ValueError(
            f"{text!r} is not an ORCID iD (four groups of four digits with a check digit, "
            "e.g. 0000-0003-4519-864X or https://orcid.org/0000-0003-4519-864X)"
        )
    return orcid


def _orcid_checksum_ok(orcid: str) -> bool:
    digits = orcid.replace("-", "")
    total = 0
    for ch in digits[:-1]:
        total = (total + int(ch)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def tracked_openalex_authors(
    sessions: sessionmaker[Session], names: Sequence[str] | None = None
) -> list[FollowedAuthor]:
    """Active tracked authors with an OpenAlex author id or an ORCID (the id wins), by name;
    only ``names`` when given (compared case-insensitively)."""
    return tracked_authors_with(sessions, HANDLES, names)


def harvest_openalex_authors(
    sessions: sessionmaker[Session],
    harvester: Any,
    authors: Sequence[FollowedAuthor],
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> HarvestSummary | None:
    """List every work of ``authors`` on OpenAlex and store each with its citation count (and
    counts by year) of ``today``. Returns the run's summary (None when ``authors`` is empty: no
    run); raises what the harvester raises, other than an author listing no work or a spent
    budget, after marking the run failed."""
    if not authors:
        log_progress(progress, "OpenAlex authors: no tracked author with an OpenAlex id or ORCID")
        return None
    today = observed_today(today)
    client = harvester.client
    params: dict[str, Any] = {
        "authors": [f"{a.scheme}:{a.value}" for a in authors],
        "observed_on": today.isoformat(),
        "max_requests": client.budget.limit,
        "polite_pool": bool(getattr(client, "has_mailto", False)),  # never the address
    }
    return harvest_followed_authors(
        sessions,
        FOLLOWING,
        client,
        authors,
        lambda a: harvester.author_works(a.scheme, a.value, today, a.tracked_id),
        today=today,
        params=params,
        progress=progress,
    )
