"""The cost estimate of a request that has not been submitted yet.

The Generate form shows it before the analyst starts a job. It reads only
data that is already on this machine (a stored dataset or bundled samples)
and sends nothing to Google, so a request for live trends data is estimated
from its topics alone, and the estimate's note states that.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine

from generation import datasets
from generation.analysis import analyse
from generation.config import Settings
from generation.requests import GenerationRequest, parse_request
from generation.trends.base import TrendsData
from generation.trends.csv_import import merge_trends_data
from generation.writers.base import Brief
from generation.writers.gemini import estimate_cost
from generation.writers.pricing import CostEstimate

logger = logging.getLogger(__name__)


def estimate_request_cost(
    request: GenerationRequest | dict[str, Any],
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> CostEstimate:
    """Estimate what the Gemini writer would spend on ``request``.

    Raises ``InvalidRequest`` for a request the form would reject anyway.
    """
    request = parse_request(request)
    data, complete = _local_data(request, engine)
    brief = Brief.from_request(request, data, analyse(data))
    estimate = estimate_cost(brief, settings=settings)
    if not complete:
        note = (
            f"{estimate.note} The trends data is fetched when the job runs, so "
            "its related queries are not counted yet."
        )
        estimate = replace(estimate, note=note.strip())
    return estimate


def _local_data(
    request: GenerationRequest, engine: Engine | None
) -> tuple[TrendsData, bool]:
    """Return the request's trends data held on this machine, and whether it is all."""
    parts = datasets.load_local_parts(
        request.dataset_id, request.samples, engine=engine
    )
    complete = not request.trends_query
    if not parts:
        return TrendsData(terms=list(request.topics)), False
    data = parts[0] if len(parts) == 1 else merge_trends_data(parts)
    return data, complete
