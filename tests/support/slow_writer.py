"""A writer plugin that writes at a set pace, so tests can act mid-job.

Load it into the app or the command line with
``WRITER_PLUGINS=tests.support.slow_writer``. It registers the writer
``paced``, which streams ``steps`` parts (default 40), waiting
``pace_seconds`` (default 0.25) before each one. Both come from the
request's writer options, or else from the environment variables
SLOW_WRITER_STEPS and SLOW_WRITER_PACE_SECONDS.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from generation.writers import Brief, Draft, ProgressCallback, register_writer

logger = logging.getLogger(__name__)

NAME = "paced"


class PacedWriter:
    name = NAME
    version = "1"

    def __init__(self, steps: int, pace_seconds: float) -> None:
        self.steps = steps
        self.pace_seconds = pace_seconds

    def write(self, brief: Brief, on_progress: ProgressCallback) -> Draft:
        topics = ", ".join(brief.topics) or "the data"
        text = f"# Paced report on {topics}\n\n"
        for step in range(1, self.steps + 1):
            time.sleep(self.pace_seconds)
            text += f"Part {step} of {self.steps}.\n\n"
            on_progress(
                "write",
                round(100 * step / self.steps),
                f"Writing part {step} of {self.steps}",
                text=text,
            )
        return Draft(
            title=f"Paced report on {topics}",
            summary=f"{self.steps} parts.",
            body=text,
            writer=self.name,
            writer_version=self.version,
        )


def create(options: dict[str, Any]) -> PacedWriter:
    steps = int(options.get("steps", os.environ.get("SLOW_WRITER_STEPS", "40")))
    pace = float(
        options.get("pace_seconds", os.environ.get("SLOW_WRITER_PACE_SECONDS", "0.25"))
    )
    return PacedWriter(steps=steps, pace_seconds=pace)


register_writer(NAME, create)
