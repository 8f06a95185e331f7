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

from harvesters.errors import HarvestError
from harvesters.github.client import GitHubClient, GitHubResponse, GraphQLResult, full_url
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
    # The licence's name as GitHub gives it ("Other" for an unidentified one); ``license``
    # holds only an SPDX id.
    license_name: str | None = None

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


# GitHub's counts and ids as stored: counts in 32-bit columns, ids in 64-bit ones. A value
# outside is not something GitHub reports; the repository is quarantined instead.
_MAX_COUNT = 2**31 - 1
_MAX_ID = 2**63 - 1
_SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$")


class UnreadableRepository(HarvestError, ValueError):
    """A repository answer whose fields do not have the documented types or ranges."""


def _time(value: Any, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise UnreadableRepository(f"{key} is not a time string: {_shown(value)}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UnreadableRepository(f"{key} is not an ISO time: {value[:40]!r}") from exc


def _shown(value: Any) -> str:
    """A short description of an unexpected value, for a quarantine reason."""
    text = repr(value) if isinstance(value, (str, int, float, bool)) else type(value).__name__
    return text[:60]


def _count(obj: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_COUNT:
        raise UnreadableRepository(f"{key} is not a count: {_shown(value)}")
    return value


def _github_id(value: Any, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= _MAX_ID:
        raise UnreadableRepository(f"{key} is not a GitHub id: {_shown(value)}")
    return value


def _string(obj: dict[str, Any], key: str, *, max_length: int | None = None) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or "\x00" in value:
        raise UnreadableRepository(f"{key} is not a string: {_shown(value)}")
    if max_length is not None and len(value) > max_length:
        raise UnreadableRepository(f"{key} is longer than {max_length} characters")
    return value or None


def _full_name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise UnreadableRepository(f"{key} is not an owner/name: {_shown(value)}")
    return value


def _object(obj: dict[str, Any], key: str) -> dict[str, Any]:
    """``obj[key]`` when it is an object, {} when null or absent."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnreadableRepository(f"{key} is not an object: {_shown(value)}")
    return value


def _flag(obj: dict[str, Any], key: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise UnreadableRepository(f"{key} is not true/false: {_shown(value)}")
    return value


def _topics(values: Any, key: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list) or not all(
        isinstance(v, str) and 0 < len(v) <= 100 and "\x00" not in v for v in values
    ):
        raise UnreadableRepository(f"{key} is not a list of topic names")
    return tuple(values)


def _license(info: Any, spdx_key: str) -> tuple[str | None, str | None]:
    """The licence's SPDX id (None when GitHub gives none, or ``NOASSERTION``: a licence
    it could not identify) and its name. Only an SPDX id goes to the SPDX column."""
    if info is None:
        return None, None
    if not isinstance(info, dict):
        raise UnreadableRepository(f"licence is not an object: {_shown(info)}")
    spdx = info.get(spdx_key)
    name = info.get("name")
    name = name if isinstance(name, str) and name and "\x00" not in name else None
    if isinstance(spdx, str) and spdx != "NOASSERTION" and _SPDX_ID.match(spdx):
        return spdx, name
    return None, name


def record_from_rest(
    obj: Any, *, via: str, etag: str | None = None, requested: str | None = None
) -> RepositoryRecord:
    """A record from a REST repository object. Raises UnreadableRepository (a ValueError)
    when ``obj`` is not one: a missing field, or a field of the wrong type or range."""
    if not isinstance(obj, dict):
        raise UnreadableRepository(f"repository is not a JSON object: {_shown(obj)}")
    spdx, license_name = _license(obj.get("license"), "spdx_id")
    return RepositoryRecord(
        full_name=_full_name(obj.get("full_name"), "full_name"),
        raw=_dumps(obj),
        raw_format="rest-json",
        via=via,
        github_id=_github_id(obj.get("id"), "id"),
        node_id=_string(obj, "node_id", max_length=64),
        description=_string(obj, "description"),
        html_url=_string(obj, "html_url", max_length=512),
        stars=_count(obj, "stargazers_count"),
        forks=_count(obj, "forks_count"),
        watchers=_count(obj, "subscribers_count", required=False),
        open_issues=_count(obj, "open_issues_count"),
        language=_string(obj, "language", max_length=64),
        topics=_topics(obj.get("topics"), "topics"),
        license=spdx,
        created_at=_time(obj.get("created_at"), "created_at"),
        pushed_at=_time(obj.get("pushed_at"), "pushed_at"),
        archived=_flag(obj, "archived"),
        fork=_flag(obj, "fork"),
        etag=etag,
        requested_name=requested,
        license_name=license_name,
    )


def record_from_graphql(node: Any, *, requested: str | None = None) -> RepositoryRecord:
    """A record from a GraphQL ``Repository`` selected with :data:`REPOSITORY_FRAGMENT`.
    Raises UnreadableRepository (a ValueError) when ``node`` lacks those fields or a field
    has the wrong type or range."""
    if not isinstance(node, dict):
        raise UnreadableRepository(f"repository is not a JSON object: {_shown(node)}")
    topic_nodes = _object(node, "repositoryTopics").get("nodes") or []
    if not isinstance(topic_nodes, list):
        raise UnreadableRepository("repositoryTopics.nodes is not a list")
    names = []
    for item in topic_nodes:
        topic = item.get("topic") if isinstance(item, dict) else None
        names.append(topic.get("name") if isinstance(topic, dict) else topic)
    spdx, license_name = _license(node.get("licenseInfo"), "spdxId")
    issues = _count(_object(node, "issues"), "totalCount") or 0
    pulls = _count(_object(node, "pullRequests"), "totalCount") or 0
    if issues + pulls > _MAX_COUNT:
        raise UnreadableRepository("issues + pullRequests is not a count")
    return RepositoryRecord(
        full_name=_full_name(node.get("nameWithOwner"), "nameWithOwner"),
        raw=_dumps(node),
        raw_format="graphql-json",
        via="graphql",
        github_id=_github_id(node.get("databaseId"), "databaseId"),
        node_id=_string(node, "id", max_length=64),
        description=_string(node, "description"),
        html_url=_string(node, "url", max_length=512),
        stars=_count(node, "stargazerCount"),
        forks=_count(node, "forkCount"),
        watchers=_count(_object(node, "watchers"), "totalCount"),
        open_issues=issues + pulls,
        language=_string(_object(node, "primaryLanguage"), "name", max_length=64),
        topics=_topics(names, "repositoryTopics"),
        license=spdx,
        created_at=_time(node.get("createdAt"), "createdAt"),
        pushed_at=_time(node.get("pushedAt"), "pushedAt"),
        archived=_flag(node, "isArchived"),
        fork=_flag(node, "isFork"),
        requested_name=requested,
        license_name=license_name,
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, ensure_ascii=False)


def _raw_of(obj: Any, fallback: str = "") -> str:
    """``obj`` as JSON for a quarantine row, or ``fallback`` (the answer's text) when it
    cannot be serialized (too deeply nested)."""
    try:
        return _dumps(obj)
    except (RecursionError, TypeError, ValueError):
        return fallback


# What turning one answer into a record may raise: UnreadableRepository for bad fields,
# RecursionError for JSON nested too deeply to serialize back.
_RECORD_ERRORS = (UnreadableRepository, RecursionError)


def _quarantine(
    exc: BaseException, obj: Any, fallback: str, requested: str | None = None
) -> QuarantinedInput:
    reason = "repository nested too deeply" if isinstance(exc, RecursionError) else str(exc)
    return QuarantinedInput(
        SOURCE, f"unreadable repository: {reason}", _raw_of(obj, fallback), requested
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
        records = records_from_listing(response.data, response.text)
        names = [r.full_name for r in records if isinstance(r, RepositoryRecord)]
        state = {"etag": response.etag, "names": names, "next": response.next_url}
        return ListingPage(login, key, response.status, records, names, state)

    def refresh_graphql(self, full_names: Sequence[str]) -> Iterator[list[RepositoryResult]]:
        """Current values of ``full_names``, one GraphQL request per ``batch_size`` names;
        yields each batch's results. Raises the client's errors."""
        for start in range(0, len(full_names), self.batch_size):
            names = list(full_names[start : start + self.batch_size])
            yield results_from_graphql(names, self.client.graphql(batch_query(names)))

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
                yield rest_result(
                    response.data, response.text, etag=response.etag, requested=ref.full_name
                )


def rest_result(
    data: Any, text: str, *, etag: str | None, requested: str
) -> RepositoryRecord | QuarantinedInput:
    """The record of one decoded REST repository answer, or the answer quarantined when it
    is not one. Never raises."""
    try:
        return record_from_rest(data, via="rest", etag=etag, requested=requested)
    except _RECORD_ERRORS as exc:
        return _quarantine(exc, data, text, requested)


def records_from_listing(data: Any, text: str) -> list[RepositoryRecord | QuarantinedInput]:
    """The repositories of one decoded REST listing page; an unreadable one (or a page that
    is not a list) is quarantined. Never raises."""
    if not isinstance(data, list):
        return [QuarantinedInput(SOURCE, "repository listing is not a JSON list", text)]
    records: list[RepositoryRecord | QuarantinedInput] = []
    for obj in data:
        try:
            records.append(record_from_rest(obj, via="listing"))
        except _RECORD_ERRORS as exc:
            records.append(_quarantine(exc, obj, text))
    return records


def results_from_graphql(names: Sequence[str], result: GraphQLResult) -> list[RepositoryResult]:
    """One result per name asked for in :func:`batch_query` order: a record, RepositoryGone
    (``NOT_FOUND``) or QuarantinedInput (an error, or an unreadable node). Never raises."""
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
        except _RECORD_ERRORS as exc:
            batch.append(_quarantine(exc, node, result.text, requested))
    return batch


def _alias_error(errors: list[dict[str, Any]], alias: str) -> str:
    for err in errors:
        path = err.get("path")
        if isinstance(path, list) and path and path[0] == alias:
            return f"GraphQL error {str(err.get('type'))[:40]}: {str(err.get('message'))[:200]}"
    return "GraphQL returned no data for this repository"
