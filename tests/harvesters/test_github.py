"""GitHub harvester: repository records from real listings and GETs, batches, renames, gone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from conftest import FIXTURES

from harvesters.github.client import GitHubClient
from harvesters.github.harvester import (
    GitHubHarvester,
    RepositoryGone,
    RepositoryRecord,
    RepositoryRef,
    RepositoryUnchanged,
    batch_query,
    parse_repo,
    record_from_graphql,
)
from harvesters.http.replay import replaying
from harvesters.records import QuarantinedInput

REC = FIXTURES / "github" / "recordings"
LISTING = json.loads(
    json.loads((REC / "listing" / "wrapped_users_jacquev6_repos.json").read_text())["body"]
)
PYGITHUB = json.loads(
    json.loads((REC / "repo_get" / "Repository.setUp_0_repos_PyGithub_PyGithub.json").read_text())[
        "body"
    ]
)


def harvester(token: str | None = None) -> GitHubHarvester:
    return GitHubHarvester(GitHubClient(token=token, sleep=lambda _s: None))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://github.com/PyGithub/PyGithub", "PyGithub/PyGithub"),
        ("http://www.github.com/jacquev6/PyGithub.git", "jacquev6/PyGithub"),
        (
            "https://github.com/ydecastro/super-resolution-testing/tree/main/src",
            "ydecastro/super-resolution-testing",
        ),
        ("github.com/a-b/c.d#readme", "a-b/c.d"),
        ("jacquev6/DrawTurksHead", "jacquev6/DrawTurksHead"),
        ("https://github.com/topics/python", None),
        ("https://github.com/jacquev6", None),
        ("https://gitlab.com/a/b", None),
        ("not a repo", None),
    ],
)
def test_parse_repo(text: str, expected: str | None) -> None:
    assert parse_repo(text) == expected


def test_listing_gives_one_record_per_recorded_repository() -> None:
    with replaying(REC / "listing"):
        pages = list(harvester().list_user_repositories("jacquev6", lambda _url: None))
    (page,) = pages
    assert page.status == 200
    assert page.names == [r["full_name"] for r in LISTING]
    first = page.records[0]
    assert isinstance(first, RepositoryRecord)
    assert (first.full_name, first.stars, first.forks, first.open_issues) == (
        "jacquev6/DrawTurksHead",
        3,
        2,
        2,
    )
    assert (first.language, first.license, first.fork, first.archived) == (
        "Python",
        "MIT",
        False,
        False,
    )
    assert first.created_at == datetime(2010, 7, 10, 8, 54, 9, tzinfo=UTC)
    assert first.pushed_at == datetime(2020, 3, 22, 14, 23, 52, tzinfo=UTC)
    assert first.watchers is None  # listings do not report subscribers
    assert json.loads(first.raw) == LISTING[0]
    assert page.state["etag"] == 'W/"225fda3e11dd88d655981156434638f6"'


def test_listing_page_answering_304_reuses_the_stored_names() -> None:
    stored = {
        "etag": 'W/"225fda3e11dd88d655981156434638f6"',
        "names": ["jacquev6/IpMap"],
        "next": None,
    }
    with replaying(REC / "listing_304"):
        h = harvester()
        (page,) = list(h.list_user_repositories("jacquev6", lambda _url: stored))
    assert page.not_modified
    assert page.records == []
    assert page.names == ["jacquev6/IpMap"]
    assert h.client.counts.not_modified == 1


def test_rest_refresh_follows_a_rename_and_marks_a_deleted_repository_gone(replay_dir) -> None:
    refs = [RepositoryRef("jacquev6/PyGithub"), RepositoryRef("jacquev6/TestPyGithub")]
    with replaying(replay_dir(REC / "moved", REC / "gone")):
        moved, gone = list(harvester().refresh_rest(refs))
    assert isinstance(moved, RepositoryRecord)
    assert moved.full_name == "PyGithub/PyGithub"
    assert moved.requested_name == "jacquev6/PyGithub"
    assert moved.renamed
    assert (moved.github_id, moved.stars, moved.forks, moved.watchers) == (
        PYGITHUB["id"],
        PYGITHUB["stargazers_count"],
        PYGITHUB["forks_count"],
        PYGITHUB["subscribers_count"],
    )
    assert moved.topics == tuple(PYGITHUB["topics"])
    assert moved.license == "LGPL-3.0"
    assert moved.etag is not None
    assert gone == RepositoryGone("jacquev6/TestPyGithub", "HTTP 404")


def test_rest_refresh_of_an_unchanged_repository_is_a_304() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["if-none-match"] == 'W/"x"'
        return httpx.Response(304, headers={"etag": 'W/"x"'})

    h = GitHubHarvester(GitHubClient(sleep=lambda _s: None, transport=httpx.MockTransport(answer)))
    results = list(h.refresh_rest([RepositoryRef("jacquev6/IpMap", etag='W/"x"')]))
    assert results == [RepositoryUnchanged("jacquev6/IpMap")]
    assert h.client.counts.not_modified == 1


def test_graphql_batch_resolves_a_rename_and_reports_not_found() -> None:
    with replaying(REC / "graphql_batch"):
        h = harvester(token="t")
        (batch,) = list(h.refresh_graphql(["jacquev6/PyGithub", "jacquev6/TestPyGithub"]))
    record, gone = batch
    assert isinstance(record, RepositoryRecord)
    assert record.via == "graphql"
    assert record.full_name == "PyGithub/PyGithub" and record.renamed
    assert (record.github_id, record.stars, record.forks, record.watchers, record.open_issues) == (
        PYGITHUB["id"],
        PYGITHUB["stargazers_count"],
        PYGITHUB["forks_count"],
        PYGITHUB["subscribers_count"],
        PYGITHUB["open_issues_count"],
    )
    assert record.language == PYGITHUB["language"]
    assert gone == RepositoryGone("jacquev6/TestPyGithub", "GraphQL NOT_FOUND")
    assert h.client.counts.requests == 1


def test_batch_query_holds_at_most_100_repositories() -> None:
    names = [f"o/r{i}" for i in range(100)]
    assert batch_query(names).count("...repo }") == 100
    with pytest.raises(ValueError):
        batch_query([*names, "o/extra"])


def test_graphql_node_without_counts_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a count"):
        record_from_graphql({"nameWithOwner": "a/b"})


def test_unreadable_listing_item_is_quarantined(replay_dir, tmp_path) -> None:
    doc = json.loads((REC / "listing" / "wrapped_users_jacquev6_repos.json").read_text())
    doc["body"] = json.dumps([{"full_name": "a/b"}, LISTING[0]])
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "wrapped_bad.json").write_text(json.dumps(doc))
    with replaying(folder):
        (page,) = list(harvester().list_user_repositories("jacquev6", lambda _url: None))
    bad, good = page.records
    assert isinstance(bad, QuarantinedInput) and "unreadable repository" in bad.reason
    assert isinstance(good, RepositoryRecord)
    assert page.names == ["jacquev6/DrawTurksHead"]


def test_every_listing_page_keeps_its_own_etag_so_a_second_listing_is_all_304() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        etag = f'W/"p{page}"'
        headers = {"etag": etag}
        if page < 3:
            headers["link"] = f'<https://api.github.com/users/o/repos?page={page + 1}>; rel="next"'
        if request.headers.get("if-none-match") == etag:
            return httpx.Response(304, headers=headers)
        repo = {
            "id": page,
            "full_name": f"o/r{page}",
            "stargazers_count": page,
            "forks_count": 0,
            "open_issues_count": 0,
        }
        return httpx.Response(200, json=[repo], headers=headers)

    client = GitHubClient(sleep=lambda _s: None, transport=httpx.MockTransport(answer))
    stored: dict[str, dict] = {}
    first = list(GitHubHarvester(client).list_user_repositories("o", stored.get))
    stored.update({p.url: p.state for p in first})
    second = list(GitHubHarvester(client).list_user_repositories("o", stored.get))
    assert len(stored) == 3
    assert [p.status for p in second] == [304, 304, 304]
    assert [n for p in second for n in p.names] == ["o/r1", "o/r2", "o/r3"]
