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
# "![" not already escaped: an even run of backslashes (or none) before it.
_IMAGE_START = re.compile(r"(?<!\\)((?:\\\\)*)!\[")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!$|~#&])")
# A list item: "-" or "+", or a number then "." or ")", then a space or the end.
_LIST_START = re.compile(r"^(\d{0,9})([-+]|(?<=\d)[.)])(?=\s|$)")


def escape_markdown(text: str) -> str:
    """Return ``text`` as literal Markdown on one line, control characters removed."""
    text = "".join(ch for ch in text if ch == "\n" or ch >= " ")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def without_remote_images(markdown: str) -> str:
    """Replace Markdown images with their alt text, so opening a report fetches nothing."""
    markdown = _MARKDOWN_IMAGE.sub(lambda match: f"[image: {match.group(1)}]", markdown)
    # Images the pattern misses (brackets inside the alt text, references
    # defined elsewhere) still start with "![": escaping the "!" leaves a link.
    return _IMAGE_START.sub(r"\1\\![", markdown)


def plain_markdown(text: str) -> str:
    """Return ``text`` for a Markdown element so it shows as written, on one line.

    Lighter than ``escape_markdown``: only characters that start an image, a
    link, HTML, an entity, emphasis, code, a table, LaTeX, a heading or a list
    are escaped, so sentences with dates and ids read plainly in the source.
    """
    text = "".join(ch for ch in text if ch == "\n" or ch >= " ")
    # Leading spaces would make a code block.
    text = _INLINE_SPECIAL.sub(r"\\\1", text.replace("\n", " ").strip())
    return _LIST_START.sub(r"\1\\\2", text)
