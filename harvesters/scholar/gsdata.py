"""The AcadHomepage crawler's files: read ``gs_data.json``, write it and the shields.io badge.

The crawler (``google_scholar_crawler/main.py`` of the AcadHomepage template) dumps
``scholarly.fill(author, sections=['basics', 'indices', 'counts', 'publications'])`` with the
publications keyed by ``author_pub_id`` and an ``updated`` time (``str(datetime.now())``), and
writes ``{"schemaVersion": 1, "label": "citations", "message": "<citedby>"}`` for the badge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harvesters.errors import HarvestError
from harvesters.records import QuarantinedInput
from harvesters.scholar.harvester import (
    SOURCE,
    ScholarProfile,
    ScholarPublication,
    dumps,
    normalize_scholar_id,
)
from harvesters.scholar.parse import INDEX_KEYS

GS_DATA_FILE = "gs_data.json"
BADGE_FILE = "gs_data_shieldsio.json"
BADGE_LABEL = "citations"


class GsDataError(HarvestError, ValueError):
    """A file that is not a crawler ``gs_data.json``; the message names the file (when known)
    and the field that is wrong."""


# Scholar's numbers as stored (32-bit integer columns).
_MAX_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class GsDataSnapshot:
    """One gs_data.json: the profile, its publications in file order, and when it was made.

    ``quarantined`` holds the publications that could not be read (kept verbatim, with why).
    """

    profile: ScholarProfile
    publications: list[ScholarPublication]
    updated: datetime
    updated_text: str
    quarantined: list[QuarantinedInput] = field(default_factory=list)


def decode_gs_data(raw: bytes, origin: str) -> str:
    """The text of a gs_data.json file (UTF-8, as the crawler writes it, BOM allowed).

    Raises GsDataError naming ``origin`` when the bytes are not UTF-8.
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise GsDataError(
            f"{origin}: not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r});"
            " the crawler writes gs_data.json as UTF-8"
        ) from None


def _number(value: Any, *, bounded: bool = True) -> int | None:
    """A Scholar count as the crawler dumps it (an int; a digit string is accepted), else
    None. ``bounded``: also None above 32 bits (a publication's count: that publication is
    quarantined); a profile's indices are range-checked where they are stored, which
    quarantines the profile and keeps its publications."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if isinstance(value, int) and value >= 0 and (not bounded or value <= _MAX_NUMBER):
        return value
    return None


def _cites_per_year_problem(value: Any) -> str | None:
    """Why a ``cites_per_year`` value is not ``{"2021": 12, ...}``, or None when it is."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return f"is a {type(value).__name__}, not an object of year: count"
    for year, count in value.items():
        if _number(year) is None or _number(count) is None:
            return f"has {str(year)[:20]!r}: {str(count)[:20]!r}, not a year and a count"
    return None


def _publication_problem(pub: dict[str, Any]) -> str | None:
    """Why a publication of the file cannot be stored, or None."""
    if not isinstance(pub.get("bib", {}), dict):
        return f"'bib' is a {type(pub.get('bib')).__name__}, not an object"
    citations = pub.get("num_citations")
    if citations is not None and _number(citations) is None:
        return f"'num_citations' is {str(citations)[:30]!r}, not a count"
    problem = _cites_per_year_problem(pub.get("cites_per_year"))
    return f"'cites_per_year' {problem}" if problem else None


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


def read_gs_data(text: str, origin: str | None = None) -> GsDataSnapshot:
    """Parse a crawler ``gs_data.json``.

    A publication that cannot be stored (a ``bib`` that is not an object, a citation count
    that is not a number) is quarantined, the others kept. Raises GsDataError, naming
    ``origin`` (the file) and the field, when the file itself is not a crawler dump.
    """
    where = f"{origin}: " if origin else ""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise GsDataError(f"{where}not JSON: {exc}") from exc
    except RecursionError:
        raise GsDataError(f"{where}not a gs_data.json: JSON nested too deeply") from None
    if not isinstance(data, dict) or data.get("container_type") != "Author":
        raise GsDataError(f"{where}not a scholarly Author dump (container_type is not 'Author')")
    raw_id = data.get("scholar_id")
    publications = data.get("publications")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise GsDataError(f"{where}no scholar_id")
    if not isinstance(publications, dict):
        raise GsDataError(f"{where}'publications' is not an object keyed by author_pub_id")
    if not isinstance(data.get("updated"), str):
        raise GsDataError(f"{where}no 'updated' time")
    if not isinstance(data.get("name"), (str, type(None))):
        raise GsDataError(f"{where}'name' is not a string")
    for key in INDEX_KEYS:
        if data.get(key) is not None and _number(data[key], bounded=False) is None:
            raise GsDataError(f"{where}'{key}' is {str(data[key])[:30]!r}, not a count")
    problem = _cites_per_year_problem(data.get("cites_per_year"))
    if problem:
        raise GsDataError(f"{where}'cites_per_year' {problem}")
    updated_text = data["updated"]
    try:
        updated = parse_updated(updated_text)
    except GsDataError as exc:
        raise GsDataError(f"{where}{exc}") from None
    scholar_id = normalize_scholar_id(raw_id)
    payload = {k: ([] if k == "publications" else v) for k, v in data.items() if k != "updated"}
    name = data.get("name") or ""
    profile = ScholarProfile(scholar_id, name, payload)
    pubs: list[ScholarPublication] = []
    bad: list[QuarantinedInput] = []
    for position, (key, pub) in enumerate(publications.items()):
        if not isinstance(pub, dict) or pub.get("author_pub_id") != key:
            raise GsDataError(
                f"{where}publication {key[:60]!r} is not a publication keyed by its id"
            )
        problem = _publication_problem(pub)
        if problem:
            reason = f"{where}publication {key[:60]!r}: {problem}"
            bad.append(QuarantinedInput(SOURCE, reason, _raw(pub), key))
            continue
        pubs.append(ScholarPublication(scholar_id, position, pub, owner_name=name))
    return GsDataSnapshot(profile, pubs, updated, updated_text, bad)


def _raw(pub: dict[str, Any]) -> str:
    try:
        return dumps(pub)
    except (RecursionError, ValueError):
        return repr(pub)[:100_000]


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
