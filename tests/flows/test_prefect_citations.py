"""The ``harvest-citations`` Prefect flow: S2 then OpenAlex from recordings, its artifact, and
no API key or mailto anywhere (logs, artifact, result, database)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from citation_records import versions
from conftest import FIXTURES
from prefect_api import artifact_markdown, flow_run_logs
from sqlalchemy import Engine, func, select, text

from flows.prefect.citations import HARVEST_CITATIONS_ARTIFACT_KEY, harvest_citations_flow
from models.citations.tables import CitationObservation
from models.engine import make_engine, session_factory
from models.loader import load_batch

# pytest-xdist (--dist loadgroup): one worker runs the Prefect test harness tests (one server).
pytestmark = pytest.mark.xdist_group("prefect_harness")

KEY = "s2-PREFECT-secret-key-0123456789"
MAILTO = "prefect-secret-inbox@example.org"
S2_VERSIONS = FIXTURES / "s2" / "recordings" / "versions"
RECORDINGS = (S2_VERSIONS, FIXTURES / "openalex" / "recordings" / "dois")


def database_with_two_versions(database_url: str) -> Engine:
    """A migrated database holding the two constructed versions of one paper (citation_records);
    the caller disposes of the engine."""
    from models.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        load_batch(session, versions(), None)
        session.commit()
    return engine


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_flow_run_looks_up_citations_and_leaks_no_secret(
    database_url: str, replay_dir: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHOLARFLOW_S2_API_KEY", KEY)
    monkeypatch.setenv("SCHOLARFLOW_OPENALEX_MAILTO", MAILTO)
    engine = database_with_two_versions(database_url)
    folder = replay_dir(*RECORDINGS)

    state = harvest_citations_flow(
        replay=str(folder),
        database_url=database_url,
        s2_key_secret=None,
        openalex_mailto_secret=None,
        return_state=True,
    )
    assert state.is_completed(), state
    result = state.result()
    assert [(r["part"], r["status"]) for r in result["runs"]] == [
        ("s2", "succeeded"),
        ("openalex", "succeeded"),
    ]
    assert result["runs"][0]["cursor"]["found"] == 2
    flow_run_id = state.state_details.flow_run_id
    markdown = artifact_markdown(flow_run_id, HARVEST_CITATIONS_ARTIFACT_KEY)
    assert "harvest-citations: succeeded" in markdown
    logs = flow_run_logs(flow_run_id)
    assert "with an API key" in logs and "polite pool" in logs
    for place in (markdown, logs, json.dumps(result, default=str)):
        assert KEY not in place and MAILTO not in place
    with session_factory(engine)() as session:
        assert session.scalar(select(func.count()).select_from(CitationObservation)) == 1
        for table in engine.dialect.get_table_names(session.connection()):
            for row in session.execute(text(f'SELECT * FROM "{table}"')):
                assert KEY not in repr(tuple(row)) and MAILTO not in repr(tuple(row)), table
    engine.dispose()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_the_key_comes_from_a_secret_block() -> None:
    from prefect.blocks.system import Secret

    from flows.prefect.citations import load_secret

    Secret(value="from-the-block").save("sf-test-s2-key", overwrite=True)
    assert load_secret("sf-test-s2-key") == "from-the-block"
    assert load_secret("sf-no-such-block") is None
    assert load_secret(None) is None


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_nightly_refreshes_citations_after_the_sources_then_the_metrics(
    database_url: str, replay_dir: Callable[..., Path]
) -> None:
    from flows.prefect.nightly import nightly
    from models.authors import Author
    from models.metrics.export import summary_rows
    from models.queries import find_author

    engine = database_with_two_versions(database_url)
    folder = replay_dir(*RECORDINGS)
    recorded = json.loads((S2_VERSIONS / "constructed_batch_day1.json").read_text())
    s2_count = json.loads(recorded["body"])[0]["citationCount"]

    # Scholar only (no tracked Scholar id: nothing to ask), so the stages are what runs.
    state = nightly(
        sources=["scholar"],
        metrics_all_authors=True,
        replay_dir=str(folder),
        database_url=database_url,
        return_state=True,
    )

    assert state.is_completed() and state.name == "Completed", state
    results = state.result()
    assert list(results) == ["scholar", "merge", "citations", "metrics"]
    assert [(r["part"], r["status"]) for r in results["citations"]["runs"]] == [
        ("s2", "succeeded"),
        ("openalex", "succeeded"),
    ]
    with session_factory(engine)() as session:
        # Every canonical author (none is tracked): the merged paper's, the S2 list included.
        authors = session.scalar(select(func.count()).select_from(Author))
        assert results["metrics"]["runs"][0]["counts"]["computed"] == authors
        (summary,) = summary_rows(session, [find_author(session, "William Agnew").id])
    print(summary)
    # The S2 record carries both ids: preprint and CHI version are one work, counted once,
    # with Semantic Scholar's count (the rule: S2 before OpenAlex before Scholar, no sum).
    assert summary["works"] == 1
    assert summary["citations"] == s2_count
    engine.dispose()
