"""Exceptions raised by the engine.

Every exception the analyst can act on derives from ``UserFacingError`` and
carries one plain sentence that says what happened and what to do. Anything
else is a fault: the job stores a short sentence and the log keeps the trace.

    GenerationError
    ├── UserFacingError            the analyst can fix it
    │   ├── InvalidRequest         a form field, argument or API field is wrong
    │   ├── TrendsFileError        an upload is not a Google Trends export
    │   ├── NoTrendsData           Google has too little data for the request
    │   ├── TrendsUnavailable      the live source failed and nothing is cached
    │   │   └── TrendsRateLimited  Google answered HTTP 429
    │   ├── MissingApiKey          the Gemini writer has no key
    │   ├── WriterFailed           the writer stopped (quota, blocked, limit)
    │   └── NotFound               an id names no row
    └── JobCancelled               the analyst cancelled; not an error to show

The classes keep their message in ``args`` so they pickle, which a process
pool or a Dask worker needs to send an error back.
"""

from __future__ import annotations


class GenerationError(Exception):
    """Base class of every engine exception."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UserFacingError(GenerationError):
    """An error whose message the analyst reads and can act on."""


class InvalidSettings(UserFacingError):
    """A setting in the environment or the secrets file has a bad value."""


class InvalidRequest(UserFacingError):
    """A request field is missing or wrong; ``field`` names it when known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.field = field

    @property
    def message(self) -> str:
        return str(self.args[0])


class TrendsFileError(UserFacingError):
    """A file is not a Google Trends export the importer can read."""


class NoTrendsData(UserFacingError):
    """Google Trends returned no data for the request."""


class TrendsUnavailable(UserFacingError):
    """The live trends source failed and no cached copy exists."""


class TrendsRateLimited(TrendsUnavailable):
    """Google Trends answered HTTP 429 (too many requests)."""


class MissingApiKey(UserFacingError):
    """The Gemini writer was chosen but no API key is set."""


class WriterFailed(UserFacingError):
    """The writer stopped; the message says why and what to do.

    ``partial_text`` is the report text written before the failure, kept on
    the job so the analyst does not lose it.
    """

    def __init__(self, message: str, partial_text: str = "") -> None:
        super().__init__(message, partial_text)
        self.partial_text = partial_text

    def __str__(self) -> str:
        return self.message


class NotFound(UserFacingError):
    """An id names no job, report or dataset."""


class JobCancelled(GenerationError):
    """Raised inside a worker when the analyst cancels its job."""
