"""The demo's harvests, one part per source, on the data shipped under ``tests/fixtures``.

Each part tracks its demo author(s), then calls the pipeline functions ``scholarflow harvest``
calls, offline: replayed HTTP recordings (arXiv, Google Scholar, GitHub) or a local data
folder (ACL Anthology), with no politeness delays since nothing goes out. Each returns the
summaries of the harvest runs it made and raises what the pipeline raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from flows.cli.acl import acl_tracked_authors, open_data
from flows.pipelines.acl import harvest_acl_authors
from flows.pipelines.arxiv import (
    AuthorQuery,
    HarvestSummary,
    Progress,
    harvest_arxiv_authors,
    harvest_arxiv_ids,
    harvest_arxiv_window,
)
from flows.pipelines.citations import openalex_harvester, s2_harvester
from flows.pipelines.github import github_harvester, harvest_github, tracked_github_logins
from flows.pipelines.openalex_authors import harvest_openalex_authors, tracked_openalex_authors
from flows.pipelines.s2_authors import harvest_s2_authors, tracked_s2_authors
from flows.pipelines.scholar import export_gs_data, harvest_scholar_profiles, scholar_harvester
from flows.runtime import arxiv_api_harvester, arxiv_oai_harvester, http_mode
from harvesters.scholar.settings import ScholarSettings
from models.queries import add_tracked_author
from models.scholar.store import tracked_scholar_targets

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
RECORDINGS = FIXTURES / "arxiv" / "recordings"
ACL_DATA = FIXTURES / "acl" / "xml"
SCHOLAR_RECORDINGS = FIXTURES / "scholar" / "recordings"
GITHUB_RECORDINGS = FIXTURES / "github" / "recordings" / "listing"
S2_AUTHOR_RECORDINGS = FIXTURES / "s2" / "recordings" / "author_papers"
S2_TURING_RECORDINGS = FIXTURES / "s2" / "recordings" / "author_turing"
OPENALEX_AUTHOR_RECORDINGS = FIXTURES / "openalex" / "recordings" / "authors"
DEMO_DATA = (
    RECORDINGS,
    ACL_DATA,
    SCHOLAR_RECORDINGS,
    GITHUB_RECORDINGS,
    S2_AUTHOR_RECORDINGS,
    S2_TURING_RECORDINGS,
    OPENALEX_AUTHOR_RECORDINGS,
)

# Tracked authors and what the recordings hold for them. The Del Maestro query was recorded by
# arxiv.py in 2016 with relevance order and 10 results a page; the demo asks the same.
DEMO_AUTHORS = [("Adrian Del Maestro", "au:del_maestro"), ("Tobias Windisch", None)]
DEMO_IDS = ["1605.08386", "2104.12255v1", "astro-ph/0601001", "hep-ex/0406020v1", "1707.08567"]
# The ACL person id the Anthology gives James Henderson (two papers in the 2023 files).
ACL_AUTHORS = {"James Henderson": "james-henderson"}
# The three recorded profile pages (see tests/fixtures/scholar/PROVENANCE.md).
SCHOLAR_AUTHORS = {
    "Anne Kietzig": "8daWuo4AAAAJ",
    "Junqiao Fan": "5cEG4tIAAAAJ",
    "Matthias König": "xD9IjnYAAAAJ",
}
# The recorded unauthenticated REST listing of jacquev6's repositories (one page, 10 repos).
GITHUB_AUTHORS = {"Vincent Jacques": "jacquev6"}
# S2 authors (tests/fixtures/s2): the recorded paper list of Lewis C. Cantley (9 pages, 879
# papers; no recorded /author answer, so S2's own numbers are not asked), and A. Turing's real
# author object Author.json (S2's own numbers, and the 60 papers it embeds as one page).
S2_AUTHORS = {"Lewis C. Cantley": "1723755", "Alan M. Turing": "2262347"}
S2_REPLAYS = {
    "Lewis C. Cantley": (S2_AUTHOR_RECORDINGS, False),
    "Alan M. Turing": (S2_TURING_RECORDINGS, True),
}
# The OpenAlex author of tests/fixtures/openalex: a constructed listing of her three real work
# objects (an article and two preprints of it; see that folder's PROVENANCE.md).
OPENALEX_AUTHORS = {"Zahra Shakeri Hossein Abad": "A5036846358"}


def tracked_names() -> list[str]:
    """Every author the demo tracks, source by source."""
    return [name for name, _ in DEMO_AUTHORS] + [
        *ACL_AUTHORS,
        *SCHOLAR_AUTHORS,
        *GITHUB_AUTHORS,
        *S2_AUTHORS,
        *OPENALEX_AUTHORS,
    ]


def _track(sessions: sessionmaker[Session], handle: str, authors: Mapping[str, str]) -> None:
    with sessions() as session:
        for name, value in authors.items():
            add_tracked_author(session, name, **{handle: value})
        session.commit()


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


def harvest_acl_data(
    sessions: sessionmaker[Session], progress: Progress | None = None
) -> list[HarvestSummary]:
    """Track the ACL demo author and match them in the shipped collection files, read as a
    ``--data-dir`` (no sync)."""
    _track(sessions, "acl_person_id", ACL_AUTHORS)
    authors = acl_tracked_authors(sessions, list(ACL_AUTHORS))
    return [harvest_acl_authors(sessions, open_data(ACL_DATA), authors, progress=progress)]


def harvest_scholar_recordings(
    sessions: sessionmaker[Session], progress: Progress | None = None
) -> list[HarvestSummary]:
    """Track the Scholar demo authors and replay their recorded profile pages. Default
    settings, not the environment's: no proxy, no single-publication fills."""
    _track(sessions, "scholar_id", SCHOLAR_AUTHORS)
    with sessions() as session:
        targets = tracked_scholar_targets(session, list(SCHOLAR_AUTHORS))
    harvester = scholar_harvester(ScholarSettings(), replay=True)
    try:
        with http_mode(replay=SCHOLAR_RECORDINGS):
            return [harvest_scholar_profiles(sessions, harvester, targets, progress=progress)]
    finally:
        harvester.client.close()


def export_scholar(sessions: sessionmaker[Session], directory: Path) -> list[Path]:
    """Write each Scholar demo author's gs_data.json and gs_data_shieldsio.json into
    ``directory/<scholar id>/``; returns the paths written."""
    written: list[Path] = []
    for scholar_id in SCHOLAR_AUTHORS.values():
        written += export_gs_data(sessions, scholar_id, directory / scholar_id)
    return written


def harvest_github_recordings(
    sessions: sessionmaker[Session], progress: Progress | None = None
) -> list[HarvestSummary]:
    """Track the GitHub demo author and replay their recorded repository listing over REST
    (no token). Works' code links are not followed: the repositories they name (e.g. the
    arXiv cs window's github.com/Regan-Zhang/HaDis) have no recorded answer."""
    _track(sessions, "github_login", GITHUB_AUTHORS)
    logins = tracked_github_logins(sessions, list(GITHUB_AUTHORS))
    harvester = github_harvester(token=None, replay=True, on_exhausted="stop")
    with http_mode(replay=GITHUB_RECORDINGS):
        return [
            harvest_github(
                sessions,
                harvester,
                logins=logins,
                work_links=False,
                refresh="rest",
                progress=progress,
            )
        ]


def harvest_s2_author_recordings(
    sessions: sessionmaker[Session], progress: Progress | None = None
) -> list[HarvestSummary]:
    """Track the S2 demo authors by S2 author id and replay what is recorded for each (one
    run per author: their recordings are in folders of their own)."""
    _track(sessions, "s2_author_id", S2_AUTHORS)
    summaries = []
    for author in tracked_s2_authors(sessions, list(S2_AUTHORS)):
        folder, numbers = S2_REPLAYS[author.name]
        with http_mode(replay=folder):
            summary = harvest_s2_authors(
                sessions, s2_harvester(replay=True), [author], numbers=numbers, progress=progress
            )
        if summary is not None:
            summaries.append(summary)
    return summaries


def harvest_openalex_author_recordings(
    sessions: sessionmaker[Session], progress: Progress | None = None
) -> list[HarvestSummary]:
    """Track the OpenAlex demo author by OpenAlex author id and replay her recorded listing."""
    _track(sessions, "openalex_author_id", OPENALEX_AUTHORS)
    authors = tracked_openalex_authors(sessions, list(OPENALEX_AUTHORS))
    with http_mode(replay=OPENALEX_AUTHOR_RECORDINGS):
        summary = harvest_openalex_authors(
            sessions, openalex_harvester(replay=True), authors, progress=progress
        )
    return [summary] if summary is not None else []


def missing_data() -> list[Path]:
    """The demo data folders that are not there (an installation without tests/)."""
    return [folder for folder in DEMO_DATA if not folder.is_dir()]
