"""Operator overrides: force two works or two authors together, or keep them apart.

Overrides are stored by mention key (``source:source_id``, ``source:source_id#position`` for
authors, ``tracked:ID`` for a tracked person), so they survive re-harvests and re-merges; the merge
step applies them before any rule, so they always win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.authors import TrackedAuthor
from models.dialect import insert_for
from models.identity.matching import WORK_ID_SCHEMES
from models.identity.merge import (
    MergeCounts,
    merge_authors_of,
    merge_mentions,
    rebuild_authorships,
    take_merge_lock,
    tracked_key,
)
from models.identity.tables import (
    AuthorMention,
    IdentityOverride,
    IdentityRedirect,
    MentionIdentifier,
    WorkMention,
)

Entity = Literal["work", "author"]
Action = Literal["merge", "split"]


class UnknownReferenceError(LookupError):
    """An override or explain argument names no work, author or mention."""

    def __init__(self, reference: str, entity: str) -> None:
        self.reference = reference
        super().__init__(
            f"no {entity} or {entity} mention {reference!r} (give an id, a SCHEME:VALUE "
            f"identifier, or a mention key as `scholarflow explain {entity}` prints it)"
        )


@dataclass(frozen=True)
class OverrideResult:
    """The stored override and what re-merging did."""

    entity: str
    action: str
    left_key: str
    right_key: str
    counts: MergeCounts


def current_id(session: Session, entity: str, canonical_id: int) -> int:
    """Follow redirects: the id that now holds what ``canonical_id`` held."""
    seen = {canonical_id}
    while True:
        target = session.scalar(
            select(IdentityRedirect.new_id).where(
                IdentityRedirect.entity == entity, IdentityRedirect.old_id == canonical_id
            )
        )
        if target is None or target in seen:
            return canonical_id
        seen.add(target)
        canonical_id = target


def work_mention_key(session: Session, reference: str) -> str:
    """The mention a work reference names: a work id (its first mention), ``SCHEME:VALUE``
    (the first mention carrying it) or a mention key. Raises UnknownReferenceError."""
    text = reference.strip()
    if text.isdigit():
        work_id = current_id(session, "work", int(text))
        key = session.scalar(
            select(WorkMention.key).where(WorkMention.work_id == work_id).order_by(WorkMention.key)
        )
    elif session.scalar(select(WorkMention.key).where(WorkMention.key == text)) is not None:
        key = text
    else:
        scheme, _, value = text.partition(":")
        key = None
        if scheme in WORK_ID_SCHEMES and value:
            wanted = value.lower() if scheme == "doi" else value
            key = session.scalar(
                select(WorkMention.key)
                .join(MentionIdentifier, MentionIdentifier.mention_id == WorkMention.id)
                .where(MentionIdentifier.scheme == scheme, MentionIdentifier.value == wanted)
                .order_by(WorkMention.key)
            )
    if key is None:
        raise UnknownReferenceError(reference, "work")
    return key


def author_mention_key(session: Session, reference: str) -> str:
    """The mention an author reference names: a tracked author's name (``tracked:ID``), an
    author id (its first mention) or an author-mention key. Raises UnknownReferenceError."""
    text = reference.strip()
    tracked = session.scalar(select(TrackedAuthor.id).where(TrackedAuthor.name == text))
    if tracked is not None:
        return tracked_key(tracked)
    if text.isdigit():
        author_id = current_id(session, "author", int(text))
        row = session.execute(
            select(WorkMention.key, AuthorMention.position)
            .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
            .where(AuthorMention.author_id == author_id)
            .order_by(WorkMention.key, AuthorMention.position)
        ).first()
        if row is not None:
            return f"{row[0]}#{row[1]}"
    elif "#" in text:
        work_key, _, position = text.rpartition("#")
        exists = session.scalar(
            select(AuthorMention.id)
            .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
            .where(WorkMention.key == work_key, AuthorMention.position == int(position or -1))
        )
        if exists is not None:
            return text
    raise UnknownReferenceError(reference, "author")


def add_override(
    session: Session,
    entity: Entity,
    action: Action,
    left: str,
    right: str,
    reason: str | None = None,
) -> OverrideResult:
    """Store a force-merge or force-split and re-merge what it touches. ``left``/``right`` are
    references as :func:`work_mention_key` / :func:`author_mention_key` read them. A new
    override replaces an opposite one on the same pair. Raises UnknownReferenceError,
    ValueError (both sides the same). Does not commit."""
    resolve = work_mention_key if entity == "work" else author_mention_key
    a, b = sorted((resolve(session, left), resolve(session, right)))
    if a == b:
        raise ValueError(f"{left!r} and {right!r} are the same {entity} mention")
    if entity == "author" and b.startswith("tracked:") and not a.startswith("tracked:"):
        a, b = b, a  # a tracked person always stands left (the merge step reads it so)
    take_merge_lock(session)
    opposite = "split" if action == "merge" else "merge"
    session.query(IdentityOverride).filter_by(
        entity=entity, action=opposite, left_key=a, right_key=b
    ).delete()
    stmt = insert_for(session, IdentityOverride).on_conflict_do_update(
        index_elements=["entity", "action", "left_key", "right_key"],
        set_={"reason": reason},
    )
    session.execute(
        stmt,
        [{"entity": entity, "action": action, "left_key": a, "right_key": b, "reason": reason}],
    )
    counts = remerge_keys(session, entity, [a, b])
    return OverrideResult(entity, action, a, b, counts)


def remerge_keys(session: Session, entity: str, keys: list[str]) -> MergeCounts:
    """Re-merge around the given mention keys."""
    work_keys = [k.rsplit("#", 1)[0] if entity == "author" else k for k in keys]
    work_keys = [k for k in work_keys if not k.startswith("tracked:")]
    ids = list(session.scalars(select(WorkMention.id).where(WorkMention.key.in_(work_keys))))
    if entity == "work":
        return merge_mentions(session, ids)
    counts = merge_authors_of(session, ids)
    rebuild_authorships(session, counts.affected_works)
    return counts
