"""How many GitHub requests (and how much rate budget) refreshing 1,000 known repositories
costs, against the naive REST baseline (one GET per repository) measured in the same run.

Run: ``uv run python bench/github_refresh_requests.py [--repos 1000]``

GitHub is replaced by an in-process ``httpx.MockTransport`` that answers like the API:
GraphQL batch queries (cost 1 per query of up to 100 repositories), REST repository GETs
with ETags (a matching ``If-None-Match`` answers 304 and costs nothing), and the paginated
``/users/{login}/repos`` listing with ``Link`` headers. It counts every request and the
budget spent. The scholarflow side is the real pipeline (``flows.pipelines.github``) on a
temporary SQLite database.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.pipelines.github import GitHubLogin, harvest_github
from harvesters.github.client import GitHubClient
from harvesters.github.harvester import GitHubHarvester
from models.engine import make_engine, session_factory
from models.github import store as github_store
from models.migrate import upgrade

_ALIAS = re.compile(r'r(\d+): repository\(owner: "([^"]+)", name: "([^"]+)"\)')


@dataclass
class FakeGitHub:
    """Answers GraphQL batches, conditional REST GETs and listings; counts requests/budget."""

    owner: str = "lab"
    repos: int = 1000
    requests: int = 0
    budget_used: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def stars(self, name: str) -> int:
        return int(name.rsplit("-", 1)[1]) % 97

    def rest(self, name: str) -> dict:
        return {
            "id": 10_000 + int(name.rsplit("-", 1)[1]),
            "full_name": f"{self.owner}/{name}",
            "stargazers_count": self.stars(name),
            "forks_count": 1,
            "open_issues_count": 0,
            "subscribers_count": 2,
            "language": "Python",
            "topics": [],
            "created_at": "2020-01-01T00:00:00Z",
            "pushed_at": "2024-01-01T00:00:00Z",
            "archived": False,
            "fork": False,
        }

    def node(self, name: str) -> dict:
        rest = self.rest(name)
        return {
            "id": f"R_{rest['id']}",
            "databaseId": rest["id"],
            "nameWithOwner": rest["full_name"],
            "description": None,
            "url": f"https://github.com/{rest['full_name']}",
            "stargazerCount": rest["stargazers_count"],
            "forkCount": 1,
            "watchers": {"totalCount": 2},
            "issues": {"totalCount": 0},
            "pullRequests": {"totalCount": 0},
            "primaryLanguage": {"name": "Python"},
            "repositoryTopics": {"nodes": []},
            "licenseInfo": None,
            "createdAt": rest["created_at"],
            "pushedAt": rest["pushed_at"],
            "isArchived": False,
            "isFork": False,
        }

    def _count(self, kind: str, budget: int) -> None:
        self.requests += 1
        self.budget_used += budget
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/graphql":
            query = json.loads(request.content)["query"]
            self._count("graphql", 1)
            data = {f"r{i}": self.node(name) for i, _owner, name in _ALIAS.findall(query)}
            return httpx.Response(200, json={"data": data})
        if path.startswith("/repos/"):
            name = path.rsplit("/", 1)[1]
            etag = f'W/"{self.stars(name)}"'
            if request.headers.get("if-none-match") == etag:
                self._count("rest-304", 0)
                return httpx.Response(304, headers={"etag": etag})
            self._count("rest-200", 1)
            return httpx.Response(200, json=self.rest(name), headers={"etag": etag})
        if path == f"/users/{self.owner}/repos":
            page = int(request.url.params.get("page", "1"))
            per_page = int(request.url.params.get("per_page", "30"))
            names = [f"repo-{i}" for i in range(self.repos)][(page - 1) * per_page :][:per_page]
            etag = f'W/"page-{page}"'
            headers = {"etag": etag}
            if page * per_page < self.repos:
                headers["link"] = (
                    f"<https://api.github.com/users/{self.owner}/repos?page={page + 1}"
                    f'&per_page={per_page}>; rel="next"'
                )
            if request.headers.get("if-none-match") == etag:
                self._count("listing-304", 0)
                return httpx.Response(304, headers=headers)
            self._count("listing-200", 1)
            return httpx.Response(200, json=[self.rest(n) for n in names], headers=headers)
        return httpx.Response(404, json={"message": "Not Found"})


def harvester(fake: FakeGitHub, token: str | None) -> GitHubHarvester:
    client = GitHubClient(token=token, sleep=lambda _s: None, transport=httpx.MockTransport(fake))
    return GitHubHarvester(client)


def database(folder: Path, name: str, known: list[str] | None):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{folder / name}.db")
    upgrade(engine)
    sessions = session_factory(engine)
    if known:
        with sessions() as session:
            github_store.ensure_repositories(session, known)
            session.commit()
    return sessions


def measure(fake: FakeGitHub, run) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    before = (fake.requests, fake.budget_used)
    summary = run()
    assert summary.status == "succeeded", summary.error
    return fake.requests - before[0], fake.budget_used - before[1]


def naive_baseline(fake: FakeGitHub, names: list[str]) -> tuple[int, int]:
    """One unconditional REST GET per repository, as a client without batching or ETags does."""
    before = (fake.requests, fake.budget_used)
    with httpx.Client(transport=httpx.MockTransport(fake), base_url="https://api.github.com") as c:
        for name in names:
            c.get(f"/repos/{name}").raise_for_status()
    return fake.requests - before[0], fake.budget_used - before[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=1000)
    n = parser.parse_args().repos
    fake = FakeGitHub(repos=n)
    names = [f"{fake.owner}/repo-{i}" for i in range(n)]
    rows: list[tuple[str, int, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows.append(("naive REST, one GET each (baseline)", *naive_baseline(fake, names)))
        rows.append(("naive REST again (baseline)", *naive_baseline(fake, names)))

        sessions = database(folder, "graphql", names)
        rows.append(
            (
                "GraphQL batches, 1st refresh",
                *measure(
                    fake, lambda: harvest_github(sessions, harvester(fake, "t"), work_links=False)
                ),
            )
        )
        rows.append(
            (
                "GraphQL batches, 2nd refresh (unchanged)",
                *measure(
                    fake, lambda: harvest_github(sessions, harvester(fake, "t"), work_links=False)
                ),
            )
        )

        sessions = database(folder, "rest", names)
        rows.append(
            (
                "REST conditional (no token), 1st",
                *measure(
                    fake, lambda: harvest_github(sessions, harvester(fake, None), work_links=False)
                ),
            )
        )
        rows.append(
            (
                "REST conditional (no token), 2nd (unchanged)",
                *measure(
                    fake, lambda: harvest_github(sessions, harvester(fake, None), work_links=False)
                ),
            )
        )

        sessions = database(folder, "listing", None)
        login = [GitHubLogin("Lab", fake.owner)]
        rows.append(
            (
                "author listing (100/page), 1st",
                *measure(
                    fake, lambda: harvest_github(sessions, harvester(fake, "t"), logins=login)
                ),
            )
        )
        rows.append(
            (
                "author listing, 2nd (unchanged, 304s)",
                *measure(
                    fake, lambda: harvest_github(sessions, harvester(fake, "t"), logins=login)
                ),
            )
        )
        with sessions() as session:
            from sqlalchemy import func, select

            from models.github.tables import GitHubRepositorySnapshot

            snapshots = session.scalar(select(func.count()).select_from(GitHubRepositorySnapshot))

    baseline_requests, baseline_budget = rows[0][1], rows[0][2]
    print(f"Refreshing {n} known GitHub repositories (in-process fake API, requests counted)")
    print(f"{'scenario':48} {'requests':>9} {'budget':>7} {'req vs baseline':>16}")
    for label, requests, budget in rows:
        ratio = requests / baseline_requests if baseline_requests else 0.0
        print(f"{label:48} {requests:9d} {budget:7d} {ratio:15.3f}x")
    print(
        f"baseline budget: {baseline_budget}; listing runs stored {snapshots} snapshots "
        f"({n} per run)"
    )
    graphql_first = rows[2][1]
    target = (n + 99) // 100
    print(
        f"target: at most {target} requests for {n} repositories -> "
        f"{'met' if graphql_first <= target else 'MISSED'} ({graphql_first})"
    )
    return 0 if graphql_first <= target else 1


if __name__ == "__main__":
    sys.exit(main())
