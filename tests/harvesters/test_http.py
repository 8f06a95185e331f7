"""PoliteHttpClient: what its errors and logs name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harvesters.errors import SourceHTTPError
from harvesters.http.client import PoliteHttpClient
from harvesters.http.replay import replaying

URL = "https://api.example.org/list?page=2&per_page=100"


def test_an_error_names_the_whole_url_query_included(tmp_path: Path) -> None:
    # A constructed 404 for a Link-style URL (the query is part of the URL, no params).
    (tmp_path / "constructed_404.json").write_text(
        json.dumps({"url": URL, "status_code": 404, "body": "gone"})
    )
    client = PoliteHttpClient(min_interval=0.0, sleep=lambda _s: None)
    with replaying(tmp_path), pytest.raises(SourceHTTPError) as caught:
        client.get(URL)

    assert caught.value.url == URL
    assert caught.value.status == 404


def test_retry_after_with_a_non_ascii_digit_is_ignored() -> None:
    # Found by fuzzing: "²".isdigit() is true but float("²") raises ValueError.
    from harvesters.http.politeness import parse_retry_after

    assert parse_retry_after("²") is None
