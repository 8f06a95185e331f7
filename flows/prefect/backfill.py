"""The ``backfill`` flow: one source for a past date window, with typed parameters that the
Prefect UI renders as a form."""

from datetime import date
from typing import Any, Literal

from prefect import flow, get_run_logger

from flows.prefect.acl import harvest_acl
from flows.prefect.arxiv import MetadataPrefix, harvest_arxiv
from flows.prefect.common import DatabaseUrl
from flows.prefect.github import harvest_github_flow
from flows.prefect.scholar import harvest_scholar

BackfillSource = Literal["arxiv", "acl", "scholar", "github"]


@flow(name="backfill")
def backfill(
    *,
    source: BackfillSource = "arxiv",
    since: date,
    until: date | None = None,
    authors: list[str] | None = None,
    sets: list[str] = ["cs"],  # noqa: B006 - never mutated; the UI form shows it
    metadata_prefix: MetadataPrefix = "arXiv",
    venue: str | None = None,
    acl_data_dir: str | None = None,
    replay_dir: str | None = None,
    database_url: DatabaseUrl | None = None,
    database_secret: str | None = None,
) -> dict[str, Any]:
    """Harvest one source for a past date window (typed parameters: a form in the Prefect UI).

    Checkpoints are stored after every page or file, so a killed backfill started again with
    the same parameters resumes where it stopped. Returns what the source's flow returns and
    raises what it raises.

    - arxiv: the OAI-PMH sets for the window, and the tracked authors since ``since``.
    - acl: every paper of ``venue`` (empty: every venue) from the year of ``since`` to the
      year of ``until``.
    - scholar: the tracked authors' profiles (Scholar has no date window).
    - github: the tracked authors' repositories and every known repository (no date window).

    Args:
        source: Which source to backfill.
        since: First day of the window.
        until: Last day of the window (empty: up to now).
        authors: Tracked authors to re-harvest (empty: all active ones).
        sets: arXiv OAI-PMH sets to harvest for the window.
        metadata_prefix: OAI-PMH metadata format.
        venue: ACL Anthology venue id (acl, emnlp, naacl, findings...) for an acl backfill.
        acl_data_dir: acl: read this acl-anthology checkout (or a folder with its data/ layout)
            as it is, with no sync (empty: sync the managed copy from GitHub first).
        replay_dir: Answer every HTTP request from the recordings in this folder (offline);
            a request with no recording fails.
        database_url: SQLAlchemy URL without a password (one with a password is refused:
            parameters are stored and shown by the Prefect API). Empty: the URL in the
            Secret block ``database_secret``, else SCHOLARFLOW_DATABASE_URL, else the default
            SQLite file.
        database_secret: Name of a Prefect Secret block holding the database URL (the way
            to pass a URL with a password).
    """
    get_run_logger().info("backfill %s from %s to %s", source, since, until or "now")
    common: dict[str, Any] = {
        "replay": replay_dir,
        "database_url": database_url,
        "database_secret": database_secret,
    }
    if source == "arxiv":
        return harvest_arxiv(
            authors=authors,
            sets=sets,
            since=since,
            until=until,
            metadata_prefix=metadata_prefix,
            **common,
        )
    if source == "acl":
        return harvest_acl(
            authors=authors,
            tracked_authors=bool(authors),
            venue=venue,
            year_from=since.year,
            year_to=until.year if until else None,
            data_dir=acl_data_dir,
            **common,
        )
    if source == "github":
        return harvest_github_flow(authors=authors, **common)
    if source == "scholar":
        return harvest_scholar(authors=authors, **common)
    raise ValueError(f"unknown source {source!r}")
