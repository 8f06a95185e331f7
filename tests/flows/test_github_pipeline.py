"""The GitHub pipeline on SQLite and PostgreSQL, driven by the recorded exchanges."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import FIXTURES
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from flows.pipelines.github import (
    GitHubLogin,
    github_harvester,
    harvest_github,
    link_work_repositories,
    tracked_github_logins,
)
from harvesters.github.client import GitHubClient
from harvesters.github.harvester import GitHubHarvester
from harvesters.http.replay import replaying
from harvesters.records import WorkRecord
from models.github.tables import (
    GitHubAuthorRepository,
    GitHubRepository,
    GitHubRepositoryAlias,
    GitHubRepositorySnapshot,
    GitHubWorkRepository,
)
from models.loader import load_batch
from models.provenance import HarvestRun
from models.queries import add_tracked_author, author_summary, list_works

REC = FIXTURES / "github" / "recordings"
TOKEN = "ghp_SECRETtoken0123456789abcdefABCDEF"


def body(folder: str, name: str):  # type: ignore[no-untyped-def]
    return json.loads(json.loads((REC / folder / name).read_text())["body"])


LISTING = body("listing", "wrapped_users_jacquev6_repos.json")
PYGITHUB = body("repo_get", "Repository.setUp_0_repos_PyGithub_PyGithub.json")
CODE_LINKS = (
    "https://github.com/jacquev6/PyGithub",  # the old name: GitHub redirects to PyGithub/PyGithub
    "https://github.com/jacquev6/TestPyGithub",  # deleted: 404 / NOT_FOUND
    "https://github.com/jacquev6/DrawTurksHead",  # also in the author's listing
)


def seed(sessions: sessionmaker[Session]) -> None:
    """A tracked author with a GitHub login and one paper whose abstract names three repos."""
    with sessions() as session:
        add_tracked_author(session, "Vincent Jacques", github_login="jacquev6")
        session.commit()
        author_id = tracked_github_logins(sessions)[0].author_id
        assert author_id is not None
        record = WorkRecord(
            source="arxiv-api",
            source_id="2401.00001",
            title="A paper with code",
            raw="<entry>test-built</entry>",
            raw_format="atom-entry",
            identifiers={"arxiv": "2401.00001"},
            code_links=CODE_LINKS,
            year=2024,
        )
        load_batch(session, [record], None)
        session.commit()


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def run(sessions: sessionmaker[Session], folder: Path, token: str | None, **kwargs):  # type: ignore[no-untyped-def]
    with replaying(folder):
        harvester = github_harvester(token=token, replay=True)
        summary = harvest_github(
            sessions, harvester, logins=tracked_github_logins(sessions), **kwargs
        )
    return summary, harvester


@pytest.mark.parametrize(
    ("token", "folders"),
    [(TOKEN, ("listing", "graphql_batch")), (None, ("listing", "repo_get", "moved", "gone"))],
    ids=["graphql", "rest"],
)
def test_same_recordings_twice_add_one_snapshot_per_repository_per_run(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path], token, folders
) -> None:
    seed(sessions)
    folder = replay_dir(*(REC / f for f in folders))

    first, _ = run(sessions, folder, token)
    assert first.status == "succeeded", first.error
    with sessions() as session:
        assert count(session, GitHubRepository) == 12  # 10 listed + PyGithub + the gone one
        assert count(session, GitHubRepositorySnapshot) == 11  # the gone one has none
    second, _ = run(sessions, folder, token)
    assert second.status == "succeeded", second.error

    with sessions() as session:
        assert count(session, GitHubRepository) == 12
        assert count(session, GitHubRepositorySnapshot) == 22
        per_pair = session.execute(
            select(
                GitHubRepositorySnapshot.repository_id,
                GitHubRepositorySnapshot.run_id,
                func.count(),
            ).group_by(GitHubRepositorySnapshot.repository_id, GitHubRepositorySnapshot.run_id)
        ).all()
        assert {c for _, _, c in per_pair} == {1}
        runs = {r for _, r, _ in per_pair}
        assert runs == {first.run_id, second.run_id}

        # Values as recorded.
        for obj in LISTING:
            row = session.scalar(
                select(GitHubRepository).where(GitHubRepository.github_id == obj["id"])
            )
            assert row is not None and row.full_name == obj["full_name"]
            assert (row.stars, row.forks, row.open_issues) == (
                obj["stargazers_count"],
                obj["forks_count"],
                obj["open_issues_count"],
            )
            assert row.language == obj["language"]
            assert row.fork == obj["fork"] and row.archived == obj["archived"]
        moved = session.scalar(
            select(GitHubRepository).where(GitHubRepository.github_id == PYGITHUB["id"])
        )
        assert moved is not None
        assert moved.full_name == "PyGithub/PyGithub"
        assert (moved.stars, moved.forks, moved.watchers) == (
            PYGITHUB["stargazers_count"],
            PYGITHUB["forks_count"],
            PYGITHUB["subscribers_count"],
        )
        assert moved.topics == PYGITHUB["topics"]
        assert session.scalars(select(GitHubRepositoryAlias.full_name)).all() == [
            "jacquev6/PyGithub"
        ]
        history = session.scalars(
            select(GitHubRepositorySnapshot.stars).where(
                GitHubRepositorySnapshot.repository_id == moved.id
            )
        ).all()
        assert history == [PYGITHUB["stargazers_count"]] * 2

        gone = session.scalar(
            select(GitHubRepository).where(GitHubRepository.name_key == "jacquev6/testpygithub")
        )
        assert gone is not None and gone.status == "gone" and gone.gone_at is not None

        assert count(session, GitHubWorkRepository) == 3
        assert count(session, GitHubAuthorRepository) == 10


def test_second_run_with_an_unchanged_listing_costs_no_budget(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        add_tracked_author(session, "Vincent Jacques", github_login="jacquev6")
        session.commit()
    run(sessions, REC / "listing", None, work_links=False)
    second, harvester = run(sessions, REC / "listing_304", None, work_links=False)

    assert second.status == "succeeded"
    assert harvester.client.counts.requests == 1
    assert harvester.client.counts.not_modified == 1
    assert second.counts["unchanged"] == 10
    with sessions() as session:
        carried = session.scalars(
            select(GitHubRepositorySnapshot).where(GitHubRepositorySnapshot.run_id == second.run_id)
        ).all()
        assert len(carried) == 10
        assert all(s.carried for s in carried)
        stars = {s.repository_id: s.stars for s in carried}
        rows = session.scalars(select(GitHubRepository)).all()
        assert {r.id: r.stars for r in rows} == stars


def fake_github(remaining_per_request: list[int]) -> httpx.MockTransport:
    """REST answers for /repos/o/rN: budget counting down as given, reset an hour away."""
    calls = iter(remaining_per_request)

    def answer(request: httpx.Request) -> httpx.Response:
        name = request.url.path.removeprefix("/repos/")
        number = int(name.rsplit("r", 1)[1])
        headers = {
            "x-ratelimit-limit": "60",
            "x-ratelimit-remaining": str(next(calls)),
            "x-ratelimit-reset": "4102444800",
            "x-ratelimit-resource": "core",
            "etag": f'"e{number}"',
        }
        obj = {
            "id": 1000 + number,
            "full_name": name,
            "stargazers_count": number,
            "forks_count": 0,
            "open_issues_count": 0,
            "html_url": f"https://github.com/{name}",
        }
        return httpx.Response(200, json=obj, headers=headers)

    return httpx.MockTransport(answer)


def test_spent_budget_blocks_the_run_and_the_next_run_resumes(
    sessions: sessionmaker[Session],
) -> None:
    names = ["o/r1", "o/r2", "o/r3"]
    blocked_client = GitHubClient(
        on_exhausted="stop", sleep=lambda _s: None, transport=fake_github([0])
    )
    summary = harvest_github(sessions, GitHubHarvester(blocked_client), repos=names)
    assert summary.status == "blocked"
    assert "GitHubRateLimitError" in (summary.error or "")
    assert blocked_client.counts.requests == 1  # stopped instead of sending more
    with sessions() as session:
        # The one answer received before the budget ran out is kept (o/r1).
        assert count(session, GitHubRepositorySnapshot) == 1
        assert session.get_one(HarvestRun, summary.run_id).status == "blocked"

    later = GitHubClient(
        on_exhausted="stop", sleep=lambda _s: None, transport=fake_github([59, 58, 57])
    )
    resumed = harvest_github(sessions, GitHubHarvester(later))
    assert resumed.status == "succeeded"
    with sessions() as session:
        assert sorted(session.scalars(select(GitHubRepository.stars))) == [1, 2, 3]


def test_stop_on_rate_limit_keeps_the_repositories_already_answered(
    sessions: sessionmaker[Session],
) -> None:
    names = [f"o/r{n}" for n in range(1, 6)]
    client = GitHubClient(
        on_exhausted="stop", sleep=lambda _s: None, transport=fake_github([2, 1, 0])
    )
    summary = harvest_github(sessions, GitHubHarvester(client), repos=names)

    assert summary.status == "blocked"
    assert client.counts.requests == 3
    assert summary.counts["fetched"] == 3 and summary.counts["inserted"] == 3
    with sessions() as session:
        assert count(session, GitHubRepositorySnapshot) == 3
        stars = dict(
            session.execute(select(GitHubRepository.full_name, GitHubRepository.stars))
            .tuples()
            .all()
        )
        assert stars == {"o/r1": 1, "o/r2": 2, "o/r3": 3, "o/r4": None, "o/r5": None}

    # The next run starts with the two never refreshed.
    later = GitHubClient(
        on_exhausted="stop", sleep=lambda _s: None, transport=fake_github([59, 58, 57, 56, 55])
    )
    resumed = harvest_github(sessions, GitHubHarvester(later))
    assert resumed.status == "succeeded"
    with sessions() as session:
        assert sorted(session.scalars(select(GitHubRepository.stars))) == [1, 2, 3, 4, 5]


def test_spent_budget_waits_for_the_reset_when_told_to_wait(
    sessions: sessionmaker[Session],
) -> None:
    slept: list[float] = []
    from datetime import UTC, datetime

    gh = GitHubClient(
        on_exhausted="wait",
        sleep=slept.append,
        max_wait=7200,
        clock=lambda: datetime.fromtimestamp(4102444800 - 600, UTC),
        transport=fake_github([0, 59]),
    )
    summary = harvest_github(sessions, GitHubHarvester(gh), repos=["o/r1", "o/r2"])
    assert summary.status == "succeeded"
    assert slept == [601.0]  # until the recorded reset, plus a second
    with sessions() as session:
        assert count(session, GitHubRepositorySnapshot) == 2


def test_token_appears_in_no_row_and_no_log_line(
    sessions: sessionmaker[Session],
    replay_dir: Callable[..., Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seed(sessions)
    summary, _ = run(sessions, replay_dir(REC / "listing", REC / "graphql_batch"), TOKEN)
    assert summary.status == "succeeded"
    assert TOKEN not in caplog.text
    assert TOKEN not in json.dumps(summary.as_dict())
    with sessions() as session:
        engine = session.get_bind()
        for table in engine.dialect.get_table_names(session.connection()):
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                assert TOKEN not in repr(tuple(row)), table
        params = session.get_one(HarvestRun, summary.run_id).params
    assert params["authenticated"] is True


def test_summaries_show_repositories_and_stars(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    seed(sessions)
    run(sessions, replay_dir(REC / "listing", REC / "graphql_batch"), TOKEN)
    with sessions() as session:
        summary = author_summary(session, "Vincent Jacques")
        (work,) = [w for w in list_works(session) if w.identifiers.get("arxiv") == "2401.00001"]
    owned = sum(obj["stargazers_count"] for obj in LISTING)
    assert summary.stars == owned  # the paper is not attributed to him (no authorship)
    assert {r["full_name"] for r in summary.repositories} == {o["full_name"] for o in LISTING}
    assert [r["full_name"] for r in work.repositories] == [
        "PyGithub/PyGithub",
        "jacquev6/DrawTurksHead",
        "jacquev6/TestPyGithub",
    ]
    assert work.repositories[0]["stars"] == PYGITHUB["stargazers_count"]
    assert work.repositories[2]["status"] == "gone"


def test_a_link_to_the_old_name_finds_the_renamed_repository(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    seed(sessions)
    run(sessions, replay_dir(REC / "listing", REC / "graphql_batch"), TOKEN)
    with sessions() as session:
        record = WorkRecord(
            source="arxiv-api",
            source_id="2401.00002",
            title="Another",
            raw="<entry>2</entry>",
            raw_format="atom-entry",
            identifiers={"arxiv": "2401.00002"},
            code_links=("https://github.com/JACQUEV6/pygithub",),
        )
        load_batch(session, [record], None)
        link_work_repositories(session)
        session.commit()
        assert count(session, GitHubRepository) == 12
        ids = set(session.scalars(select(GitHubWorkRepository.repository_id)))
        assert len(ids) == 3


def test_code_links_of_real_arxiv_records_link_works_to_repositories(
    sessions: sessionmaker[Session], replay_dir: Callable[..., Path]
) -> None:
    from conftest import ARXIV_RECORDINGS

    from flows.runtime import arxiv_api_harvester

    with replaying(ARXIV_RECORDINGS):
        harvester = arxiv_api_harvester(replay=True, page_size=10)
        items = list(harvester.search("testing", max_results=60, sort="relevance"))
    with sessions() as session:
        load_batch(session, [i for i in items if isinstance(i, WorkRecord)], None)
        assert link_work_repositories(session) >= 1
        session.commit()
        names = set(session.scalars(select(GitHubRepository.full_name)))
    assert "ydecastro/super-resolution-testing" in names


def test_unknown_login_is_logged_and_the_run_goes_on(sessions: sessionmaker[Session]) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"message": "Not Found"})

    gh = GitHubClient(sleep=lambda _s: None, transport=httpx.MockTransport(answer))
    summary = harvest_github(
        sessions, GitHubHarvester(gh), logins=[GitHubLogin("X", "nobody-here")]
    )
    assert summary.status == "succeeded"
    assert summary.counts["fetched"] == 0
