"""Identity commands: ``explain`` a work or author, ``override`` a merge decision, ``remerge``.

Light at import time: the database and the identity modules are imported when a command runs.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from flows.cli.common import UserError, open_cli_database


def add_commands(sub: Any) -> None:
    """Register ``explain``, ``override`` and ``remerge`` on the top-level subparsers."""
    explain = sub.add_parser(
        "explain",
        help="why a work or author is what it is (mentions, decisions, overrides)",
        description="REF: an id, a SCHEME:VALUE identifier (doi:..., arxiv:...), a mention key "
        "(source:source_id, with #position for an author mention) or a tracked author's name.",
    )
    explain.add_argument("entity", choices=("work", "author"))
    explain.add_argument("ref", metavar="REF")
    explain.add_argument("--json", action="store_true")

    override = sub.add_parser(
        "override",
        help="force two works or authors together (merge) or apart (split); wins on every "
        "later merge",
    )
    override.add_argument("action", choices=("merge", "split"))
    override.add_argument("entity", choices=("work", "author"))
    override.add_argument("left", metavar="REF")
    override.add_argument("right", metavar="REF")
    override.add_argument("--reason", help="why (kept with the override)")

    sub.add_parser("remerge", help="re-cluster every mention (after overrides or a rule change)")


def cmd_explain(args: argparse.Namespace) -> int:
    from models.identity.explain import explain_author, explain_text, explain_work
    from models.identity.overrides import UnknownReferenceError

    sessions = open_cli_database(args)
    with sessions() as session:
        try:
            fn = explain_work if args.entity == "work" else explain_author
            explanation = fn(session, args.ref)
        except UnknownReferenceError as exc:
            raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps(explanation.as_dict(), indent=2, default=str))
    else:
        print(explain_text(explanation))
    return 0


def cmd_override(args: argparse.Namespace) -> int:
    from models.identity.overrides import UnknownReferenceError, add_override

    sessions = open_cli_database(args)
    with sessions() as session:
        try:
            result = add_override(
                session, args.entity, args.action, args.left, args.right, args.reason
            )
        except (UnknownReferenceError, ValueError) as exc:
            raise UserError(str(exc)) from exc
        session.commit()
    print(
        f"stored: force {result.action} {result.entity}s {result.left_key} + {result.right_key}; "
        f"re-merged {result.counts.mentions} mention(s)"
    )
    return 0


def cmd_remerge(args: argparse.Namespace) -> int:
    from models.identity.backfill import backfill_mentions, needs_backfill
    from models.identity.merge import merge_all, take_merge_lock

    sessions = open_cli_database(args)
    with sessions() as session:
        take_merge_lock(session)
        counts = backfill_mentions(session) if needs_backfill(session) else merge_all(session)
        session.commit()
    print(
        f"re-merged {counts.mentions} mention(s): {counts.works_created} work(s) created, "
        f"{counts.works_absorbed} absorbed; {counts.authors_created} author(s) created, "
        f"{counts.authors_absorbed} absorbed; {counts.decisions} decision(s) stored"
    )
    return 0
