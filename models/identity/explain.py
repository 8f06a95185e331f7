"""Why a work (or an author) is what it is: its mentions, the decisions that joined them, the
near misses kept apart, the operator overrides and the ids redirected into it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.authors import Author, TrackedAuthor
from models.identity.merge import tracked_key
from models.identity.overrides import (
    UnknownReferenceError,
    author_mention_key,
    current_id,
    work_mention_key,
)
from models.identity.tables import (
    AuthorMention,
    IdentityOverride,
    IdentityRedirect,
    MergeDecision,
    WorkMention,
)
from models.works import Work


@dataclass
class Explanation:
    """An entity, its mentions, and every stored decision or override that concerns them."""

    entity: str
    id: int | None
    title: str
    details: dict[str, Any]
    mentions: list[dict[str, Any]]
    joined: list[dict[str, Any]] = field(default_factory=list)
    kept_apart: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    redirected_here: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def explain_work(session: Session, reference: str) -> Explanation:
    """Explain the work a reference names (id, SCHEME:VALUE or mention key).
    Raises UnknownReferenceError."""
    if reference.strip().isdigit():
        work_id: int | None = current_id(session, "work", int(reference))
    else:
        key = work_mention_key(session, reference)
        work_id = session.scalar(select(WorkMention.work_id).where(WorkMention.key == key))
    work = session.get(Work, work_id) if work_id is not None else None
    if work is None:
        raise UnknownReferenceError(reference, "work")
    rows = session.execute(
        select(
            WorkMention.key,
            WorkMention.source,
            WorkMention.title,
            WorkMention.year,
            WorkMention.ids,
        )
        .where(WorkMention.work_id == work.id)
        .order_by(WorkMention.key)
    ).all()
    mentions = [
        {"key": k, "source": s, "title": t, "year": y, "ids": dict(i or {})}
        for k, s, t, y, i in rows
    ]
    keys = [m["key"] for m in mentions]
    explanation = Explanation(
        entity="work",
        id=work.id,
        title=work.title,
        details={
            "year": work.year,
            "canonical_source": work.canonical_source,
            "field_sources": dict(work.field_sources or {}),
        },
        mentions=mentions,
    )
    _attach_decisions(session, explanation, "work", keys)
    return explanation


def explain_author(session: Session, reference: str) -> Explanation:
    """Explain the author a reference names (tracked name, id or mention key).
    Raises UnknownReferenceError."""
    text = reference.strip()
    tracked = session.execute(
        select(TrackedAuthor.id, TrackedAuthor.author_id).where(TrackedAuthor.name == text)
    ).first()
    if tracked is not None:
        author_id: int | None = tracked.author_id
    elif text.isdigit():
        author_id = current_id(session, "author", int(text))
    else:
        key = author_mention_key(session, text)
        work_key, _, position = key.rpartition("#")
        author_id = session.scalar(
            select(AuthorMention.author_id)
            .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
            .where(WorkMention.key == work_key, AuthorMention.position == int(position))
        )
    author = session.get(Author, author_id) if author_id is not None else None
    if author is None:
        raise UnknownReferenceError(reference, "author")
    rows = session.execute(
        select(
            WorkMention.key,
            AuthorMention.position,
            AuthorMention.name,
            AuthorMention.ids,
            WorkMention.title,
        )
        .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
        .where(AuthorMention.author_id == author.id)
        .order_by(WorkMention.key, AuthorMention.position)
    ).all()
    mentions = [
        {"key": f"{k}#{p}", "name": n, "ids": dict(i or {}), "work": t} for k, p, n, i, t in rows
    ]
    keys = [m["key"] for m in mentions]
    tracked_ids = session.scalars(
        select(TrackedAuthor.id).where(TrackedAuthor.author_id == author.id)
    ).all()
    keys += [tracked_key(t) for t in tracked_ids]
    explanation = Explanation(
        entity="author",
        id=author.id,
        title=author.display_name,
        details={"tracked": bool(tracked_ids)},
        mentions=mentions,
    )
    _attach_decisions(session, explanation, "author", keys)
    return explanation


def _attach_decisions(session: Session, e: Explanation, entity: str, keys: list[str]) -> None:
    inside = set(keys)
    seen: set[int] = set()
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        for d in session.scalars(
            select(MergeDecision)
            .where(
                MergeDecision.entity == entity,
                or_(MergeDecision.left_key.in_(part), MergeDecision.right_key.in_(part)),
            )
            .order_by(MergeDecision.id)
        ):
            if d.id in seen:
                continue
            seen.add(d.id)
            item = {
                "left": d.left_key,
                "right": d.right_key,
                "outcome": d.outcome,
                "rule": d.rule,
                "score": d.score,
                "inputs": dict(d.inputs or {}),
                "decided_at": d.decided_at.isoformat(),
            }
            both = d.left_key in inside and d.right_key in inside
            (e.joined if d.outcome == "merge" and both else e.kept_apart).append(item)
        for o in session.scalars(
            select(IdentityOverride).where(
                IdentityOverride.entity == entity,
                or_(IdentityOverride.left_key.in_(part), IdentityOverride.right_key.in_(part)),
            )
        ):
            e.overrides.append(
                {
                    "action": o.action,
                    "left": o.left_key,
                    "right": o.right_key,
                    "reason": o.reason,
                    "created_at": o.created_at.isoformat(),
                }
            )
    if e.id is not None:
        e.redirected_here = list(
            session.scalars(
                select(IdentityRedirect.old_id).where(
                    IdentityRedirect.entity == entity, IdentityRedirect.new_id == e.id
                )
            )
        )


def explain_text(e: Explanation) -> str:
    """The explanation as lines a person reads."""
    lines = [f"{e.entity} {e.id}: {e.title}"]
    for name, value in e.details.items():
        if value not in (None, {}, []):
            shown = (
                ", ".join(f"{k} from {v}" for k, v in value.items())
                if isinstance(value, dict)
                else value
            )
            lines.append(f"  {name.replace('_', ' ')}: {shown}")
    lines.append(f"  mentions ({len(e.mentions)}):")
    for m in e.mentions:
        ids = ", ".join(f"{k}:{v}" for k, v in sorted(m.get("ids", {}).items()))
        label = m.get("name") or m.get("title")
        extra = f" ({m['year']})" if m.get("year") else ""
        lines.append(f"    {m['key']}  {label}{extra}" + (f"  [{ids}]" if ids else ""))
    if e.joined:
        lines.append("  why these are one:")
        lines += [f"    {_decision_line(d)}" for d in e.joined]
    if e.kept_apart:
        lines.append("  kept apart (and why):")
        lines += [f"    {_decision_line(d)}" for d in e.kept_apart]
    if e.overrides:
        lines.append("  operator overrides:")
        lines += [
            f"    force {o['action']} {o['left']} + {o['right']}"
            + (f" ({o['reason']})" if o["reason"] else "")
            for o in e.overrides
        ]
    if e.redirected_here:
        lines.append(f"  absorbed ids redirected here: {', '.join(map(str, e.redirected_here))}")
    return "\n".join(lines)


def _decision_line(d: dict[str, Any]) -> str:
    score = f" score {d['score']:.1f}" if d.get("score") is not None else ""
    inputs = ", ".join(f"{k} {v}" for k, v in d["inputs"].items())
    return f"{d['left']} + {d['right']}: {d['outcome']} by {d['rule']}{score}" + (
        f" ({inputs})" if inputs else ""
    )
