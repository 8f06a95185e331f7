"""GitHubClient on real recorded exchanges (PyGithub ReplayData, see fixtures PROVENANCE)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES

from harvesters.errors import SourceHTTPError, is_transient
from harvesters.github.client import GitHubClient, GitHubRateLimitError
from harvesters.http.replay import replaying

REC = FIXTURES / "github" / "recordings"


def recorded(folder: str, name: str) -> dict:
    return json.loads((REC / folder / name).read_text(encoding="utf-8"))


def client(**kwargs) -> GitHubClient:  # type: ignore[no-untyped-def]
    return GitHubClient(sleep=lambda _s: None, **kwargs)


def test_repository_get_returns_the_recorded_body_and_budget() -> None:
    body = json.loads(
        recorded("repo_get", "Repository.setUp_0_repos_PyGithub_PyGithub.json")["body"]
    )
    with replaying(REC / "repo_get"):
        gh = client()
        response = gh.get("/repos/PyGithub/PyGithub")
    assert response.status == 200
    assert response.data["stargazers_count"] == body["stargazers_count"] == 7122
    assert response.etag == 'W/"37ea58577585c38f93634ef43114c657de2581286eb6976ec18c274de296eff0"'
    assert gh.limits["core"].remaining == 4999
    assert gh.limits["core"].limit == 5000
    assert gh.counts.requests == 1


def test_5xx_is_retried_with_backoff_until_success() -> None:
    with replaying(REC / "retry_5xx"):
        gh = client()
        response = gh.get("/repos/PyGithub/PyGithub")
    assert response.data["full_name"] == "PyGithub/PyGithub"
    assert gh.counts.requests == 4  # 502, 502, 502, 200 as recorded
    assert gh.counts.waits == [3.0, 9.0, 27.0]


def test_secondary_limit_waits_what_retry_after_says() -> None:
    with replaying(REC / "rate_limit_secondary"):
        gh = client()
        response = gh.get("/search/code", {"q": "jacquev6"})
    assert gh.counts.waits == [60.0]  # the recorded Retry-After: 60
    assert response.data["total_count"] == 31140
    assert response.next_url == "https://api.github.com/search/code?q=jacquev6&page=2"


def test_secondary_limit_longer_than_max_wait_stops_with_a_transient_error() -> None:
    with replaying(REC / "rate_limit_secondary"), pytest.raises(GitHubRateLimitError) as info:
        client(max_wait=30).get("/search/code", {"q": "jacquev6"})
    assert info.value.status == 403
    assert info.value.retry_after == 60
    assert is_transient(info.value)


def test_spent_budget_stops_without_sending_when_told_to_stop() -> None:
    with replaying(REC / "rate_limit_primary"):
        gh = client(on_exhausted="stop")
        first = gh.get("/users/jacquev6")
        assert first.data["login"] == "jacquev6"
        assert gh.limits["core"].remaining == 0
        with pytest.raises(GitHubRateLimitError) as info:
            gh.get("/users/jacquev6")
    assert gh.counts.requests == 1  # the second request was never sent
    assert is_transient(info.value)


def test_spent_budget_waits_a_minute_when_no_reset_is_known_then_gives_up() -> None:
    # The 2013 recording has x-ratelimit-remaining 0 and no x-ratelimit-reset.
    with replaying(REC / "rate_limit_primary"):
        gh = client(on_exhausted="wait")
        gh.get("/users/jacquev6")
        with pytest.raises(GitHubRateLimitError) as info:
            gh.get("/users/jacquev6")
    assert info.value.status == 403
    assert "API Rate Limit Exceeded" in str(info.value)
    assert gh.counts.waits == [60.0, 60.0, 60.0, 60.0]
    assert gh.counts.requests == 1 + 4


def test_link_pagination_follows_next_until_the_last_page() -> None:
    expected = [
        json.loads(recorded("pagination", f"PaginatedList.testCustomPerPage_{i}.json")["body"])
        for i in range(5)
    ]
    with replaying(REC / "pagination"):
        pages = list(
            client().paginate("/repos/openframeworks/openFrameworks/issues", {"per_page": 100})
        )
    assert [p.data for p in pages] == expected
    assert pages[-1].next_url is None
    assert sum(len(p.data) for p in pages) == sum(len(e) for e in expected)


def test_redirect_is_followed_and_reported_as_moved() -> None:
    with replaying(REC / "moved"):
        response = client().get("/repos/jacquev6/PyGithub")
    assert response.moved
    assert response.data["full_name"] == "PyGithub/PyGithub"


def test_missing_repository_is_returned_when_allowed_else_raised() -> None:
    with replaying(REC / "gone"):
        gh = client()
        assert gh.get("/repos/jacquev6/TestPyGithub", allow_missing=True).status == 404
        with pytest.raises(SourceHTTPError) as info:
            gh.get("/repos/jacquev6/TestPyGithub")
    assert info.value.status == 404
    assert not is_transient(info.value)


def _request(folder: str, name: str) -> tuple[str, dict]:
    doc = json.loads(recorded(folder, name)["request_body"])
    return doc["query"], doc["variables"]


def test_graphql_query_and_its_budget() -> None:
    query, variables = _request("graphql_real", "GraphQl.testQuery_0.json")
    with replaying(REC / "graphql_real"):
        gh = client()
        result = gh.graphql(query, variables)
    assert result.data == {"repository": {"url": "https://github.com/PyGithub/PyGithub"}}
    assert gh.limits["graphql"].remaining == 4979


def test_graphql_not_found_is_reported_not_raised() -> None:
    query, variables = _request("graphql_real", "GraphQl.testNode_1_not_found.json")
    with replaying(REC / "graphql_real"):
        result = client().graphql(query, variables)
    assert result.data == {"node": None}
    assert result.not_found() == {"node"}


def test_graphql_cursor_pagination_collects_every_node() -> None:
    query, variables = _request("graphql_real", "PaginatedList.testGraphQlPagination_1.json")
    with replaying(REC / "graphql_real") as recordings:
        pages = list(client().graphql_pages(query, variables, ("repository", "discussions")))
    assert len(pages) == 3
    assert sum(len(p["nodes"]) for p in pages) == pages[0]["totalCount"] == 65
    assert not pages[-1]["pageInfo"]["hasNextPage"]
    assert not [p for p in recordings.unused() if "Pagination" in p.name]


def test_conditional_request_sends_the_etag_and_a_304_is_counted() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("if-none-match") == 'W/"abc"':
            return httpx.Response(304, headers={"etag": 'W/"abc"', "x-ratelimit-remaining": "10"})
        return httpx.Response(200, json=[], headers={"etag": 'W/"abc"'})

    gh = client(transport=httpx.MockTransport(answer))
    assert gh.get("/users/x/repos").etag == 'W/"abc"'
    assert gh.get("/users/x/repos", etag='W/"abc"').not_modified
    assert "if-none-match" not in seen[0].headers
    assert gh.counts.not_modified == 1


def test_token_goes_only_into_the_authorization_header(caplog: pytest.LogCaptureFixture) -> None:
    token = "ghp_TESTTOKENabcdef0123456789"
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(401, json={"message": "Bad credentials"})

    caplog.set_level(logging.DEBUG)
    gh = client(token=token, transport=httpx.MockTransport(answer))
    with pytest.raises(SourceHTTPError) as info:
        gh.get("/user")
    assert seen[0].headers["authorization"] == f"Bearer {token}"
    assert token not in str(info.value)
    assert token not in repr(gh)
    assert token not in caplog.text


def test_unauthenticated_client_sends_no_authorization() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    gh = client(transport=httpx.MockTransport(answer))
    gh.get("/rate_limit")
    assert "authorization" not in seen[0].headers
    assert not gh.has_token


def test_unknown_recording_fails_loudly(tmp_path: Path) -> None:
    from harvesters.http.replay import NoRecordingError

    with replaying(REC / "repo_get"), pytest.raises(NoRecordingError):
        client().get("/repos/nobody/nothing")
