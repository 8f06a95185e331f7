"""Commands started at once on a fresh database migrate one after the other (issue 14, item 7).

Real processes, on a fresh SQLite file and a fresh PostgreSQL schema, a few times over: each
upgrade succeeds, and the database ends at head once.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import pg_schema_engine
from sqlalchemy import inspect, text

from models.base import Base
from models.engine import make_engine

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 2
ROUNDS = 3

UPGRADE_AT = textwrap.dedent(
    """
    import sys, time
    from models.engine import make_engine
    from models.migrate import upgrade
    url, start_at = sys.argv[1], float(sys.argv[2])
    engine = make_engine(url)
    time.sleep(max(0.0, start_at - time.time()))  # all start together
    upgrade(engine)
    print("ok", flush=True)
    """
)


def fresh_urls(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database for each round."""
    for number in range(ROUNDS):
        if dialect == "sqlite":
            yield f"sqlite:///{tmp_path / f'fresh{number}.db'}"
        else:
            for engine, schema in pg_schema_engine():
                url = engine.url.set(query={"options": f"-csearch_path={schema}"})
                yield url.render_as_string(hide_password=False)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_simultaneous_upgrades_of_a_fresh_database_all_succeed(
    dialect: str, tmp_path: Path
) -> None:
    for url in fresh_urls(dialect, tmp_path):
        start_at = time.time() + 2.0
        children = [
            subprocess.Popen(
                [sys.executable, "-c", UPGRADE_AT, url, str(start_at)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(PROCESSES)
        ]
        results = [child.communicate(timeout=120) for child in children]
        for child, (out, err) in zip(children, results, strict=True):
            assert child.returncode == 0, err[-2000:]
            assert out.strip() == "ok"
        engine = make_engine(url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert len(versions) == 1
        engine.dispose()
