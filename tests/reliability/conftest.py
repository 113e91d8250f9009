"""Fixtures for the reliability tests: the app through AppTest, test writers, checks."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from generation.writers import Draft, register_writer
from generation.writers.base import _registry
from tests.conftest import REPO_ROOT

APP_TIMEOUT_SECONDS = 60
# Element types whose text Streamlit renders as Markdown.
MARKDOWN_ELEMENTS = (
    "markdown",
    "caption",
    "error",
    "warning",
    "info",
    "success",
    "title",
    "header",
    "subheader",
    "toast",
)
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}


def run_cli(
    *args: str, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess:
    """Run ``python -m generation`` in a child process, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "generation", *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(autouse=True)
def logs_reach_caplog(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let caplog see engine logs after the app has configured logging.

    generation.logs.configure_logging, run by every AppTest of navigation.py,
    stops the "generation" logger from propagating to the root, where
    caplog listens.
    """
    monkeypatch.setattr(logging.getLogger("generation"), "propagate", True)


def open_app(
    page: str | None = None,
    query_params: dict[str, str] | None = None,
    secrets: dict | None = None,
    user: dict | None = None,
) -> AppTest:
    """Run navigation.py, then switch to ``page`` (a path such as pages/generate.py)."""
    app = AppTest.from_file(
        str(REPO_ROOT / "navigation.py"), default_timeout=APP_TIMEOUT_SECONDS
    )
    if secrets:
        app.secrets.update(secrets)
    if user is not None:
        app.user = user
    for name, value in (query_params or {}).items():
        app.query_params[name] = value
    app.run()
    if page is not None:
        app.switch_page(page)
        for name, value in (query_params or {}).items():
            app.query_params[name] = value
        app.run()
    return app


def request_address(app: AppTest, url_path: str) -> AppTest:
    """Run the app as a browser does that opens ``/<url_path>``.

    ``switch_page`` only finds file pages that the last run registered, and a
    locked app registers only sign-in stand-ins. A browser requests a page by
    its address, which Streamlit turns into the hash of the URL path.
    """
    app._page_hash = calc_hash(url_path)
    return app.run()


def markdown_texts(app: AppTest) -> list[tuple[str, str, bool]]:
    """Return (element type, Markdown source, HTML allowed) for each Markdown element."""
    found = []
    for element_type in MARKDOWN_ELEMENTS:
        for element in app.get(element_type):
            allow_html = bool(getattr(element.proto, "allow_html", False))
            found.append((element_type, element.value, allow_html))
    return found


markdown_parser = MarkdownIt("commonmark", {"html": False}).enable("table")


def unsafe_renderings(app: AppTest, payload: str = "") -> list[str]:
    """Describe every way the page would run HTML or load from another host.

    Streamlit renders Markdown without raw HTML unless ``allow_html`` is set,
    so an element is unsafe when it allows HTML and contains ``payload``, or
    when its Markdown makes an image from a remote address.
    """
    problems = []
    for element_type, source, allow_html in markdown_texts(app):
        if allow_html and payload and payload in source:
            problems.append(f"{element_type} renders raw HTML: {source[:120]!r}")
        for host in remote_image_hosts(source):
            problems.append(f"{element_type} loads an image from {host}")
    return problems


def remote_image_hosts(markdown: str) -> list[str]:
    """Return the hosts of images a Markdown text would load, other than this one."""
    hosts = []
    for token in markdown_parser.parseInline(markdown) + markdown_parser.parse(
        markdown
    ):
        for child in [token, *(token.children or [])]:
            if child.type != "image":
                continue
            host = urlsplit(str(child.attrGet("src") or "")).hostname or ""
            if host not in LOCAL_HOSTS:
                hosts.append(host)
    return hosts


def page_text(app: AppTest) -> str:
    """Return the text of every element on the page, for absence checks."""
    parts = [source for _, source, _ in markdown_texts(app)]
    for element_type in ("text", "code", "json", "exception"):
        parts += [str(element.value) for element in app.get(element_type)]
    for element in app.get("dataframe"):
        parts.append(element.value.to_csv())
    return "\n".join(parts)


@pytest.fixture
def paced_writer() -> Iterator[str]:
    """Register the ``paced`` writer of tests/support/slow_writer.py in this process."""
    from tests.support import slow_writer

    register_writer(slow_writer.NAME, slow_writer.create)
    yield slow_writer.NAME
    _registry.pop(slow_writer.NAME, None)


@pytest.fixture
def writer_returning() -> Iterator[Callable[[str, Draft], str]]:
    """Factory: register a writer ``name`` that returns ``draft``; removed after."""
    names = []

    def register(name: str, draft: Draft) -> str:
        class FixedWriter:
            version = "1"

            def __init__(self) -> None:
                self.name = name

            def write(self, brief, on_progress):
                on_progress("write", 50, "Writing.", text=draft.body[:200])
                return draft

        register_writer(name, lambda options: FixedWriter())
        names.append(name)
        return name

    yield register
    for name in names:
        _registry.pop(name, None)
