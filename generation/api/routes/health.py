"""The load balancer's check: database reachable, executor alive, queue length."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from generation.api.context import Context
from generation.api.schemas import HealthBody
from generation.queries import queue_state

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthBody,
    responses={
        503: {
            "model": HealthBody,
            "description": "The database does not answer or the runner stopped.",
        }
    },
)
def health(context: Context) -> HealthBody | JSONResponse:
    """Report whether this process can take jobs; needs no token.

    200 while the database responds and the job runner runs; 503 otherwise.
    """
    try:
        with context.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        queue = queue_state(engine=context.engine)
    except SQLAlchemyError as error:
        logger.warning("Health check: the database is unreachable (%s)", error)
        body = HealthBody(
            status="unavailable",
            database=False,
            executor=_executor_alive(context),
            workers=None,
            queued=None,
            running=None,
            error="The database does not answer; check DATABASE_URL and the "
            "database server.",
        )
        return JSONResponse(body.model_dump(), status_code=503)
    runner = context.runner()
    if not runner.is_alive():
        body = HealthBody(
            status="unavailable",
            database=True,
            executor=False,
            workers=runner.workers,
            queued=queue.queued,
            running=queue.running,
            error="The job runner of this process has stopped; restart the app.",
        )
        return JSONResponse(body.model_dump(), status_code=503)
    return HealthBody(
        status="ok",
        database=True,
        executor=True,
        workers=runner.workers,
        queued=queue.queued,
        running=queue.running,
    )


def _executor_alive(context: Context) -> bool:
    runner = context.started_runner()
    return runner is not None and runner.is_alive()
