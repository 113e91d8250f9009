"""Logging set-up shared by the app and the command line."""

from __future__ import annotations

import logging
from pathlib import Path

from generation.config import get_settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_configured = False


def configure_logging(level: int = logging.INFO) -> None:
    """Send the engine's log lines to stderr and, if set, to the log file; idempotent."""
    global _configured
    if _configured:
        return
    _configured = True
    logger = logging.getLogger("generation")
    logger.setLevel(level)
    formatter = logging.Formatter(LOG_FORMAT)
    if not logger.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(formatter)
        logger.addHandler(stream)
    log_file = get_settings().log_file
    if log_file:
        path = Path(log_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.propagate = False
