"""State shared by every route of one API instance: settings, engine, runner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine

from generation.api.rate_limit import RateLimiter
from generation.config import Settings
from generation.jobs import JobRunner


@dataclass
class ApiContext:
    settings: Settings
    engine: Engine
    rate_limiter: RateLimiter
    # Called on first use, so building the API starts no threads.
    runner_factory: Callable[[], JobRunner]
    _runner: JobRunner | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def runner(self) -> JobRunner:
        with self._lock:
            if self._runner is None:
                self._runner = self.runner_factory()
            return self._runner

    def started_runner(self) -> JobRunner | None:
        """Return the runner if one has been started, without starting one."""
        return self._runner


def api_url(request: Request, route_name: str, **path_params: str) -> str:
    """Return the absolute URL of an API route, below wherever the API is mounted.

    ``request.url_for`` would search the outermost router of the server,
    which does not know the API's route names.
    """
    path = request.app.url_path_for(route_name, **path_params)
    full_path = request.scope.get("root_path", "") + path
    return str(request.url.replace(path=full_path, query=""))


def get_context(request: Request) -> ApiContext:
    return request.app.state.context


Context = Annotated[ApiContext, Depends(get_context)]
