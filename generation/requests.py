"""The generation request: what the form, the command line and the API submit."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

from generation.errors import InvalidRequest

MAX_TOPICS = 25
# The largest id a database integer column holds.
MAX_ID = 2**63 - 1
MAX_TOPIC_CHARS = 100
MAX_INSTRUCTIONS_CHARS = 4000
REPORT_TYPES = ("briefing", "market_opportunity", "content_plan", "competitor_comparison")
LENGTHS = ("short", "standard", "long")


def clean_text(text: str) -> str:
    """Return ``text`` without control and format characters, edges stripped.

    Newlines and tabs survive; bidirectional overrides (used to disguise text)
    and other invisible characters do not.
    """
    kept = []
    for char in text:
        if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return "".join(kept).strip()


class GenerationRequest(BaseModel):
    """A request for one report; see ``validate_request`` for the rules."""

    category: str = "All categories"
    topics: list[str] = Field(default_factory=list)
    dataset_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    samples: list[str] = Field(default_factory=list)
    # A live trends query: {"terms", "timeframe", "geo", "category", "gprop"}.
    trends_query: dict[str, Any] | None = None
    writer: str | None = None
    report_type: Literal[
        "briefing", "market_opportunity", "content_plan", "competitor_comparison"
    ] = "briefing"
    length: Literal["short", "standard", "long"] = "standard"
    instructions: str = ""
    language: str = "English"
    tone: str = "neutral"
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("topics")
    @classmethod
    def _clean_topics(cls, topics: list[str]) -> list[str]:
        cleaned: list[str] = []
        seen: set[str] = set()
        for topic in topics:
            text = " ".join(clean_text(str(topic)).split())
            if not text:
                continue
            if len(text) > MAX_TOPIC_CHARS:
                raise ValueError(
                    f"A topic is {len(text)} characters long; the limit is "
                    f"{MAX_TOPIC_CHARS}. Shorten it to a search term."
                )
            if text.casefold() not in seen:
                seen.add(text.casefold())
                cleaned.append(text)
        if len(cleaned) > MAX_TOPICS:
            raise ValueError(
                f"{len(cleaned)} topics were given; the limit is {MAX_TOPICS}. "
                "Remove some topics."
            )
        return cleaned

    @field_validator("instructions", "category", "language", "tone")
    @classmethod
    def _clean_field(cls, value: str) -> str:
        value = clean_text(value)
        if len(value) > MAX_INSTRUCTIONS_CHARS:
            raise ValueError(
                f"The text is {len(value)} characters long; the limit is "
                f"{MAX_INSTRUCTIONS_CHARS}. Shorten it."
            )
        return value

    def key(self) -> str:
        """Return a hash of the normalised request, for duplicate detection."""
        normal = self.model_dump(mode="json")
        normal["topics"] = sorted(topic.casefold() for topic in self.topics)
        text = json.dumps(normal, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def parse_request(data: dict[str, Any] | GenerationRequest) -> GenerationRequest:
    """Return a validated request; raises ``InvalidRequest`` with one sentence."""
    if isinstance(data, GenerationRequest):
        return data
    try:
        return GenerationRequest.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        message = str(first["msg"]).removeprefix("Value error, ")
        if first["type"] != "value_error":
            message = f"The field '{field}' is invalid: {message}."
        raise InvalidRequest(message, field=field) from None
