"""Extra writers from other packages, named by the WRITER_PLUGINS setting.

A plugin is any importable module that calls
``generation.writers.register_writer`` when it is imported, the way the
built-in writers register themselves.
"""

from __future__ import annotations

import importlib
import logging

from generation.config import Settings, get_settings

logger = logging.getLogger(__name__)


def load_writer_plugins(settings: Settings | None = None) -> list[str]:
    """Import each module named in WRITER_PLUGINS; return those that loaded.

    A module that fails to import is logged with its error and skipped, so a
    broken plugin never stops the app or the command line from starting.
    """
    settings = settings or get_settings()
    loaded = []
    for name in (part.strip() for part in settings.writer_plugins.split(",")):
        if not name:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a plugin may fail in any way; the app still starts
            logger.exception("Writer plugin %s could not be imported; skipped", name)
            continue
        logger.info("Loaded writer plugin %s", name)
        loaded.append(name)
    return loaded
