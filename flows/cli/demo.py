"""``scholarflow demo``: the whole pipeline, offline, on the data shipped in the repo.

One part per source (arXiv, ACL Anthology, Google Scholar, GitHub, Semantic Scholar author
papers, OpenAlex author works; see flows.cli.demo_sources), each its own harvest run(s); a part
that fails is reported and the others still run. Then the Scholar authors' AcadHomepage files
are written next to the database, the tracked authors' metrics are worked out (not stored), and
the runs, works, tracked authors and metric headlines are printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker

from flows.cli import report
from flows.cli.demo_sources import (
    export_scholar,
    harvest_acl_data,
    harvest_github_recordings,
    harvest_openalex_author_recordings,
    harvest_recordings,
    harvest_s2_author_recordings,
    harvest_scholar_recordings,
    missing_data,
    tracked_names,
)
from flows.pipelines.arxiv import HarvestSummary, Progress
from flows.runtime import open_database
from models.github.tables import GitHubRepository, GitHubRepositorySnapshot
from models.queries import UnknownAuthorError, author_summary, list_works, table_counts
from models.scholar.store import author_scholar_metrics
from models.scholar.tables import ScholarObservation, ScholarProfile, ScholarPublication

T = TypeVar("T")
OUTPUT_DIR = "demo-output"
PARTS = [
    ("arXiv", "replaying recorded arXiv responses", harvest_recordings),
    ("ACL Anthology", "reading the shipped ACL collection files", harvest_acl_data),
    ("Google Scholar", "replaying recorded Scholar profile pages", harvest_scholar_recordings),
    ("GitHub", "replaying a recorded GitHub repository listing", harvest_github_recordings),
    (
        "Semantic Scholar",
        "replaying a recorded S2 author paper list (followed by S2 author id)",
        harvest_s2_author_recordings,
    ),
    (
        "OpenAlex",
        "replaying a constructed OpenAlex author work list (followed by OpenAlex author id)",
        harvest_openalex_author_recordings,
    ),
]
SOURCE_TABLES = (
    ScholarProfile,
    ScholarPublication,
    ScholarObservation,
    GitHubRepository,
    GitHubRepositorySnapshot,
)


class DemoDataMissing(RuntimeError):
    """The data the demo replays is not there (an installation without tests/)."""


def output_dir(url: URL) -> Path:
    """``demo-output`` next to a SQLite database file, else in the working directory."""
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).parent / OUTPUT_DIR
    return Path(OUTPUT_DIR)


def _author_texts(session: Session) -> list[str]:
    """What is known of each author the demo tracks: works, co-authors, repositories and
    stars, Scholar numbers."""
    texts = []
    for name in tracked_names():
        try:
            summary = author_summary(session, name)
        except UnknownAuthorError:  # its part failed before tracking it
            continue
        scholar = author_scholar_metrics(session, summary.author_id)
        texts.append(report.author_text(summary, scholar))
    return texts


def _metric_headlines(sessions: sessionmaker[Session]) -> list[str]:
    """One headline per active tracked author (works, citations, h, i10, g, coverage), the
    summary ``scholarflow metrics`` computes, worked out from the current inputs without
    storing it (``scholarflow metrics`` afterwards still records the first summaries)."""
    from flows.cli.metrics import headline
    from models.base import utcnow
    from models.metrics.store import scope_author_ids
    from models.metrics.summaries import read_inputs, summarize

    year = utcnow().year
    with sessions() as session:
        inputs = read_inputs(session, scope_author_ids(session))
    summaries = [summarize(i, current_year=year) for i in inputs.values()]
    return [headline(s) for s in sorted(summaries, key=lambda s: s["name"])]


def run_demo(database_url: str | None, progress: Progress | None) -> int:
    """Harvest the shipped data of every source into the database and print what was stored.
    Returns 1 when a part failed or a run did not succeed, else 0.

    Raises DemoDataMissing when run from an installation without the repository's tests/.
    """
    missing = missing_data()
    if missing:
        raise DemoDataMissing(f"demo data not found at {missing[0]}; run from a clone")
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    say("migrating the database")
    sessions = open_database(database_url)
    url = sessions.kw["bind"].url
    say(f"database: {url.render_as_string(hide_password=True)}")
    failures: list[str] = []

    def attempt(label: str, job: Callable[[], T]) -> T | None:
        try:
            return job()
        except Exception as exc:  # one part failing must not stop the others
            failures.append(f"{label}: {type(exc).__name__}: {exc}")
            say(f"{label}: failed, going on with the next part")
            return None

    runs: list[HarvestSummary] = []
    for label, what, part in PARTS:
        say(f"{label}: {what}")
        runs += attempt(label, lambda part=part: part(sessions, progress)) or []
    directory = output_dir(url)
    say(f"Google Scholar: writing the AcadHomepage files into {directory}")
    written = attempt("gs-data export", lambda: export_scholar(sessions, directory)) or []

    say("metrics: working out the tracked authors' summaries")
    headlines = attempt("metrics", lambda: _metric_headlines(sessions)) or []
    with sessions() as session:
        works = list_works(session)
        authors = _author_texts(session)
        counts = table_counts(session)
        for model in SOURCE_TABLES:
            counts[model.__tablename__] = session.scalar(select(func.count()).select_from(model))
    print("== harvest runs")
    for run in runs:
        print(report.run_line(run))
        if run.status != "succeeded":
            failures.append(f"{run.source} run {run.run_id} {run.status}: {run.error}")
    print(f"\n== works stored ({len(works)})")
    # S2's list of one author is hundreds of works: counted, not printed.
    s2_only = [w for w in works if list(w.sources) == ["s2"]]
    print(report.works_text([w for w in works if list(w.sources) != ["s2"]]))
    if s2_only:
        print(
            f"... and {len(s2_only)} work(s) known from Semantic Scholar only; list them with "
            '`scholarflow works --author "Lewis C. Cantley"`'
        )
    print("\n== tracked authors")
    print("\n".join(authors))
    print("\n== metrics (scholarflow metrics)")
    print("\n".join(headlines))
    if written:
        print("\n== AcadHomepage files (scholarflow export gs-data)")
        print("\n".join(str(path) for path in written))
    print("\n== tables: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    print(
        f"demo finished in {time.perf_counter() - started:.1f}s; try `scholarflow works` or "
        f'`scholarflow show "Adrian Del Maestro"`'
    )
    return 1 if failures else 0
