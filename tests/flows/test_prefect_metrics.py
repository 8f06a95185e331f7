"""The ``compute-metrics`` Prefect flow: it stores the summaries in scope, publishes a table
artifact of those it changed, and a second run with no input change recomputes none."""

from __future__ import annotations

import os
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.client.schemas.objects import Artifact

from flows.cli.main import main
from flows.prefect.metrics import COMPUTE_METRICS_ARTIFACT_KEY, compute_metrics

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")


def table_artifact(flow_run_id: UUID, key: str) -> Artifact:
    """The flow run's one artifact under ``key`` (only the wanted filters are sent: see
    tests/prefect_api.py for why)."""
    artifact_filter = ArtifactFilter(
        key=ArtifactFilterKey(any_=[key]),
        flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]),
    )
    body = {
        "artifacts": artifact_filter.model_dump(mode="json", exclude_unset=True),
        "sort": "CREATED_DESC",
        "limit": 10,
        "offset": 0,
    }
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/artifacts/filter", json=body)
    (artifact,) = Artifact.model_validate_list(response.json())
    return artifact


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_compute_metrics_flow_publishes_the_changed_summaries(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flow.db'}"
    for name in ("Ada Lovelace", "Alan Turing"):
        assert main(["--database-url", url, "-q", "authors", "add", name]) == 0

    state = compute_metrics(database_url=url, return_state=True)

    assert state.is_completed(), state
    result = state.result()
    assert (result["considered"], result["computed"], result["unchanged"]) == (2, 2, 0)
    artifact = table_artifact(state.state_details.flow_run_id, COMPUTE_METRICS_ARTIFACT_KEY)
    assert artifact.type == "table"
    assert "2 recomputed" in (artifact.description or "")
    assert "Ada Lovelace" in str(artifact.data) and "Alan Turing" in str(artifact.data)

    again = compute_metrics(database_url=url)
    assert (again["computed"], again["unchanged"], again["changed"]) == (0, 2, [])


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_computes_in_forked_workers_inside_prefect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole-table run forks worker processes; inside a Prefect flow run (a process with
    Prefect's own threads) they must finish and store what one process stores. The bounds
    are lowered so two tracked authors take the forked path (from 10,000 authors otherwise)."""
    from models.metrics import store

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: a whole-table run computes in its own process")
    forked: list[int] = []
    in_workers = store.in_workers

    def spy(tasks, job, workers):  # type: ignore[no-untyped-def]
        forked.append(workers)
        yield from in_workers(tasks, job, workers)

    url = f"sqlite:///{tmp_path / 'flow.db'}"
    for name in ("Ada Lovelace", "Alan Turing"):
        assert main(["--database-url", url, "-q", "authors", "add", name]) == 0
    monkeypatch.setattr(store, "PARALLEL_MIN", 1)
    monkeypatch.setattr(store, "TASK", 1)
    monkeypatch.setattr(store, "in_workers", spy)
    state = compute_metrics(database_url=url, all_authors=True, full=True, return_state=True)

    assert state.is_completed(), state
    assert forked == [min(os.cpu_count() or 1, store.MAX_WORKERS)]  # two on CI's 2 cores
    result = state.result()
    assert (result["considered"], result["computed"]) == (2, 2)
    assert sorted(row["name"] for row in result["changed"]) == ["Ada Lovelace", "Alan Turing"]
    monkeypatch.setattr(store, "PARALLEL_MIN", 10**9)  # the same in one process
    again = compute_metrics(database_url=url, all_authors=True, full=True)
    assert again["changed"] == result["changed"] and len(forked) == 1
