"""The author lists of work mentions, read once per merge (:class:`PrintedAuthors`).

One merge reads the printed authors of the same work mentions several times: the author closure
(its members and the holders of their blocks), the matcher's view of each member (its
co-authors), and the rebuild of authorships. Each of those read the rows anew; a batch read
about 26 author-mention rows per record. :class:`PrintedAuthors` reads a work mention's author
list once, with everything any of them needs, and is told of the merge's own changes to it
(``author_id``, ``work_id``). It lives for one merge, inside one transaction under the merge
lock, so nothing else can change the rows it holds.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from models.identity.store import among, chunks, core
from models.identity.tables import AuthorMention, WorkMention


@dataclass(slots=True)
class Printed:
    """One author mention as stored (its JSON columns as stored text, decoded on use: most
    rows read are only compared by name)."""

    id: int
    work_mention_id: int
    position: int
    name: str
    initials_key: str
    ids_json: str | None
    affiliations_json: str | None
    author_id: int | None

    @property
    def ids(self) -> dict[str, str]:
        """Its identifiers (a new dict)."""
        return _decoded(self.ids_json, dict)

    @property
    def affiliations(self) -> list[str]:
        """Its printed affiliations (a new list)."""
        return _decoded(self.affiliations_json, list)


def _decoded(raw: str | None, empty: type) -> Any:
    if raw is None or raw in ("{}", "[]", "null"):
        return empty()
    return empty(json.loads(raw) or ())


@dataclass(slots=True)
class PrintedWork:
    """One work mention's key, cluster and venue fields, and its authors in printed order."""

    id: int
    key: str
    work_id: int | None
    venue: str | None
    year: int | None
    authors: list[Printed]


class PrintedAuthors:
    """Work mentions and their author lists, read on first use (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.works: dict[int, PrintedWork] = {}
        self.by_id: dict[int, Printed] = {}

    def of_works(self, work_mention_ids: Iterable[int]) -> list[PrintedWork]:
        """The listed work mentions (those that exist), reading the ones not held yet."""
        wanted = list(dict.fromkeys(work_mention_ids))
        missing = sorted(set(wanted) - self.works.keys())
        if missing:
            self._read(missing)
        return [self.works[w] for w in wanted if w in self.works]

    def of_authors(self, author_mention_ids: Collection[int]) -> list[Printed]:
        """The listed author mentions (those that exist), reading their work mentions whole."""
        missing = sorted(set(author_mention_ids) - self.by_id.keys())
        if missing:
            works: set[int] = set()
            for part in chunks(missing):
                works.update(
                    core(self.session).scalars(
                        select(AuthorMention.work_mention_id).where(
                            among(self.session, AuthorMention.id, part)
                        )
                    )
                )
            self.of_works(works)
        return [self.by_id[a] for a in author_mention_ids if a in self.by_id]

    def set_author(self, author_mention_id: int, author_id: int) -> None:
        """The merge gave an author mention another author."""
        held = self.by_id.get(author_mention_id)
        if held is not None:
            held.author_id = author_id

    def set_work(self, work_mention_id: int, work_id: int) -> None:
        """The merge put a work mention in another work."""
        held = self.works.get(work_mention_id)
        if held is not None:
            held.work_id = work_id

    def _read(self, work_mention_ids: list[int]) -> None:
        session = self.session
        for part in chunks(work_mention_ids):
            for w in core(session).execute(
                select(
                    WorkMention.id,
                    WorkMention.key,
                    WorkMention.work_id,
                    WorkMention.venue,
                    WorkMention.year,
                ).where(among(session, WorkMention.id, part))
            ):
                self.works[w.id] = PrintedWork(w.id, w.key, w.work_id, w.venue, w.year, [])
            for a in core(session).execute(
                select(
                    AuthorMention.id,
                    AuthorMention.work_mention_id,
                    AuthorMention.position,
                    AuthorMention.name,
                    AuthorMention.initials_key,
                    cast(AuthorMention.ids, Text),
                    cast(AuthorMention.affiliations, Text),
                    AuthorMention.author_id,
                ).where(among(session, AuthorMention.work_mention_id, part))
            ):
                printed = Printed(*a)
                self.by_id[a.id] = printed
                work = self.works.get(a.work_mention_id)
                if work is not None:
                    work.authors.append(printed)
        for w in work_mention_ids:
            if w in self.works:
                self.works[w].authors.sort(key=lambda p: p.position)
