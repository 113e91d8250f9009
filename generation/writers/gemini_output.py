"""Reading Gemini's streamed chunks, and turning the text into a report.

Chunks carry text parts, thought parts (left out), usage and grounding
metadata. Grounding sources become numbered citations: ``[n]`` after each
supported sentence and a Sources section with one link per web page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from google.genai import types

from generation.text import escape_markdown
from generation.writers import prompts
from generation.writers.pricing import estimate_tokens


@dataclass
class Usage:
    """Tokens of one or more requests."""

    prompt: int = 0
    output: int = 0
    thinking: int = 0

    def add(self, other: Usage) -> None:
        self.prompt += other.prompt
        self.output += other.output
        self.thinking += other.thinking


def usage_of(
    usage: types.GenerateContentResponseUsageMetadata | None,
    prompt: str,
    system: str,
    text: str,
) -> Usage:
    """Return a request's tokens; counts the API left out are estimated."""
    if usage is None:
        return Usage(
            prompt=estimate_tokens(system) + estimate_tokens(prompt),
            output=estimate_tokens(text),
        )
    prompt_tokens = usage.prompt_token_count
    if prompt_tokens is None:
        prompt_tokens = estimate_tokens(system) + estimate_tokens(prompt)
    # Google Search results that grounding reads count as prompt tokens.
    prompt_tokens += usage.tool_use_prompt_token_count or 0
    output_tokens = usage.candidates_token_count
    if output_tokens is None:
        # Chunks before the last often report only the prompt.
        output_tokens = estimate_tokens(text)
    return Usage(
        prompt=prompt_tokens,
        output=output_tokens,
        thinking=usage.thoughts_token_count or 0,
    )


def candidate_text(candidate: types.Candidate) -> str:
    """Return the text of a chunk's candidate, leaving out thought summaries."""
    if candidate.content is None or not candidate.content.parts:
        return ""
    return "".join(
        part.text for part in candidate.content.parts if part.text and not part.thought
    )


def prompt_block_reason(chunk: types.GenerateContentResponse) -> str:
    """Return why the prompt was blocked (promptFeedback.blockReason), or ''."""
    feedback = chunk.prompt_feedback
    if feedback is None or feedback.block_reason is None:
        return ""
    return enum_name(feedback.block_reason)


def blocked_category(candidate: types.Candidate | None) -> str:
    """Return the harm category that blocked a candidate, in plain words."""
    for rating in (candidate.safety_ratings if candidate else None) or []:
        if rating.blocked and rating.category is not None:
            name = enum_name(rating.category).removeprefix("HARM_CATEGORY_")
            return name.replace("_", " ").lower()
    if candidate is not None and candidate.finish_reason is not None:
        return f"finish reason {enum_name(candidate.finish_reason)}"
    return "no category given"


def enum_name(value: Any) -> str:
    return str(getattr(value, "name", value))


# Citations --------------------------------------------------------------


def safe_link(uri: str | None) -> str | None:
    """Return ``uri`` percent-encoded for a Markdown link, or None unless http(s)."""
    if not uri:
        return None
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # Parentheses and spaces would end a Markdown link destination early.
    return quote(uri.strip(), safe="/:?#[]@!$&'*+,;=%~-._")


def insert_citations(
    text: str, metadata: types.GroundingMetadata, numbers: dict[int, int]
) -> str:
    """Put ``[n]`` after each text segment that a grounding source supports.

    ``numbers`` maps a grounding chunk index to its source number. Segment
    end indices count UTF-8 bytes of the response text, as the API reports
    them. An index past the text, or inside a character, is skipped.
    """
    encoded = text.encode("utf-8")
    markers: dict[int, set[int]] = {}
    for support in metadata.grounding_supports or []:
        end = support.segment.end_index if support.segment else None
        if end is None or end > len(encoded):
            continue
        if end < len(encoded) and (encoded[end] & 0xC0) == 0x80:
            continue
        indices = support.grounding_chunk_indices or []
        cited = {numbers[index] for index in indices if index in numbers}
        if cited:
            markers.setdefault(end, set()).update(cited)

    pieces: list[bytes] = []
    start = 0
    for end in sorted(markers):
        pieces.append(encoded[start:end])
        marker = "".join(f" [{number}]" for number in sorted(markers[end]))
        pieces.append(marker.encode("utf-8"))
        start = end
    pieces.append(encoded[start:])
    return b"".join(pieces).decode("utf-8")


def sources_section(
    sources: list[dict[str, Any]], *, language: str, grounding: bool
) -> str:
    """Return the Sources section: numbered links, or where the facts come from."""
    lines = [f"## {prompts.added_text(language, 'sources')}", ""]
    if sources:
        for source in sources:
            title = escape_markdown(source["title"])
            lines.append(f"- [{source['number']}] [{title}]({source['uri']})")
    elif grounding:
        lines.append(prompts.added_text(language, "no_citations"))
    else:
        lines.append(prompts.added_text(language, "trends_only"))
    return "\n".join(lines) + "\n"


# Title and summary ------------------------------------------------------


def split_title(text: str, fallback: str) -> tuple[str, str]:
    """Return the text's '# ' title and the text after it, or the fallback title."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("# "):
        return plain_heading(lines[0]) or fallback, "\n".join(lines[1:])
    return fallback, text


def plain_heading(text: str) -> str:
    """Return a Markdown heading's words without '#' and emphasis marks."""
    return text.strip().lstrip("#").strip().strip("*_").strip()


def summary_of(body: str) -> str:
    """Return the first paragraph under the first '## ' heading."""
    paragraphs = _paragraphs(body)
    for index, paragraph in enumerate(paragraphs):
        if paragraph.startswith("## "):
            for following in paragraphs[index + 1 :]:
                if not following.startswith("#"):
                    return following
            break
    for paragraph in paragraphs:
        if not paragraph.startswith("#"):
            return paragraph
    return ""


def _paragraphs(body: str) -> list[str]:
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", body):
        lines = block.strip().splitlines()
        # A heading directly followed by text is two paragraphs.
        if len(lines) > 1 and lines[0].startswith("#"):
            blocks.append(lines[0].strip())
            blocks.append("\n".join(lines[1:]).strip())
        elif block.strip():
            blocks.append(block.strip())
    return blocks
