"""Reading a flow run's artifacts and logs back from the test Prefect server.

``client.read_artifacts`` and ``client.read_logs`` cannot be used with this version set: the
client sends ``null`` for every filter left out, which prefect 3.8.8 on fastapi 0.154 answers
with 422 (and an empty ``task_runs`` filter drops flow-level artifacts). So the request bodies
name only the filters wanted.
"""

from __future__ import annotations

from uuid import UUID

from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.client.schemas.objects import Artifact


def artifact_markdown(flow_run_id: UUID, key: str) -> str:
    """The markdown of the flow run's one artifact under ``key``; fails unless exactly one."""
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
    artifacts = Artifact.model_validate_list(response.json())
    assert len(artifacts) == 1, artifacts
    assert artifacts[0].type == "markdown"
    assert artifacts[0].flow_run_id == flow_run_id
    return str(artifacts[0].data)


def flow_run_logs(flow_run_id: UUID) -> str:
    """Every log message the flow run sent to the server (after flushing the log worker)."""
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10, at_exit=False)  # logs are sent in batches
    body = {"logs": {"flow_run_id": {"any_": [str(flow_run_id)]}}, "limit": 200, "offset": 0}
    with get_client(sync_client=True) as client:
        response = client.request("POST", "/logs/filter", json=body)
    return "\n".join(entry["message"] for entry in response.json())
