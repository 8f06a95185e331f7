"""``scholarflow demo`` in-process: a failing part does not stop the others, missing data is a
clear usage error. (The full demo as a user runs it is in test_cli.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

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
    ]
    assert "James Henderson" not in out.out  # never tracked: its part failed first
    assert (tmp_path / "demo-output" / "8daWuo4AAAAJ" / "gs_data.json").is_file()


def test_missing_demo_data_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gone = tmp_path / "tests" / "fixtures" / "github" / "recordings" / "listing"
    monkeypatch.setattr(demo_sources, "DEMO_DATA", (*demo_sources.DEMO_DATA[:3], gone))

    code = main(["--database-url", f"sqlite:///{tmp_path / 'demo.db'}", "demo"])

    assert code == 2
    assert f"demo data not found at {gone}; run from a clone" in capsys.readouterr().err
    assert not (tmp_path / "demo.db").exists()  # nothing was started
