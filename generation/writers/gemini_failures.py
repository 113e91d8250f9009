"""How the Gemini writer fails: one exception and one sentence per kind.

    WriterFailed                   (generation.errors)
    ├── GeminiKeyRejected          400 API_KEY_INVALID, 401 or 403
    ├── GeminiModelNotFound        404
    ├── GeminiRateLimited          429 on every attempt, or a long retryDelay
    ├── GeminiUnavailable          5xx on every attempt (503: overloaded)
    ├── GeminiUnreachable          no connection, or a stream that broke off
    ├── GeminiBlocked              a safety block of the prompt or the response
    ├── GeminiEmptyAnswer          a response without text
    ├── GeminiOutputLimit          finish reason MAX_TOKENS
    ├── GeminiCostCapReached       the job's cost reached its cap
    └── GeminiInvalidRequest       any other 4xx

Each sentence says what happened and what the analyst can do. Error text
from the API passes through ``redact`` before it reaches a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from google.genai import errors as genai_errors

from generation.errors import WriterFailed

# Attempts per request, the first one included.
MAX_ATTEMPTS = 4
# A 429 that requests a longer wait ends the retries at once, because the
# quota is used up for longer than a job should sit waiting.
MAX_SUGGESTED_WAIT_SECONDS = 60.0
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
# Maximum length of an API error message quoted in a sentence, in characters.
MAX_QUOTED_MESSAGE = 300


class GeminiKeyRejected(WriterFailed):
    """The API rejected the key (400 API_KEY_INVALID, 401 or 403)."""


class GeminiModelNotFound(WriterFailed):
    """The API has no model of that name (404)."""


class GeminiRateLimited(WriterFailed):
    """The rate limit or quota was reached (429) and retries did not help."""


class GeminiUnavailable(WriterFailed):
    """The API kept failing with 5xx, or the model stayed overloaded (503)."""


class GeminiUnreachable(WriterFailed):
    """The API could not be reached, or the stream broke off, on every attempt."""


class GeminiBlocked(WriterFailed):
    """A safety filter blocked the prompt or the response."""


class GeminiEmptyAnswer(WriterFailed):
    """The response finished without any text."""


class GeminiOutputLimit(WriterFailed):
    """The response reached the output token limit (finish reason MAX_TOKENS)."""


class GeminiCostCapReached(WriterFailed):
    """The job's estimated cost reached its cap."""


class GeminiInvalidRequest(WriterFailed):
    """The API rejected the request as invalid (a 4xx other than the above)."""


@dataclass
class Failure:
    """A failed attempt: the error to raise, and whether to try again."""

    error: WriterFailed
    retryable: bool = False
    # Seconds the API requested before the next attempt (RetryInfo), if any.
    suggested_delay: float | None = None
    # What failed, for log lines and progress messages ("HTTP 429 ...").
    status: str = ""


class AttemptFailed(Exception):
    """Carries a ``Failure`` out of one attempt to the retry loop."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.error.message)
        self.failure = failure


def api_failure(error: genai_errors.APIError, *, model: str, key: str) -> Failure:
    """Sort an HTTP error of the API into a failure with its sentence."""
    code = int(error.code or 0)
    label = f"HTTP {code} {error.status or ''}".strip()
    reason = error_detail(error.details, "ErrorInfo", "reason")
    api_message = redact(str(error.message or ""), key)[:MAX_QUOTED_MESSAGE]
    key_rejected = code in (401, 403) or reason == "API_KEY_INVALID"
    if code == 400 and "api key" in api_message.casefold():
        key_rejected = True

    if key_rejected:
        return Failure(
            GeminiKeyRejected(
                f"Gemini rejected the API key ({label}). Check GEMINI_API_KEY or "
                "GOOGLE_API_KEY in the environment or .streamlit/secrets.toml, or "
                "create a new key in Google AI Studio."
            ),
            status=label,
        )
    if code == 404:
        return Failure(
            GeminiModelNotFound(
                f"Gemini has no model called '{model}' ({label}). Pick another "
                "model on the form, or set GEMINI_MODEL in Settings."
            ),
            status=label,
        )
    if code == 429:
        return _rate_limited(error, model, label)
    if code == 503:
        return Failure(
            GeminiUnavailable(
                f"The Gemini model '{model}' is overloaded ({label}) and still "
                f"was after {MAX_ATTEMPTS} attempts. Try again in a few minutes, "
                "or pick another model."
            ),
            retryable=True,
            status=label,
        )
    if code in RETRYABLE_STATUS_CODES:
        return Failure(
            GeminiUnavailable(
                f"Gemini failed with a server error ({label}) on all "
                f"{MAX_ATTEMPTS} attempts. Try again in a few minutes."
            ),
            retryable=True,
            status=label,
        )
    return Failure(
        GeminiInvalidRequest(
            f"Gemini rejected the request ({label}): {api_message} Check the "
            "model, temperature and output limit settings."
        ),
        status=label,
    )


def _rate_limited(error: genai_errors.APIError, model: str, label: str) -> Failure:
    delay = parse_duration(error_detail(error.details, "RetryInfo", "retryDelay"))
    if delay is not None and delay > MAX_SUGGESTED_WAIT_SECONDS:
        message = (
            f"Gemini's quota for '{model}' is used up ({label}) and it requested "
            f"a wait of {delay:.0f} seconds. Retry the job later, or pick another "
            "model."
        )
    else:
        message = (
            f"Gemini's rate limit or quota for '{model}' was reached ({label}) on "
            f"all {MAX_ATTEMPTS} attempts. Wait a minute and retry the job, or "
            "pick another model."
        )
    return Failure(
        GeminiRateLimited(message),
        retryable=True,
        suggested_delay=delay,
        status=label,
    )


def network_failure(error: Exception, *, base_url: str, received_text: bool) -> Failure:
    """Sort a connection error: unreachable, or a stream cut after some text."""
    if received_text:
        return cut_stream_failure()
    host = urlsplit(base_url).netloc or base_url
    kind = type(error).__name__
    return Failure(
        GeminiUnreachable(
            f"Could not reach the Gemini API at {host} ({kind}) on "
            f"{MAX_ATTEMPTS} attempts. Check the network connection and the "
            "GEMINI_BASE_URL setting, then retry the job."
        ),
        retryable=True,
        status=kind,
    )


def cut_stream_failure() -> Failure:
    return Failure(
        GeminiUnreachable(
            "The connection to Gemini broke off before the response was "
            f"complete, on {MAX_ATTEMPTS} attempts. Retry the job; the text "
            "written so far is kept."
        ),
        retryable=True,
        status="a stream that broke off",
    )


def prompt_blocked(reason: str) -> Failure:
    return Failure(
        GeminiBlocked(
            f"Gemini refused the request before writing (block reason {reason}). "
            "Remove or rephrase topics or instructions that could read as "
            "harmful, then try again."
        ),
        status=f"a blocked prompt ({reason})",
    )


def cost_cap_reached(
    cap: float, spent: float, partial_text: str
) -> GeminiCostCapReached:
    return GeminiCostCapReached(
        f"The job stopped because its estimated cost reached the cap of "
        f"${cap:.4f} (${spent:.4f} so far). Raise the cost cap, choose a shorter "
        "length, or pick a cheaper model; the text written so far is kept.",
        partial_text=partial_text,
    )


def with_partial(error: WriterFailed, text: str) -> WriterFailed:
    """Return ``error`` carrying ``text`` as its partial text, unless it has one."""
    if error.partial_text or not text:
        return error
    return type(error)(error.message, partial_text=text)


def error_detail(details: Any, type_suffix: str, name: str) -> str | None:
    """Return a field of a google.rpc detail (ErrorInfo, RetryInfo) of an error body."""
    if not isinstance(details, dict):
        return None
    body = details.get("error", details)
    if not isinstance(body, dict):
        return None
    for detail in body.get("details") or []:
        if not isinstance(detail, dict):
            continue
        if str(detail.get("@type", "")).endswith(type_suffix):
            value = detail.get(name)
            return None if value is None else str(value)
    return None


def parse_duration(text: str | None) -> float | None:
    """Return seconds from a protobuf JSON duration such as '34.4s'."""
    if not text:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)s\s*", text)
    return float(match.group(1)) if match else None


def redact(text: str, key: str) -> str:
    """Return ``text`` with every copy of ``key`` replaced."""
    return text.replace(key, "[redacted]") if key else text
