"""Offline record/replay of HTTP exchanges made through ``requests`` and ``httpx``.

Patching happens at the transport level, so clients created internally by third-party
packages (the ``arxiv`` package builds its own ``requests.Session``) are covered without
passing sessions around:

* ``requests.adapters.HTTPAdapter.send``
* ``httpx.HTTPTransport.handle_request``
* ``httpx.AsyncHTTPTransport.handle_async_request``

Requests to pass-through hosts (loopback by default, so a local Prefect API server keeps
working) always go to the real, unpatched method.

A recording is one JSON file per exchange, compatible with the arxiv.py project's
fixtures (``{"url": ..., "status_code": ..., "body": ...}``), with optional keys
``method`` (default ``"GET"``), ``headers`` (response headers, default ``{}``),
``request_body`` (or ``request_body_base64``), ``body_base64`` (instead of ``body`` when
the body is not UTF-8) and ``note`` (ignored).

Requests are matched on ``(METHOD, normalized URL, sha256 of the request body or None)``.
The normalized URL ignores the scheme, default ports, the fragment, user info and the
order of query parameters; values of secret-looking parameters (see ``SECRET_PARAMS``)
are compared as ``"REDACTED"``. Form-encoded request bodies get the same redaction
before hashing.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http
import io
import json
import logging
import os
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import requests
import urllib3
from requests.adapters import HTTPAdapter

__all__ = [
    "DEFAULT_PASSTHROUGH",
    "SECRET_PARAMS",
    "NoRecordingError",
    "Recording",
    "Recordings",
    "ReplayError",
    "recording",
    "replaying",
    "set_fault_hook",
]

logger = logging.getLogger(__name__)

DEFAULT_PASSTHROUGH: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
"""Hosts whose requests are never replayed nor recorded."""

SECRET_PARAMS: frozenset[str] = frozenset(
    {"token", "access_token", "api_key", "apikey", "key", "password", "client_secret"}
)
"""Query/form parameter names (compared case-insensitively) whose values are redacted."""

REDACTED = "REDACTED"

# The body is stored decoded, so these would describe the wrong bytes on replay.
_FRAMING_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_SECRET_HEADERS = frozenset({"set-cookie", "set-cookie2", "authorization", "proxy-authorization"})

RecordingKey = tuple[str, str, str | None]


class ReplayError(RuntimeError):
    """Misuse of record/replay, or an unreadable recording."""


class NoRecordingError(ReplayError, LookupError):
    """A request was made while replaying and no recording matches it.

    Attributes: ``method``, ``url`` (secret query values redacted), ``directory``.
    """

    def __init__(self, method: str, url: str, directory: Path, similar: Iterable[str] = ()) -> None:
        self.method = method
        self.url = url
        self.directory = directory
        self.similar = tuple(similar)
        message = (
            f"no recording for {method} {url} in {directory}; to create it, run with "
            f"--record DIR on a machine with network (DIR = {directory})"
        )
        if self.similar:
            message += "; recordings for the same path: " + ", ".join(self.similar)
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.method, self.url, self.directory, self.similar))


# --------------------------------------------------------------------------- keys


def _is_secret(name: str) -> bool:
    return name.lower() in SECRET_PARAMS


def _redact_pairs(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, REDACTED if _is_secret(name) else value) for name, value in pairs]


def normalize_url(url: str) -> str:
    """Return the URL as compared when matching (no scheme, sorted redacted query)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    pairs = sorted(_redact_pairs(parse_qsl(parts.query, keep_blank_values=True)))
    query = urlencode(pairs)
    path = parts.path or "/"
    return f"{netloc}{path}?{query}" if query else f"{netloc}{path}"


def redact_url(url: str) -> str:
    """Return ``url`` without user info and with secret query values set to ``REDACTED``.

    A URL that holds neither is returned unchanged.
    """
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    has_secret = any(_is_secret(name) for name, _ in pairs)
    if "@" not in parts.netloc and not has_secret:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = urlencode(_redact_pairs(pairs)) if has_secret else parts.query
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_form(body: bytes) -> bytes:
    """Redact secret fields of a form-encoded body; any other body is returned as is."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:  # includes UnicodeDecodeError
        return body
    if not any(_is_secret(name) for name, _ in pairs):
        return body
    return urlencode(_redact_pairs(pairs)).encode("ascii")


def _body_digest(body: bytes | None) -> str | None:
    if not body:
        return None
    return hashlib.sha256(_redact_form(body)).hexdigest()


def make_key(method: str, url: str, body: bytes | None) -> RecordingKey:
    """Return the matching key of a request."""
    return (method.upper(), normalize_url(url), _body_digest(body))


def _keep_header(name: str) -> bool:
    lowered = name.lower()
    return not (lowered in _FRAMING_HEADERS or lowered in _SECRET_HEADERS or "token" in lowered)


def _clean_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Drop framing and secret headers; join repeated names with ``", "``."""
    headers: dict[str, str] = {}
    for name, value in items:
        if not _keep_header(name):
            continue
        lowered = name.lower()
        headers[lowered] = f"{headers[lowered]}, {value}" if lowered in headers else value
    return headers


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


# --------------------------------------------------------------------------- recordings


@dataclass(frozen=True)
class Recording:
    """One recorded exchange, as loaded from ``path``."""

    path: Path
    method: str
    url: str
    status_code: int
    headers: dict[str, str]
    body: bytes
    request_body: bytes | None = None

    @property
    def key(self) -> RecordingKey:
        return make_key(self.method, self.url, self.request_body)

    @classmethod
    def from_file(cls, path: Path) -> Recording:
        """Parse one recording file; raises ``ReplayError`` naming the file if invalid."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReplayError(f"{path}: not a readable JSON recording: {exc}") from exc
        if not isinstance(data, dict):
            raise ReplayError(f"{path}: not a recording (expected a JSON object)")
        missing = [k for k in ("url", "status_code") if k not in data]
        if missing:
            raise ReplayError(f"{path}: not a recording (missing {', '.join(missing)})")
        url, status, method = data["url"], data["status_code"], data.get("method", "GET")
        headers = data.get("headers", {})
        if not isinstance(url, str) or not isinstance(method, str):
            raise ReplayError(f"{path}: 'url' and 'method' must be strings")
        if not isinstance(status, int) or isinstance(status, bool):
            raise ReplayError(f"{path}: 'status_code' must be an integer")
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ReplayError(f"{path}: 'headers' must map strings to strings")
        try:
            body = _decode_text_or_b64(data, "body", "body_base64", required=True)
            request_body = _decode_text_or_b64(data, "request_body", "request_body_base64")
        except (ValueError, TypeError) as exc:
            raise ReplayError(f"{path}: {exc}") from exc
        return cls(
            path=path,
            method=method.upper(),
            url=url,
            status_code=status,
            headers=_clean_headers(headers.items()),
            body=body or b"",
            request_body=request_body or None,
        )


def _decode_text_or_b64(
    data: dict[str, Any], text_key: str, b64_key: str, *, required: bool = False
) -> bytes | None:
    if b64_key in data:
        if not isinstance(data[b64_key], str):
            raise TypeError(f"{b64_key!r} must be a string")
        return base64.b64decode(data[b64_key], validate=True)
    if text_key in data:
        if not isinstance(data[text_key], str):
            raise TypeError(f"{text_key!r} must be a string")
        return data[text_key].encode("utf-8")
    if required:
        raise ValueError(f"not a recording (missing {text_key} or {b64_key})")
    return None


def _encode_text_or_b64(data: dict[str, Any], text_key: str, b64_key: str, raw: bytes) -> None:
    try:
        data[text_key] = raw.decode("utf-8")
    except UnicodeDecodeError:
        data[b64_key] = base64.b64encode(raw).decode("ascii")


class Recordings:
    """The recordings of one directory, served in file-name order per key.

    Thread-safe: the per-key cursor is guarded by a lock.
    """

    def __init__(self, directory: Path, recordings: Iterable[Recording]) -> None:
        self.directory = directory
        self._by_key: dict[RecordingKey, list[Recording]] = {}
        self._all: list[Recording] = []
        for rec in recordings:
            self._by_key.setdefault(rec.key, []).append(rec)
            self._all.append(rec)
        self._served: dict[RecordingKey, int] = {}
        self._used: set[Path] = set()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, directory: Path) -> Recordings:
        """Load every ``*.json`` file of ``directory`` (non-recursive), in file-name order.

        Digit runs in names compare numerically, so ``x_10.json`` follows ``x_9.json``.
        Raises ``ReplayError`` if the directory is missing or a file is not a recording.
        """
        directory = Path(directory)
        if not directory.is_dir():
            raise ReplayError(
                f"recording directory {directory} does not exist; create it by running "
                f"with --record DIR on a machine with network (DIR = {directory})"
            )
        paths = sorted(
            (p for p in directory.glob("*.json") if p.is_file()),
            key=lambda p: _natural_key(p.name),
        )
        return cls(directory, [Recording.from_file(p) for p in paths])

    def __len__(self) -> int:
        return len(self._all)

    def match(self, method: str, url: str, body: bytes | None = None) -> Recording:
        """Return the next recording for this request; the last one repeats when exhausted.

        Raises ``NoRecordingError`` if no recording has the request's key.
        """
        key = make_key(method, url, body)
        candidates = self._by_key.get(key)
        if not candidates:
            raise NoRecordingError(
                method.upper(), redact_url(url), self.directory, self._similar(key)
            )
        with self._lock:
            index = self._served.get(key, 0)
            self._served[key] = index + 1
            rec = candidates[min(index, len(candidates) - 1)]
            self._used.add(rec.path)
        return rec

    def unused(self) -> list[Path]:
        """Return the recording files never served so far, in load order."""
        with self._lock:
            return [rec.path for rec in self._all if rec.path not in self._used]

    def _similar(self, key: RecordingKey, limit: int = 3) -> list[str]:
        method, normalized, _ = key
        base = normalized.partition("?")[0]
        found = [
            rec.url
            for k, recs in self._by_key.items()
            if k[0] == method and k[1].partition("?")[0] == base
            for rec in recs[:1]
        ]
        return found[:limit]


# --------------------------------------------------------------------------- writing


class _Writer:
    """Saves exchanges into a directory, numbering repeated keys ``_2``, ``_3``..."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counts: dict[RecordingKey, int] = {}
        self._lock = threading.Lock()

    def save(
        self,
        method: str,
        url: str,
        request_body: bytes | None,
        status_code: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
    ) -> Path:
        stored_url = redact_url(url)
        key = make_key(method, stored_url, request_body)
        digest = hashlib.sha256(json.dumps(list(key)).encode("utf-8")).hexdigest()[:12]
        parts = urlsplit(stored_url)
        slug_source = f"{parts.hostname or ''}{parts.path}?{parts.query}"
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", slug_source).strip("._-")[:80] or "request"
        data: dict[str, Any] = {"url": stored_url, "status_code": status_code}
        _encode_text_or_b64(data, "body", "body_base64", body)
        data["method"] = method.upper()
        data["headers"] = _clean_headers(headers)
        if request_body:
            _encode_text_or_b64(
                data, "request_body", "request_body_base64", _redact_form(request_body)
            )
        data["note"] = f"recorded {datetime.now(UTC).isoformat(timespec='seconds')}"
        with self._lock:
            count = self._counts.get(key, 0) + 1
            self._counts[key] = count
            suffix = "" if count == 1 else f"_{count}"
            path = self.directory / f"{slug}_{digest}{suffix}.json"
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
            os.replace(tmp, path)
        logger.debug("recorded %s %s -> %d into %s", method, stored_url, status_code, path.name)
        return path


# --------------------------------------------------------------------------- patching

_state_lock = threading.Lock()
_active: str | None = None


def _requests_body(body: object) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    raise ReplayError(
        f"record/replay does not support streaming request bodies ({type(body).__name__})"
    )


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _requests_response(
    adapter: HTTPAdapter, request: requests.PreparedRequest, rec: Recording
) -> requests.Response:
    raw = urllib3.HTTPResponse(
        body=io.BytesIO(rec.body),
        headers=rec.headers,
        status=rec.status_code,
        reason=_reason(rec.status_code),
        preload_content=False,
        decode_content=False,
        request_method=request.method,
        request_url=request.url,
    )
    response = adapter.build_response(request, raw)
    if response.encoding is None:
        try:
            rec.body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            response.encoding = "utf-8"
    return response


def _httpx_response(request: httpx.Request, rec: Recording) -> httpx.Response:
    # A stream (not ``content=``) keeps the response unread, like a live transport's, so
    # the client reads and closes it itself (which sets ``.elapsed``).
    headers = {**rec.headers, "content-length": str(len(rec.body))}
    return httpx.Response(
        rec.status_code, headers=headers, stream=httpx.ByteStream(rec.body), request=request
    )


def _decoded(response: httpx.Response, raw: bytes) -> bytes:
    return httpx.Response(response.status_code, headers=response.headers, content=raw).read()


def _rebuilt(response: httpx.Response, raw: bytes) -> httpx.Response:
    """A fresh response over the already-read raw bytes, so the client can time/close it."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        extensions=response.extensions,
    )


_RequestsSend = Callable[..., requests.Response]
_HttpxSend = Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]
_HttpxSendAsync = Callable[[httpx.AsyncHTTPTransport, httpx.Request], Awaitable[httpx.Response]]


class _Mode:
    """What the patched transports do with non-pass-through requests."""

    name: str

    def requests_send(
        self,
        original: _RequestsSend,
        adapter: HTTPAdapter,
        request: requests.PreparedRequest,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> requests.Response:
        raise NotImplementedError

    def httpx_send(
        self, original: _HttpxSend, transport: httpx.HTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        raise NotImplementedError

    async def httpx_send_async(
        self,
        original: _HttpxSendAsync,
        transport: httpx.AsyncHTTPTransport,
        request: httpx.Request,
    ) -> httpx.Response:
        raise NotImplementedError


FaultHook = Callable[[str, str, bytes | None], "Recording | None"]
"""Called before each replayed request with (method, url, body): returns a recording to
serve instead (e.g. a constructed 503), raises ConnectionResetError (turned into the
library's connection error), or returns None to
replay as usual. Set with :func:`set_fault_hook` (tests and bench/fault_injection.py)."""

_fault_hook: FaultHook | None = None


def set_fault_hook(hook: FaultHook | None) -> FaultHook | None:
    """Install ``hook`` for every replaying context (None removes it); returns the previous
    one. A faulted request does not consume a recording, so the retry gets the real one."""
    global _fault_hook
    previous, _fault_hook = _fault_hook, hook
    return previous


class _Replay(_Mode):
    name = "replaying"

    def __init__(self, recordings: Recordings) -> None:
        self.recordings = recordings

    def _match(self, method: str, url: str, body: bytes | None) -> Recording:
        hook = _fault_hook
        if hook is not None:
            injected = hook(method, url, body)
            if injected is not None:
                return injected
        rec = self.recordings.match(method, url, body)
        logger.debug(
            "replayed %s %s -> %d from %s", method, redact_url(url), rec.status_code, rec.path
        )
        return rec

    def requests_send(
        self,
        original: _RequestsSend,
        adapter: HTTPAdapter,
        request: requests.PreparedRequest,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> requests.Response:
        body = _requests_body(request.body)
        try:
            rec = self._match(request.method or "GET", request.url or "", body)
        except ConnectionResetError as exc:  # an injected fault, as a live adapter raises it
            raise requests.ConnectionError(exc, request=request) from exc
        return _requests_response(adapter, request, rec)

    def httpx_send(
        self, original: _HttpxSend, transport: httpx.HTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        try:
            rec = self._match(request.method, str(request.url), request.read())
        except ConnectionResetError as exc:  # an injected fault, as httpcore raises it
            raise httpx.ReadError(str(exc), request=request) from exc
        return _httpx_response(request, rec)

    async def httpx_send_async(
        self,
        original: _HttpxSendAsync,
        transport: httpx.AsyncHTTPTransport,
        request: httpx.Request,
    ) -> httpx.Response:
        try:
            rec = self._match(request.method, str(request.url), await request.aread())
        except ConnectionResetError as exc:  # an injected fault, as httpcore raises it
            raise httpx.ReadError(str(exc), request=request) from exc
        return _httpx_response(request, rec)


class _Record(_Mode):
    name = "recording"

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer

    def requests_send(
        self,
        original: _RequestsSend,
        adapter: HTTPAdapter,
        request: requests.PreparedRequest,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> requests.Response:
        body = _requests_body(request.body)
        response = original(adapter, request, *args, **kwargs)
        content = response.content  # decoded; stays cached in the response for the caller
        self.writer.save(
            request.method or "GET",
            request.url or "",
            body,
            response.status_code,
            response.headers.items(),
            content,
        )
        return response

    def httpx_send(
        self, original: _HttpxSend, transport: httpx.HTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        body = request.read()
        response = original(transport, request)
        raw = b"".join(response.iter_raw())  # also closes the network stream
        self._save(request, body, response, raw)
        return _rebuilt(response, raw)

    async def httpx_send_async(
        self,
        original: _HttpxSendAsync,
        transport: httpx.AsyncHTTPTransport,
        request: httpx.Request,
    ) -> httpx.Response:
        body = await request.aread()
        response = await original(transport, request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        self._save(request, body, response, raw)
        return _rebuilt(response, raw)

    def _save(
        self, request: httpx.Request, body: bytes, response: httpx.Response, raw: bytes
    ) -> None:
        self.writer.save(
            request.method,
            str(request.url),
            body,
            response.status_code,
            response.headers.multi_items(),
            _decoded(response, raw),
        )


def _normalize_hosts(hosts: Iterable[str]) -> frozenset[str]:
    if isinstance(hosts, str):
        hosts = (hosts,)
    return frozenset(h.strip("[]").lower() for h in hosts)


@contextmanager
def _patched(mode: _Mode, passthrough_hosts: Iterable[str]) -> Iterator[None]:
    global _active
    passthrough = _normalize_hosts(passthrough_hosts)
    with _state_lock:
        if _active is not None:
            raise ReplayError(f"cannot start {mode.name}: {_active} is already active")
        _active = mode.name
    orig_send = HTTPAdapter.send
    orig_sync = httpx.HTTPTransport.handle_request
    orig_async = httpx.AsyncHTTPTransport.handle_async_request

    @functools.wraps(orig_send)
    def send(
        adapter: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        host = (urlsplit(request.url or "").hostname or "").lower()
        if host in passthrough:
            return orig_send(adapter, request, *args, **kwargs)
        return mode.requests_send(orig_send, adapter, request, args, kwargs)

    @functools.wraps(orig_sync)
    def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        if request.url.host.lower() in passthrough:
            return orig_sync(transport, request)
        return mode.httpx_send(orig_sync, transport, request)

    @functools.wraps(orig_async)
    async def handle_async_request(
        transport: httpx.AsyncHTTPTransport, request: httpx.Request
    ) -> httpx.Response:
        if request.url.host.lower() in passthrough:
            return await orig_async(transport, request)
        return await mode.httpx_send_async(orig_async, transport, request)

    patches = [
        (HTTPAdapter, "send", orig_send, send),
        (httpx.HTTPTransport, "handle_request", orig_sync, handle_request),
        (httpx.AsyncHTTPTransport, "handle_async_request", orig_async, handle_async_request),
    ]
    try:
        for cls, name, _, patched in patches:
            setattr(cls, name, patched)
        yield
    finally:
        for cls, name, original, _ in patches:
            setattr(cls, name, original)
        with _state_lock:
            _active = None


@contextmanager
def replaying(
    directory: str | Path, *, passthrough_hosts: Iterable[str] = DEFAULT_PASSTHROUGH
) -> Iterator[Recordings]:
    """Answer every non-pass-through ``requests``/``httpx`` request from ``directory``.

    Yields the loaded ``Recordings`` (e.g. to check ``unused()``). An unmatched request
    raises ``NoRecordingError`` out of the HTTP call. Raises ``ReplayError`` at entry if
    the directory or a file in it is invalid, or if another replaying/recording context is
    active. The patches are removed on exit, also when the body raises.
    """
    recordings = Recordings.load(Path(directory))
    with _patched(_Replay(recordings), passthrough_hosts):
        yield recordings


@contextmanager
def recording(
    directory: str | Path, *, passthrough_hosts: Iterable[str] = DEFAULT_PASSTHROUGH
) -> Iterator[Path]:
    """Send requests to the network as usual and save each non-pass-through exchange.

    Files go into ``directory`` (created if missing) as
    ``<slug>_<sha256-of-key[:12]>.json``, with ``_2``, ``_3``... for repeats of the same
    key, overwriting files of the same name. Request headers are never stored; cookie,
    authorization and ``*token*`` response headers are dropped; secret query/form values
    are stored as ``REDACTED``. Yields the directory. Raises ``ReplayError`` if another
    replaying/recording context is active.
    """
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    with _patched(_Record(_Writer(path)), passthrough_hosts):
        yield path
