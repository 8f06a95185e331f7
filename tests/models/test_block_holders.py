"""Reading a block's holders: every holder up to the block's limit, none past it, on both
databases (one bounded statement per chunk of blocks; see ``models.identity.store``)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from models.identity.store import block_holders
from models.identity.tables import MentionBlock, WorkMention
from models.provenance import SourceRecord


def _mentions(session: Session, n: int) -> list[int]:
    """``n`` constructed work mentions (and their source records); their ids, ascending."""
    session.execute(
        insert(SourceRecord),
        [
            {
                "source": "constructed",
                "source_id": str(i),
                "payload": "{}",
                "payload_format": "json",
                "content_hash": str(i),
                "parsed": {},
            }
            for i in range(n)
        ],
    )
    records = session.scalars(select(SourceRecord.id).order_by(SourceRecord.id)).all()
    session.execute(
        insert(WorkMention),
        [
            {
                "source_record_id": r,
                "key": f"constructed:{r}",
                "source": "constructed",
                "title": f"T{r}",
                "title_key": f"t{r}",
                "ids": {},
            }
            for r in records
        ],
    )
    return list(session.scalars(select(WorkMention.id).order_by(WorkMention.id)))


def test_holders_are_read_up_to_the_limit_and_a_larger_block_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    limit = 5
    with sessions() as session:
        ids = _mentions(session, limit + 2)
        held = {"w:at-limit": ids[:limit], "w:over": ids[: limit + 1], "ap:free": ids}
        session.execute(
            insert(MentionBlock),
            [{"mention_id": m, "block": b} for b, ms in held.items() for m in ms],
        )
        holders, refused = block_holders(
            session,
            {"w:at-limit", "w:over", "ap:free", "w:nobody"},
            lambda block: None if block.startswith("ap:") else limit,
        )
    assert refused == {"w:over"}
    assert holders == {"w:at-limit": ids[:limit], "ap:free": ids}
