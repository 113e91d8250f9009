"""Report writers; importing this package registers the built-in ones."""

from typing import Any

from generation.writers import data_brief  # noqa: F401
from generation.writers.base import (  # noqa: F401
    Brief,
    Draft,
    OutlineDraft,
    OutlineReady,
    ProgressCallback,
    Writer,
    bool_option,
    create_writer,
    register_writer,
    writer_names,
    writer_reviews_outline,
)


def _gemini_writer(options: dict[str, Any]) -> Writer:
    # Imported on first use: the SDK adds a second or more to every start-up
    # (app, command line, tests) that never writes with Gemini.
    from generation.writers.gemini import GeminiWriter

    return GeminiWriter()


register_writer("gemini", _gemini_writer, reviews_outline=True)
