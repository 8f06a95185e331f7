"""Shared fixtures: a fresh database per test on SQLite and on PostgreSQL, recording dirs.

PostgreSQL tests use ``SCHOLARFLOW_TEST_PG_URL`` (default: the local server's ``test``
database) in a schema of their own. They are skipped when the server is unreachable, unless
``SCHOLARFLOW_REQUIRE_PG=1`` (CI), which turns that into an error.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from models.base import Base
from models.engine import make_engine, session_factory

FIXTURES = Path(__file__).parent / "fixtures"
ARXIV_RECORDINGS = FIXTURES / "arxiv" / "recordings"
ARXIV_CONSTRUCTED = FIXTURES / "arxiv" / "constructed"
PG_URL = os.environ.get(
    "SCHOLARFLOW_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("SCHOLARFLOW_REQUIRE_PG") == "1"


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver or network error means "not available"
        return f"{type(exc).__name__}: {exc}"


_PG_PROBLEM: str | None = None
_PG_CHECKED = False


def _pg_problem() -> str | None:
    global _PG_PROBLEM, _PG_CHECKED
    if not _PG_CHECKED:
        _PG_PROBLEM, _PG_CHECKED = _pg_available(), True
    return _PG_PROBLEM


_PG_TESTS_RUN = 0
#: Set while the current test holds a PostgreSQL schema; reported as a user property so the
#: count also adds up across pytest-xdist workers.
_PG_USED = False


def pg_schema_engine() -> Iterator[tuple[Engine, str]]:
    """An engine whose connections use a fresh, empty PostgreSQL schema (dropped afterwards)."""
    global _PG_USED
    problem = _pg_problem()
    if problem:
        if REQUIRE_PG:
            pytest.fail(
                f"PostgreSQL required (SCHOLARFLOW_REQUIRE_PG=1) but unavailable: {problem}"
            )
        pytest.skip(f"PostgreSQL unavailable: {problem}")
    _PG_USED = True
    schema = f"sf_test_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine, schema
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database (no tables), SQLite file or PostgreSQL schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        yield engine
        engine.dispose()
    else:
        yield from (e for e, _ in pg_schema_engine())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, for code that opens its own engine (CLI, flows)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'url.db'}"
    else:
        for engine, schema in pg_schema_engine():
            url = engine.url.set(query={"options": f"-csearch_path={schema}"})
            yield url.render_as_string(hide_password=False)


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """An engine on a database with the full schema."""
    Base.metadata.create_all(empty_engine)
    return empty_engine


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def replay_dir(tmp_path: Path) -> callable:  # type: ignore[valid-type]
    """Build a replay folder from fixture recordings: ``replay_dir(*files_or_dirs)``."""

    def build(*sources: Path) -> Path:
        target = tmp_path / f"replay_{uuid.uuid4().hex[:6]}"
        target.mkdir()
        for source in sources:
            files = sorted(source.glob("*.json")) if source.is_dir() else [source]
            for f in files:
                shutil.copy(f, target / f.name)
        return target

    return build


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """Mark the setup report of a test that took a PostgreSQL schema."""
    global _PG_USED
    outcome = yield
    report = outcome.get_result()
    if report.when == "setup" and _PG_USED:
        report.user_properties.append(("postgresql", True))
    if report.when == "teardown":
        _PG_USED = False


def pytest_runtest_logreport(report) -> None:  # type: ignore[no-untyped-def]
    """Count PostgreSQL tests where the reports arrive (the controller, under xdist)."""
    global _PG_TESTS_RUN
    if report.when == "setup" and ("postgresql", True) in report.user_properties:
        _PG_TESTS_RUN += 1


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if not hasattr(config, "workerinput"):
        terminalreporter.write_line(f"postgresql tests run: {_PG_TESTS_RUN}")


def pytest_sessionfinish(session, exitstatus) -> None:  # type: ignore[no-untyped-def]
    if hasattr(session.config, "workerinput"):
        return
    if REQUIRE_PG and _PG_TESTS_RUN == 0 and session.testscollected:
        session.exitstatus = 1
