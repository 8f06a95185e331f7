"""Typed records every harvester yields; the loader stores them. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class AuthorName:
    """An author as printed on one record: the name, affiliations, and any per-source ids."""

    name: str
    affiliations: tuple[str, ...] = ()
    ids: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to a work (software, dataset, poster, video, erratum...) and its URL."""

    kind: str
    url: str


@dataclass(frozen=True, slots=True)
class WorkRecord:
    """One work as one source reported it.

    ``source_id`` is the source's own key (a versionless arXiv id, a Scholar publication id);
    ``identifiers`` maps schemes (``arxiv``, ``doi``, ``acl``...) to normalized values and is what
    the loader merges on; ``raw`` is the payload verbatim, kept for provenance.
    """

    source: str
    source_id: str
    title: str
    raw: str
    raw_format: str
    abstract: str | None = None
    authors: tuple[AuthorName, ...] = ()
    identifiers: dict[str, str] = field(default_factory=dict)
    version: int | None = None
    published: date | None = None
    updated: date | None = None
    year: int | None = None
    venue: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    primary_category: str | None = None
    categories: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    code_links: tuple[str, ...] = ()
    citation_count: int | None = None
    datestamp: str | None = None
    # Proceedings fields (ACL Anthology): the month as printed, page range, PDF, the source's
    # venue ids, editors in order, attached files and awards.
    month: str | None = None
    pages: str | None = None
    pdf_url: str | None = None
    venues: tuple[str, ...] = ()
    editors: tuple[AuthorName, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    awards: tuple[str, ...] = ()
    # Further identifiers beyond the one per scheme in ``identifiers``, as (scheme, value)
    # pairs: an arXiv paper listing three DOIs keeps the first in ``identifiers["doi"]``.
    other_identifiers: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The record without its raw payload, as JSON-ready values (dates as ISO strings):
        what ``dataclasses.asdict`` gives, built field by field (``asdict`` deep-copies every
        value and was a tenth of the load time)."""
        data: dict[str, Any] = {}
        for name in _WORK_FIELDS:
            value = getattr(self, name)
            if name in ("authors", "editors"):
                value = tuple(
                    {"name": a.name, "affiliations": tuple(a.affiliations), "ids": dict(a.ids)}
                    for a in value
                )
            elif name == "attachments":
                value = tuple({"kind": a.kind, "url": a.url} for a in value)
            elif name == "other_identifiers":
                value = tuple(tuple(pair) for pair in value)
            elif name in ("published", "updated"):
                value = None if value is None else value.isoformat()
            elif isinstance(value, dict):
                value = dict(value)
            elif isinstance(value, tuple):
                value = tuple(value)
            data[name] = value
        return data


_WORK_FIELDS = tuple(f.name for f in fields(WorkRecord) if f.name != "raw")


@dataclass(frozen=True, slots=True)
class QuarantinedInput:
    """Input that could not become a record: kept verbatim, with why."""

    source: str
    reason: str
    raw: str
    source_id: str | None = None
