"""Make one row safe to write on every dialect, or reject it with a reason.

PostgreSQL refuses what SQLite silently stores: a NUL byte in text or JSON, a string longer
than its ``String(N)`` column, an integer outside its column type. One such value in a batch
aborts the whole transaction there, so every write path checks its rows first and turns a
rejected row into a quarantined record instead.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, SmallInteger, String, Table
from sqlalchemy.types import TypeDecorator, TypeEngine

NUL = "\x00"

# Ranges of PostgreSQL's integer types (SQLite's are wider: we hold every dialect to these).
_INT_RANGES: tuple[tuple[type[TypeEngine[Any]], int], ...] = (
    (SmallInteger, 16),
    (BigInteger, 64),
    (Integer, 32),
)
_SUMMARY_CHARS = 40
T = TypeVar("T")


class RowRejected(ValueError):
    """A row holds a value its column cannot store; the message names column and value."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def strip_nul(value: Any) -> Any:
    """``value`` with NUL bytes removed from every string in it (dict keys, list items)."""
    if isinstance(value, str):
        return value.replace(NUL, "") if NUL in value else value
    if isinstance(value, dict | list | tuple) and not _may_hold_nul(value):
        return value
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(strip_nul(v) for v in value)
    return value


def _may_hold_nul(value: Any) -> bool:
    """False when no string inside ``value`` holds a NUL: one C-speed JSON encoding (which
    writes a NUL as ``\\u0000``) instead of walking every item in Python. True when unsure."""
    try:
        return "\\u0000" in json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return True


def strip_nul_record(record: T) -> T:
    """A (frozen) dataclass record with NUL bytes removed from every string field, nested
    dataclasses, tuples and dicts included; the same object when it holds none."""
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        return strip_nul(record)  # type: ignore[no-any-return]
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        clean = _strip_nested(value)
        if clean is not value:
            changes[f.name] = clean
    return dataclasses.replace(record, **changes) if changes else record  # type: ignore[type-var]


def _strip_nested(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return strip_nul_record(value)
    if isinstance(value, tuple | list):
        items = [_strip_nested(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    if isinstance(value, str | dict):
        clean = strip_nul(value)
        return value if clean == value else clean
    return value


def summarize(value: Any) -> str:
    """A short printable form of ``value`` for an error message."""
    text = repr(value)
    if len(text) > _SUMMARY_CHARS:
        text = f"{text[:_SUMMARY_CHARS]}... ({len(str(value))} chars)"
    return text


def _base_type(column_type: TypeEngine[Any]) -> TypeEngine[Any]:
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type


def _int_bits(column_type: TypeEngine[Any]) -> int | None:
    for kind, bits in _INT_RANGES:
        if isinstance(column_type, kind):
            return bits
    return None


def check_row(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` (column name -> value) with NUL bytes removed from every string, including
    inside JSON values. Keys that are not columns of ``table`` are kept as they are.

    Raises RowRejected when a string is longer than its column's ``String(N)`` or an integer
    lies outside its column type's range (Integer 32-bit, BigInteger 64-bit).
    """
    clean: dict[str, Any] = {}
    for key, value in row.items():
        value = strip_nul(value)
        column = table.c.get(key)
        if column is not None and value is not None:
            _check_value(table, key, _base_type(column.type), value)
        clean[key] = value
    return clean


def _check_value(table: Table, key: str, column_type: TypeEngine[Any], value: Any) -> None:
    if isinstance(value, str) and isinstance(column_type, String):
        length = column_type.length
        if length is not None and len(value) > length:
            raise RowRejected(
                f"{table.name}.{key}: {len(value)} characters do not fit String({length}): "
                f"{summarize(value)}"
            )
    elif isinstance(value, int) and not isinstance(value, bool):
        bits = _int_bits(column_type)
        if bits is not None and not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            name = type(column_type).__name__
            raise RowRejected(
                f"{table.name}.{key}: {value} is outside the {bits}-bit range of {name}"
            )


def check_rows(
    table: Table, rows: Iterable[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[tuple[dict[str, Any], RowRejected]]]:
    """:func:`check_row` for each row: the clean rows, and each rejected row with why."""
    good: list[dict[str, Any]] = []
    bad: list[tuple[dict[str, Any], RowRejected]] = []
    for row in rows:
        try:
            good.append(check_row(table, row))
        except RowRejected as exc:
            bad.append((row, exc))
    return good, bad
