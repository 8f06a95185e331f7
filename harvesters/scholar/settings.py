"""Google Scholar harvest settings: proxy, time budget, pacing. Read from the environment.

Secrets (a proxy URL with a password, a ScraperAPI key) are wrapped in :class:`Secret`, whose
``repr``/``str`` never show the value, and :meth:`ScholarSettings.describe` masks them, so a
settings object can be logged or stored in a run's parameters.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

PROXY_ENV = "SCHOLARFLOW_SCHOLAR_PROXY"
SCRAPERAPI_KEY_ENV = "SCHOLARFLOW_SCRAPERAPI_KEY"
BUDGET_ENV = "SCHOLARFLOW_SCHOLAR_BUDGET_SECONDS"
DELAY_ENV = "SCHOLARFLOW_SCHOLAR_DELAY_SECONDS"
MAX_FILLS_ENV = "SCHOLARFLOW_SCHOLAR_MAX_FILLS"
SECRET_BLOCK_ENV = "SCHOLARFLOW_SCHOLAR_SECRET_BLOCK"

DEFAULT_BUDGET_SECONDS = 300.0
DEFAULT_DELAY_SECONDS = 5.0
MASK = "***"

ProxyMode = Literal["none", "proxy", "scraperapi"]


class SettingsError(ValueError):
    """A Scholar setting has a value that cannot be used; the message names the setting."""


@dataclass(frozen=True)
class Secret:
    """A credential; its value is only reachable through ``.reveal()``."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__


def mask_url(url: str) -> str:
    """``url`` with the password of its user info replaced by ``***`` (user name kept)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{user}:{MASK}@{host}", parts.path, parts.query, ""))


@dataclass(frozen=True)
class ScholarSettings:
    """How the Scholar harvester connects and how long it may run.

    ``proxy`` is an ``http://``, ``https://`` or ``socks5://`` URL (user info allowed);
    ``scraperapi_key`` sends every request through ScraperAPI's endpoint instead. Setting both
    is refused. ``budget_seconds`` bounds a whole harvest run (requests, politeness delays and
    retry waits included). ``max_fills`` is how many single-publication pages a run may fetch
    (0: none).
    """

    proxy: Secret | None = None
    scraperapi_key: Secret | None = None
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    max_fills: int = 0

    def __post_init__(self) -> None:
        if self.proxy is not None and self.scraperapi_key is not None:
            raise SettingsError(
                f"set either {PROXY_ENV} or {SCRAPERAPI_KEY_ENV} (a proxy or ScraperAPI), not both"
            )
        if self.proxy is not None:
            scheme = urlsplit(self.proxy.reveal()).scheme
            if scheme not in ("http", "https", "socks5", "socks5h"):
                raise SettingsError(
                    f"{PROXY_ENV} must be an http://, https:// or socks5:// URL, "
                    f"not {mask_url(self.proxy.reveal())!r}"
                )
        if self.budget_seconds <= 0:
            raise SettingsError(f"{BUDGET_ENV} must be positive, not {self.budget_seconds}")
        if self.delay_seconds < 0 or self.max_fills < 0:
            raise SettingsError(f"{DELAY_ENV} and {MAX_FILLS_ENV} must not be negative")

    @property
    def mode(self) -> ProxyMode:
        if self.scraperapi_key is not None:
            return "scraperapi"
        return "proxy" if self.proxy is not None else "none"

    def secrets(self) -> tuple[str, ...]:
        """The secret strings to keep out of every log line (for redaction filters)."""
        found: list[str] = []
        if self.scraperapi_key is not None:
            found.append(self.scraperapi_key.reveal())
        if self.proxy is not None:
            parts = urlsplit(self.proxy.reveal())
            found += [p for p in (parts.password, self.proxy.reveal()) if p]
        return tuple(found)

    def describe(self) -> dict[str, Any]:
        """The settings with secrets masked: safe for logs, run parameters and artifacts."""
        connection = {
            "none": "direct",
            "proxy": mask_url(self.proxy.reveal()) if self.proxy else "",
            "scraperapi": f"ScraperAPI (key {MASK})",
        }[self.mode]
        return {
            "connection": connection,
            "budget_seconds": self.budget_seconds,
            "delay_seconds": self.delay_seconds,
            "max_fills": self.max_fills,
        }

    def with_credentials(self, credentials: Mapping[str, str] | str | None) -> ScholarSettings:
        """These settings with credentials from a secret store (e.g. a Prefect Secret block).

        ``credentials`` is a mapping with ``proxy`` and/or ``scraperapi_key``, or one string:
        a proxy URL when it contains ``://``, else a ScraperAPI key. Values from the store
        replace those from the environment. Raises SettingsError on an unusable value.
        """
        if credentials is None:
            return self
        if isinstance(credentials, str):
            kind = "proxy" if "://" in credentials else "scraperapi_key"
            credentials = {kind: credentials}
        unknown = set(credentials) - {"proxy", "scraperapi_key"}
        if unknown:
            raise SettingsError(f"unknown Scholar credential keys: {sorted(unknown)}")
        proxy = credentials.get("proxy")
        key = credentials.get("scraperapi_key")
        return replace(
            self,
            proxy=Secret(proxy) if proxy else (None if key else self.proxy),
            scraperapi_key=Secret(key) if key else (None if proxy else self.scraperapi_key),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScholarSettings:
        """Settings from ``SCHOLARFLOW_SCHOLAR_*`` / ``SCHOLARFLOW_SCRAPERAPI_KEY``.

        Raises SettingsError naming the variable that holds an unusable value.
        """
        env = os.environ if environ is None else environ

        def number(name: str, default: float) -> float:
            text = env.get(name, "").strip()
            if not text:
                return default
            try:
                return float(text)
            except ValueError as exc:
                raise SettingsError(f"{name} must be a number, not {text!r}") from exc

        proxy = env.get(PROXY_ENV, "").strip()
        key = env.get(SCRAPERAPI_KEY_ENV, "").strip()
        return cls(
            proxy=Secret(proxy) if proxy else None,
            scraperapi_key=Secret(key) if key else None,
            budget_seconds=number(BUDGET_ENV, DEFAULT_BUDGET_SECONDS),
            delay_seconds=number(DELAY_ENV, DEFAULT_DELAY_SECONDS),
            max_fills=int(number(MAX_FILLS_ENV, 0)),
        )


def secret_block_name(environ: Mapping[str, str] | None = None) -> str | None:
    """The Prefect Secret block holding Scholar credentials, if one is configured."""
    env = os.environ if environ is None else environ
    return env.get(SECRET_BLOCK_ENV, "").strip() or None
