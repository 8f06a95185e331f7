"""A bad or unreachable database URL is one clear line on stderr and exit code 2."""

from __future__ import annotations

import socket

import pytest

from flows.cli.main import main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is


@pytest.mark.parametrize("command", [["works"], ["authors", "list"], ["db", "upgrade"], ["demo"]])
@pytest.mark.parametrize(
    ("url", "shown", "reason"),
    [
        ("sqlite:////no/such/dir/x.db", "sqlite:////no/such/dir/x.db", "unable to open"),
        ("notaurl", "notaurl", "Could not parse"),
        (
            "postgresql://scholar:s3cret-pw@127.0.0.1:{port}/x",
            "postgresql://scholar:***@127.0.0.1:{port}/x",
            "Connection refused",
        ),
    ],
)
def test_bad_database_url_is_one_line_exit_2_password_masked(
    capsys: pytest.CaptureFixture[str], command: list[str], url: str, shown: str, reason: str
) -> None:
    port = _closed_port()
    code = main(["-q", "--database-url", url.format(port=port), *command])
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(
        f"scholarflow: error: cannot open database {shown.format(port=port)}: "
    )
    assert reason in lines[0]
    assert "s3cret-pw" not in err
    assert "Traceback" not in err
