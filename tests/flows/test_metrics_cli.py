"""``scholarflow metrics``, ``show`` (summary, computed vs reported, ``--chart``) and
``export summaries|works`` on the demo database. The commands run in-process through the
CLI's ``main`` (the whole suite shares two cores; test_cli.py runs the demo as a subprocess)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.cli.main import main

# pytest-xdist (--dist loadgroup): the module-scoped fixtures are built once, on one worker.
pytestmark = pytest.mark.xdist_group("test_metrics_cli")

TRACKED = (
    "Adrian Del Maestro",
    "Alan M. Turing",
    "Anne Kietzig",
    "James Henderson",
    "Junqiao Fan",
    "Lewis C. Cantley",
    "Matthias König",
    "Tobias Windisch",
    "Vincent Jacques",
    "Zahra Shakeri Hossein Abad",
)


@dataclass
class Result:
    stdout: str
    stderr: str


def run(folder: Path, *args: str) -> Result:
    """``scholarflow --database-url <folder's db> ARGS`` run from ``folder``; must exit 0."""
    out, err = io.StringIO(), io.StringIO()
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["--database-url", f"sqlite:///{folder / 'scholarflow.db'}", *args])
    finally:
        os.chdir(cwd)
    assert code == 0, err.getvalue()
    return Result(out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the demo database (the demo run once for this module)."""
    folder = tmp_path_factory.mktemp("demo")
    run(folder, "-q", "demo")
    return folder


def test_metrics_computes_each_tracked_author_once(demo: Path) -> None:
    first = run(demo, "metrics")
    assert "metrics: 10 author(s) considered, 10 recomputed, 0 unchanged" in first.stdout
    assert "Junqiao Fan: 13 works, citations 111, h 4, i10 3" in first.stdout
    assert "(13 of 13 works with a citation count: scholar 13)" in first.stdout
    again = run(demo, "metrics")
    assert "metrics: 10 author(s) considered, 0 recomputed, 10 unchanged" in again.stdout


@pytest.mark.parametrize("name", TRACKED)
def test_show_prints_the_summary_of_each_tracked_author(demo: Path, name: str) -> None:
    shown = run(demo, "show", name).stdout
    assert "  metrics (computed from merged works):\n    coverage: " in shown
    data = json.loads(run(demo, "show", name, "--json").stdout)["metrics"]
    assert data["h_index"] is None or data["h_index"] <= data["works_with_citations"]
    assert data["works"] == len(json.loads(run(demo, "works", "--author", name, "--json").stdout))


def test_show_sets_computed_beside_reported(demo: Path) -> None:
    fan = run(demo, "show", "Junqiao Fan").stdout
    assert "computed vs Google Scholar 5cEG4tIAAAAJ (reported):" in fan
    assert "    citations: computed 111, reported 111, difference +0" in fan
    assert "    h_index: computed 4, reported 4, difference +0" in fan
    kietzig = run(demo, "show", "Anne Kietzig").stdout
    assert "    citations: computed 1, reported 1338, difference -1337" in kietzig
    assert "why: the stored publication list of 8daWuo4AAAAJ sums to 1 of the 1338" in kietzig
    henderson = run(demo, "show", "James Henderson").stdout
    assert "coverage: 0 of 2 works with a citation count: no source" in henderson
    assert "citations n/a, h-index n/a" in henderson


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_show_writes_a_chart(demo: Path, suffix: str) -> None:
    chart = demo / f"kietzig{suffix}"
    shown = run(demo, "show", "Anne Kietzig", "--chart", str(chart)).stdout
    assert f"chart written to {chart}" in shown
    data = chart.read_bytes()
    assert len(data) > 10_000
    if suffix == ".png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert b"<svg" in data[:2000] and b"citations per year" in data


def test_export_summaries_and_works(demo: Path) -> None:
    run(demo, "metrics")
    rows = list(csv.DictReader(io.StringIO(run(demo, "export", "summaries").stdout)))
    assert sorted(r["name"] for r in rows) == sorted(TRACKED)
    fan = next(r for r in rows if r["name"] == "Junqiao Fan")
    assert (fan["works"], fan["citations"], fan["h_index"], fan["scholar_h_index"]) == (
        "13",
        "111",
        "4",
        "4",
    )
    assert fan["h_index_difference"] == "0"
    assert json.loads(fan["coverage"])["by_source"] == {"scholar": 13}

    one = json.loads(
        run(demo, "export", "summaries", "--format", "json", "--author", "Anne Kietzig").stdout
    )
    assert [(r["name"], r["citations"], r["scholar_citations"]) for r in one] == [
        ("Anne Kietzig", 1, 1338)
    ]
    works = json.loads(
        run(demo, "export", "works", "--format", "json", "--author", "Junqiao Fan").stdout
    )
    assert len(works) == 13 and sum(w["citations"] for w in works) == 111
    assert {w["citation_source"] for w in works} == {"scholar"}
    out = demo / "works.csv"
    run(demo, "export", "works", "--format", "csv", "--output", str(out))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("author_id,author,work_id,title,year,position,n_authors")
    assert len(lines) > 20
    # the Scholar export still answers under the same command
    run(demo, "export", "gs-data", "Anne Kietzig", str(demo / "gs"))
    assert (demo / "gs" / "gs_data.json").is_file()


def test_a_bad_chart_path_is_a_usage_error(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{demo / 'scholarflow.db'}"
    assert main(["--database-url", url, "show", "Anne Kietzig", "--chart", "c.pdf"]) == 2
    assert "--chart writes .png or .svg files, not 'c.pdf'" in capsys.readouterr().err
    missing = demo / "no" / "such" / "dir" / "c.png"
    assert main(["--database-url", url, "show", "Anne Kietzig", "--chart", str(missing)]) == 2
    assert f"cannot write the chart {missing}" in capsys.readouterr().err
