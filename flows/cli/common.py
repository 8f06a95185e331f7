"""What the CLI's command modules share: the usage error, progress lines, the database.

Light at import time (``flows.cli.main`` builds its parser from modules that import this one): the
database is opened, and SQLAlchemy imported, only when a command asks for it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from flows.pipelines.runs import HarvestSummary

# ``attempt(job)`` runs one harvest and records its summary, or its error without stopping
# the other harvests of the same command.
Attempt = Callable[[Callable[[], "HarvestSummary"]], None]


class UserError(Exception):
    """A mistake in what was asked (unknown source, author, bad option); exit code 2."""


def progress(message: str) -> None:
    """One progress line on stderr (``... message``)."""
    print(f"... {message}", file=sys.stderr, flush=True)


def progress_unless_quiet(args: argparse.Namespace) -> Callable[[str], None] | None:
    """``progress``, or None when the command was given ``--quiet``."""
    return None if getattr(args, "quiet", False) else progress


def open_cli_database(args: argparse.Namespace) -> sessionmaker[Session]:
    """A session factory for ``--database-url`` (default: the configured URL), at head.

    Raises UserError (exit code 2, one line, password masked) when the database cannot be
    opened: a malformed URL, a missing directory, a server that does not answer.
    """
    from flows.runtime import DatabaseOpenError, open_database

    try:
        return open_database(args.database_url)
    except DatabaseOpenError as exc:
        raise UserError(str(exc)) from None
