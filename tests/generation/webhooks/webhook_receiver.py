"""A webhook receiver on localhost that records requests and checks signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SECRET = "whsec-test-8c1f2a94d6e35b70"


@dataclass
class Received:
    """One request the receiver got, with its signature checked."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_valid: bool

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """The local endpoint: the requests it received and the status codes it returns."""

    server: HTTPServer
    secret: str = SECRET
    # Status codes to return, one per request; the last one repeats.
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    before_answer: Callable[[int], None] | None = None

    @property
    def url(self) -> str:
        return self.server.url_for("/hook")

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        timestamp = request.headers.get("X-Trend-Reports-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(
                self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
            ).hexdigest()
        )
        signature = request.headers.get("X-Trend-Reports-Signature", "")
        number = len(self.received)
        self.received.append(
            Received(
                path=request.path,
                headers=dict(request.headers),
                body=body,
                signature_valid=hmac.compare_digest(signature, expected),
            )
        )
        if self.before_answer is not None:
            self.before_answer(number)
        status = self.statuses[min(number, len(self.statuses) - 1)]
        return Response("ok" if status < 400 else "receiver failed", status=status)
