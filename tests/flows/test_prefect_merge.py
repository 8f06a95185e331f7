"""The ``merge`` flow: operator overrides as a typed flow parameter, applied to the database
named by the environment, with a summary artifact."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import FIXTURES
from prefect_api import artifact_markdown
from sqlalchemy import select

from flows.prefect.merge import MERGE_ARTIFACT_KEY, Override, merge
from flows.runtime import open_database
from harvesters.acl.parse import parse_collection
from harvesters.records import WorkRecord
from models.identity.tables import WorkMention
from models.loader import load_batch

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")


def _paper_and_its_doi_view() -> tuple[WorkRecord, WorkRecord]:
    path = FIXTURES / "acl" / "xml" / "2023.repl4nlp.xml"
    paper = next(
        r
        for r in parse_collection(path.read_bytes(), path.stem)
        if isinstance(r, WorkRecord) and "doi" in r.identifiers and r.authors
    )
    doi = paper.identifiers["doi"]
    view = dataclasses.replace(  # constructed: a citation graph's DOI-only view of the paper
        paper, source="constructed-doi-view", source_id=doi, identifiers={"doi": doi}, raw=doi
    )
    return paper, view


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_an_override_given_as_a_flow_parameter_splits_the_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'merge.db'}"
    monkeypatch.setenv("SCHOLARFLOW_DATABASE_URL", url)
    paper, view = _paper_and_its_doi_view()
    sessions = open_database(url)
    with sessions() as session:
        load_batch(session, [paper, view], None)
        session.commit()
    keys = [f"acl:{paper.source_id}", f"constructed-doi-view:{view.source_id}"]

    def works() -> set[int]:
        with sessions() as session:
            return set(
                session.scalars(select(WorkMention.work_id).where(WorkMention.key.in_(keys)))
            )

    assert len(works()) == 1  # one work by the shared DOI
    state = merge(
        overrides=[
            Override(
                entity="work",
                action="split",
                left=keys[0],
                right=keys[1],
                reason="the DOI view is a different record",
            )
        ],
        return_state=True,
    )
    assert state.is_completed()
    assert len(works()) == 2
    markdown = artifact_markdown(state.state_details.flow_run_id, MERGE_ARTIFACT_KEY)
    assert f"| work | split | {keys[0]} | {keys[1]} |" in markdown
