"""The bounded Scholar client: blocking recognised at once, every wait inside the budget,
secrets out of logs. A fake clock stands in for time; nothing sleeps."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from conftest import FIXTURES

from harvesters.errors import SourceHTTPError
from harvesters.http.replay import replaying
from harvesters.scholar.client import (
    ScholarBlockedError,
    ScholarBudgetExceeded,
    ScholarClient,
    block_reason,
)
from harvesters.scholar.harvester import ScholarHarvester
from harvesters.scholar.parse import profile_path
from harvesters.scholar.settings import ScholarSettings, Secret, SettingsError

SCHOLAR = FIXTURES / "scholar"
KOENIG = "xD9IjnYAAAAJ"
CAPTCHA_HTML = (SCHOLAR / "originals" / "ordovicia_blocked_captcha.html").read_text("utf-8")


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def client(clock: FakeClock, **settings: object) -> ScholarClient:
    return ScholarClient(ScholarSettings(**settings), clock=clock, sleep=clock.sleep)  # type: ignore[arg-type]


def test_block_reasons() -> None:
    assert "CAPTCHA" in (block_reason(200, CAPTCHA_HTML) or "")
    assert block_reason(403, "Forbidden") == "HTTP 403 Forbidden (access denied)"
    login = "https://accounts.google.com/ServiceLogin?continue=x"
    assert block_reason(302, "", login) == "redirect to a Google login page"
    sorry = "https://www.google.com/sorry/index?continue=x"
    assert block_reason(302, "", sorry) == "redirect to Google's 'unusual traffic' page"
    profile = (SCHOLAR / "originals" / "bborrel_profile_8daWuo4AAAAJ.html").read_text("utf-8")
    assert block_reason(200, profile) is None


@pytest.mark.parametrize(
    ("recording", "reason"),
    [
        (SCHOLAR / "blocked" / f"wrapped_captcha_profile_{KOENIG}.json", "CAPTCHA page"),
        (SCHOLAR / "constructed" / f"constructed_403_profile_{KOENIG}.json", "HTTP 403"),
        (
            SCHOLAR / "constructed" / f"constructed_login_redirect_profile_{KOENIG}.json",
            "redirect to a Google login page",
        ),
    ],
)
def test_a_block_stops_at_the_first_answer(replay_dir, recording: Path, reason: str) -> None:
    clock = FakeClock()
    scholar = client(clock, budget_seconds=60, delay_seconds=5)

    with replaying(replay_dir(recording)), pytest.raises(ScholarBlockedError) as caught:
        scholar.get_page(profile_path(KOENIG))

    assert reason in caught.value.reason
    assert scholar.requests_made == 1  # no retry into a block
    assert clock.slept == []


def test_rate_limits_are_retried_inside_the_budget_then_end_it(replay_dir) -> None:
    clock = FakeClock()
    scholar = client(clock, budget_seconds=45, delay_seconds=0)
    recording = SCHOLAR / "constructed" / f"constructed_429_profile_{KOENIG}.json"

    with replaying(replay_dir(recording)), pytest.raises(ScholarBudgetExceeded) as caught:
        scholar.get_page(profile_path(KOENIG))

    # Retry-After 20 s, then the next backoff (30 s) would pass the 45 s budget: stop.
    assert clock.slept == [20.0]
    assert scholar.requests_made == 2
    assert "time budget of 45s used up" in caught.value.reason
    assert clock.now - 1000.0 <= 45


def test_a_rate_limit_after_every_retry_is_a_block(replay_dir) -> None:
    clock = FakeClock()
    scholar = client(clock, budget_seconds=600, delay_seconds=0)
    recording = SCHOLAR / "constructed" / f"constructed_429_profile_{KOENIG}.json"

    with replaying(replay_dir(recording)), pytest.raises(ScholarBlockedError) as caught:
        scholar.get_page(profile_path(KOENIG))

    assert not isinstance(caught.value, ScholarBudgetExceeded)
    assert caught.value.reason == "HTTP 429 Too Many Requests after 3 attempt(s)"
    assert clock.slept == [20.0, 30.0]
    assert isinstance(caught.value.__cause__, SourceHTTPError)


def test_the_politeness_delay_counts_against_the_budget(replay_dir) -> None:
    clock = FakeClock()
    scholar = client(clock, budget_seconds=9, delay_seconds=5)
    harvester = ScholarHarvester(scholar)

    with replaying(replay_dir(SCHOLAR / "recordings")):
        for scholar_id in (KOENIG, "5cEG4tIAAAAJ"):
            (page,) = harvester.profile_pages(scholar_id)
            assert page.profile is not None
        clock.now += 1  # parsing and storing took time: t = 6 s
        # The next delay (4 s) would end after the 9 s budget: stop instead of sleeping.
        with pytest.raises(ScholarBudgetExceeded, match="politeness delay of 4s"):
            list(harvester.profile_pages("8daWuo4AAAAJ"))

    assert clock.slept == [5.0]
    assert scholar.requests_made == 2


def test_settings_from_the_environment_mask_their_secrets() -> None:
    settings = ScholarSettings.from_env(
        {
            "SCHOLARFLOW_SCHOLAR_PROXY": "http://harvester:pw-9f8e7d@proxy.example:3128",
            "SCHOLARFLOW_SCHOLAR_BUDGET_SECONDS": "90",
        }
    )

    assert settings.mode == "proxy" and settings.budget_seconds == 90
    shown = f"{settings!r} {settings} {settings.describe()}"
    assert "pw-9f8e7d" not in shown
    assert settings.describe()["connection"] == "http://harvester:***@proxy.example:3128"
    assert "pw-9f8e7d" in settings.secrets()

    keyed = settings.with_credentials({"scraperapi_key": "k-123"})
    assert keyed.mode == "scraperapi" and keyed.proxy is None
    assert "k-123" not in str(keyed.describe())


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"SCHOLARFLOW_SCHOLAR_PROXY": "http://p:1", "SCHOLARFLOW_SCRAPERAPI_KEY": "k"},
            "not both",
        ),
        ({"SCHOLARFLOW_SCHOLAR_PROXY": "ftp://u:secret@p:1"}, "u:***@p:1"),
        ({"SCHOLARFLOW_SCHOLAR_BUDGET_SECONDS": "soon"}, "must be a number"),
        ({"SCHOLARFLOW_SCHOLAR_BUDGET_SECONDS": "0"}, "must be positive"),
    ],
)
def test_unusable_settings_are_refused_by_name(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("*", r"\*")) as caught:
        ScholarSettings.from_env(environ)
    assert "secret" not in str(caught.value)


def test_a_scraperapi_key_never_reaches_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-0123456789abcdef"
    body = json.loads((SCHOLAR / "recordings" / f"wrapped_profile_{KOENIG}.json").read_text())
    target = f"https://scholar.google.com{profile_path(KOENIG)}"
    # The same real page, as ScraperAPI's endpoint would return it (the key is redacted in
    # recordings and matched as REDACTED).
    (tmp_path / "scraperapi.json").write_text(
        json.dumps(
            {
                "url": "https://api.scraperapi.com/?api_key=REDACTED&url="
                + target.replace(":", "%3A")
                .replace("/", "%2F")
                .replace("?", "%3F")
                .replace("=", "%3D")
                .replace("&", "%26"),
                "status_code": 200,
                "body": body["body"],
            }
        )
    )
    caplog.set_level(logging.DEBUG)
    scholar = ScholarClient(
        ScholarSettings(scraperapi_key=Secret(key), delay_seconds=0), sleep=lambda _s: None
    )

    with replaying(tmp_path):
        html = scholar.get_page(profile_path(KOENIG))
    scholar.close()

    assert "Matthias König" in html
    assert "api.scraperapi.com" in caplog.text  # httpx logged the request...
    assert key not in caplog.text  # ...with the key masked


def test_a_socks_proxy_is_usable_out_of_the_box() -> None:
    settings = ScholarSettings.from_env(
        {"SCHOLARFLOW_SCHOLAR_PROXY": "socks5://harvester:pw-5oc@proxy.example:1080"}
    )
    with ScholarClient(settings) as scholar:
        # httpx[socks] is a dependency: the client routes through a SOCKS pool instead of
        # refusing the setting (no connection is opened until a request).
        pools = {type(t._pool).__name__ for t in scholar._client._mounts.values() if t}  # type: ignore[union-attr]
    assert pools == {"SOCKSProxy"}
