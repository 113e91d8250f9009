"""Scheduled generations: schedules, their timing, and the runs they start.

The public names load on first use, so the command line can import
``generation.scheduling.cli`` without loading the jobs engine.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RunOutcome": "runner",
    "Scheduler": "runner",
    "main_run_due": "runner",
    "run_due": "runner",
    "run_now": "runner",
    "start_scheduler": "runner",
    "stop_scheduler": "runner",
    "RunView": "service",
    "ScheduleView": "service",
    "UpcomingRun": "service",
    "create_schedule": "service",
    "delete_schedule": "service",
    "describe_schedules": "service",
    "get_schedule": "service",
    "list_runs": "service",
    "list_schedules": "service",
    "pause_schedule": "service",
    "resume_schedule": "service",
    "schedule_names": "service",
    "upcoming_runs": "service",
    "update_schedule": "service",
    "Timing": "timing",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(
            f"module 'generation.scheduling' has no attribute {name!r}"
        )
    return getattr(importlib.import_module(f"generation.scheduling.{module}"), name)
