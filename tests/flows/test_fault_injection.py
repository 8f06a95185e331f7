"""The demo's harvests under injected HTTP faults leave the database a clean run leaves.

The short version of bench/fault_injection.py: one seed, SQLite and PostgreSQL. Faults are
injected at the replay layer (harvesters/http/faults.py, constructed 503s with Retry-After 0,
connection resets, empty arXiv Atom pages); retries do not sleep.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pytest

from bench.fault_injection import faulty_round, harvest_demo, read
from models.snapshot import Snapshot

# pytest-xdist (--dist loadgroup): the module-scoped fixtures are built once, on one worker.
pytestmark = pytest.mark.xdist_group("test_fault_injection")

SEED = 2  # faults on export.arxiv.org, oaipmh.arxiv.org and scholar.google.com


@pytest.fixture(autouse=True)
def _instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHOLARFLOW_HTTP_RETRY_DELAYS", "0,0,0")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    """The database of one clean demo harvest (SQLite; the same rows as PostgreSQL's)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.db'}"
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()):
        mp.setenv("SCHOLARFLOW_HTTP_RETRY_DELAYS", "0,0,0")
        result = harvest_demo(url)
    assert dict(result.statuses) == {"succeeded": 10}  # 7 runs, two S2 and one OpenAlex list
    yield read(url)


def _one_url(database_url: str):  # type: ignore[no-untyped-def]
    def new(_name: str) -> str:
        return database_url

    return new


def test_transient_faults_within_the_retry_budget_leave_the_clean_database(
    database_url: str, clean: Snapshot
) -> None:
    report = faulty_round(_one_url(database_url), clean, SEED, 0.3, kinds=("503", "reset"))
    injector = report.injector
    assert injector.injected["503"] > 0 and injector.injected["reset"] > 0
    assert {"export.arxiv.org", "oaipmh.arxiv.org", "scholar.google.com"} <= set(injector.hosts)
    assert injector.retries == sum(injector.injected.values())  # each fault was retried
    assert dict(report.result.statuses) == {"succeeded": 10}
    assert report.result.failed_parts == []
    assert report.differences == []


def test_empty_arxiv_pages_leave_the_clean_database(database_url: str, clean: Snapshot) -> None:
    report = faulty_round(_one_url(database_url), clean, SEED, 0.3)
    assert report.injector.injected["empty_atom"] > 0
    assert report.differences == []


def test_faults_beyond_the_retry_budget_fail_the_run_and_a_rerun_completes_it(
    database_url: str, clean: Snapshot
) -> None:
    report = faulty_round(
        _one_url(database_url), clean, 3, 0.6, max_consecutive=6, kinds=("503", "reset")
    )
    result = report.result
    assert result.failed_parts, "more faults in a row than retries must fail a run"
    assert result.statuses["failed"] > 0 and result.statuses["succeeded"] >= 10
    assert "running" not in result.statuses and result.unfinished == []
    assert report.differences == []
