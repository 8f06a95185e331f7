"""Settings read from the environment (no network, no I/O beyond os.environ)."""

from __future__ import annotations

import os

DATABASE_URL_ENV = "SCHOLARFLOW_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///scholarflow.db"


def database_url() -> str:
    """Return the database URL: `SCHOLARFLOW_DATABASE_URL`, else a SQLite file in the working dir.

    A bare ``postgresql://`` URL is given the psycopg 3 driver, the one scholarflow installs.
    """
    url = os.environ.get(DATABASE_URL_ENV, "").strip() or DEFAULT_DATABASE_URL
    return normalize_url(url)


def normalize_url(url: str) -> str:
    """Map ``postgres://`` and ``postgresql://`` to the installed psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
