"""Operator commands: ``runs`` (the harvest log), ``quarantine`` (unparseable input) and
``authors deactivate|activate|remove``.

Light at import time (``flows.cli.main`` imports it to build the parser): SQLAlchemy and the
models are imported when a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flows.cli.common import UserError, open_cli_database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.provenance import HarvestRun, QuarantinedRecord

DEFAULT_RUNS = 20
# --show prints at most this much of a payload: enough to see what broke, not a whole dump.
PAYLOAD_LIMIT = 4000
# Environment variables holding secrets; their values are masked if a payload contains them.
SECRET_ENV = ("GITHUB_TOKEN", "SCHOLARFLOW_SCRAPERAPI_KEY", "SCHOLARFLOW_SCHOLAR_PROXY")
_SECRET_QUERY = re.compile(
    r"(?i)([?&](?:token|access_token|api_key|apikey|key|password|client_secret)=)[^&\s\"'<>]+"
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@\"'<>]+:)[^@\s/\"'<>]+@")


def add_commands(sub: Any, authors: Any) -> None:
    """``runs``, ``quarantine`` and the ``authors`` subcommands deactivate, activate, remove."""
    runs = sub.add_parser("runs", help="harvest runs, newest first")
    runs.add_argument("--source", help="only this source (arxiv, acl, scholar, github)")
    runs.add_argument("--status", help="only runs with this status (e.g. failed, blocked)")
    runs.add_argument(
        "--limit", type=_positive, default=DEFAULT_RUNS, help=f"at most N runs ({DEFAULT_RUNS})"
    )
    runs.add_argument("--json", action="store_true")

    quarantine = sub.add_parser("quarantine", help="input kept because it could not be parsed")
    quarantine.add_argument("--source", help="only this source (arxiv matches arxiv-api/-oai)")
    quarantine.add_argument(
        "--show", type=int, metavar="ID", help="the whole reason and the payload of one record"
    )
    quarantine.add_argument("--json", action="store_true")

    for name, text in (
        ("deactivate", "harvests skip an author unless named with --author (undo: activate)"),
        ("activate", "harvest a deactivated author again"),
        ("remove", "stop tracking an author; their works and records stay"),
    ):
        authors.add_parser(name, help=text).add_argument("name", metavar="NAME")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


def _source_filter(column: Any, source: str) -> Any:
    """``source`` itself or its variants (``arxiv`` matches ``arxiv-api`` and ``arxiv-oai``)."""
    from sqlalchemy import or_

    return or_(column == source, column.like(f"{source}-%"))


# --------------------------------------------------------------------------- runs


def cmd_runs(args: argparse.Namespace) -> int:
    """``scholarflow runs``: one line per harvest run, newest first."""
    from sqlalchemy import select

    from models.provenance import RUN_STATUSES, HarvestRun

    if args.status is not None and args.status not in RUN_STATUSES:
        raise UserError(f"unknown run status {args.status!r}; one of: {', '.join(RUN_STATUSES)}")
    stmt = select(HarvestRun).order_by(HarvestRun.started_at.desc(), HarvestRun.id.desc())
    if args.source:
        stmt = stmt.where(_source_filter(HarvestRun.source, args.source))
    if args.status:
        stmt = stmt.where(HarvestRun.status == args.status)
    with open_cli_database(args)() as session:
        rows = [_run_dict(run) for run in session.scalars(stmt.limit(args.limit))]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print("(no harvest runs)")
    else:
        print("\n".join(run_line(row) for row in rows))
    return 0


def _run_dict(run: HarvestRun) -> dict[str, Any]:
    finished = run.finished_at
    return {
        "id": run.id,
        "source": run.source,
        "mode": run.mode,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": finished.isoformat() if finished else None,
        "seconds": (finished - run.started_at).total_seconds() if finished else None,
        "counts": {
            "fetched": run.fetched,
            "inserted": run.inserted,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "quarantined": run.quarantined,
        },
        "error": run.error,
    }


def run_line(row: dict[str, Any]) -> str:
    """``id source/mode status started duration counts [error's first line]``."""
    c = row["counts"]
    started = datetime.fromisoformat(row["started_at"])
    took = "-" if row["seconds"] is None else duration(row["seconds"])
    line = (
        f"{row['id']:>5}  {row['source']}/{row['mode']}  {row['status']}  "
        f"{started:%Y-%m-%d %H:%M:%S}Z  {took}  "
        f"fetched {c['fetched']}, inserted {c['inserted']}, updated {c['updated']}, "
        f"unchanged {c['unchanged']}, quarantined {c['quarantined']}"
    )
    error = first_line(row["error"])
    return f"{line}  error: {error}" if error else line


def duration(seconds: float) -> str:
    """``4.2s``, ``3m12s`` or ``1h02m``."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def first_line(text: str | None) -> str:
    """The first non-empty line of ``text`` (empty for None)."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


# --------------------------------------------------------------------------- quarantine


def cmd_quarantine(args: argparse.Namespace) -> int:
    """``scholarflow quarantine``: the records kept unparsed, or one of them in full."""
    from sqlalchemy import select

    from models.provenance import QuarantinedRecord

    with open_cli_database(args)() as session:
        if args.show is not None:
            return _show_quarantined(session, args.show, as_json=args.json)
        stmt = select(QuarantinedRecord).order_by(QuarantinedRecord.id.desc())
        if args.source:
            stmt = stmt.where(_source_filter(QuarantinedRecord.source, args.source))
        rows = [_quarantined_dict(r) for r in session.scalars(stmt)]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        print("(no quarantined records)")
    else:
        for row in rows:
            print(
                f"{row['id']:>5}  {row['source']}  {row['source_id'] or '-'}  "
                f"{row['first_seen'][:19]}Z  run {row['run_id'] or '-'}  "
                f"{first_line(row['reason'])}"
            )
        print(f"{len(rows)} record(s); see one with: scholarflow quarantine --show ID")
    return 0


def _quarantined_dict(record: QuarantinedRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "source": record.source,
        "source_id": record.source_id,
        "first_seen": record.first_seen.isoformat(),
        "run_id": record.last_run_id,
        "reason": record.reason,
        "payload_chars": len(record.payload),
    }


def _show_quarantined(session: Session, record_id: int, *, as_json: bool) -> int:
    from models.provenance import QuarantinedRecord

    record = session.get(QuarantinedRecord, record_id)
    if record is None:
        raise UserError(f"no quarantined record {record_id}; see `scholarflow quarantine`")
    data = _quarantined_dict(record)
    payload = scrub_secrets(record.payload)
    data["payload"] = payload[:PAYLOAD_LIMIT]
    data["payload_truncated"] = len(payload) > PAYLOAD_LIMIT
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"quarantined record {data['id']}: {data['source']} {data['source_id'] or '-'}")
    print(f"first seen {data['first_seen']}, last run {data['run_id'] or '-'}")
    print(f"reason:\n{data['reason']}")
    print(f"payload ({data['payload_chars']} characters):")
    print(data["payload"])
    if data["payload_truncated"]:
        print(
            f"[payload truncated: first {PAYLOAD_LIMIT} of {data['payload_chars']} characters; "
            "the whole payload is in quarantined_record.payload]"
        )
    return 0


def scrub_secrets(text: str) -> str:
    """``text`` with secret query values, URL passwords and the configured secrets (GitHub
    token, ScraperAPI key, proxy URL) masked. Payloads are source data, so this is a guard,
    not an expected case."""
    for name in SECRET_ENV:
        value = os.environ.get(name, "").strip()
        if len(value) >= 4:
            text = text.replace(value, "***")
    text = _SECRET_QUERY.sub(r"\1***", text)
    return _URL_PASSWORD.sub(r"\1***@", text)


# --------------------------------------------------------------------------- tracked authors


def cmd_tracking(args: argparse.Namespace) -> int:
    """``authors deactivate|activate|remove NAME``. Raises UserError for an untracked name."""
    from sqlalchemy import delete, func, select

    from models.authors import AuthorIdentifier, TrackedAuthor
    from models.provenance import HarvestCursor

    action = args.authors_command
    with open_cli_database(args)() as session:
        tracked = session.scalar(
            select(TrackedAuthor).where(func.lower(TrackedAuthor.name) == args.name.strip().lower())
        )
        if tracked is None:
            raise UserError(
                f"{args.name!r} is not a tracked author; see `scholarflow authors list`"
            )
        name = tracked.name
        if action == "remove":
            # A later tracked author may get the same id (SQLite reuses the highest rowid):
            # its cursors and its "tracked" mark must not carry over to them.
            session.execute(
                delete(HarvestCursor).where(HarvestCursor.key == f"author:{tracked.id}")
            )
            session.execute(
                delete(AuthorIdentifier).where(
                    AuthorIdentifier.scheme == "tracked", AuthorIdentifier.value == str(tracked.id)
                )
            )
            _unlink_scholar_profiles(session, tracked.id)
            session.delete(tracked)
            message = f"no longer tracking {name}; their works and source records stay"
        else:
            tracked.active = action == "activate"
            state = (
                "active"
                if tracked.active
                else "inactive: harvests skip them unless named with --author"
            )
            message = f"{name} is {state}"
        session.commit()
    print(message)
    return 0


def check_scholar_id_free(session: Session, scholar_id: str, name: str) -> None:
    """Raises UserError when a tracked author other than ``name`` (as ``authors add`` matches
    it: exactly) has ``scholar_id``; the column is unique."""
    from sqlalchemy import select

    from models.authors import TrackedAuthor

    holder = session.scalar(
        select(TrackedAuthor.name).where(
            TrackedAuthor.scholar_id == scholar_id, TrackedAuthor.name != name.strip()
        )
    )
    if holder is not None:
        raise UserError(f"Scholar id {scholar_id} is already tracked for {holder!r}")


def _unlink_scholar_profiles(session: Session, tracked_id: int) -> None:
    """Keep the Scholar profiles (and their history) of a removed author, unlinked."""
    from sqlalchemy import update

    from models.scholar.tables import ScholarProfile

    session.execute(
        update(ScholarProfile)
        .where(ScholarProfile.tracked_author_id == tracked_id)
        .values(tracked_author_id=None)
    )
