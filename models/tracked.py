"""Race-free creation of tracked-author rows.

``models.queries.add_tracked_author`` looks the name up, then inserts: two commands adding the
same author at once (or a command racing a harvest) both miss and one crashes on the unique
name. Claiming the row first with an insert-if-absent makes the lookup always find it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.authors import TrackedAuthor
from models.base import utcnow
from models.dialect import insert_for


def claim_tracked_name(session: Session, name: str) -> None:
    """Insert the ``tracked_author`` row of ``name`` (stripped) unless it exists; on
    PostgreSQL this waits for a concurrent insert of the same name to commit. Does not
    commit; an empty name is left to the caller's validation."""
    name = name.strip()
    if not name:
        return
    stmt = insert_for(session, TrackedAuthor).values(name=name, active=True, created_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))
