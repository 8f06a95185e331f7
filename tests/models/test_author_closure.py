"""The author closure takes in a pair-block partner only where rule 3 would join it to a member,
and keeps rule 3's keep-apart decision with a partner it leaves out.

The records are built in the test (``raw_format`` says so): three papers printing "Ma" beside
the same two co-authors, two by Xinyin Ma and one by Xiaolong Ma (the homonyms of issue 10).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import pg_schema_engine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from harvesters.records import AuthorName, WorkRecord
from models.engine import make_engine, session_factory
from models.identity import matching
from models.identity.author_closure import author_closure
from models.identity.merge import merge_all
from models.identity.overrides import add_override
from models.identity.tables import AuthorMention, MergeDecision, WorkMention
from models.loader import load_batch
from models.migrate import upgrade

TITLES = {
    1: "Efficient diffusion distillation with few steps",
    2: "Sparse training of convolutional networks on edge devices",
    3: "Token merging for vision transformers without retraining",
}
FIRST = {1: "Xinyin Ma", 2: "Xiaolong Ma", 3: "Xinyin Ma"}


def paper(i: int) -> WorkRecord:
    names = (FIRST[i], "Wei Li", "Jun Zhu")
    return WorkRecord(
        source="arxiv",
        source_id=f"2401.0000{i}",
        title=TITLES[i],
        raw="{}",
        raw_format="constructed",
        authors=tuple(AuthorName(name=n) for n in names),
        identifiers={"arxiv": f"2401.0000{i}"},
        year=2024,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'closure.db'}")
        upgrade(engine)
        yield session_factory(engine)
        engine.dispose()
    else:
        for engine, _ in pg_schema_engine():
            upgrade(engine)
            yield session_factory(engine)


def load(sessions: sessionmaker[Session], *numbers: int) -> None:
    with sessions() as session:
        load_batch(session, [paper(i) for i in numbers], None)
        session.commit()


def ma_mentions(session: Session) -> dict[int, int]:
    """Paper number -> the id of its Ma author mention."""
    rows = session.execute(
        select(WorkMention.key, AuthorMention.id)
        .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
        .where(AuthorMention.position == 0)
    )
    return {int(key[-1]): mention_id for key, mention_id in rows}


def decisions(session: Session) -> set[tuple[str, str, str, str]]:
    return {
        (d.left_key, d.right_key, d.outcome, d.rule)
        for d in session.scalars(select(MergeDecision).where(MergeDecision.entity == "author"))
    }


def test_a_homonym_in_a_shared_pair_block_stays_out_with_its_decision(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, 1, 3)
    load(sessions, 2)
    with sessions() as session:
        ma = ma_mentions(session)
        closure = author_closure(session, {ma[2]})
        # Xiaolong shares the pair blocks (ma x|li w, ma x|zhu j) with both Xinyin mentions,
        # but rule 3 keeps them apart on given names: neither is re-clustered with him.
        assert ma[1] not in closure.members and ma[3] not in closure.members
        assert {(d.left, d.right, d.rule) for d in closure.outside} == {
            ("arxiv:2401.00001#0", "arxiv:2401.00002#0", matching.GIVEN_NAMES_DIFFER),
            ("arxiv:2401.00002#0", "arxiv:2401.00003#0", matching.GIVEN_NAMES_DIFFER),
        }
        # Xinyin's mention takes in her other paper (same name, two shared co-authors).
        assert ma[3] in author_closure(session, {ma[1]}).members
        after_batches = decisions(session)
        authors = {
            i: a for i, a in session.execute(select(AuthorMention.id, AuthorMention.author_id))
        }
    assert authors[ma[1]] == authors[ma[3]] != authors[ma[2]]
    with sessions() as session:
        merge_all(session)
        session.commit()
        # The audit trail is what re-clustering everything at once writes.
        assert decisions(session) == after_batches
    keep_apart = {d for d in after_batches if d[3] == matching.GIVEN_NAMES_DIFFER}
    assert {(d[0], d[1]) for d in keep_apart} == {
        ("arxiv:2401.00001#0", "arxiv:2401.00002#0"),
        ("arxiv:2401.00002#0", "arxiv:2401.00003#0"),
    }


def test_work_name_contexts_are_the_matchers_view_of_each_author() -> None:
    """The closure builds rule 3's view per work in one pass; it must be the matcher's own."""
    rng = random.Random(11)
    given = ["Xinyin", "Xiaolong", "X.", "Wei", "W.", "Jun", "Maria", "Li"]
    surnames = ["ma", "li", "zhu", "wang", "smith", "garcia"]
    for trial in range(300):
        count = rng.choice([1, 2, 3, 5, 11, 12, 25, 40])
        positions = sorted(rng.sample(range(count * 2), count)) if trial % 3 == 0 else None
        names = [f"{rng.choice(given)} {rng.choice(surnames)}" for _ in range(count)]
        printed = list(zip(positions or range(count), names, strict=True))
        contexts = matching.work_name_contexts(printed)
        for i, (position, name) in enumerate(printed):
            mention = matching.AuthorMention(
                key=f"w{trial}#{position}",
                name=name,
                work_key=f"w{trial}",
                position=position,
                coauthors=tuple(n for j, (_, n) in enumerate(printed) if j != i),
            )
            assert contexts[i] == matching.name_context(mention), (printed, i)


def record(source: str, i: int, title: str, names: list[str]) -> WorkRecord:
    return WorkRecord(
        source=source,
        source_id=str(i),
        title=title,
        raw="{}",
        raw_format="constructed",
        authors=tuple(AuthorName(name=n) for n in names),
        year=2022,
    )


def test_two_authors_meeting_only_in_a_too_common_pair_block_are_kept_apart_in_any_batch(
    sessions: sessionmaker[Session],
) -> None:
    """More than ``4 * MAX_BLOCK`` papers print "Wei Li" beside "Jing Zhang": the pair block
    ``ac:li w|zhang j`` is too common to compare. Two "Jun Zhang"s whose only shared co-author
    is Wei Li would be one author if compared; they are not compared (counted, not read), so
    they stay apart whether they arrive in one batch or in two."""
    fillers = [
        record("constructed-filler", i, f"Filler study number {i}", ["Wei Li", "Jing Zhang"])
        for i in range(4 * matching.MAX_BLOCK + 1)
    ]

    def pair(n: int) -> tuple[WorkRecord, WorkRecord]:
        return (
            record(f"constructed-a{n}", 1, f"Parsing {n}", ["Jun Zhang", "Wei Li", "Ann Brown"]),
            record(f"constructed-b{n}", 1, f"Speech {n}", ["Jun Zhang", "Wei Li", "Carl Davis"]),
        )

    views = [
        matching.AuthorMention(
            key=f"{r.source}:1#0",
            name="Jun Zhang",
            work_key=f"{r.source}:1",
            position=0,
            coauthors=tuple(n.name for n in r.authors[1:]),
        )
        for r in pair(0)
    ]
    assert len(matching.resolve_authors(views).clusters) == 1  # compared, one author
    with sessions() as session:
        load_batch(session, fillers, None)
        session.commit()
    a, b = pair(1)
    c, d = pair(2)
    for batch in ([a, b], [c], [d]):
        with sessions() as session:
            load_batch(session, batch, None)
            session.commit()
    with sessions() as session:
        jun = {
            source: author_id
            for source, author_id in session.execute(
                select(WorkMention.source, AuthorMention.author_id)
                .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
                .where(AuthorMention.name == "Jun Zhang")
            )
        }
    # The A papers share Ann Brown, the B papers Carl Davis: each side is one person. A and B
    # meet only through Wei Li, in the too common block: apart, in one batch or in two.
    assert jun["constructed-a1"] == jun["constructed-a2"]
    assert jun["constructed-b1"] == jun["constructed-b2"]
    assert jun["constructed-a1"] != jun["constructed-b1"]


def test_a_remerge_keeps_decisions_taken_again_and_replaces_the_others(
    sessions: sessionmaker[Session],
) -> None:
    load(sessions, 1, 3)
    load(sessions, 2)
    with sessions() as session:
        before = {
            d.id: (d.left_key, d.right_key, d.rule, d.decided_at)
            for d in session.scalars(select(MergeDecision).where(MergeDecision.entity == "author"))
        }
        merge_all(session)
        session.commit()
        again = {
            d.id: (d.left_key, d.right_key, d.rule, d.decided_at)
            for d in session.scalars(select(MergeDecision).where(MergeDecision.entity == "author"))
        }
    # Everything was decided the same way: the same rows, with the time first decided.
    assert again == before
    joined = ("arxiv:2401.00001#0", "arxiv:2401.00003#0", "same name + shared co-authors")
    assert joined in {v[:3] for v in before.values()}
    with sessions() as session:
        add_override(session, "author", "split", "arxiv:2401.00001#0", "arxiv:2401.00003#0")
        session.commit()
        after = {
            d.id: (d.left_key, d.right_key, d.rule)
            for d in session.scalars(select(MergeDecision).where(MergeDecision.entity == "author"))
        }
    # The merge by co-authors is gone, the operator's split is there, the rest is untouched.
    assert joined not in after.values()
    assert (*joined[:2], "operator-split") in after.values()
    kept = {i for i, v in before.items() if v[:3] != joined}
    assert kept <= set(after)
