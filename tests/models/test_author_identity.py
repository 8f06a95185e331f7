"""How the loader resolves authors: strong ids win, and a name never merges two ids.

The records are built here (``constructed``): the point is the resolver's rule, not a source.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.records import AuthorName, WorkRecord
from models import Authorship
from models.loader import load_batch


def _paper(source_id: str, *authors: AuthorName) -> WorkRecord:
    return WorkRecord(
        source="acl",
        source_id=source_id,
        title=f"Constructed paper {source_id}",
        raw=f"<paper id='{source_id}'/>",
        raw_format="xml",
        authors=authors,
        identifiers={"acl": source_id},
    )


def _load(session: Session, source_id: str, author: AuthorName) -> None:
    load_batch(session, [_paper(source_id, author)], None)


def test_two_people_with_one_name_and_different_ids_stay_apart(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        load_batch(
            session, [_paper("x-1.1", AuthorName("Yang Liu", ids={"acl": "yang-liu-a"}))], None
        )
        load_batch(
            session, [_paper("x-1.2", AuthorName("Yang Liu", ids={"acl": "yang-liu-b"}))], None
        )
        load_batch(
            session, [_paper("x-1.3", AuthorName("Yang Liu", ids={"acl": "yang-liu-a"}))], None
        )
        session.commit()
        rows = session.execute(select(Authorship.author_id).order_by(Authorship.work_id)).scalars()
        first, second, third = list(rows)

    assert first != second  # different ACL person ids: two people, whatever the name
    assert third == first  # the same id finds the same person again


def test_a_name_alone_keeps_people_apart_and_shared_coauthors_join_them(
    sessions: sessionmaker[Session],
) -> None:
    coauthor = AuthorName("Lena Okafor")
    with sessions() as session:
        load_batch(
            session, [_paper("x-2.1", AuthorName("Ana Ruiz", ids={"acl": "ana-ruiz"}))], None
        )
        _load(session, "x-2.2", AuthorName("Ana Ruiz"))  # no id, no context
        load_batch(session, [_paper("x-2.3", AuthorName("Ana Ruiz"), coauthor)], None)
        load_batch(session, [_paper("x-2.4", AuthorName("Ana Ruiz"), coauthor)], None)
        session.commit()
        by_work = dict(
            session.execute(
                select(Authorship.work_id, Authorship.author_id).where(Authorship.position == 0)
            ).all()
        )
    first, lone, with_co, with_co_again = (by_work[w] for w in sorted(by_work))

    # Homonyms are real: one shared name is not evidence enough (it was, before the identity
    # layer: every id-less "Ana Ruiz" was one author).
    assert len({first, lone, with_co}) == 3
    # The same full name with a shared co-author is one person.
    assert with_co_again == with_co
