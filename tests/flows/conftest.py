"""Fixtures shared by the Prefect flow tests of every source."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One temporary Prefect server and database for the whole session.

    PREFECT_HOME points at a temporary folder and the harness sets PREFECT_API_URL, both only
    inside this context, so a developer's profile, API and local storage stay out of it.
    """
    from prefect.settings import PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    # The default 30 s startup timeout is about what the server needs on these shared 2 cores.
    with (
        temporary_settings(updates={PREFECT_HOME: str(home)}),
        prefect_test_harness(server_startup_timeout=180),
    ):
        yield
