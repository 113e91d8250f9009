"""ASGI middleware of the HTTP API: unexpected errors, tokens, body size.

Access is checked here rather than in a FastAPI dependency because FastAPI
reads and parses the request body before it solves dependencies. A request
without a token would otherwise get a reply about its JSON, and an
unauthenticated client could make the server parse large bodies.
"""

from __future__ import annotations

import functools
import logging

from anyio import to_thread
from sqlalchemy.engine import Engine
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from generation.api.errors import (
    UNEXPECTED_ERROR,
    BodyTooLarge,
    error_response,
    user_facing_error_response,
)
from generation.api.rate_limit import RateLimiter, retry_after_header
from generation.tokens import CREATE_HINT, InvalidToken, authenticate_token

logger = logging.getLogger(__name__)

# Routes anyone may call: the load balancer's check and the documentation.
PUBLIC_PATHS = frozenset({"/health", "/docs", "/docs/oauth2-redirect", "/openapi.json"})
# The documentation page's scripts and styles, served from this process.
PUBLIC_PREFIXES = ("/docs-assets/",)
TOKEN_STATE_KEY = "api_token_id"


def route_path(scope: Scope) -> str:
    """Return the request path below the mount point (``/status/1`` for ``/api/status/1``)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path) :] or "/"
    return path


class UnexpectedErrorMiddleware:
    """Turns an unhandled exception into a 500 JSON sentence and one log entry.

    Starlette's own error middleware re-raises after sending its response, so
    the server that mounts the API would log the traceback a second time.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def send_and_track(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_track)
        except Exception as error:
            if response_started:
                raise
            logger.exception(
                "API request %s %s failed", scope.get("method"), scope.get("path")
            )
            response = error_response(
                500, UNEXPECTED_ERROR.format(kind=type(error).__name__)
            )
            await response(scope, receive, send)


class TokenAuthMiddleware:
    """Requires ``Authorization: Bearer <token>`` and applies the rate limit.

    The token is never logged or echoed; the row id of the matching token is
    left in the request state under ``api_token_id``.
    """

    def __init__(self, app: ASGIApp, engine: Engine, rate_limiter: RateLimiter) -> None:
        self.app = app
        self.engine = engine
        self.rate_limiter = rate_limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _is_public(route_path(scope)):
            await self.app(scope, receive, send)
            return
        authorization = Headers(scope=scope).get("authorization", "")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            response = error_response(
                401,
                "This route needs an API token: send the header "
                f"'Authorization: Bearer <token>'; {CREATE_HINT}.",
                headers={"WWW-Authenticate": "Bearer"},
            )
            await response(scope, receive, send)
            return
        try:
            row = await to_thread.run_sync(
                functools.partial(authenticate_token, token.strip(), engine=self.engine)
            )
        except InvalidToken as error:
            await user_facing_error_response(error)(scope, receive, send)
            return
        assert row.id is not None
        wait_seconds = self.rate_limiter.acquire(row.id)
        if wait_seconds > 0:
            retry_after = retry_after_header(wait_seconds)
            logger.warning("API token %s is over its rate limit", row.id)
            response = error_response(
                429,
                "Too many requests with this API token: the limit is "
                f"{int(self.rate_limiter.capacity)} per minute (API_RATE_LIMIT). "
                f"Wait {retry_after} s and try again.",
                headers={"Retry-After": retry_after},
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[TOKEN_STATE_KEY] = row.id
        await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """Rejects request bodies over ``max_bytes`` with 413, before reading them.

    A declared Content-Length over the limit is rejected at once. A body sent
    in chunks is counted as it arrives and rejected when it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                response = error_response(
                    400,
                    f"The Content-Length header '{declared[:20]}' is not a whole "
                    "number of bytes; send the body's length in bytes.",
                )
                await response(scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                too_large = BodyTooLarge(self.max_bytes)
                await error_response(413, str(too_large.detail))(scope, receive, send)
                return

        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPExceptions from body reading, so
                    # this reaches the API's HTTP error handler as a 413.
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, receive_counted, send)


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)
