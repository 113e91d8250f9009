"""The writer interface: ``write(brief, on_progress) -> Draft``, and a registry.

A writer turns a ``Brief`` (what the analyst asked for plus the trends data
and its analysis) into a ``Draft`` (the Markdown report and what it cost).
It reports progress through ``on_progress``, which may raise ``JobCancelled``:
that is how a cancel reaches a writer between steps and between chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from generation.analysis import Analysis
from generation.errors import GenerationError, InvalidRequest
from generation.requests import GenerationRequest
from generation.trends.base import TrendsData


class ProgressCallback(Protocol):
    def __call__(
        self, stage: str, percent: int, message: str, text: str | None = None
    ) -> None:
        """Record progress; ``text`` is the whole text written so far, if any."""


@dataclass
class OutlineDraft:
    """An outline in Markdown, and the tokens and cost of writing it."""

    text: str
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    cost_usd: float = 0.0
    # False when the model's outline was unusable and the template replaced it.
    from_model: bool = True


class OutlineReady(GenerationError):
    """The outline is written and waits for the analyst's review; not an error.

    A writer raises it instead of writing the sections when the request sets
    ``review_outline``. The job keeps ``outline`` and pauses.
    """

    def __init__(self, outline: OutlineDraft) -> None:
        super().__init__(outline)
        self.outline = outline


@dataclass
class Brief:
    """Everything a writer needs for one report."""

    category: str
    topics: list[str]
    analysis: Analysis
    trends: TrendsData
    report_type: str = "briefing"
    length: str = "standard"  # short, standard or long
    instructions: str = ""
    language: str = "English"
    tone: str = "neutral"
    options: dict[str, Any] = field(default_factory=dict)
    # The outline the analyst approved: the writer writes its sections.
    approved_outline: OutlineDraft | None = None

    @classmethod
    def from_request(
        cls, request: GenerationRequest, data: TrendsData, analysis: Analysis
    ) -> Brief:
        """Build the brief for ``request``. Without topics, the data's terms are the topics."""
        return cls(
            category=request.category,
            topics=request.topics or list(data.terms),
            analysis=analysis,
            trends=data,
            report_type=request.report_type,
            length=request.length,
            instructions=request.instructions,
            language=request.language,
            tone=request.tone,
            options=dict(request.options),
        )


@dataclass
class Draft:
    """A written report and the facts about how it was written."""

    title: str
    summary: str
    body: str  # Markdown
    writer: str
    writer_version: str
    model: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    prompt: str = ""
    prompt_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    cost_usd: float = 0.0
    stage_costs: dict[str, float] = field(default_factory=dict)


class Writer(Protocol):
    name: str
    version: str

    def write(self, brief: Brief, on_progress: ProgressCallback) -> Draft: ...


def bool_option(options: dict[str, Any], name: str, default: bool) -> bool:
    """Return a writer option read as true or false; raises ``InvalidRequest``."""
    value = options.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise InvalidRequest(
        f"The option {name} is {value!r}; give true or false.",
        field=f"options.{name}",
    )


WriterFactory = Callable[[dict[str, Any]], Writer]
_registry: dict[str, WriterFactory] = {}
_outline_reviewers: set[str] = set()


def register_writer(
    name: str, factory: WriterFactory, *, reviews_outline: bool = False
) -> None:
    """Make a writer available under ``name``; the factory gets writer options.

    ``reviews_outline`` marks a writer that can pause after its outline for the
    analyst's review (``OutlineReady``) and then write an approved outline.
    """
    _registry[name] = factory
    if reviews_outline:
        _outline_reviewers.add(name)
    else:
        _outline_reviewers.discard(name)


def writer_reviews_outline(name: str) -> bool:
    return name in _outline_reviewers


def writer_names() -> list[str]:
    return sorted(_registry)


def create_writer(name: str, options: dict[str, Any] | None = None) -> Writer:
    """Return a new writer by registered name; raises KeyError if unknown."""
    return _registry[name](options or {})
