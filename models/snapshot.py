"""A database's content on natural keys, to compare two databases row for row.

Used by the fault-injection and kill/resume checks (bench/, tests/flows/): two harvests of
the same data must leave the same rows, whatever ids, times and runs they went through.

What is compared: every table of the schema except ``harvest_run`` (run bookkeeping; its
statuses are reported separately), ``merge_lock`` (a lock row) and ``metrics_change`` (the
queue of changed-input marks the next metrics run consumes; retries write more of them).
In each row:

* a surrogate integer primary key is left out;
* a foreign key is replaced by the referenced row's own content (recursively), so rows
  compare the same whatever ids the two databases gave them; ``identity_redirect`` ids are
  resolved the same way through its ``entity``;
* run references (foreign keys to ``harvest_run``) and wall-clock columns
  (:data:`VOLATILE_COLUMNS`) are left out;
* every other column is compared by value (JSON with sorted keys).

Rows are compared as multisets per table, except in the observation tables
(:data:`OBSERVATION_TABLES`), compared as sets: each harvest run records its observation of
a repository or a profile again, so a re-run (after a failure, or a resume after a kill)
adds a row equal to one already there, which is the same fact observed twice.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection, Engine

from models.base import Base

__all__ = [
    "EXCLUDED_TABLES",
    "OBSERVATION_TABLES",
    "VOLATILE_COLUMNS",
    "Snapshot",
    "compare",
    "snapshot",
]

EXCLUDED_TABLES = frozenset({"harvest_run", "merge_lock", "metrics_change"})
VOLATILE_COLUMNS = frozenset(
    {
        "created_at",
        "updated_at",
        "first_seen",
        "last_seen",
        "changed_at",
        "observed_at",
        "filled_at",
        "taken_at",
        "decided_at",
        "redirected_at",
        "last_refreshed",
        "gone_at",
        "heartbeat_at",
        "started_at",
        "finished_at",
        "looked_up_at",  # citation_lookup: when the source was asked (looked_up_on stays)
    }
)
OBSERVATION_TABLES = frozenset({"github_repository_snapshot", "scholar_observation"})
_REDIRECT_ENTITIES = {"work": "work", "author": "author"}

Row = tuple[tuple[str, Any], ...]


@dataclass
class Snapshot:
    """Per table, the multiset of its rows on natural keys."""

    tables: dict[str, Counter[str]] = field(default_factory=dict)

    def rows(self) -> int:
        return sum(sum(c.values()) for c in self.tables.values())


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, float):
        return round(value, 9)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _tables() -> list[Table]:
    import models  # noqa: F401  (registers every table on Base.metadata)

    return [t for t in Base.metadata.sorted_tables if t.name not in EXCLUDED_TABLES]


class _Reader:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.raw: dict[str, dict[Any, dict[str, Any]]] = {}
        self.memo: dict[tuple[str, Any], str] = {}
        self.tables = {t.name: t for t in Base.metadata.sorted_tables}

    def rows_of(self, table: Table) -> dict[Any, dict[str, Any]]:
        if table.name not in self.raw:
            pk = list(table.primary_key.columns)
            by_key: dict[Any, dict[str, Any]] = {}
            for i, row in enumerate(self.conn.execute(select(table)).mappings()):
                key = row[pk[0].name] if len(pk) == 1 else i
                by_key[key] = dict(row)
            self.raw[table.name] = by_key
        return self.raw[table.name]

    def canonical(self, table_name: str, key: Any, depth: int = 0) -> str:
        memo_key = (table_name, key)
        if memo_key in self.memo:
            return self.memo[memo_key]
        table = self.tables[table_name]
        row = self.rows_of(table).get(key)
        if row is None:
            return f"<missing {table_name} {key}>"
        self.memo[memo_key] = f"<cycle {table_name}>"  # a self-reference stops here
        text = json.dumps(self.content(table, row, depth), ensure_ascii=False)
        self.memo[memo_key] = text
        return text

    def content(self, table: Table, row: dict[str, Any], depth: int) -> list[Any]:
        out: list[Any] = []
        surrogate = len(table.primary_key.columns) == 1
        for column in table.columns:
            name, value = column.name, row[column.name]
            if name in VOLATILE_COLUMNS or (column.primary_key and surrogate):
                continue
            fks = list(column.foreign_keys)
            if fks:
                target = fks[0].column.table.name
                if target in EXCLUDED_TABLES:
                    continue
                if value is not None and depth < 8:
                    value = self.canonical(target, value, depth + 1)
            elif table.name == "identity_redirect" and name in ("old_id", "new_id"):
                target = _REDIRECT_ENTITIES.get(row.get("entity") or "")
                if target and value is not None:
                    value = self.canonical(target, value, depth + 1)
            out.append([name, _plain(value)])
        return out


def snapshot(engine: Engine) -> Snapshot:
    """Read every compared table of ``engine``'s database (see the module docstring)."""
    result = Snapshot()
    with engine.connect() as conn:
        reader = _Reader(conn)
        for table in _tables():
            rows = reader.rows_of(table)
            counted = Counter(
                json.dumps(reader.content(table, row, 0), ensure_ascii=False)
                for row in rows.values()
            )
            if table.name in OBSERVATION_TABLES:
                counted = Counter(set(counted))
            result.tables[table.name] = counted
    return result


def compare(expected: Snapshot, actual: Snapshot, limit: int = 5) -> list[str]:
    """The differences (rows missing or extra, per table), at most ``limit`` shown per
    table and direction; empty when both hold the same rows."""
    out: list[str] = []
    for name in sorted(set(expected.tables) | set(actual.tables)):
        left = expected.tables.get(name, Counter())
        right = actual.tables.get(name, Counter())
        missing, extra = left - right, right - left
        for label, diff in (("missing", missing), ("extra", extra)):
            for row, count in list(diff.items())[:limit]:
                out.append(f"{name}: {label} x{count}: {row[:400]}")
            if len(diff) > limit:
                out.append(f"{name}: ... {len(diff) - limit} more {label} rows")
    return out
