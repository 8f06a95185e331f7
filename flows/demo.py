"""``scholarflow demo``: the whole pipeline, offline, on the recordings shipped in the repo."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from flows import report
from flows.pipeline import (
    AuthorQuery,
    HarvestSummary,
    Progress,
    harvest_arxiv_authors,
    harvest_arxiv_ids,
    harvest_arxiv_window,
)
from flows.runtime import arxiv_api_harvester, arxiv_oai_harvester, http_mode, open_database
from models.queries import add_tracked_author, author_summary, list_works, table_counts

RECORDINGS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "arxiv" / "recordings"
# Tracked authors and what the recordings hold for them. The Del Maestro query was recorded by
# arxiv.py in 2016 with relevance order and 10 results a page; the demo asks the same.
DEMO_AUTHORS = [("Adrian Del Maestro", "au:del_maestro"), ("Tobias Windisch", None)]
DEMO_IDS = ["1605.08386", "2104.12255v1", "astro-ph/0601001", "hep-ex/0406020v1", "1707.08567"]


class DemoDataMissing(RuntimeError):
    """The recordings the demo replays are not there (an installation without tests/)."""


def harvest_recordings(
    sessions: sessionmaker[Session], progress: Progress | None = None
) -> list[HarvestSummary]:
    """Track the demo authors and harvest every shipped arXiv recording once: an author query,
    papers by id, an oai_dc window with a resumption token, an arXiv-format window."""
    with sessions() as session:
        tracked = [add_tracked_author(session, name, arxiv_query=q) for name, q in DEMO_AUTHORS]
        session.commit()
    del_maestro = AuthorQuery(
        "Adrian Del Maestro", "au:del_maestro", "demo:del_maestro", 10, tracked_id=tracked[0].id
    )
    oai = arxiv_oai_harvester(replay=True)
    with http_mode(replay=RECORDINGS):
        return [
            harvest_arxiv_authors(
                sessions,
                arxiv_api_harvester(replay=True, page_size=10),
                [del_maestro],
                sort="relevance",
                progress=progress,
            ),
            harvest_arxiv_ids(
                sessions, arxiv_api_harvester(replay=True), DEMO_IDS, progress=progress
            ),
            harvest_arxiv_window(
                sessions,
                oai,
                set_spec="cs",
                since=date(2024, 1, 25),
                until=None,
                metadata_prefix="oai_dc",
                progress=progress,
            ),
            harvest_arxiv_window(
                sessions,
                oai,
                set_spec="physics:hep-th",
                since=date(2017, 12, 14),
                until=None,
                progress=progress,
            ),
        ]


def run_demo(database_url: str | None, progress: Progress | None) -> int:
    """Harvest the recorded arXiv responses into the database and print what was stored.

    Raises DemoDataMissing when run from an installation without the repository's tests/.
    """
    if not RECORDINGS.is_dir():
        raise DemoDataMissing(f"demo recordings not found at {RECORDINGS}; run from a clone")
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    say("migrating the database")
    sessions = open_database(database_url)
    engine = sessions.kw["bind"]
    say(f"database: {engine.url.render_as_string(hide_password=True)}")
    say(f"replaying recorded arXiv responses from {RECORDINGS}")
    runs = harvest_recordings(sessions, progress)
    with sessions() as session:
        works = list_works(session)
        counts = table_counts(session)
        summaries = [author_summary(session, name) for name, _ in DEMO_AUTHORS]
    print("== harvest runs")
    for run in runs:
        print(report.run_line(run))
    print(f"\n== works stored ({len(works)})")
    print(report.works_text(works))
    print("\n== tracked authors")
    for summary in summaries:
        print(report.author_text(summary))
    print("\n== tables: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(
        f"demo finished in {time.perf_counter() - started:.1f}s; try `scholarflow works` or "
        f'`scholarflow show "Adrian Del Maestro"`'
    )
    return 0
