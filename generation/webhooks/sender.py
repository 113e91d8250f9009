"""Send one signed webhook POST to a checked address, without following redirects.

The connection goes to an IP address checked by ``resolve_target``. The URL's
host name still goes in the Host header and, for https, in SNI and the
certificate check. http.client never follows redirects, so a 3xx answer is
recorded as a failure that names the redirect target.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import socket
import ssl
import time
from dataclasses import dataclass

from generation.errors import InvalidRequest
from generation.webhooks.addresses import WebhookTarget, resolve_target

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Trend-Reports-Signature"
TIMESTAMP_HEADER = "X-Trend-Reports-Timestamp"
EVENT_HEADER = "X-Trend-Reports-Event"
DELIVERY_HEADER = "X-Trend-Reports-Delivery"
USER_AGENT = "trend-reports-webhooks/1"
# Only the start of a response body is read, for the error sentence.
MAX_RESPONSE_BYTES = 1024
RETRYABLE_STATUS_CODES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of one POST."""

    status_code: int | None
    duration_ms: int
    error: str = ""
    # True when trying again later may succeed (timeouts, 5xx, 429).
    retryable: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Return the signature header value: HMAC-SHA256 of "<timestamp>.<body>"."""
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def post_signed(
    url: str,
    body: bytes,
    *,
    event: str,
    delivery_id: int,
    secret: str,
    timestamp: int,
    allow_private: bool,
    timeout: float,
) -> AttemptResult:
    """POST ``body`` to ``url``, signed when a secret is set.

    Rejected addresses, network errors, timeouts and HTTP errors come back as
    a failed ``AttemptResult`` rather than an exception.
    """
    started = time.perf_counter()
    try:
        target = resolve_target(url, allow_private=allow_private)
    except InvalidRequest as error:
        # The address is checked before any connection, so a rejected URL
        # sends nothing. It is not retried: the same check would fail again.
        return AttemptResult(None, _elapsed_ms(started), error.message)
    headers = {
        "Host": target.url.host_header,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event,
        DELIVERY_HEADER: str(delivery_id),
        TIMESTAMP_HEADER: str(timestamp),
    }
    if secret:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    connection: http.client.HTTPConnection | None = None
    try:
        connection = _connect(target, timeout)
        connection.request("POST", target.url.target, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        location = response.getheader("Location", "")
        snippet = response.read(MAX_RESPONSE_BYTES)
    except TimeoutError:
        return AttemptResult(
            None,
            _elapsed_ms(started),
            f"The endpoint did not answer within {timeout:g} seconds (timed out).",
            retryable=True,
        )
    except ssl.SSLCertVerificationError as error:
        return AttemptResult(
            None,
            _elapsed_ms(started),
            f"The endpoint's TLS certificate is not valid for {target.url.host} "
            f"({error.verify_message}).",
        )
    except (OSError, http.client.HTTPException) as error:
        return AttemptResult(
            None,
            _elapsed_ms(started),
            f"Connecting to the endpoint failed ({_describe_error(error)}).",
            retryable=True,
        )
    finally:
        if connection is not None:
            connection.close()
    duration = _elapsed_ms(started)
    if 200 <= status < 300:
        return AttemptResult(status, duration)
    if 300 <= status < 400:
        return AttemptResult(
            status,
            duration,
            f"The endpoint answered HTTP {status}, a redirect to "
            f"'{location[:200]}'. Redirects are not followed; set the webhook "
            "to the final address.",
        )
    detail = snippet.decode("utf-8", "replace").strip()[:200]
    sentence = f"The endpoint answered HTTP {status}"
    sentence += f": {detail}" if detail else "."
    return AttemptResult(
        status, duration, sentence, retryable=status in RETRYABLE_STATUS_CODES
    )


def _connect(target: WebhookTarget, timeout: float) -> http.client.HTTPConnection:
    """Connect to the first of the checked addresses that accepts; raise the last error."""
    last_error: OSError | None = None
    for address in target.addresses:
        if target.url.scheme == "https":
            connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
                address,
                target.url.port,
                server_hostname=target.url.host,
                timeout=timeout,
            )
        else:
            connection = http.client.HTTPConnection(
                address, target.url.port, timeout=timeout
            )
        try:
            connection.connect()
        except ssl.SSLCertVerificationError:
            connection.close()
            raise
        except OSError as error:
            connection.close()
            last_error = error
            continue
        return connection
    assert last_error is not None
    raise last_error


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed IP address, verifying the certificate for the URL's host."""

    def __init__(
        self, address: str, port: int, *, server_hostname: str, timeout: float
    ) -> None:
        super().__init__(
            address, port, timeout=timeout, context=ssl.create_default_context()
        )
        self._server_hostname = server_hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(
            sock, server_hostname=self._server_hostname
        )


def _describe_error(error: Exception) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    text = str(error) or type(error).__name__
    return text[:200]


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
