"""The ``scholarflow`` command line. Parsing only: commands import their modules lazily so
``scholarflow --help`` stays fast (Prefect alone takes seconds to import)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from flows.cli import citations as citation_commands
from flows.cli import identity as identity_commands
from flows.cli import metrics as metrics_commands
from flows.cli import operations as operation_commands
from flows.cli import scholar as scholar_commands
from flows.sources import SOURCES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scholarflow",
        description="Harvest scholarly metadata into one database and summarise authors.",
    )
    parser.add_argument(
        "--database-url",
        help="SQLAlchemy URL (default: $SCHOLARFLOW_DATABASE_URL, else sqlite:///scholarflow.db)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress messages and no summary of runs that succeeded (errors still print)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply all migrations")

    authors = sub.add_parser("authors", help="tracked authors").add_subparsers(
        dest="authors_command", required=True
    )
    add = authors.add_parser("add", help="track an author (or update their handles)")
    add.add_argument("name")
    add.add_argument("--arxiv-query", help='arXiv API query (default: au:"NAME")')
    add.add_argument("--scholar-id", help="a Scholar user id or profile URL")
    add.add_argument("--github", dest="github_login")
    add.add_argument("--acl-id", dest="acl_person_id")
    add.add_argument(
        "--orcid",
        help="ORCID iD (or its orcid.org URL): `harvest openalex-authors` lists their works "
        "by it when no --openalex-id is given",
    )
    add.add_argument(
        "--s2-id",
        dest="s2_author_id",
        metavar="ID",
        help="Semantic Scholar author id (digits): `harvest s2-authors` lists their papers",
    )
    add.add_argument(
        "--openalex-id",
        dest="openalex_author_id",
        metavar="ID",
        help="OpenAlex author id (A and digits, or its openalex.org URL): "
        "`harvest openalex-authors` lists their works",
    )
    listing = authors.add_parser("list", help="list tracked authors")
    listing.add_argument("--json", action="store_true")

    harvest = sub.add_parser(
        "harvest",
        help="harvest sources now",
        description="Without --id or --set: the tracked authors' queries, incrementally. "
        "--set harvests an OAI-PMH date window; --id fetches papers by arXiv id.",
    )
    harvest.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help=f"sources to harvest, run in this order: {', '.join(SOURCES)} (default: all)",
    )
    harvest.add_argument("--since", type=_date, help="YYYY-MM-DD: from this date")
    harvest.add_argument("--until", type=_date, help="YYYY-MM-DD: up to this date (needs --since)")
    harvest.add_argument(
        "--author",
        action="append",
        dest="authors",
        metavar="NAME",
        help="only this tracked author (repeatable)",
    )
    harvest.add_argument(
        "--id",
        action="append",
        dest="ids",
        metavar="ARXIV_ID",
        help="fetch this arXiv paper, e.g. 2104.12255, 2104.12255v1, hep-ex/0406020 (repeatable)",
    )
    harvest.add_argument(
        "--set",
        action="append",
        dest="sets",
        metavar="SET",
        help="OAI-PMH set for a date window, e.g. cs (repeatable)",
    )
    harvest.add_argument("--metadata-prefix", choices=("arXiv", "oai_dc"), default="arXiv")
    harvest.add_argument("--max-pages", type=int, help="stop a window after N pages (resumable)")
    scholar_commands.add_harvest_options(harvest)
    citation_commands.add_harvest_options(harvest)
    harvest.add_argument(
        "--github-login",
        action="append",
        dest="github_logins",
        metavar="LOGIN",
        help="GitHub: also list this login's repositories (repeatable)",
    )
    harvest.add_argument(
        "--repo",
        action="append",
        dest="github_repos",
        metavar="OWNER/NAME",
        help="GitHub: follow this repository, a name or URL (repeatable)",
    )
    harvest.add_argument(
        "--code-link",
        action="append",
        dest="github_code_links",
        metavar="SCHEME:ID=URL",
        help="GitHub: attach a repository to a work, e.g. arxiv:1605.08386=https://github.com/o/r",
    )
    harvest.add_argument(
        "--github-refresh",
        choices=("auto", "graphql", "rest"),
        default="auto",
        help="GitHub: refresh known repositories via GraphQL (needs GITHUB_TOKEN) or REST "
        "(default auto: GraphQL when a token is set)",
    )
    harvest.add_argument(
        "--on-rate-limit",
        choices=("wait", "stop"),
        default="wait",
        help="GitHub: when the rate budget runs out, wait for the reset or stop (resumable)",
    )
    harvest.add_argument(
        "--data-dir",
        metavar="DIR",
        help="ACL: read this acl-anthology checkout (or folder with its data/ layout) instead "
        "of syncing a copy from GitHub",
    )
    harvest.add_argument(
        "--venue", dest="acl_venue", metavar="VENUE", help="ACL: backfill this venue id, e.g. acl"
    )
    harvest.add_argument(
        "--years",
        dest="acl_years",
        metavar="Y[-Y]",
        help="ACL: backfill these years, e.g. 2023 or 2020-2023",
    )
    mode = harvest.add_mutually_exclusive_group()
    mode.add_argument("--replay", metavar="DIR", help="answer every request from recordings")
    mode.add_argument("--record", metavar="DIR", help="save every live exchange into DIR")
    harvest.add_argument(
        "--prefect",
        action="store_true",
        help="run as a Prefect flow run (uses PREFECT_API_URL or a temporary server)",
    )

    works = sub.add_parser("works", help="list canonical works")
    works.add_argument("--author", metavar="NAME")
    works.add_argument("--json", action="store_true")

    show = sub.add_parser("show", help="what is known about an author")
    show.add_argument("author", metavar="AUTHOR")
    show.add_argument("--json", action="store_true")
    metrics_commands.add_show_options(show)

    serve = sub.add_parser("serve", help="serve the Prefect deployments (nightly, backfill)")
    serve.add_argument("--cron", default="0 3 * * *", help="nightly schedule (default 03:00)")
    serve.add_argument("--timezone", default="UTC")

    sub.add_parser("demo", help="run the whole pipeline offline on shipped recordings")
    export = scholar_commands.add_commands(sub)
    metrics_commands.add_commands(sub, export)
    identity_commands.add_commands(sub)
    operation_commands.add_commands(sub, authors)
    return parser


def _date(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code (0 ok, 1 failed, 2 bad usage)."""
    args = build_parser().parse_args(argv)
    from flows.cli import commands

    try:
        return commands.dispatch(args)
    except commands.UserError as exc:
        print(f"scholarflow: error: {exc}", file=sys.stderr)
        return 2
    except commands.RetrySettingsError as exc:  # a bad SCHOLARFLOW_*_RETRY_* value
        print(f"scholarflow: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("scholarflow: interrupted; committed work is kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
