"""``scholarflow demo`` in-process: a failing part does not stop the others, missing data is a
clear usage error, the S2 author part prints metrics that match the recording. (The full demo
as a user runs it is in test_cli.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES
from listed_papers import CANTLEY_SAME_PAPERS, TURING_TWICE, h_index, paper_groups, work_counts

from flows.cli import demo, demo_sources
from flows.cli.main import main
from harvesters.errors import HarvestError


def test_a_failing_part_is_reported_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(_sessions, _progress):  # type: ignore[no-untyped-def]
        raise HarvestError("the ACL data could not be read")

    parts = [
        (label, what, broken if label == "ACL Anthology" else part)
        for label, what, part in demo.PARTS
    ]
    monkeypatch.setattr(demo, "PARTS", parts)

    code = main(["--database-url", f"sqlite:///{tmp_path / 'demo.db'}", "demo"])

    out = capsys.readouterr()
    assert code == 1
    assert "failed: ACL Anthology: HarvestError: the ACL data could not be read" in out.err
    runs = [line.split()[2] for line in out.out.splitlines() if line.startswith("run ")]
    assert runs == [
        "arxiv/authors:",
        "arxiv/ids:",
        "arxiv/window:",
        "arxiv/window:",
        "scholar/profiles:",
        "github/repositories:",
        "s2/authors:",
        "s2/authors:",
        "openalex/authors:",
    ]
    assert "James Henderson" not in out.out  # never tracked: its part failed first
    assert (tmp_path / "demo-output" / "8daWuo4AAAAJ" / "gs_data.json").is_file()
    # The replayed S2 list of Lewis C. Cantley, followed by S2 author id, with its metrics
    # worked out here from the recorded pages themselves.
    pages = sorted(demo_sources.S2_AUTHOR_RECORDINGS.glob("*.json"))
    papers = [
        p for f in pages for p in json.loads(json.loads(f.read_text("utf-8"))["body"])["data"]
    ]
    # One work per paper (S2 lists some twice), each counted once with its highest count.
    counts = work_counts(papers, paper_groups(papers, CANTLEY_SAME_PAPERS))
    i10 = sum(1 for n in counts if n >= 10)
    assert len(pages) == 9 and len(papers) == len({p["paperId"] for p in papers}) == 879
    works = len(counts)
    assert works == 857
    assert (
        f"Lewis C. Cantley: {works} works, citations {sum(counts)}, h {h_index(counts)}, "
        f"i10 {i10}, "
    ) in out.out
    assert f"{works} of {works} works with a citation count: s2 {works}" in out.out
    # A. Turing, from the real author object Author.json: 60 records of 59 papers.
    turing = json.loads((FIXTURES / "s2" / "originals" / "Author.json").read_text("utf-8"))
    counts = work_counts(turing["papers"], paper_groups(turing["papers"], TURING_TWICE))
    assert len(counts) == 59
    assert (
        f"Alan M. Turing: {len(counts)} works, citations {sum(counts)}, h {h_index(counts)}, "
    ) in out.out


def test_missing_demo_data_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = tmp_path / "tests" / "fixtures" / "github" / "recordings" / "listing"
    monkeypatch.setattr(
        demo_sources, "DEMO_DATA", (*demo_sources.DEMO_DATA[:3], gone, *demo_sources.DEMO_DATA[4:])
    )

    code = main(["--database-url", f"sqlite:///{tmp_path / 'demo.db'}", "demo"])

    assert code == 2
    assert f"demo data not found at {gone}; run from a clone" in capsys.readouterr().err
    assert not (tmp_path / "demo.db").exists()  # nothing was started
