"""Report writers; importing this package registers the built-in ones."""

from generation.writers import data_brief, gemini  # noqa: F401
from generation.writers.base import (  # noqa: F401
    Brief,
    Draft,
    ProgressCallback,
    create_writer,
    register_writer,
    writer_names,
)
