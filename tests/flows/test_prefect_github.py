"""The ``harvest-github`` Prefect flow: a run from recordings, its artifact, and no token
anywhere (logs, artifact, database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FIXTURES
from prefect_api import artifact_markdown, flow_run_logs
from sqlalchemy import func, select, text

from flows.prefect.github import HARVEST_GITHUB_ARTIFACT_KEY, harvest_github_flow
from models.engine import make_engine, session_factory
from models.github.tables import GitHubRepositorySnapshot
from models.queries import add_tracked_author

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")

REC = FIXTURES / "github" / "recordings"
TOKEN = "ghp_PREFECTsecret0123456789abcdefXYZ"


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_flow_run_harvests_from_recordings_and_leaks_no_token(
    database_url: str, replay_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    engine = make_engine(database_url)
    from models.migrate import upgrade

    upgrade(engine)
    with session_factory(engine)() as session:
        add_tracked_author(session, "Vincent Jacques", github_login="jacquev6")
        session.commit()
    folder = replay_dir(REC / "listing", REC / "graphql_batch")

    state = harvest_github_flow(
        replay=str(folder), database_url=database_url, token_secret=None, return_state=True
    )
    assert state.is_completed(), state
    result = state.result()
    (part,) = result["runs"]
    assert part["status"] == "succeeded"
    assert part["counts"]["fetched"] == 10

    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    markdown = artifact_markdown(flow_run_id, HARVEST_GITHUB_ARTIFACT_KEY)
    assert "harvest-github: succeeded" in markdown
    logs = flow_run_logs(flow_run_id)
    assert "authenticated" in logs  # the task said it had a token...
    for place in (markdown, logs, json.dumps(result, default=str)):
        assert TOKEN not in place  # ...and never showed it
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(GitHubRepositorySnapshot)) == 10
        for table in engine.dialect.get_table_names(session.connection()):
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                assert TOKEN not in repr(tuple(row)), table
    engine.dispose()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_token_comes_from_a_secret_block_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.blocks.system import Secret

    from flows.prefect.github import load_token

    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    Secret(value="ghp_from_the_block").save("sf-test-github-token", overwrite=True)
    assert load_token("sf-test-github-token") == "ghp_from_the_block"
    assert load_token("sf-no-such-block") is None  # unauthenticated, not an error
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_the_env")
    assert load_token("sf-no-such-block") == "ghp_from_the_env"
    assert load_token("sf-test-github-token") == "ghp_from_the_block"  # the block wins
