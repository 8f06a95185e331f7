"""The AcadHomepage crawler's files: read ``gs_data.json``, write it and the shields.io badge.

The crawler (``google_scholar_crawler/main.py`` of the AcadHomepage template) dumps
``scholarly.fill(author, sections=['basics', 'indices', 'counts', 'publications'])`` with the
publications keyed by ``author_pub_id`` and an ``updated`` time (``str(datetime.now())``), and
writes ``{"schemaVersion": 1, "label": "citations", "message": "<citedby>"}`` for the badge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harvesters.scholar.harvester import (
    ScholarProfile,
    ScholarPublication,
    normalize_scholar_id,
)

GS_DATA_FILE = "gs_data.json"
BADGE_FILE = "gs_data_shieldsio.json"
BADGE_LABEL = "citations"


class GsDataError(ValueError):
    """A file that is not a crawler ``gs_data.json``; the message says what is wrong."""


@dataclass(frozen=True)
class GsDataSnapshot:
    """One gs_data.json: the profile, its publications in file order, and when it was made."""

    profile: ScholarProfile
    publications: list[ScholarPublication]
    updated: datetime
    updated_text: str


def parse_updated(text: str) -> datetime:
    """The crawler's ``updated`` (``2026-04-25 19:49:11.466013``, a naive local time) as an
    aware datetime, taken as UTC (the crawler runs in GitHub Actions, whose clock is UTC).

    Raises GsDataError when it is not a date and time.
    """
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise GsDataError(f"'updated' is not a date and time: {text!r}") from exc
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def format_updated(when: datetime) -> str:
    """``when`` as the crawler writes ``updated``: ``str()`` of a naive datetime (UTC here)."""
    return str(when.astimezone(UTC).replace(tzinfo=None))


def read_gs_data(text: str) -> GsDataSnapshot:
    """Parse a crawler ``gs_data.json``. Raises GsDataError when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise GsDataError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("container_type") != "Author":
        raise GsDataError("not a scholarly Author dump (container_type is not 'Author')")
    raw_id = data.get("scholar_id")
    publications = data.get("publications")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise GsDataError("no scholar_id")
    if not isinstance(publications, dict):
        raise GsDataError("'publications' is not an object keyed by author_pub_id")
    if not isinstance(data.get("updated"), str):
        raise GsDataError("no 'updated' time")
    updated_text = data["updated"]
    updated = parse_updated(updated_text)
    scholar_id = normalize_scholar_id(raw_id)
    payload = {k: ([] if k == "publications" else v) for k, v in data.items() if k != "updated"}
    name = str(data.get("name") or "")
    profile = ScholarProfile(scholar_id, name, payload)
    pubs: list[ScholarPublication] = []
    for position, (key, pub) in enumerate(publications.items()):
        if not isinstance(pub, dict) or pub.get("author_pub_id") != key:
            raise GsDataError(f"publication {key!r} is not a publication keyed by its id")
        pubs.append(ScholarPublication(scholar_id, position, pub, owner_name=name))
    return GsDataSnapshot(profile, pubs, updated, updated_text)


def build_gs_data(
    profile_payload: dict[str, Any], publications: list[dict[str, Any]], updated: str
) -> dict[str, Any]:
    """The crawler's gs_data.json dict: the profile with ``publications`` keyed by
    ``author_pub_id`` (in the order given, at the key's place) and ``updated`` last."""
    out = {k: v for k, v in profile_payload.items() if k != "updated"}
    out["publications"] = {str(p["author_pub_id"]): p for p in publications}
    out["updated"] = updated
    return out


def build_badge(citedby: int | str, label: str = BADGE_LABEL) -> dict[str, Any]:
    """The crawler's gs_data_shieldsio.json (a shields.io endpoint badge)."""
    return {"schemaVersion": 1, "label": label, "message": f"{citedby}"}


def dump_json(data: dict[str, Any]) -> str:
    """JSON as the crawler writes it (``json.dump(..., ensure_ascii=False)``)."""
    return json.dumps(data, ensure_ascii=False)
