"""The local ACL data folder and the incremental sync from GitHub (constructed responses)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES
from fixtures.acl.constructed_github import RAW, write_github_replay

from harvesters.acl.data import (
    AclDataMissingError,
    GitHubAnthologySync,
    LocalAnthology,
    git_blob_sha,
)
from harvesters.errors import SourceHTTPError, SourceResponseError
from harvesters.http.client import PoliteHttpClient
from harvesters.http.replay import replaying

REAL = sorted((FIXTURES / "acl" / "xml").glob("*.xml"))
REAL_FILES = {p.stem: p.read_bytes() for p in REAL}


def _client() -> PoliteHttpClient:
    return PoliteHttpClient(min_interval=0.0, sleep=lambda _s: None)


def test_blob_sha_is_git_hash_object(tmp_path: Path) -> None:
    assert git_blob_sha(b"") == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's empty blob
    if shutil.which("git"):
        out = subprocess.run(
            ["git", "hash-object", str(REAL[0])], capture_output=True, text=True, check=True
        )
        assert git_blob_sha(REAL[0].read_bytes()) == out.stdout.strip()


@pytest.mark.parametrize("layout", ["data/xml", "xml", "."])
def test_local_data_accepts_checkout_data_and_xml_folders(tmp_path: Path, layout: str) -> None:
    folder = tmp_path / layout
    folder.mkdir(parents=True, exist_ok=True)
    for path in REAL:
        shutil.copy(path, folder / path.name)
    files = LocalAnthology(tmp_path).collections()
    assert [f.collection_id for f in files] == sorted(REAL_FILES)
    assert files[0].sha == git_blob_sha(REAL[0].read_bytes())
    only_2023 = LocalAnthology(tmp_path).collections(lambda cid: cid.startswith("2023."))
    assert [f.collection_id for f in only_2023] == ["2023.bigpicture", "2023.repl4nlp"]


def test_folder_without_collection_files_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AclDataMissingError, match="no ACL Anthology data in"):
        LocalAnthology(tmp_path)


def test_sync_fetches_everything_once_then_only_the_changed_file(tmp_path: Path) -> None:
    dest = tmp_path / "copy"
    first = write_github_replay(tmp_path / "r1", REAL_FILES, "c1" * 20, real=set(REAL_FILES))
    with replaying(first) as recordings:
        result = GitHubAnthologySync(_client(), dest).sync()
        assert not recordings.unused()
    assert result.commit == "c1" * 20
    assert result.fetched == sorted(REAL_FILES)
    assert result.added == sorted(REAL_FILES)
    assert {p.name: p.read_bytes() for p in (dest / "xml").glob("*.xml")} == {
        f"{cid}.xml": content for cid, content in REAL_FILES.items()
    }

    changed = dict(REAL_FILES)
    changed["2023.bigpicture"] = REAL_FILES["2023.bigpicture"].replace(
        b"Big Picture Workshop", b"Big Picture Workshop (revised)"
    )
    second = write_github_replay(
        tmp_path / "r2",
        changed,
        "c2" * 20,
        real=set(REAL_FILES) - {"2023.bigpicture"},
        fetch={"2023.bigpicture"},  # a request for any other file would find no recording
    )
    with replaying(second) as recordings:
        result = GitHubAnthologySync(_client(), dest).sync()
        assert not recordings.unused()
    assert result.fetched == ["2023.bigpicture"]
    assert result.unchanged == 3
    assert (dest / "xml" / "2023.bigpicture.xml").read_bytes() == changed["2023.bigpicture"]


def test_sync_of_selected_years_and_removed_files(tmp_path: Path) -> None:
    dest = tmp_path / "copy"
    replay = write_github_replay(
        tmp_path / "r", REAL_FILES, "c3" * 20, real=set(REAL_FILES), fetch={"2024.insights"}
    )
    with replaying(replay):
        result = GitHubAnthologySync(_client(), dest).sync(lambda cid: cid.startswith("2024."))
    assert result.fetched == ["2024.insights"]
    assert [p.stem for p in (dest / "xml").glob("*.xml")] == ["2024.insights"]

    (dest / "xml" / "1999.gone.xml").write_bytes(b"<collection id='1999.gone'/>")
    full = write_github_replay(
        tmp_path / "r4",
        REAL_FILES,
        "c4" * 20,
        real=set(REAL_FILES),
        fetch=set(REAL_FILES) - {"2024.insights"},
    )
    with replaying(full):
        result = GitHubAnthologySync(_client(), dest).sync()
    assert result.removed == ["1999.gone"]
    assert sorted(p.stem for p in (dest / "xml").glob("*.xml")) == sorted(REAL_FILES)


def test_download_that_does_not_match_the_listing_is_not_written(tmp_path: Path) -> None:
    dest = tmp_path / "copy"
    replay = write_github_replay(
        tmp_path / "r",
        {"2024.insights": REAL_FILES["2024.insights"]},
        "c5" * 20,
        real={"2024.insights"},
    )
    raw = replay / "wrapped_raw_2024.insights.json"
    raw.write_text(raw.read_text().replace("Insights", "Outsights"))
    with replaying(replay), pytest.raises(SourceResponseError, match="blob SHA"):
        GitHubAnthologySync(_client(), dest).sync()
    assert list((dest / "xml").glob("*")) == []


def test_http_error_names_the_url(tmp_path: Path) -> None:
    replay = tmp_path / "r"
    replay.mkdir()
    (replay / "constructed_branch_404.json").write_text(
        '{"url": "https://api.github.com/repos/acl-org/acl-anthology/branches/nope",'
        ' "status_code": 404, "body": "{\\"message\\": \\"Branch not found\\"}",'
        ' "note": "constructed"}'
    )
    with replaying(replay), pytest.raises(SourceHTTPError) as info:
        GitHubAnthologySync(_client(), tmp_path / "copy", branch="nope").sync()
    assert info.value.status == 404
    assert "branches/nope" in str(info.value)
    assert not info.value.transient


@pytest.mark.parametrize(
    "listed", ["../../../PWNED", "..", "sub/2023.acl", ".hidden", "2023..acl", "a\\..\\b"]
)
def test_sync_refuses_a_listed_path_that_is_not_a_plain_collection_file(
    tmp_path: Path, listed: str
) -> None:
    # constructed: a tree listing naming "<listed>.xml" next to a real collection file. On main
    # "../../../PWNED.xml" was written three folders above the data folder's xml/.
    dest = tmp_path / "a" / "b" / "copy"
    files = {"2023.bigpicture": REAL_FILES["2023.bigpicture"], listed: b"<collection/>"}
    commit = "c4" * 20
    replay = write_github_replay(
        tmp_path / "r", files, commit, real={"2023.bigpicture"}, fetch={"2023.bigpicture"}
    )
    # The URL as httpx sends it (dot segments removed), so unfixed code finds its download.
    raw = {"url": str(httpx.URL(f"{RAW}/{commit}/data/xml/{listed}.xml")), "status_code": 200}
    raw["body"], raw["note"] = "<collection/>", "constructed: the listed file's download"
    (replay / "constructed_raw_listed.json").write_text(json.dumps(raw))
    with replaying(replay), pytest.raises(SourceResponseError, match="refusing listed path"):
        GitHubAnthologySync(_client(), dest).sync()
    written = [p for p in tmp_path.rglob("*.xml") if p.parent != tmp_path / "r"]
    assert written == []


def test_download_target_is_checked_inside_the_data_folder(tmp_path: Path) -> None:
    sync = GitHubAnthologySync(_client(), tmp_path / "copy")
    with pytest.raises(SourceResponseError):
        sync._target("../evil")
    (tmp_path / "copy" / "xml").mkdir(parents=True)
    assert sync._target("2023.acl") == (tmp_path / "copy" / "xml" / "2023.acl.xml").resolve()
