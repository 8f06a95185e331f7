"""check_row: NUL bytes stripped everywhere, too-long strings and out-of-range ints rejected."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, Text

from models.base import JSONType
from models.sanitize import RowRejected, check_row

TABLE = Table(
    "sample",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(8)),
    Column("body", Text),
    Column("small", Integer),
    Column("big", BigInteger),
    Column("data", JSONType),
)


def test_nul_bytes_are_removed_from_strings_and_json_values() -> None:
    row = check_row(
        TABLE,
        {"name": "a\x00b", "body": "x\x00" * 3, "data": {"k\x00": ["v\x00", {"n": "\x00"}]}},
    )
    assert row == {"name": "ab", "body": "xxx", "data": {"k": ["v", {"n": ""}]}}


def test_string_longer_than_its_column_is_rejected_with_column_and_value() -> None:
    with pytest.raises(RowRejected, match=r"sample\.name: 9 characters do not fit String\(8\)"):
        check_row(TABLE, {"name": "123456789"})
    assert check_row(TABLE, {"name": "12345678", "body": "y" * 10_000})["name"] == "12345678"


@pytest.mark.parametrize(
    ("column", "value", "ok"),
    [
        ("small", 2**31 - 1, True),
        ("small", 2**31, False),
        ("small", -(2**31) - 1, False),
        ("small", 10**12, False),
        ("big", 10**12, True),
        ("big", 2**63, False),
        ("small", True, True),
    ],
)
def test_integer_outside_its_column_type_is_rejected(column: str, value: int, ok: bool) -> None:
    if ok:
        assert check_row(TABLE, {column: value})[column] == value
    else:
        with pytest.raises(RowRejected, match=rf"sample\.{column}: {value} is outside"):
            check_row(TABLE, {column: value})


def test_rowrejected_is_a_valueerror_and_unknown_keys_pass() -> None:
    assert issubclass(RowRejected, ValueError)
    assert check_row(TABLE, {"not_a_column": "z" * 500}) == {"not_a_column": "z" * 500}
