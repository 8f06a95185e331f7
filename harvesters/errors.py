"""Errors raised by harvesters. Each carries what a person needs to act on it."""

from __future__ import annotations


class HarvestError(Exception):
    """Base of every harvester error."""


class SourceHTTPError(HarvestError):
    """A source answered with an HTTP error status, after any retries.

    ``transient`` is true for statuses worth retrying later (429, 5xx).
    """

    def __init__(self, url: str, status: int, attempts: int, detail: str = "") -> None:
        self.url = url
        self.status = status
        self.attempts = attempts
        self.detail = detail
        message = f"HTTP {status} from {url} after {attempts} attempt(s)"
        super().__init__(f"{message}: {detail}" if detail else message)

    @property
    def transient(self) -> bool:
        return self.status == 429 or self.status >= 500


class SourceUnavailableError(HarvestError):
    """The source could not be reached (connection error or timeout), after any retries."""

    def __init__(self, url: str, attempts: int, cause: BaseException) -> None:
        self.url = url
        self.attempts = attempts
        super().__init__(f"could not reach {url} after {attempts} attempt(s): {cause}")


class SourceResponseError(HarvestError, ValueError):
    """A source answered, but not with something usable (an error feed, malformed XML)."""

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{message} (from {url})")


class OaiPmhError(SourceResponseError):
    """An OAI-PMH ``<error code=...>`` other than ``noRecordsMatch``."""

    def __init__(self, url: str, code: str, message: str) -> None:
        self.code = code
        super().__init__(url, f"OAI-PMH error {code}: {message}")


class MissingIdsError(SourceResponseError):
    """Some of the identifiers asked for were not returned, even after retries.

    Raised after every found record was yielded, so those can be stored; ``missing`` lists
    the identifiers as they were asked for.
    """

    def __init__(self, url: str, source: str, missing: list[str], attempts: int) -> None:
        self.source = source
        self.missing = list(missing)
        shown = ", ".join(self.missing)
        super().__init__(
            url,
            f"{source}: no result for {len(self.missing)} id(s) "
            f"after {attempts} attempt(s) each: {shown}",
        )
        self.attempts = attempts

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.source, self.missing, self.attempts))


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same request later may succeed (rate limits, 5xx, network)."""
    if isinstance(exc, SourceHTTPError):
        return exc.transient
    return isinstance(exc, SourceUnavailableError)
