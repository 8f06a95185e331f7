"""A bounded HTTP client for Google Scholar pages: one deadline, blocking recognised at once.

Why not scholarly's own navigator: ``scholarly._navigator.Navigator._get_page`` sleeps 1-2 s
before every request, answers a 403 by sleeping 60-120 s and retrying with a new session,
hands a CAPTCHA to a Selenium browser (``_handle_captcha2``), and loops over free proxies; with
no deadline over all of that a blocked crawler waits for hours (AcadHomepage issue #124). Its
proxy set-up also passes ``proxies=`` to ``httpx.Client``, which httpx 0.28 removed, and logs
proxy URLs with their passwords. This client fetches pages itself and stops the moment Google
blocks it; scholarly's parsers then read the pages (``harvesters.scholar.parse``).

Every wait (politeness delay, retry backoff, request timeout) is bounded by one
:class:`Deadline`; ``clock`` and ``sleep`` are injectable so tests never sleep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from harvesters.errors import HarvestError, SourceHTTPError, SourceResponseError
from harvesters.errors import SourceUnavailableError as _Unavailable
from harvesters.http.politeness import RetryPolicy, Throttle, TryAgain, raise_for_retry_status
from harvesters.http.politeness import with_retries as _with_retries
from harvesters.scholar.settings import MASK, ScholarSettings, SettingsError

logger = logging.getLogger(__name__)

SCHOLAR_BASE = "https://scholar.google.com"
SCRAPERAPI_ENDPOINT = "https://api.scraperapi.com/"
# A browser's headers: Scholar serves its regular markup to browsers (scholarly does the same).
BROWSER_HEADERS = {
    "user-agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36"
    ),
    "accept": "text/html,application/xhtml+xml,application/xml",
    "accept-language": "en-US,en",
}
# scholarly's markers (Navigator._has_captcha) plus the reCAPTCHA widget class.
_CAPTCHA_IDS = ("gs_captcha_ccl", "recaptcha", "captcha-form")
_CAPTCHA_CLASSES = ("rc-doscaptcha-body", "g-recaptcha")
# Markers of a real Scholar profile or publication page: block phrases are looked for only
# on pages without them (a publication may well be titled "unusual traffic ...").
_SCHOLAR_PAGE_MARKERS = ('id="gsc_prf_in"', 'id="gsc_oci_title"', "id='gsc_prf_in'")
_BLOCK_PHRASES = (
    ("unusual traffic from your computer network", "Google's 'unusual traffic' page"),
    ("/sorry/index", "Google's 'sorry' page"),
    ("sending automated queries", "Google's 'automated queries' page"),
    ("error 403 (forbidden)", "Google's 403 Forbidden page (served with status 200)"),
    ("<b>403.</b>", "Google's 403 Forbidden page (served with status 200)"),
)
_MAX_REDIRECTS = 5
# Loggers that may format request URLs or proxy settings: secrets are masked in their records.
_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class ScholarBlockedError(HarvestError):
    """Google Scholar refused to serve pages (CAPTCHA, 403, login redirect, rate limit), or
    the run's time budget ran out. ``reason`` says which; ``url`` is the page asked for."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"Google Scholar blocked the harvest: {reason} (at {url})")

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.reason))


class ScholarBudgetExceeded(ScholarBlockedError):
    """The run's time budget is used up; the harvest stops where it is."""


@dataclass
class Deadline:
    """A point in time (on ``clock``) after which no request or wait may start."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    _end: float = field(init=False)

    def __post_init__(self) -> None:
        self._end = self.clock() + self.seconds

    def remaining(self) -> float:
        return self._end - self.clock()

    def check(self, url: str, why: str = "") -> None:
        """Raise ScholarBudgetExceeded when no time is left."""
        if self.remaining() <= 0:
            raise ScholarBudgetExceeded(url, self.exhausted_reason(why))

    def exhausted_reason(self, why: str = "") -> str:
        text = f"time budget of {self.seconds:.0f}s used up"
        return f"{text} ({why})" if why else text


def block_reason(status: int, text: str, location: str | None = None) -> str | None:
    """Why a Scholar response means "blocked", or None when it does not.

    Recognises a 403, a redirect to a Google login, consent or "sorry" (unusual traffic)
    page, and a CAPTCHA page (the markers scholarly looks for).
    """
    if location:
        target = urlsplit(location)
        host = (target.hostname or "").lower()
        if host.startswith("accounts.google.") or "servicelogin" in target.path.lower():
            return "redirect to a Google login page"
        if host.startswith("consent.google."):
            return "redirect to Google's consent page"
        if target.path.startswith("/sorry/"):
            return "redirect to Google's 'unusual traffic' page"
    if status == 403:
        return "HTTP 403 Forbidden (access denied)"
    if any(f'id="{i}"' in text for i in _CAPTCHA_IDS) or any(
        f'class="{c}"' in text for c in _CAPTCHA_CLASSES
    ):
        return "CAPTCHA page ('unusual traffic from your computer network')"
    if not any(marker in text for marker in _SCHOLAR_PAGE_MARKERS):
        # Google also serves its block pages with status 200 and no CAPTCHA widget: the
        # "sorry" page, the "automated queries" page and its own 403 error page.
        lowered = text[:20_000].lower()
        for phrase, reason in _BLOCK_PHRASES:
            if phrase in lowered:
                return reason
    return None


class _RedactSecrets(logging.Filter):
    """Replaces secret strings in a record's message with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(sorted((s for s in secrets if s), key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


class ScholarClient:
    """GETs Scholar pages within one time budget; raises ScholarBlockedError when blocked.

    429/5xx answers and connection errors are retried per ``retry`` (waits included in the
    budget); a CAPTCHA, a 403 or a login redirect ends the harvest at once (retrying from the
    same address only prolongs the block). With ScraperAPI every request goes through its
    endpoint; with a proxy, through the proxy. Secrets never reach a log line or an error.
    """

    def __init__(
        self,
        settings: ScholarSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings or ScholarSettings()
        self.deadline = Deadline(self.settings.budget_seconds, clock)
        self.timeout = timeout
        self.retry = retry or RetryPolicy(max_attempts=3, backoff=(10.0, 30.0), max_wait=120.0)
        self._sleep = sleep
        self._throttle = Throttle(
            self.settings.delay_seconds, sleep=self._bounded_sleep, clock=clock
        )
        self._redactor = _RedactSecrets(self.settings.secrets())
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).addFilter(self._redactor)
        proxy = self.settings.proxy.reveal() if self.settings.proxy else None
        try:
            self._client = httpx.Client(
                headers=BROWSER_HEADERS, follow_redirects=False, proxy=proxy, timeout=timeout
            )
        except ImportError as exc:  # socks5:// without the socksio package
            self.close()
            raise SettingsError(
                f"{self._redactor.redact(str(exc))}; install httpx[socks] for a SOCKS proxy"
            ) from None
        self.requests_made = 0

    # ------------------------------------------------------------------ public

    def get_page(self, path: str) -> str:
        """The HTML of ``SCHOLAR_BASE + path`` (``path`` starts with ``/``).

        Raises ScholarBlockedError (blocked, or the budget ran out: ScholarBudgetExceeded),
        SourceHTTPError (another error status, after retries for 5xx),
        SourceUnavailableError (unreachable after retries) or SourceResponseError (a
        redirect away from Scholar).
        """
        url = SCHOLAR_BASE + path
        try:
            return _with_retries(
                lambda attempt: self._attempt(url, attempt),
                policy=self.retry,
                throttle=self._throttle,
                sleep=lambda seconds: self._bounded_sleep(seconds, url, "waiting to retry"),
                label=url,
            )
        except SourceHTTPError as exc:
            if exc.status == 429:
                raise ScholarBlockedError(
                    url, f"HTTP 429 Too Many Requests after {exc.attempts} attempt(s)"
                ) from exc
            raise

    def close(self) -> None:
        for name in _HTTP_LOGGERS:
            logging.getLogger(name).removeFilter(self._redactor)
        client = getattr(self, "_client", None)
        if client is not None:
            client.close()

    def __enter__(self) -> ScholarClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _bounded_sleep(self, seconds: float, url: str = SCHOLAR_BASE, why: str = "") -> None:
        if seconds <= 0:
            return
        if seconds >= self.deadline.remaining():
            raise ScholarBudgetExceeded(
                url,
                self.deadline.exhausted_reason(f"{why or 'politeness delay'} of {seconds:.0f}s"),
            )
        self._sleep(seconds)

    def _attempt(self, url: str, attempt: int) -> str:
        target = url
        for _hop in range(_MAX_REDIRECTS + 1):
            self.deadline.check(target)
            response = self._send(target, attempt)
            location = response.headers.get("location")
            location = urljoin(target, location) if response.is_redirect and location else None
            reason = block_reason(response.status_code, response.text, location)
            if reason:
                raise ScholarBlockedError(url, reason)
            if location is None:
                break
            host = (urlsplit(location).hostname or "").lower()
            if not host.startswith("scholar.google."):
                raise SourceResponseError(url, f"unexpected redirect to {location}")
            logger.info("Scholar: %s redirects to %s", target, location)
            target = location
        else:
            raise SourceResponseError(url, f"more than {_MAX_REDIRECTS} redirects")
        raise_for_retry_status(
            url, response.status_code, response.headers.get("retry-after"), attempt, self.retry
        )
        if response.is_error:
            raise SourceHTTPError(url, response.status_code, attempt, response.text[:200])
        return response.text

    def _send(self, url: str, attempt: int) -> httpx.Response:
        self.requests_made += 1
        logger.info("Scholar GET %s (attempt %d)", url, attempt)
        timeout = max(0.001, min(self.timeout, self.deadline.remaining()))
        request_url, params = url, None
        if self.settings.scraperapi_key is not None:
            request_url = SCRAPERAPI_ENDPOINT
            params = {"api_key": self.settings.scraperapi_key.reveal(), "url": url}
        try:
            return self._client.get(request_url, params=params, timeout=timeout)
        except httpx.TimeoutException as exc:
            self.deadline.check(url, "a request timed out")
            raise TryAgain(
                "timeout", _Unavailable(url, attempt, _Redacted(self._redactor.redact(str(exc))))
            ) from None
        except httpx.TransportError as exc:
            text = self._redactor.redact(f"{type(exc).__name__}: {exc}")
            raise TryAgain(text, _Unavailable(url, attempt, _Redacted(text))) from None


class _Redacted(Exception):
    """An HTTP library error whose text was stripped of secrets (the original is dropped,
    since its arguments may hold the proxy URL)."""
