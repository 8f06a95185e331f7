"""GitHub harvester: code repositories of tracked authors and of papers, as typed records.

* A login's repositories come from the REST listing ``/users/{login}/repos`` page by page
  (``Link: rel="next"``), each page requested with the ETag stored for it: a 304 costs no
  rate budget and means every repository on that page is unchanged.
* Known repositories are refreshed through GraphQL, up to 100 per query (one request), or,
  without a token (GraphQL needs one), through conditional REST GETs.
* A renamed or transferred repository answers with its new name (REST follows the 301,
  GraphQL resolves the old name); the record keeps the name that was asked for in
  ``requested_name``. A deleted one becomes :class:`RepositoryGone`.

Records keep their raw JSON payload for provenance.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from harvesters.github.client import GitHubClient, GitHubResponse, full_url
from harvesters.records import QuarantinedInput

logger = logging.getLogger(__name__)

SOURCE = "github"
GRAPHQL_BATCH = 100
LISTING_PARAMS = {"type": "owner", "sort": "created", "direction": "asc"}

_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_URL = re.compile(
    r"^(?:https?://)?(?:www\.)?github\.com/(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})"
    r"/(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?(?:[/#?].*)?$",
    re.IGNORECASE,
)
_NOT_OWNERS = {"about", "features", "orgs", "topics", "marketplace", "sponsors", "settings"}


def parse_repo(text: str) -> str | None:
    """``owner/name`` from a repository URL (``https://github.com/o/r/tree/main``) or from
    ``owner/name`` itself; None when ``text`` names no repository."""
    text = text.strip().rstrip("/")
    match = _URL.match(text)
    if match:
        owner, repo = match.group("owner"), match.group("repo").rstrip(".")
        if owner.lower() in _NOT_OWNERS or not repo:
            return None
        return f"{owner}/{repo}"
    return text if _NAME.match(text) and text.split("/")[1] not in (".", "..") else None


@dataclass(frozen=True, slots=True)
class RepositoryRecord:
    """One repository as GitHub reported it in one answer.

    ``watchers`` counts people watching (subscribers); REST listings do not report it, so it
    is None there. ``open_issues`` counts open issues and pull requests, as REST reports it.
    ``requested_name`` is the name that was asked for when GitHub answered with another
    one (a rename or transfer). ``via`` is ``listing``, ``rest`` or ``graphql``.
    """

    full_name: str
    raw: str
    raw_format: str
    via: str
    github_id: int | None = None
    node_id: str | None = None
    description: str | None = None
    html_url: str | None = None
    stars: int | None = None
    forks: int | None = None
    watchers: int | None = None
    open_issues: int | None = None
    language: str | None = None
    topics: tuple[str, ...] = ()
    license: str | None = None
    created_at: datetime | None = None
    pushed_at: datetime | None = None
    archived: bool = False
    fork: bool = False
    etag: str | None = None
    requested_name: str | None = None

    @property
    def renamed(self) -> bool:
        return (
            self.requested_name is not None
            and self.requested_name.lower() != self.full_name.lower()
        )

    def to_json(self) -> dict[str, Any]:
        """The record without its raw payload, JSON-ready (datetimes as ISO strings)."""
        data = asdict(self)
        del data["raw"]
        for key in ("created_at", "pushed_at"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        data["topics"] = list(self.topics)
        return data


@dataclass(frozen=True, slots=True)
class RepositoryGone:
    """A repository GitHub no longer serves (404/410/451, or GraphQL ``NOT_FOUND``)."""

    full_name: str
    reason: str


@dataclass(frozen=True, slots=True)
class RepositoryUnchanged:
    """A repository whose conditional request answered 304: nothing changed."""

    full_name: str


RepositoryResult = RepositoryRecord | RepositoryGone | RepositoryUnchanged | QuarantinedInput


@dataclass(frozen=True, slots=True)
class RepositoryRef:
    """A known repository to refresh: its name and the ETag of its last REST answer."""

    full_name: str
    etag: str | None = None


@dataclass
class ListingPage:
    """One page of a login's repository listing.

    On a 304 ``records`` is empty and ``names`` comes from the stored page; ``state`` is
    what to store for the next conditional request of this page.
    """

    login: str
    url: str
    status: int
    records: list[RepositoryRecord | QuarantinedInput]
    names: list[str]
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _license(info: Any, spdx_key: str) -> str | None:
    if not isinstance(info, dict):
        return None
    spdx = info.get(spdx_key)
    if spdx and spdx != "NOASSERTION":
        return str(spdx)
    return info.get("name") or None


def record_from_rest(
    obj: dict[str, Any], *, via: str, etag: str | None = None, requested: str | None = None
) -> RepositoryRecord:
    """A record from a REST repository object. Raises KeyError/TypeError/ValueError when
    ``obj`` is not one."""
    return RepositoryRecord(
        full_name=str(obj["full_name"]),
        raw=json.dumps(obj, sort_keys=True, ensure_ascii=False),
        raw_format="rest-json",
        via=via,
        github_id=int(obj["id"]),
        node_id=obj.get("node_id"),
        description=obj.get("description"),
        html_url=obj.get("html_url"),
        stars=int(obj["stargazers_count"]),
        forks=int(obj["forks_count"]),
        watchers=obj.get("subscribers_count"),
        open_issues=int(obj["open_issues_count"]),
        language=obj.get("language"),
        topics=tuple(obj.get("topics") or ()),
        license=_license(obj.get("license"), "spdx_id"),
        created_at=_time(obj.get("created_at")),
        pushed_at=_time(obj.get("pushed_at")),
        archived=bool(obj.get("archived", False)),
        fork=bool(obj.get("fork", False)),
        etag=etag,
        requested_name=requested,
    )


def record_from_graphql(node: dict[str, Any], *, requested: str | None = None) -> RepositoryRecord:
    """A record from a GraphQL ``Repository`` selected with :data:`REPOSITORY_FRAGMENT`.
    Raises KeyError/TypeError/ValueError when ``node`` lacks those fields."""
    topics = tuple(
        n["topic"]["name"] for n in (node.get("repositoryTopics") or {}).get("nodes") or ()
    )
    return RepositoryRecord(
        full_name=str(node["nameWithOwner"]),
        raw=json.dumps(node, sort_keys=True, ensure_ascii=False),
        raw_format="graphql-json",
        via="graphql",
        github_id=node.get("databaseId"),
        node_id=node.get("id"),
        description=node.get("description"),
        html_url=node.get("url"),
        stars=int(node["stargazerCount"]),
        forks=int(node["forkCount"]),
        watchers=int(node["watchers"]["totalCount"]),
        open_issues=int(node["issues"]["totalCount"]) + int(node["pullRequests"]["totalCount"]),
        language=(node.get("primaryLanguage") or {}).get("name"),
        topics=topics,
        license=_license(node.get("licenseInfo"), "spdxId"),
        created_at=_time(node.get("createdAt")),
        pushed_at=_time(node.get("pushedAt")),
        archived=bool(node.get("isArchived", False)),
        fork=bool(node.get("isFork", False)),
        requested_name=requested,
    )


REPOSITORY_FRAGMENT = """fragment repo on Repository {
  id databaseId nameWithOwner description url
  stargazerCount forkCount watchers { totalCount }
  issues(states: OPEN) { totalCount } pullRequests(states: OPEN) { totalCount }
  primaryLanguage { name } repositoryTopics(first: 20) { nodes { topic { name } } }
  licenseInfo { spdxId name } createdAt pushedAt isArchived isFork
}"""


def batch_query(full_names: Sequence[str]) -> str:
    """One GraphQL query for up to 100 repositories, aliased ``r0``, ``r1``... in order."""
    if len(full_names) > GRAPHQL_BATCH:
        raise ValueError(f"at most {GRAPHQL_BATCH} repositories per query")
    lines = ["query {", "  rateLimit { cost remaining resetAt }"]
    for index, full_name in enumerate(full_names):
        owner, name = full_name.split("/", 1)
        lines.append(
            f"  r{index}: repository(owner: {json.dumps(owner)}, name: {json.dumps(name)})"
            " { ...repo }"
        )
    lines.append("}")
    return "\n".join(lines) + "\n" + REPOSITORY_FRAGMENT + "\n"


@dataclass
class GitHubHarvester:
    """Lists a login's repositories and refreshes known ones, as typed results."""

    client: GitHubClient
    per_page: int = 100
    batch_size: int = GRAPHQL_BATCH

    def list_user_repositories(
        self, login: str, stored: Callable[[str], dict[str, Any] | None]
    ) -> Iterator[ListingPage]:
        """Every page of ``login``'s own repositories, oldest first.

        ``stored(page_url)`` gives the state kept from the last run for that page (its ETag
        and repository names); the page is requested conditionally and a 304 reuses those
        names. A login GitHub does not know yields one empty page with status 404. Raises
        the client's errors.
        """
        url: str | None = f"{self.client.base_url}/users/{login}/repos"
        params: dict[str, Any] | None = {**LISTING_PARAMS, "per_page": self.per_page}
        while url:
            key = str(full_url(url, params))
            known = stored(key) or {}
            response = self.client.get(url, params, etag=known.get("etag"), allow_missing=True)
            if response.status in (404, 410, 451):
                logger.warning("GitHub: login %s not found", login)
                yield ListingPage(login, key, response.status, [], [])
                return
            if response.not_modified and "names" in known:
                page = ListingPage(login, key, 304, [], list(known["names"]), dict(known))
                next_url = known.get("next")
            else:
                page = self._listing_page(login, key, response)
                next_url = response.next_url
            yield page
            url, params = next_url, None

    def _listing_page(self, login: str, key: str, response: GitHubResponse) -> ListingPage:
        items = response.data if isinstance(response.data, list) else []
        if not isinstance(response.data, list):
            bad = QuarantinedInput(SOURCE, "repository listing is not a JSON list", response.text)
            return ListingPage(login, key, response.status, [bad], [])
        records: list[RepositoryRecord | QuarantinedInput] = []
        for obj in items:
            try:
                records.append(record_from_rest(obj, via="listing"))
            except (KeyError, TypeError, ValueError) as exc:
                records.append(
                    QuarantinedInput(SOURCE, f"unreadable repository: {exc!r}", json.dumps(obj))
                )
        names = [r.full_name for r in records if isinstance(r, RepositoryRecord)]
        state = {"etag": response.etag, "names": names, "next": response.next_url}
        return ListingPage(login, key, response.status, records, names, state)

    def refresh_graphql(self, full_names: Sequence[str]) -> Iterator[list[RepositoryResult]]:
        """Current values of ``full_names``, one GraphQL request per ``batch_size`` names;
        yields each batch's results. Raises the client's errors."""
        for start in range(0, len(full_names), self.batch_size):
            names = list(full_names[start : start + self.batch_size])
            result = self.client.graphql(batch_query(names))
            missing = result.not_found()
            batch: list[RepositoryResult] = []
            for index, requested in enumerate(names):
                alias = f"r{index}"
                node = result.data.get(alias)
                if node is None:
                    if alias in missing:
                        batch.append(RepositoryGone(requested, "GraphQL NOT_FOUND"))
                    else:
                        reason = _alias_error(result.errors, alias)
                        batch.append(QuarantinedInput(SOURCE, reason, result.text, requested))
                    continue
                try:
                    batch.append(record_from_graphql(node, requested=requested))
                except (KeyError, TypeError, ValueError) as exc:
                    batch.append(
                        QuarantinedInput(
                            SOURCE, f"unreadable repository: {exc!r}", json.dumps(node), requested
                        )
                    )
            yield batch

    def refresh_rest(self, refs: Sequence[RepositoryRef]) -> Iterator[RepositoryResult]:
        """Current values of ``refs`` by conditional REST GETs (one request each; a 304
        costs no budget). Raises the client's errors."""
        for ref in refs:
            response = self.client.get(f"/repos/{ref.full_name}", etag=ref.etag, allow_missing=True)
            if response.status in (404, 410, 451):
                yield RepositoryGone(ref.full_name, f"HTTP {response.status}")
            elif response.not_modified:
                yield RepositoryUnchanged(ref.full_name)
            else:
                try:
                    yield record_from_rest(
                        response.data, via="rest", etag=response.etag, requested=ref.full_name
                    )
                except (KeyError, TypeError, ValueError) as exc:
                    yield QuarantinedInput(
                        SOURCE, f"unreadable repository: {exc!r}", response.text, ref.full_name
                    )


def _alias_error(errors: list[dict[str, Any]], alias: str) -> str:
    for err in errors:
        if (err.get("path") or [None])[0] == alias:
            return f"GraphQL error {err.get('type')}: {err.get('message')}"
    return "GraphQL returned no data for this repository"
