"""Offline tests for harvesters.http.replay (record/replay of requests and httpx traffic)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import arxiv
import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

from harvesters.http.replay import (
    NoRecordingError,
    Recordings,
    ReplayError,
    recording,
    replaying,
)

API = "https://api.example.org"


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def write_recording(directory: Path, name: str, **data: Any) -> Path:
    """Write a constructed recording ``constructed_<name>.json`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"constructed_{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ------------------------------------------------------------------ local HTTP server


class _Handler(BaseHTTPRequestHandler):
    hits = 0

    def _answer(self) -> None:
        type(self).hits += 1
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path  # never echo the query: it may hold a secret
        status = 404 if path == "/missing" else 200
        payload = {"path": path, "method": self.command, "received": len(received)}
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "session=SECRET")
        self.send_header("X-Auth-Token", "SECRET")
        self.send_header("X-Served-By", "test-server")
        if path == "/gzip":
            body = gzip.compress(body)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve() -> Iterator[str]:
    """Run an HTTP server on 127.0.0.1 in a thread; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def local_server() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture
def api_dir(tmp_path: Path) -> Path:
    """A directory with a JSON 200 and a 404 recording for api.example.org."""
    directory = tmp_path / "recordings"
    write_recording(
        directory,
        "works",
        url=f"{API}/works?q=graph&page=1",
        status_code=200,
        body='{"title": "Café graphs"}',
        headers={"Content-Type": "application/json; charset=utf-8", "X-Rate": "5"},
    )
    write_recording(
        directory, "gone", url=f"{API}/gone", status_code=404, body="not here", note="ignored"
    )
    return directory


# ------------------------------------------------------------------ (1) serving


def test_requests_get_is_answered_from_recordings(api_dir: Path) -> None:
    with replaying(api_dir):
        response = requests.get(f"{API}/works", params={"q": "graph", "page": "1"}, timeout=5)
        gone = requests.get(f"{API}/gone", timeout=5)

    assert response.status_code == 200
    assert response.json() == {"title": "Café graphs"}
    assert response.content == '{"title": "Café graphs"}'.encode()
    assert response.text == '{"title": "Café graphs"}'
    assert response.headers["x-rate"] == "5"
    assert response.headers["CONTENT-TYPE"] == "application/json; charset=utf-8"
    assert response.url == f"{API}/works?q=graph&page=1"
    response.raise_for_status()
    assert gone.status_code == 404
    assert gone.text == "not here"
    with pytest.raises(requests.HTTPError):
        gone.raise_for_status()


def test_httpx_sync_get_is_answered_from_recordings(api_dir: Path) -> None:
    with replaying(api_dir):
        response = httpx.get(f"{API}/works", params={"q": "graph", "page": 1})
        with httpx.Client() as client:
            gone = client.get(f"{API}/gone")

    assert response.status_code == 200
    assert response.json() == {"title": "Café graphs"}
    assert response.headers["X-RATE"] == "5"
    assert str(response.url) == f"{API}/works?q=graph&page=1"
    assert response.raise_for_status() is response
    assert response.elapsed.total_seconds() >= 0
    assert gone.text == "not here"
    with pytest.raises(httpx.HTTPStatusError):
        gone.raise_for_status()


def test_httpx_async_client_is_answered_from_recordings(api_dir: Path) -> None:
    async def fetch() -> tuple[httpx.Response, httpx.Response]:
        async with httpx.AsyncClient() as client:
            first = await client.get(f"{API}/works?q=graph&page=1")
            second = await client.get(f"{API}/gone")
        return first, second

    with replaying(api_dir):
        first, second = asyncio.run(fetch())

    assert first.json() == {"title": "Café graphs"}
    assert first.headers["content-type"] == "application/json; charset=utf-8"
    assert second.status_code == 404
    with pytest.raises(httpx.HTTPStatusError):
        second.raise_for_status()


def test_streamed_responses_are_replayed(api_dir: Path) -> None:
    async def fetch() -> tuple[bytes, float]:
        async with httpx.AsyncClient() as client, client.stream("GET", f"{API}/gone") as resp:
            body = b"".join([chunk async for chunk in resp.aiter_bytes()])
        return body, resp.elapsed.total_seconds()

    with replaying(api_dir):
        streamed = requests.get(f"{API}/gone", stream=True, timeout=5)
        chunks = list(streamed.iter_content(chunk_size=3))
        with httpx.stream("GET", f"{API}/gone") as resp:
            sync_body = b"".join(resp.iter_bytes())
        async_body, elapsed = asyncio.run(fetch())

    assert chunks == [b"not", b" he", b"re"]
    assert sync_body == async_body == b"not here"
    assert elapsed >= 0


def test_framing_headers_are_not_replayed_and_binary_bodies_use_base64(tmp_path: Path) -> None:
    raw = bytes(range(256))
    write_recording(
        tmp_path,
        "binary",
        url=f"{API}/pdf",
        status_code=200,
        body_base64=base64.b64encode(raw).decode("ascii"),
        headers={"Content-Encoding": "gzip", "Transfer-Encoding": "chunked", "Content-Length": "1"},
    )
    with replaying(tmp_path):
        via_requests = requests.get(f"{API}/pdf", timeout=5)
        via_httpx = httpx.get(f"{API}/pdf")

    assert via_requests.content == raw
    assert via_httpx.content == raw
    assert "content-encoding" not in via_requests.headers
    assert "transfer-encoding" not in via_requests.headers
    assert "content-encoding" not in via_httpx.headers
    assert via_httpx.headers["content-length"] == "256"  # recomputed by httpx


def test_post_bodies_are_part_of_the_key(tmp_path: Path) -> None:
    write_recording(
        tmp_path,
        "post_a",
        url=f"{API}/graphql",
        method="POST",
        request_body='{"q": "a"}',
        status_code=200,
        body="answer a",
    )
    write_recording(
        tmp_path,
        "post_b",
        url=f"{API}/graphql",
        method="post",
        request_body='{"q": "b"}',
        status_code=200,
        body="answer b",
    )
    with replaying(tmp_path):
        assert requests.post(f"{API}/graphql", data=b'{"q": "b"}', timeout=5).text == "answer b"
        assert httpx.post(f"{API}/graphql", content=b'{"q": "a"}').text == "answer a"
        with pytest.raises(NoRecordingError):
            httpx.post(f"{API}/graphql", content=b'{"q": "c"}')
        with pytest.raises(NoRecordingError):
            requests.get(f"{API}/graphql", timeout=5)


# ------------------------------------------------------------------ (2) missing recordings


def test_missing_recording_raises_for_requests(api_dir: Path) -> None:
    url = f"{API}/works?q=other"
    with replaying(api_dir), pytest.raises(NoRecordingError) as info:
        requests.get(url, timeout=5)

    err = info.value
    assert isinstance(err, LookupError)
    assert isinstance(err, ReplayError)
    assert (err.method, err.url, err.directory) == ("GET", url, api_dir)
    message = str(err)
    assert url in message
    assert str(api_dir) in message
    assert "--record DIR" in message
    assert f"{API}/works?q=graph&page=1" in message  # a near miss is suggested


def test_no_recording_error_pickles(tmp_path: Path) -> None:
    err = NoRecordingError("GET", f"{API}/x", tmp_path, [f"{API}/x?y=1"])
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.method, copy.url, copy.directory, str(copy)) == (
        err.method,
        err.url,
        err.directory,
        str(err),
    )


def test_missing_recording_raises_for_httpx(api_dir: Path) -> None:
    url = f"{API}/nothing"

    async def fetch() -> None:
        async with httpx.AsyncClient() as client:
            await client.get(url)

    with replaying(api_dir):
        with pytest.raises(NoRecordingError) as sync_info:
            httpx.get(url)
        with pytest.raises(NoRecordingError) as async_info:
            asyncio.run(fetch())

    for err in (sync_info.value, async_info.value):
        assert type(err) is NoRecordingError
        assert url in str(err)
        assert str(api_dir) in str(err)


def test_missing_recording_redacts_secrets_in_the_message(tmp_path: Path) -> None:
    with replaying(tmp_path), pytest.raises(NoRecordingError) as info:
        httpx.get(f"{API}/x?api_key=SECRET&q=1")
    assert "SECRET" not in str(info.value)
    assert info.value.url == f"{API}/x?api_key=REDACTED&q=1"


def test_arxiv_client_lets_no_recording_error_through(tmp_path: Path) -> None:
    client = arxiv.Client(num_retries=2, delay_seconds=0)
    with replaying(tmp_path), pytest.raises(NoRecordingError) as info:
        list(client.results(arxiv.Search(id_list=["1605.08386"])))
    assert "export.arxiv.org/api/query" in info.value.url


# ------------------------------------------------------------------ (3) sequences


def test_same_key_recordings_are_served_in_file_name_order_and_last_repeats(
    tmp_path: Path,
) -> None:
    for name in ("a", "b", "c"):
        write_recording(
            tmp_path, f"seq_{name}", url=f"{API}/status", status_code=200, body=f"state {name}"
        )
    with replaying(tmp_path):
        bodies = [requests.get(f"{API}/status", timeout=5).text for _ in range(2)]
        bodies += [httpx.get(f"{API}/status").text for _ in range(3)]
    assert bodies == ["state a", "state b", "state c", "state c", "state c"]


def test_numbered_suffixes_sort_numerically(tmp_path: Path) -> None:
    for n in ("", "_2", "_10", "_9"):
        write_recording(tmp_path, f"x{n}", url=f"{API}/n", status_code=200, body=f"n{n}")
    recordings = Recordings.load(tmp_path)
    served = [recordings.match("GET", f"{API}/n", None).body for _ in range(4)]
    assert served == [b"n", b"n_2", b"n_9", b"n_10"]


def test_sequence_cursor_is_thread_safe(tmp_path: Path) -> None:
    for i in range(20):
        write_recording(tmp_path, f"t{i:02d}", url=f"{API}/t", status_code=200, body=str(i))
    recordings = Recordings.load(tmp_path)
    served: list[bytes] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            body = recordings.match("GET", f"{API}/t", None).body
            with lock:
                served.append(body)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(served, key=int) == [str(i).encode() for i in range(20)]
    assert recordings.unused() == []


# ------------------------------------------------------------------ (4) normalization


def test_query_order_scheme_and_secret_values_do_not_matter(tmp_path: Path) -> None:
    write_recording(
        tmp_path,
        "search",
        url="https://API.example.org/search?b=2&a=1&empty=&token=REDACTED&ApiKey=old",
        status_code=200,
        body="found",
    )
    variants = [
        "http://api.example.org/search?a=1&b=2&empty=&token=live-1&ApiKey=x",
        "https://api.example.org:443/search?ApiKey=y&token=live-2&empty=&b=2&a=1",
        "http://api.example.org:80/search?empty=&a=1&ApiKey=&b=2&token=",
    ]
    with replaying(tmp_path):
        for url in variants:
            assert requests.get(url, timeout=5).text == "found"
            assert httpx.get(url).text == "found"
        with pytest.raises(NoRecordingError):
            httpx.get("https://api.example.org/search?a=1&b=2&token=t&ApiKey=k")  # no empty=
        with pytest.raises(NoRecordingError):
            httpx.get("https://api.example.org/search?a=2&b=2&empty=&token=t&ApiKey=k")


# ------------------------------------------------------------------ (5) internal sessions


def test_session_created_inside_the_context_is_covered(api_dir: Path) -> None:
    before = requests.Session()  # adapters mounted before the context are patched too
    with replaying(api_dir):
        session = requests.Session()
        session.mount("https://", HTTPAdapter(max_retries=3))
        assert session.get(f"{API}/works?page=1&q=graph", timeout=5).status_code == 200
        assert before.get(f"{API}/gone", timeout=5).status_code == 404


# ------------------------------------------------------------------ (6) record -> replay


def test_record_then_replay_round_trip(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "recorded"
    with serve() as base:
        urls = [f"{base}/works?q=graph", f"{base}/private?token=SECRET&page=2"]
        with recording(directory, passthrough_hosts=()) as target:
            assert target == directory
            live: list[Any] = [
                requests.get(urls[0], headers={"Authorization": "Bearer SECRET"}, timeout=5),
                httpx.get(urls[1], headers={"X-Api-Key": "SECRET"}),
                httpx.get(urls[1]),  # same key again -> a "_2" file
                requests.post(f"{base}/submit", data={"client_secret": "SECRET", "x": "1"}),
                httpx.get(f"{base}/gzip"),
            ]
        hits = _Handler.hits

    assert [r.status_code for r in live] == [200] * 5
    assert live[4].json() == {"path": "/gzip", "method": "GET", "received": 0}
    files = sorted(directory.glob("*.json"))
    assert len(files) == 5
    names = [f.name for f in files]
    assert sum(name.endswith("_2.json") for name in names) == 1
    assert all(name.startswith("127.0.0.1_") for name in names)
    allowed = {"url", "status_code", "body", "method", "headers", "request_body", "note"}
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert "SECRET" not in text
        assert "python-requests" not in text and "python-httpx" not in text  # user agents
        data = json.loads(text)
        assert set(data) <= allowed
        assert data["headers"]["x-served-by"] == "test-server"
        assert not {"set-cookie", "x-auth-token", "content-length", "content-encoding"} & set(
            data["headers"]
        )
    stored_urls = {json.loads(f.read_text())["url"] for f in files}
    assert f"{base}/private?token=REDACTED&page=2" in stored_urls

    # The server is gone now; everything must come from the files.
    with replaying(directory, passthrough_hosts=()) as recordings:
        replayed: list[Any] = [
            requests.get(urls[0], timeout=5),
            httpx.get(urls[1].replace("SECRET", "OTHER")),
            requests.get(urls[1], timeout=5),
            httpx.post(f"{base}/submit", data={"client_secret": "ANY", "x": "1"}),
            requests.get(f"{base}/gzip", timeout=5),
        ]
        assert recordings.unused() == []
    assert _Handler.hits == hits
    for old, new in zip(live, replayed, strict=True):
        assert new.status_code == old.status_code
        assert new.content == old.content


def test_recording_keeps_the_live_response_usable(local_server: str, tmp_path: Path) -> None:
    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(f"{local_server}/gzip")

    with recording(tmp_path, passthrough_hosts=()):
        streamed = requests.get(f"{local_server}/a", stream=True, timeout=5)
        chunks = b"".join(streamed.iter_content(chunk_size=4))
        with httpx.Client() as client, client.stream("GET", f"{local_server}/gzip") as resp:
            decoded = resp.read()
            assert resp.headers["content-encoding"] == "gzip"
        async_response = asyncio.run(fetch())

    assert json.loads(chunks)["path"] == "/a"
    assert json.loads(decoded)["path"] == "/gzip"
    assert async_response.json()["path"] == "/gzip"
    assert async_response.elapsed.total_seconds() >= 0
    # Only this server's exchanges: a session-wide Prefect test server may be talking on
    # loopback in the background, and passthrough_hosts=() records that too.
    ours = [
        f
        for f in tmp_path.glob("*.json")
        if json.loads(f.read_text())["url"].startswith(local_server)
    ]
    assert len(ours) == 3


# ------------------------------------------------------------------ (7) pass-through


def test_loopback_passes_through_while_replaying(local_server: str, api_dir: Path) -> None:
    async def fetch() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(f"{local_server}/async")

    localhost = local_server.replace("127.0.0.1", "localhost")
    with replaying(api_dir):
        assert requests.get(f"{local_server}/live", timeout=5).json()["path"] == "/live"
        assert httpx.get(f"{localhost}/live").json()["path"] == "/live"
        assert asyncio.run(fetch()).json()["path"] == "/async"
        assert requests.get(f"{API}/gone", timeout=5).status_code == 404

    with replaying(api_dir, passthrough_hosts=()), pytest.raises(NoRecordingError):
        requests.get(f"{local_server}/live", timeout=5)


def test_loopback_is_not_recorded_by_default(local_server: str, tmp_path: Path) -> None:
    with recording(tmp_path):
        assert httpx.get(f"{local_server}/live").status_code == 200
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ (8) patching lifecycle


def _transport_methods() -> tuple[Any, Any, Any]:
    return (
        HTTPAdapter.send,
        httpx.HTTPTransport.handle_request,
        httpx.AsyncHTTPTransport.handle_async_request,
    )


def test_patches_are_removed_after_exit_even_after_an_exception(
    api_dir: Path, tmp_path: Path
) -> None:
    originals = _transport_methods()
    with replaying(api_dir):
        assert all(a is not b for a, b in zip(_transport_methods(), originals, strict=True))
    assert _transport_methods() == originals

    with pytest.raises(KeyError), replaying(api_dir):
        raise KeyError("boom")
    assert _transport_methods() == originals

    with pytest.raises(NoRecordingError), replaying(api_dir):
        requests.get(f"{API}/unknown", timeout=5)
    assert _transport_methods() == originals

    with pytest.raises(ValueError), recording(tmp_path / "rec"):
        raise ValueError("boom")
    assert _transport_methods() == originals

    with replaying(api_dir):  # usable again after all of the above
        assert httpx.get(f"{API}/gone").status_code == 404


def test_nested_contexts_are_rejected(api_dir: Path, tmp_path: Path) -> None:
    originals = _transport_methods()
    with replaying(api_dir):
        patched = _transport_methods()
        with pytest.raises(ReplayError, match="already active"), replaying(api_dir):
            pass
        with pytest.raises(ReplayError, match="already active"), recording(tmp_path / "r"):
            pass
        assert _transport_methods() == patched  # the outer patches are intact
    assert _transport_methods() == originals


# ------------------------------------------------------------------ (9) unused + loading


def test_unused_lists_recordings_never_served(api_dir: Path) -> None:
    with replaying(api_dir) as recordings:
        assert len(recordings) == 2
        assert [p.name for p in recordings.unused()] == [
            "constructed_gone.json",
            "constructed_works.json",
        ]
        httpx.get(f"{API}/gone")
        assert recordings.unused() == [api_dir / "constructed_works.json"]


def test_a_json_file_that_is_not_a_recording_is_rejected_at_load(tmp_path: Path) -> None:
    write_recording(tmp_path, "ok", url=f"{API}/ok", status_code=200, body="")
    bad = write_recording(tmp_path, "bad", url=f"{API}/bad", body="no status")
    originals = _transport_methods()
    with pytest.raises(ReplayError, match="status_code") as info, replaying(tmp_path):
        pass
    assert str(bad) in str(info.value)
    assert _transport_methods() == originals

    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ReplayError, match=r"constructed_bad\.json"):
        Recordings.load(tmp_path)


def test_missing_directory_is_a_replay_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match="--record DIR"), replaying(tmp_path / "absent"):
        pass
