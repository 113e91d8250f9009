"""Build the FastAPI application that the app serves under ``/api``."""

from __future__ import annotations

import logging
from collections.abc import Callable

import swagger_ui_bundle
from fastapi import FastAPI, Request, Security
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount

from generation.api.context import ApiContext
from generation.api.errors import install_error_handlers
from generation.api.middleware import (
    BodySizeLimitMiddleware,
    TokenAuthMiddleware,
    UnexpectedErrorMiddleware,
)
from generation.api.rate_limit import RateLimiter
from generation.api.routes import datasets, health, jobs, reports
from generation.config import Settings, get_settings
from generation.db import get_engine
from generation.jobs import JobRunner, get_runner

logger = logging.getLogger(__name__)

API_PREFIX = "/api"

DESCRIPTION = """
Start report generations and follow them from any program: the same engine
as the pages, in the same process.

Every route except `/health` needs the header `Authorization: Bearer <token>`.
Create a token in Settings or with `python -m generation tokens create --name NAME`.
Every refusal is JSON: `{"error": "<one sentence>", "field": "<field or null>"}`.
"""

# Declared on the protected routes so the documentation shows the lock and an
# Authorize button; the check itself is TokenAuthMiddleware's.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="trk_...",
    description="An API token from Settings or 'python -m generation tokens create'.",
)


def create_api(
    settings: Settings | None = None,
    *,
    runner_factory: Callable[[], JobRunner] | None = None,
) -> FastAPI:
    """Return the API application; it serves its routes below its mount point.

    ``runner_factory`` defaults to this process's shared runner, so the pages
    and the API run jobs on one thread pool.
    """
    settings = settings or get_settings()
    engine = get_engine(settings.database_url)
    rate_limiter = RateLimiter(settings.api_rate_limit)
    context = ApiContext(
        settings=settings,
        engine=engine,
        rate_limiter=rate_limiter,
        runner_factory=runner_factory or get_runner,
    )
    api = FastAPI(
        title="Trend Reports API",
        description=DESCRIPTION,
        version="1",
        # Paths are relative to the mount point; FastAPI prefixes the mount's
        # root path, so the page is /api/docs and it loads /api/openapi.json.
        # The docs page is added below with its assets served from here, so
        # it works on a machine with no internet access.
        docs_url=None,
        openapi_url="/openapi.json",
        redoc_url=None,
        middleware=[
            Middleware(UnexpectedErrorMiddleware),
            Middleware(TokenAuthMiddleware, engine=engine, rate_limiter=rate_limiter),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.api_max_body_bytes),
        ],
    )
    api.state.context = context
    install_error_handlers(api)
    protected = [Security(bearer_scheme)]
    api.include_router(jobs.router, dependencies=protected)
    api.include_router(datasets.router, dependencies=protected)
    api.include_router(reports.router, dependencies=protected)
    api.include_router(health.router)
    _add_offline_docs(api)
    return api


def _add_offline_docs(api: FastAPI) -> None:
    api.mount(
        "/docs-assets",
        StaticFiles(directory=swagger_ui_bundle.swagger_ui_path),
        name="docs-assets",
    )

    @api.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title="Trend Reports API",
            swagger_js_url=f"{root}/docs-assets/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/docs-assets/swagger-ui.css",
            swagger_favicon_url=f"{root}/docs-assets/favicon-32x32.png",
        )


def api_routes(
    settings: Settings | None = None,
    *,
    runner_factory: Callable[[], JobRunner] | None = None,
) -> list[BaseRoute]:
    """Return the routes to hand to ``st.App(routes=...)``: the API under /api."""
    return [
        Mount(
            API_PREFIX,
            app=create_api(settings, runner_factory=runner_factory),
            name="api",
        )
    ]
