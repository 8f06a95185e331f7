"""GitHub answers with unexpected types, huge numbers or deep nesting: the one repository is
quarantined or the answer gives a clear SourceResponseError, never a crash. Every answer here
is constructed from a real recording (named in each test) with one field changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from harvesters.errors import SourceResponseError
from harvesters.github.client import GitHubClient
from harvesters.github.harvester import (
    GitHubHarvester,
    RepositoryRecord,
    record_from_rest,
    records_from_listing,
)
from harvesters.http.replay import replaying
from harvesters.records import QuarantinedInput

REC = FIXTURES / "github" / "recordings"
LISTING_FILE = REC / "listing" / "wrapped_users_jacquev6_repos.json"
BATCH_FILE = REC / "graphql_batch" / "constructed_graphql_batch_run1.json"
BATCH_NAMES = ["jacquev6/PyGithub", "jacquev6/TestPyGithub"]


def harvester(token: str | None = None) -> GitHubHarvester:
    return GitHubHarvester(GitHubClient(token=token, sleep=lambda _s: None))


def constructed(tmp_path: Path, source: Path, body: str) -> Path:
    """A replay folder with ``source``'s recording answering ``body`` instead."""
    doc = json.loads(source.read_text())
    doc["body"] = body
    doc["note"] = f"constructed from {source.name}: one field changed"
    folder = tmp_path / f"constructed_{source.stem}"
    folder.mkdir(exist_ok=True)
    (folder / f"constructed_{source.name}").write_text(json.dumps(doc))
    return folder


def listing_with(tmp_path: Path, change: dict[str, Any]) -> list[Any]:
    """The real jacquev6 listing with ``change`` applied to its first repository."""
    repos = json.loads(json.loads(LISTING_FILE.read_text())["body"])
    repos[0] = {**repos[0], **change}
    with replaying(constructed(tmp_path, LISTING_FILE, json.dumps(repos))):
        (page,) = list(harvester().list_user_repositories("jacquev6", lambda _url: None))
    assert len(page.records) == len(repos)
    assert all(isinstance(r, RepositoryRecord) for r in page.records[1:])
    return page.records


def graphql_with(tmp_path: Path, change: dict[str, Any]) -> list[Any]:
    """The constructed GraphQL batch with ``change`` applied to the found repository."""
    doc = json.loads(json.loads(BATCH_FILE.read_text())["body"])
    doc["data"]["r0"] = {**doc["data"]["r0"], **change}
    with replaying(constructed(tmp_path, BATCH_FILE, json.dumps(doc))):
        (batch,) = list(harvester(token="t").refresh_graphql(BATCH_NAMES))
    return batch


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"repositoryTopics": "github"}, "repositoryTopics is not an object"),
        ({"repositoryTopics": {"nodes": {"topic": "x"}}}, "repositoryTopics.nodes is not a list"),
        ({"primaryLanguage": "Python"}, "primaryLanguage is not an object"),
        ({"primaryLanguage": {"name": ["Python"]}}, "name is not a string"),
        ({"description": ["a", "list"]}, "description is not a string"),
        ({"nameWithOwner": ["PyGithub/PyGithub"]}, "nameWithOwner is not an owner/name"),
        ({"stargazerCount": 2**64 + 1}, "stargazerCount is not a count"),
        ({"databaseId": 2**70}, "databaseId is not a GitHub id"),
        ({"watchers": {"totalCount": "111"}}, "totalCount is not a count"),
        ({"isArchived": "no"}, "isArchived is not true/false"),
    ],
)
def test_graphql_field_of_unexpected_type_quarantines_that_repository(
    tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    record, gone = graphql_with(tmp_path, change)
    assert isinstance(record, QuarantinedInput)
    assert reason in record.reason
    assert record.source_id == "jacquev6/PyGithub"
    assert json.loads(record.raw)["id"] == "MDEwOlJlcG9zaXRvcnkzNTQ0NDkw"  # the node, verbatim
    assert gone.full_name == "jacquev6/TestPyGithub"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"stargazers_count": 2**64}, "stargazers_count is not a count"),
        ({"stargazers_count": -1}, "stargazers_count is not a count"),
        ({"stargazers_count": 3.5}, "stargazers_count is not a count"),
        ({"id": 2**64}, "id is not a GitHub id"),
        ({"topics": "python"}, "topics is not a list"),
        ({"language": {"name": "Python"}}, "language is not a string"),
        ({"license": "MIT"}, "licence is not an object"),
        ({"created_at": "yesterday"}, "created_at is not an ISO time"),
        ({"full_name": None}, "full_name is not an owner/name"),
    ],
)
def test_rest_field_of_unexpected_type_quarantines_that_repository(
    tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    bad = listing_with(tmp_path, change)[0]
    assert isinstance(bad, QuarantinedInput)
    assert reason in bad.reason


def test_deeply_nested_listing_is_a_clear_error_not_a_recursion_error(tmp_path: Path) -> None:
    body = "[" * 200_000 + "]" * 200_000
    with replaying(constructed(tmp_path, LISTING_FILE, body)), pytest.raises(SourceResponseError):
        list(harvester().list_user_repositories("jacquev6", lambda _url: None))


def test_deeply_nested_graphql_answer_is_a_clear_error(tmp_path: Path) -> None:
    body = '{"data": ' + "[" * 200_000 + "]" * 200_000 + "}"
    with replaying(constructed(tmp_path, BATCH_FILE, body)), pytest.raises(SourceResponseError):
        list(harvester(token="t").refresh_graphql(BATCH_NAMES))


def test_repository_nested_too_deeply_to_serialize_is_quarantined() -> None:
    nested: Any = "x"
    for _ in range(5_000):  # deeper than json.dumps can serialize back as the raw payload
        nested = [nested]
    repo = json.loads(json.loads(LISTING_FILE.read_text())["body"])[0]
    bad, good = records_from_listing([{**repo, "extra": nested}, repo], "the answer text")
    assert isinstance(bad, QuarantinedInput) and "nested too deeply" in bad.reason
    assert bad.raw == "the answer text"
    assert isinstance(good, RepositoryRecord)


def test_graphql_errors_of_unexpected_shape_do_not_crash(tmp_path: Path) -> None:
    doc = json.loads(json.loads(BATCH_FILE.read_text())["body"])
    doc["errors"] = [{"type": "NOT_FOUND", "path": 1}, {"type": "NOT_FOUND", "path": "r1"}, 7]
    with replaying(constructed(tmp_path, BATCH_FILE, json.dumps(doc))):
        (batch,) = list(harvester(token="t").refresh_graphql(BATCH_NAMES))
    assert isinstance(batch[0], RepositoryRecord)
    assert isinstance(batch[1], QuarantinedInput)  # not recognisably NOT_FOUND: kept verbatim
    doc["errors"] = {"type": "NOT_FOUND"}
    with replaying(constructed(tmp_path, BATCH_FILE, json.dumps(doc))):
        (batch,) = list(harvester(token="t").refresh_graphql(BATCH_NAMES))
    assert isinstance(batch[1], QuarantinedInput)


@pytest.mark.parametrize(
    ("license_", "spdx", "name"),
    [
        # GitHub's answer for a licence file it cannot identify (real shape: key "other").
        ({"key": "other", "name": "Other", "spdx_id": "NOASSERTION"}, None, "Other"),
        ({"key": "other", "name": "Other", "spdx_id": None}, None, "Other"),
        ({"key": "mit", "name": "MIT License", "spdx_id": "MIT"}, "MIT", "MIT License"),
        (None, None, None),
    ],
)
def test_spdx_column_gets_only_an_spdx_id(
    license_: dict[str, Any] | None, spdx: str | None, name: str | None
) -> None:
    repo = json.loads(json.loads(LISTING_FILE.read_text())["body"])[0]
    record = record_from_rest({**repo, "license": license_}, via="listing")
    assert (record.license, record.license_name) == (spdx, name)
