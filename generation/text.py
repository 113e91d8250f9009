"""Making untrusted text (topics, model output, trends labels) safe to show.

Pages render Markdown with HTML disabled, so tags show as text. What remains
is Markdown itself: a topic must not turn into a heading or a link, and a
report must not load images from other hosts when it is opened.
"""

from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$:])")
# ![alt](address "title") and reference-style ![alt][ref]
_MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])")


def escape_markdown(text: str) -> str:
    """Return ``text`` as literal Markdown on one line, control characters removed."""
    text = "".join(ch for ch in text if ch == "\n" or ch >= " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def without_remote_images(markdown: str) -> str:
    """Replace Markdown images with their alt text, so opening a report fetches nothing."""
    return _MARKDOWN_IMAGE.sub(lambda match: f"[image: {match.group(1)}]", markdown)
