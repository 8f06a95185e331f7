"""Which author mentions a merge must re-cluster together with a batch's (the author closure).

:func:`author_closure` grows the batch's author mentions to every stored author mention whose
cluster can change with theirs. It follows every edge of ``matching.resolve_authors`` that joins
whole groups (a shared strong id, the same current author, the same surname on one work cluster,
one Scholar profile's entries: rule 2b decides per profile and initials key, so the whole group
comes in), and of the name edges (rule 3: same initials key, a nearby co-author key in common)
only those the rule would accept. A pair block (``ac:X|Y``) of a common pair of names gains
holders with every paper loaded; following all of them, round after round, made the merge's
work per batch grow with the database. A partner the rule keeps apart from a member cannot
change cluster with it, so it stays out, and the rule's keep-apart decision ("given names
differ") between the two is returned, so the audit trail is the same as if it had been loaded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from harvesters.normalize import name_parts
from models.identity import matching
from models.identity.printed import Printed, PrintedAuthors
from models.identity.store import among, block_holders, chunks, id_partners
from models.identity.store import core as _core
from models.identity.tables import (
    AuthorMention,
    AuthorMentionIdentifier,
    MentionBlock,
    WorkMention,
)

MAX_ROUNDS = 12  # a closure that has not converged by then is cut (and logged by the caller)
# A pair block held by more than this many work mentions is too common a pair of names to
# compare pairwise (the matcher skips its (own, co-author) pair as well).
MAX_PAIR_HOLDERS = 4 * matching.MAX_BLOCK


@dataclass
class AuthorClosure:
    """The mentions to re-cluster, the ``(own, co-author)`` initials-key pairs whose block is
    too large to compare, and keep-apart decisions between a member and a mention left out."""

    members: set[int]
    oversized: set[tuple[str, str]]
    outside: list[matching.Decision]
    rounds: int = 0
    cut: bool = False  # still growing after MAX_ROUNDS rounds


@dataclass(frozen=True, slots=True)
class _Seen:
    """One stored author mention as the closure compares it."""

    id: int
    work_mention_id: int
    key: str  # work_key#position, the matcher's key
    context: matching.NameContext


@dataclass
class _State:
    members: set[int]
    oversized: set[tuple[str, str]] = field(default_factory=set)
    holders: dict[str, list[int]] = field(default_factory=dict)  # block -> work mentions
    too_common: set[str] = field(default_factory=set)  # pair blocks of > MAX_PAIR_HOLDERS
    views: dict[int, dict[str, list[_Seen]]] = field(default_factory=dict)  # wm -> key -> seen
    seen: dict[int, _Seen] = field(default_factory=dict)  # author mention id -> its view
    followed: dict[str, set[str]] = field(default_factory=dict)  # profile block -> keys
    compared: set[tuple[int, int]] = field(default_factory=set)
    # (member, partner) -> (decision, their initials key, co-author keys compared through)
    apart: dict[tuple[int, int], tuple[matching.Decision, str, frozenset[str]]] = field(
        default_factory=dict
    )


def author_closure(
    session: Session, seed: Collection[int], printed: PrintedAuthors | None = None
) -> AuthorClosure:
    """``seed`` (author mention ids) grown to every author mention that can end in one cluster
    with one of them; see the module docstring for which edges are followed. ``printed``: the
    merge's author lists (read here when not given)."""
    printed = printed or PrintedAuthors(session)
    state = _State(members=set(seed))
    frontier = set(seed)
    rounds = 0
    while frontier and rounds < MAX_ROUNDS:
        rounds += 1
        found: set[int] = set()
        for part in chunks(sorted(frontier)):
            found |= id_partners(
                session, AuthorMentionIdentifier.__table__, "author_mention_id", part
            )
            rows = printed.of_authors(part)
            authors = sorted({r.author_id for r in rows if r.author_id is not None})
            for apart in chunks(authors):
                found.update(
                    _core(session).scalars(
                        select(AuthorMention.id).where(
                            among(session, AuthorMention.author_id, apart)
                        )
                    )
                )
            found |= _same_work_surnames(session, rows, printed)
            found |= _block_partners(session, rows, state, printed)
        frontier = found - state.members
        state.members |= found
    outside = [
        decision
        for (_, partner), (decision, own, through) in sorted(state.apart.items())
        if partner not in state.members and _comparable(own, through, state)
    ]
    return AuthorClosure(state.members, state.oversized, outside, rounds, cut=bool(frontier))


def _comparable(own: str, through: frozenset[str], state: _State) -> bool:
    """Whether the matcher compares a pair of ``own`` met through co-author keys ``through``:
    through one at least whose pair block is not oversized."""
    return any((own, co) not in state.oversized for co in through)


def _same_work_surnames(
    session: Session, rows: Iterable[Printed], printed: PrintedAuthors
) -> set[int]:
    """Author mentions with the surname of one of ``rows`` on a mention of the same work."""
    wanted: dict[int, set[str]] = defaultdict(set)  # work mention -> surnames
    for r in rows:
        wanted[r.work_mention_id].add(name_parts(r.name)[1])
    surnames: dict[int, set[str]] = defaultdict(set)  # work -> surnames
    for work in printed.of_works(sorted(wanted)):
        if work.work_id is not None:
            surnames[work.work_id] |= wanted[work.id]
    found: set[int] = set()
    for part in chunks(sorted(surnames)):
        for author_mention_id, name, work_id in _core(session).execute(
            select(AuthorMention.id, AuthorMention.name, WorkMention.work_id)
            .join(WorkMention, WorkMention.id == AuthorMention.work_mention_id)
            .where(among(session, WorkMention.work_id, part))
        ):
            if name_parts(name)[1] in surnames[work_id]:
                found.add(author_mention_id)
    return found


def _block_partners(
    session: Session, rows: list[Printed], state: _State, printed: PrintedAuthors
) -> set[int]:
    """Partners of ``rows`` (this round's new members) through the author blocks they share:
    every mention of the same initials key on one Scholar profile (``ap:``), and through a
    pair block (``ac:``) each mention rule 3 would join to one of them. Decisions that keep a
    partner apart go to ``state.apart``."""
    own: dict[int, set[str]] = defaultdict(set)  # work mention -> initials keys in ``rows``
    for r in rows:
        own[r.work_mention_id].add(r.initials_key)
    blocks_of = _shared_author_blocks(session, sorted(own))
    _read_holders(session, {b for bs in blocks_of.values() for b in bs}, state)

    found: set[int] = set()
    # Profile blocks: the whole (profile, key) group, once per block and key.
    keys_on: dict[int, set[str]] = defaultdict(set)  # work mention -> keys to take from it
    pair_blocks: dict[int, list[tuple[str, frozenset[str]]]] = defaultdict(list)
    for mention_id, blocks in blocks_of.items():
        for block in blocks:
            keys = _block_keys(block) & own[mention_id]
            if not keys or block in state.too_common:
                continue  # a too common pair's keys are in state.oversized
            held = state.holders[block]
            if len(held) < 2:
                continue
            if block.startswith(matching.AUTHOR_PROFILE_BLOCK):
                new = keys - state.followed.get(block, set())
                state.followed.setdefault(block, set()).update(new)
                for holder in held:
                    keys_on[holder] |= new
            else:
                pair_blocks[mention_id].append((block, frozenset(keys)))
    wanted = set(keys_on) | set(pair_blocks)
    for blocks in pair_blocks.values():
        for block, _ in blocks:
            wanted.update(state.holders[block])
    _read_views(printed, wanted, state)
    for holder, keys in keys_on.items():
        for k in keys:
            found.update(seen.id for seen in state.views[holder].get(k, ()))
    for r in rows:
        member = state.seen.get(r.id)
        if member is None or not member.context.surname:
            continue
        for block, keys in pair_blocks.get(r.work_mention_id, ()):
            if member.context.own not in keys:
                continue
            for holder in state.holders[block]:
                if holder == r.work_mention_id:
                    continue
                for partner in state.views[holder].get(member.context.own, ()):
                    if partner.id in state.members or partner.id in found:
                        continue
                    if _joins(member, partner, state):
                        found.add(partner.id)
    return found


def _joins(member: _Seen, partner: _Seen, state: _State) -> bool:
    """Rule 3 on ``member`` and a stored ``partner`` of its initials key: True when it would
    join them; a keep-apart verdict is kept in ``state.apart``."""
    pair = (member.id, partner.id)
    if pair in state.compared or not partner.context.surname:
        return False
    state.compared.add(pair)
    through = member.context.near & partner.context.near
    if not through:
        return False
    shared = matching.confirmed_by_coauthors(member.context, partner.context)
    if shared is None:
        left, right = sorted((member.key, partner.key))
        decision = matching.Decision(
            left, right, "keep-apart", matching.GIVEN_NAMES_DIFFER, 0.0, {}
        )
        state.apart[pair] = (decision, member.context.own, through)
        return False
    return shared > 0 and _comparable(member.context.own, through, state)


def _shared_author_blocks(session: Session, mention_ids: list[int]) -> dict[int, list[str]]:
    """The author blocks of ``mention_ids`` that another work mention holds too (most are held
    by their own mention alone)."""
    is_author_block = or_(
        *(MentionBlock.block.startswith(prefix) for prefix in matching.AUTHOR_BLOCK_PREFIXES)
    )
    other = aliased(MentionBlock)
    shared = (
        select(other.id)
        .where(other.block == MentionBlock.block, other.mention_id != MentionBlock.mention_id)
        .exists()
    )
    blocks: dict[int, list[str]] = defaultdict(list)
    for part in chunks(mention_ids):
        for mention_id, block in _core(session).execute(
            select(MentionBlock.mention_id, MentionBlock.block).where(
                among(session, MentionBlock.mention_id, part), is_author_block, shared
            )
        ):
            blocks[mention_id].append(block)
    return blocks


def _read_holders(session: Session, blocks: set[str], state: _State) -> None:
    """The work mentions holding each of ``blocks`` into ``state.holders`` (read once), but
    for a pair block of more than ``MAX_PAIR_HOLDERS``: counted, not read (a common pair of
    names gains holders with every paper loaded), and its pair goes to ``state.oversized``."""
    holders, refused = block_holders(
        session,
        blocks - set(state.holders) - state.too_common,
        lambda block: MAX_PAIR_HOLDERS if block.startswith(matching.AUTHOR_PAIR_BLOCK) else None,
    )
    state.holders.update(holders)
    for block in refused:
        state.too_common.add(block)
        a, _, b = block[len(matching.AUTHOR_PAIR_BLOCK) :].partition("|")
        state.oversized.update({(a, b), (b, a)})


def _read_views(printed: PrintedAuthors, work_mention_ids: set[int], state: _State) -> None:
    """The author mentions printed on ``work_mention_ids``, as rule 3 sees them, into
    ``state.views`` (built once per work mention)."""
    todo = sorted(work_mention_ids - set(state.views))
    for work in printed.of_works(todo):
        contexts = matching.work_name_contexts([(a.position, a.name) for a in work.authors])
        by_key: dict[str, list[_Seen]] = defaultdict(list)
        for a, context in zip(work.authors, contexts, strict=True):
            seen = _Seen(a.id, work.id, f"{work.key}#{a.position}", context)
            by_key[context.own].append(seen)
            state.seen[a.id] = seen
        state.views[work.id] = dict(by_key)
    for mention_id in todo:
        state.views.setdefault(mention_id, {})


def _block_keys(block: str) -> set[str]:
    """The initials keys an author block is about (none for a work block)."""
    if block.startswith(matching.AUTHOR_PAIR_BLOCK):
        return set(block[len(matching.AUTHOR_PAIR_BLOCK) :].split("|", 1))
    if block.startswith(matching.AUTHOR_PROFILE_BLOCK):
        return {block.rpartition("|")[2]}
    return set()
