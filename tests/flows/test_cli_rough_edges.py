"""CLI rough edges of issue 14, in-process on SQLite and PostgreSQL: date windows and arXiv
ids checked before any request, Scholar ids normalised, clear gs-data errors, the harvest
order, and ``-q``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ARXIV_RECORDINGS, FIXTURES

from flows.cli.common import UserError
from flows.cli.main import main
from flows.sources import SOURCES

GITHUB_LISTING = FIXTURES / "github" / "recordings" / "listing"
GS_DATA = FIXTURES / "scholar" / "originals" / "AaronZ345_gs_data.json"  # kA9A6LsAAAAJ

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """``cli(*args)`` runs ``scholarflow ARGS`` in-process on a fresh database and returns
    ``(exit code, stdout, stderr)``."""
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("SCHOLARFLOW_ACL_DATA_DIR", str(tmp_path / "managed"))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def empty_replay(tmp_path: Path) -> str:
    """A replay folder with no recordings: any request fails, so nothing reaches a source."""
    folder = tmp_path / "empty-replay"
    folder.mkdir()
    return str(folder)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "acl-anthology"
    (root / "data" / "xml").mkdir(parents=True)
    for path in sorted((FIXTURES / "acl" / "xml").glob("*.xml")):
        shutil.copy(path, root / "data" / "xml" / path.name)
    return root


@pytest.mark.parametrize(
    ("window", "message"),
    [
        (["--until", "2026-11-20"], "--until needs --since"),
        (["--since", "2026-11-21", "--until", "2026-11-20"], "--since 2026-11-21 is after --until"),
    ],
)
def test_bad_date_window_is_a_usage_error(
    cli: Cli, empty_replay: str, window: list[str], message: str
) -> None:
    code, _out, err = cli("harvest", "arxiv", "--set", "cs", *window, "--replay", empty_replay)
    assert code == 2, err
    assert message in err and "no recording" not in err
    assert cli("runs")[1] == "(no harvest runs)\n"  # nothing was started


@pytest.mark.parametrize("bad", ["2104.1225x", "hep-ex/040602", "2104.1225", "1313.00001", "abc"])
def test_malformed_arxiv_id_is_a_usage_error_before_any_request(
    cli: Cli, empty_replay: str, bad: str
) -> None:
    args = ["harvest", "arxiv", "--id", "1605.08386", "--id", bad, "--replay", empty_replay]
    code, _, err = cli(*args)
    assert code == 2, err
    assert f"--id {bad!r} is not an arXiv identifier" in err
    assert "no recording" not in err


def test_well_formed_arxiv_ids_pass() -> None:
    from flows.cli.commands import check_arxiv_ids

    check_arxiv_ids(["2104.12255", "2104.12255v2", "hep-ex/0406020", "hep-ex/0406020v1"])
    check_arxiv_ids(["0704.0001", "1412.9999v3", "math.CO/0601001", "arXiv:1605.08386"])
    with pytest.raises(UserError, match=r"'0704\.00001'"):
        check_arxiv_ids(["0704.00001"])  # 5 digits only from 1501 on


def test_export_for_an_author_without_a_scholar_id_says_so(cli: Cli, tmp_path: Path) -> None:
    assert cli("authors", "add", "James Henderson", "--acl-id", "james-henderson")[0] == 0
    code, _, err = cli("export", "gs-data", "James Henderson", str(tmp_path / "out"))
    assert code == 2
    assert "James Henderson is tracked but has no Google Scholar id" in err
    assert "scholarflow authors add 'James Henderson' --scholar-id ID" in err
    assert "no author named" not in err
    assert cli("export", "gs-data", "Nobody Atall", str(tmp_path / "out"))[2].count(
        "no author named 'Nobody Atall'"
    )


@pytest.mark.parametrize(
    "given",
    [
        "kA9A6LsAAAAJ&hl=zh-CN",
        "https://scholar.google.com/citations?user=kA9A6LsAAAAJ&hl=zh-CN",
        "scholar.google.com/citations?hl=en&user=kA9A6LsAAAAJ",
    ],
)
def test_scholar_id_is_stored_as_import_stores_it(cli: Cli, tmp_path: Path, given: str) -> None:
    assert cli("authors", "add", "Yu Zhang", "--scholar-id", given)[0] == 0
    assert json.loads(cli("authors", "list", "--json")[1])[0]["scholar_id"] == "kA9A6LsAAAAJ"
    assert cli("import", "gs-data", str(GS_DATA))[0] == 0
    code, _out, err = cli("export", "gs-data", "Yu Zhang", str(tmp_path / "out"))
    assert code == 0, err
    assert json.loads((tmp_path / "out" / "gs_data.json").read_text())["citedby"] == 234


def test_bad_scholar_ids_are_usage_errors(cli: Cli) -> None:
    code, _, err = cli("authors", "add", "Yu Zhang", "--scholar-id", "not an id")
    assert code == 2 and "not a Google Scholar user id: 'not an id'" in err
    code, _, err = cli("authors", "add", "Yu Zhang", "--scholar-id", "https://scholar.google.com/")
    assert code == 2 and "no user= in the Scholar profile URL" in err
    assert cli("authors", "add", "Yu Zhang", "--scholar-id", "kA9A6LsAAAAJ")[0] == 0
    # The same id for a second person: the column is unique, so say who has it.
    code, _, err = cli("authors", "add", "Y. Zhang", "--scholar-id", "kA9A6LsAAAAJ&hl=en")
    assert code == 2 and "Scholar id kA9A6LsAAAAJ is already tracked for 'Yu Zhang'" in err


def test_harvest_runs_github_after_the_sources_that_store_code_links(
    cli: Cli, checkout: Path, replay_dir
) -> None:  # type: ignore[no-untyped-def]
    from flows.sources import in_run_order

    # The sources that store works (S2 author lists too), then the citation look-ups.
    assert SOURCES == (
        "arxiv",
        "acl",
        "scholar",
        "github",
        "s2-authors",
        "openalex-authors",
        "s2",
        "openalex",
    )
    assert in_run_order(["github", "acl", "github", "arxiv"]) == ["arxiv", "acl", "github"]
    assert cli("authors", "add", "James Henderson", "--acl-id", "james-henderson")[0] == 0
    assert cli("authors", "add", "Vincent Jacques", "--github", "jacquev6")[0] == 0
    replay = replay_dir(GITHUB_LISTING)
    # Named in the wrong order, run in the right one.
    args = ["harvest", "github", "acl", "--data-dir", str(checkout), "--replay", str(replay)]
    code, out, err = cli(*args)
    assert code == 0, err
    runs = [line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("run ")]
    assert runs == ["acl/authors", "github/repositories"]


def test_quiet_harvest_prints_nothing_but_errors(
    cli: Cli, checkout: Path, replay_dir, empty_replay: str
) -> None:  # type: ignore[no-untyped-def]
    assert cli("authors", "add", "James Henderson", "--acl-id", "james-henderson")[0] == 0
    assert cli("authors", "add", "Vincent Jacques", "--github", "jacquev6")[0] == 0
    replay = str(replay_dir(GITHUB_LISTING))
    args = ["harvest", "acl", "github", "--data-dir", str(checkout), "--replay", replay]
    code, out, err = cli("-q", *args)
    assert (code, out, err) == (0, "", "")
    code, out, err = cli(*args)  # without -q: progress on stderr, the runs on stdout
    assert "ACL: " in err and "run " in out
    # Errors still print.
    code, out, err = cli("-q", "harvest", "github", "--replay", empty_replay)
    assert code == 1 and out == ""
    assert "failed: " in err and "no recording for GET" in err


def test_quiet_arxiv_harvest_prints_nothing(cli: Cli) -> None:
    args = ["harvest", "arxiv", "--id", "1605.08386", "--replay", str(ARXIV_RECORDINGS)]
    assert cli("-q", *args) == (0, "", "")
    assert cli("-q", "harvest", "arxiv", "--replay", str(ARXIV_RECORDINGS)) == (0, "", "")
