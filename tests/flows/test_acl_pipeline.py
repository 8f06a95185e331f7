"""ACL pipelines on SQLite and PostgreSQL: backfill, tracked authors, incremental re-parsing,
idempotence, quarantine, and an arXiv preprint and its ACL paper counted once."""

# Expected values hold the files' own characters (Greek letters, en dashes).
# ruff: noqa: RUF001

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.acl import AclAuthor, harvest_acl_authors, harvest_acl_venue
from flows.pipelines.runs import load_items
from harvesters.acl.data import LocalAnthology
from harvesters.acl.parse import parse_collection
from harvesters.records import AuthorName, WorkRecord
from models.authors import Authorship, TrackedAuthor
from models.provenance import QuarantinedRecord, SourceRecord
from models.queries import add_tracked_author, list_works, table_counts
from models.runs import start_run
from models.works import Work, WorkIdentifier, WorkLink

ACL = FIXTURES / "acl"
REAL = sorted((ACL / "xml").glob("*.xml"))
PAPERS = sum(len(ET.parse(p).getroot().findall("./volume/paper")) for p in REAL)  # 61


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder with the repository's layout holding copies of the real files."""
    folder = tmp_path / "acl" / "data" / "xml"
    folder.mkdir(parents=True)
    for path in REAL:
        shutil.copy(path, folder / path.name)
    return tmp_path / "acl"


class CountingParse:
    """parse_collection, remembering which collection files it was asked to parse."""

    def __init__(self) -> None:
        self.parsed: list[str] = []

    def __call__(self, content: bytes, collection_id: str, **kw: Any) -> Iterable[Any]:
        self.parsed.append(collection_id)
        return parse_collection(content, collection_id, **kw)


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        counts = table_counts(session)
        counts["quarantined_record"] = session.scalar(
            select(func.count()).select_from(QuarantinedRecord)
        )
        return counts


def test_backfill_twice_adds_no_rows(sessions: sessionmaker[Session], data_dir: Path) -> None:
    data = LocalAnthology(data_dir)
    first = harvest_acl_venue(sessions, data, None, year_from=2020, year_to=2024)
    assert first.status == "succeeded"
    assert first.counts["inserted"] == PAPERS == 61
    assert first.cursor["files_parsed"] == [p.stem for p in REAL]
    after_first = _counts(sessions)
    assert after_first["work"] == 61
    assert after_first["source_record"] == 61

    again = harvest_acl_venue(sessions, data, None, year_from=2020, year_to=2024)
    assert again.cursor["files_parsed"] == []
    assert again.cursor["files_unchanged"] == 4
    # Another scope parses the same files again: the loader finds every paper unchanged.
    other = harvest_acl_venue(sessions, data, "insights", year_from=2024)
    assert other.cursor["files_parsed"] == ["2024.insights"]
    assert other.counts == {
        "fetched": 19,
        "inserted": 0,
        "updated": 0,
        "unchanged": 19,
        "quarantined": 0,
    }
    assert _counts(sessions) == after_first


def test_nightly_after_one_file_changed_parses_only_that_file(
    sessions: sessionmaker[Session], data_dir: Path
) -> None:
    with sessions() as session:
        add_tracked_author(session, "James Henderson", acl_person_id="james-henderson")
        session.commit()
    authors = [AclAuthor("James Henderson", tracked_id=1, acl_id="james-henderson")]
    data = LocalAnthology(data_dir)
    parse = CountingParse()
    first = harvest_acl_authors(sessions, data, authors, parse=parse)
    assert parse.parsed == [p.stem for p in REAL]
    assert first.counts["inserted"] == 2

    bigpicture = data_dir / "data" / "xml" / "2023.bigpicture.xml"
    bigpicture.write_bytes(
        bigpicture.read_bytes().replace(b"<month>December</month>", b"<month>November</month>")
    )
    parse.parsed.clear()
    nightly = harvest_acl_authors(sessions, data, authors, parse=parse)
    assert parse.parsed == ["2023.bigpicture"]
    assert nightly.cursor["files_parsed"] == ["2023.bigpicture"]
    assert nightly.cursor["files_unchanged"] == 3
    assert nightly.counts["updated"] == 1  # his bigpicture paper: the volume's month changed
    with sessions() as session:
        months = session.scalars(select(Work.month).where(Work.year == 2023)).all()
    assert sorted(months) == ["July", "November"]

    parse.parsed.clear()
    harvest_acl_authors(sessions, data, authors, parse=parse)
    assert parse.parsed == []
    # New handles for the author: every file is parsed again for them.
    changed = [AclAuthor("James Henderson", 1, "james-henderson", "0000-0003-0000-0001")]
    harvest_acl_authors(sessions, data, changed, parse=parse)
    assert parse.parsed == [p.stem for p in REAL]


def test_tracked_author_papers_are_attributed(
    sessions: sessionmaker[Session], data_dir: Path
) -> None:
    with sessions() as session:
        tracked = add_tracked_author(session, "James Henderson", acl_person_id="james-henderson")
        session.commit()
        tracked_id, author_id = tracked.id, tracked.author_id
    authors = [AclAuthor("James Henderson", tracked_id, acl_id="james-henderson")]
    summary = harvest_acl_authors(sessions, LocalAnthology(data_dir), authors)
    assert summary.counts["fetched"] == 2
    with sessions() as session:
        works = list_works(session, author="James Henderson")
        assert sorted(w.identifiers["acl"] for w in works) == [
            "2023.bigpicture-1.8",  # 2023.bigpicture.xml line 91
            "2023.repl4nlp-1.15",  # 2023.repl4nlp.xml line 193
        ]
        positions = session.execute(
            select(Authorship.raw_name, Authorship.affiliations).where(
                Authorship.author_id == author_id
            )
        ).all()
        assert positions == [("James Henderson", ["Idiap Research Institute"])] * 2
        assert session.get_one(TrackedAuthor, tracked_id).author_id == author_id


@pytest.mark.parametrize(
    ("tracked", "printed", "expected"),
    [
        (AclAuthor("Noah Smith", acl_id="noah-a-smith"), AuthorName("Noah A. Smith"), True),
        (
            AclAuthor("Noah Smith", acl_id="noah-a-smith"),
            AuthorName("Noah A. Smith", ids={"acl": "noah-a-smith-uw"}),
            False,
        ),
        (AclAuthor("Noah Smith"), AuthorName("Noah A. Smith"), True),
        (AclAuthor("Noah Smith"), AuthorName("Noel Smith"), False),
        (AclAuthor("Mika Hamalainen"), AuthorName("Mika Hämäläinen"), True),
        (
            AclAuthor("X", orcid="0000-0001-2345-6789"),
            AuthorName("Someone Else", ids={"orcid": "0000-0001-2345-6789"}),
            True,
        ),
        (
            AclAuthor("Noah Smith", orcid="0000-0001-2345-6789"),
            AuthorName("Noah Smith", ids={"orcid": "0000-0009-9999-9999"}),
            False,
        ),
    ],
)
def test_tracked_author_matching(tracked: AclAuthor, printed: AuthorName, expected: bool) -> None:
    assert tracked.matches(printed) is expected


def test_proceedings_fields_links_and_quarantine_are_stored(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "xml"
    folder.mkdir()
    shutil.copy(ACL / "constructed" / "constructed_2099.markup.xml", folder / "2099.markup.xml")
    summary = harvest_acl_venue(sessions, LocalAnthology(tmp_path), "markup")
    assert summary.counts == {
        "fetched": 3,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "quarantined": 1,
    }
    with sessions() as session:
        work_id = session.scalar(
            select(WorkIdentifier.work_id).where(WorkIdentifier.value == "2099.markup-main.1")
        )
        work = session.get_one(Work, work_id)
        assert (work.title, work.month, work.pages) == (
            "BERT Needs O(n²) Memory: An α-Study",
            "May",
            "1–9",
        )
        assert work.venue == "Proceedings of the Markup Workshop"
        assert work.venues == ["markup", "ws"]
        assert work.awards == ["Best Paper Award", "Outstanding Reviewer Award"]
        assert work.editors[0] == {
            "name": "Ada Lovelace",
            "affiliations": ["Analytical Engines Ltd"],
            "ids": {"acl": "ada-lovelace", "orcid": "0000-0002-1825-0097"},
        }
        links = {
            (kind, label, url)
            for kind, label, url in session.execute(
                select(WorkLink.kind, WorkLink.label, WorkLink.url).where(
                    WorkLink.work_id == work_id
                )
            )
        }
        assert ("pdf", None, "https://aclanthology.org/2099.markup-main.1.pdf") in links
        assert ("code", None, "https://github.com/example/markup-paper") in links
        assert ("page", None, "https://aclanthology.org/2099.markup-main.1/") in links
        assert (
            "attachment",
            "software",
            "https://aclanthology.org/attachments/2099.markup-main.1.software.zip",
        ) in links
        assert len(links) == 10
        identifiers = dict(
            session.execute(
                select(WorkIdentifier.scheme, WorkIdentifier.value).where(
                    WorkIdentifier.work_id == work_id
                )
            ).all()
        )
        assert identifiers == {"acl": "2099.markup-main.1", "doi": "10.18653/v1/2099.markup-main.1"}
        quarantined = session.scalars(select(QuarantinedRecord)).one()
        assert (quarantined.source, quarantined.source_id) == ("acl", "2099.markup-main.2")
        assert quarantined.reason == "paper without a title"


def test_malformed_file_is_quarantined_and_the_rest_loads(
    sessions: sessionmaker[Session], data_dir: Path
) -> None:
    broken = data_dir / "data" / "xml" / "2099.broken.xml"
    shutil.copy(ACL / "constructed" / "constructed_broken.xml", broken)
    data = LocalAnthology(data_dir)
    first = harvest_acl_venue(sessions, data, None, year_from=2020)
    assert first.status == "partial"  # quarantined input: not a clean run
    assert first.counts["inserted"] == 61
    assert first.counts["quarantined"] == 1
    assert first.cursor["files_quarantined"] == ["2099.broken"]
    # The broken file is not marked as parsed: it is tried again, and stored once.
    again = harvest_acl_venue(sessions, data, None, year_from=2020)
    assert again.cursor["files_parsed"] == ["2099.broken"]
    with sessions() as session:
        row = session.scalars(select(QuarantinedRecord)).one()
        assert row.source_id == "2099.broken"
        assert "malformed ACL Anthology XML" in row.reason
        assert row.payload == broken.read_text()


def test_preprint_and_its_acl_paper_are_one_work(
    sessions: sessionmaker[Session], data_dir: Path
) -> None:
    preprint = WorkRecord(
        source="arxiv-api",
        source_id="2310.00001",
        title="Where are We in Event-centric Emotion Analysis?",
        raw="<entry>built for this test</entry>",
        raw_format="atom-entry",
        authors=(AuthorName("Roman Klinger"),),
        identifiers={"arxiv": "2310.00001", "doi": "10.18653/v1/2023.bigpicture-1.1"},
        year=2023,
    )
    with sessions() as session:
        run = start_run(session, "arxiv", "ids", {})
        load_items(session, run.id, [preprint])
        session.commit()
    harvest_acl_venue(sessions, LocalAnthology(data_dir), "bigpicture", year_from=2023)
    with sessions() as session:
        work_ids = set(
            session.scalars(
                select(SourceRecord.work_id).where(
                    SourceRecord.source_id.in_(["2310.00001", "2023.bigpicture-1.1"])
                )
            )
        )
        assert len(work_ids) == 1
        work = session.get_one(Work, work_ids.pop())
        assert work.canonical_source == "acl"
        assert work.title.startswith("Where are We in Event-centric Emotion Analysis? Bridging")
        schemes = set(
            session.scalars(select(WorkIdentifier.scheme).where(WorkIdentifier.work_id == work.id))
        )
        assert schemes == {"acl", "arxiv", "doi"}
