"""The merge's author lists (``models.identity.printed``): read once, as stored, on both
databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.records import AuthorName, WorkRecord
from models.identity.printed import PrintedAuthors
from models.identity.tables import AuthorMention, WorkMention
from models.loader import load_batch


def _record(i: int, names: list[tuple[str, dict[str, str], tuple[str, ...]]]) -> WorkRecord:
    return WorkRecord(
        source="constructed",
        source_id=f"printed-{i}",
        raw=f"constructed {i}",
        raw_format="text",
        title=f"A constructed paper number {i}",
        authors=tuple(AuthorName(name=n, ids=ids, affiliations=affs) for n, ids, affs in names),
        year=2024,
    )


def test_author_lists_are_read_once_in_printed_order_with_their_stored_values(
    sessions: sessionmaker[Session],
) -> None:
    records = [
        _record(
            1,
            [
                ("Ada Lovelace", {"orcid": "0000-0001"}, ("Analytical Engines",)),
                ("Charles Babbage", {}, ()),
            ],
        ),
        _record(2, [("Grace Hopper", {}, ("Navy", "Harvard"))]),
    ]
    with sessions() as session:
        load_batch(session, records, None)
        session.commit()
    with sessions() as session:
        stored = {
            (key, position): (name, ids, affs, author_id)
            for key, position, name, ids, affs, author_id in session.execute(
                select(
                    WorkMention.key,
                    AuthorMention.position,
                    AuthorMention.name,
                    AuthorMention.ids,
                    AuthorMention.affiliations,
                    AuthorMention.author_id,
                ).join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
            )
        }
        mention_ids = list(session.scalars(select(WorkMention.id).order_by(WorkMention.id)))
        statements: list[Any] = []
        event.listen(session.get_bind(), "before_cursor_execute", lambda *a: statements.append(a))
        printed = PrintedAuthors(session)
        works = printed.of_works(mention_ids)
        first_reads = len(statements)
        assert printed.of_works(reversed(mention_ids)) == list(reversed(works))
        authors = printed.of_authors([a.id for w in works for a in w.authors])
        assert len(statements) == first_reads  # held, not read again

        seen = {
            (w.key, a.position): (a.name, a.ids, a.affiliations, a.author_id)
            for w in works
            for a in w.authors
        }
        assert seen == stored
        assert [a.name for a in works[0].authors] == ["Ada Lovelace", "Charles Babbage"]
        assert authors[0].ids == {"orcid": "0000-0001"} and authors[1].ids == {}

        printed.set_author(authors[1].id, 424242)
        printed.set_work(works[1].id, 434343)
        assert printed.of_authors([authors[1].id])[0].author_id == 424242
        assert printed.of_works([works[1].id])[0].work_id == 434343
        assert printed.of_works([10**9]) == []  # a mention that does not exist
