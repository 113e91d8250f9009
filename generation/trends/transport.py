"""HTTP to Google Trends with one retry policy for every trends source.

Google Trends rate-limits scrapers with HTTP 429 and has short 5xx outages.
Each request is retried with exponential backoff and jitter (tenacity),
honouring ``Retry-After``, within a bounded number of attempts and a bounded
total wait. pytrends' own ``retries``/``backoff_factor`` are never used: they
build ``urllib3.Retry(method_whitelist=...)``, which raises TypeError on
urllib3 2.

After Google keeps responding with 429, every live request in this process fails at
once for a cool-down period instead of sending more requests to Google.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from generation.config import Settings
from generation.errors import TrendsRateLimited, TrendsUnavailable

logger = logging.getLogger(__name__)

USER_AGENT = "trend-reports (+pytrends)"

_cooldown_until: dict[str, float] = {}
_cooldown_lock = threading.Lock()


class RetryableResponse(Exception):
    """A 429, a 5xx or a read timeout: worth another attempt after a wait."""

    def __init__(self, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(status, retry_after)
        self.status = status
        self.retry_after = retry_after


class TrendsTransport:
    """Sends requests to the Google Trends base URL with retries and a cool-down.

    One transport serves one fetch on one thread: it keeps a
    ``requests.Session`` (cookies from the first response are sent again), which
    is not safe to share across threads. The cool-down is shared by the
    process, keyed by base URL.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = settings.trends_base_url.rstrip("/")
        self.timeout = settings.trends_timeout_seconds
        self.attempts = settings.trends_retry_attempts
        self.initial_wait = settings.trends_retry_initial_seconds
        self.max_total_wait = settings.trends_retry_max_wait_seconds
        self.cooldown_seconds = settings.trends_cooldown_seconds
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self._sleep = sleep
        self._clock = clock

    def url(self, path: str) -> str:
        """Return ``path`` (starting with /) under the configured base URL."""
        return f"{self.base_url}{path}"

    def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request, retrying 429, 5xx and read timeouts.

        Returns the response for any other status, so the caller decides what
        a 404 means. Raises ``TrendsRateLimited`` when Google still responds with 429
        (and starts the cool-down), and ``TrendsUnavailable`` for 5xx, timeouts
        and connection failures once the attempts or the wait budget run out.
        """
        self._raise_if_cooling_down()
        retrying = Retrying(
            retry=retry_if_exception_type(RetryableResponse),
            wait=self._wait_seconds,
            stop=self._should_stop,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._send_once, method, url, params, headers, cookies)
        except RetryableResponse as error:
            raise self._give_up(error, url) from None

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        cookies: Mapping[str, str] | None,
    ) -> requests.Response:
        logger.debug("Google Trends %s %s", method.upper(), urlsplit(url).path)
        try:
            response = self.session.request(
                method.upper(),
                url,
                params=params,
                headers=dict(headers or {}),
                cookies=dict(cookies or {}),
                timeout=(min(self.timeout, 5.0), self.timeout),
            )
        except requests.exceptions.ConnectTimeout:
            raise self._unreachable(url, "the connection timed out") from None
        except requests.exceptions.ReadTimeout:
            raise RetryableResponse(None) from None
        except requests.exceptions.ConnectionError as error:
            # Not retried: offline or a wrong base URL fails the same way on
            # every attempt, and the analyst should hear about it at once.
            raise self._unreachable(url, _short_reason(error)) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise RetryableResponse(
                response.status_code, parse_retry_after(response.headers)
            )
        return response

    def _wait_seconds(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RetryableResponse) and error.retry_after is not None:
            return error.retry_after
        exponential = self.initial_wait * 2 ** (retry_state.attempt_number - 1)
        return exponential + random.uniform(0, self.initial_wait)

    def _should_stop(self, retry_state: RetryCallState) -> bool:
        if retry_state.attempt_number >= self.attempts:
            return True
        # upcoming_sleep is computed before the stop check (tenacity >= 8.3),
        # so a Retry-After longer than the budget stops without sleeping.
        total_wait = retry_state.idle_for + retry_state.upcoming_sleep
        return total_wait > self.max_total_wait

    def _log_retry(self, retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        status = getattr(error, "status", None)
        logger.warning(
            "Google Trends returned %s; retry %d of %d in %.1f s",
            f"HTTP {status}" if status is not None else "a timeout",
            retry_state.attempt_number,
            self.attempts - 1,
            retry_state.upcoming_sleep,
        )

    def _give_up(self, error: RetryableResponse, url: str) -> TrendsUnavailable:
        if error.status == 429:
            pause = max(self.cooldown_seconds, error.retry_after or 0.0)
            with _cooldown_lock:
                _cooldown_until[self.base_url] = self._clock() + pause
            logger.warning(
                "Google Trends is rate limiting; no live request for %.0f s", pause
            )
            return TrendsRateLimited(
                "Google Trends is limiting requests (HTTP 429); try again in "
                f"about {_describe_wait(pause)}."
            )
        if error.status is None:
            return TrendsUnavailable(
                f"Google Trends timed out after {self.timeout:g} seconds, "
                f"{self.attempts} times; try again later or raise "
                "TRENDS_TIMEOUT_SECONDS."
            )
        return TrendsUnavailable(
            f"Google Trends failed with HTTP {error.status} on {urlsplit(url).path}, "
            f"{self.attempts} times; try again in a few minutes."
        )

    def _unreachable(self, url: str, reason: str) -> TrendsUnavailable:
        host = urlsplit(url).netloc
        return TrendsUnavailable(
            f"Could not connect to Google Trends at {host} ({reason}); check the "
            "network connection or the GOOGLE_TRENDS_BASE_URL setting."
        )

    def _raise_if_cooling_down(self) -> None:
        with _cooldown_lock:
            until = _cooldown_until.get(self.base_url, 0.0)
        remaining = until - self._clock()
        if remaining > 0:
            raise TrendsRateLimited(
                "Google Trends was limiting requests a moment ago, so no new "
                f"request was sent; try again in about {_describe_wait(remaining)}."
            )


def reset_cooldowns() -> None:
    """Forget every rate-limit cool-down in this process."""
    with _cooldown_lock:
        _cooldown_until.clear()


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for, or None.

    The header is either a number of seconds or an HTTP date (RFC 9110).
    """
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _describe_wait(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} seconds"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} minutes"
    return f"{round(minutes / 60)} hours"


def _short_reason(error: requests.exceptions.ConnectionError) -> str:
    text = str(error)
    if "Connection refused" in text:
        return "connection refused"
    if "Name or service not known" in text or "Failed to resolve" in text:
        return "the host name could not be resolved"
    return "no connection"
