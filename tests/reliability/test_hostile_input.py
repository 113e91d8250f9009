"""Hostile input everywhere: uploads, form fields, addresses, arguments, writer output.

Each case runs through the engine and, where a page takes the input, through
AppTest. A case passes when nothing raises past the page, nothing renders as
HTML or loads an image from another host, and every rejection is the
sentence the analyst reads.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from generation.__main__ import main as cli_main
from generation.datasets import save_dataset
from generation.errors import InvalidRequest, TrendsFileError
from generation.models import GenerationJob, JobStatus
from generation.requests import parse_request
from generation.text import plain_markdown, without_remote_images
from generation.trends.csv_import import parse_trends_csv
from generation.writers import Draft
from tests.reliability.conftest import (
    markdown_parser,
    open_app,
    page_text,
    remote_image_hosts,
    unsafe_renderings,
)
from views.picked import PICKED_KEY, Picked

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPORT = (
    REPO_ROOT
    / "generation"
    / "samples"
    / "trends_multitimeline_weekly_3terms_us_5y.csv"
)
REAL = EXPORT.read_bytes()
LINES = REAL.splitlines(keepends=True)

SCRIPT = "<script>alert(1)</script>"
IMAGE = "![x](https://evil.example/p.png)"
FORMULA = "=cmd|' /C calc'!A0"
RTL_OVERRIDE = "\u202e"
HOSTILE_TERMS = [SCRIPT, IMAGE, FORMULA, "<img src=x onerror=alert(1)>"]

DOWNLOAD_AGAIN = (
    "so download the CSV again with the download button of a Google Trends chart"
)


def with_term(term: str) -> bytes:
    """Return the real export with its first term renamed to ``term``."""
    return REAL.replace(b"ozempic", term.encode(), 1)


# Uploads ----------------------------------------------------------------------

REJECTED_UPLOADS = {
    "empty": (
        b"",
        f"The file 'empty.csv' is empty, {DOWNLOAD_AGAIN} and upload that file.",
    ),
    "blank": (
        b"  \n\n",
        f"The file 'blank.csv' is empty, {DOWNLOAD_AGAIN} and upload that file.",
    ),
    "huge": (
        b"a" * (20 * 1024 * 1024 + 1),
        (
            "The file 'huge.csv' is 20.0 MiB, larger than the 20 MiB upload limit, so "
            "upload a single Google Trends CSV export, which is a few kilobytes."
        ),
    ),
    "png": (
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        (
            "The file 'png.csv' is a binary file, not CSV text, so upload the CSV that "
            "the download button of a Google Trends chart saves."
        ),
    ),
    "random": (
        random.Random(5).randbytes(5000),
        (
            "The file 'random.csv' is a binary file, not CSV text, so upload the CSV "
            "that the download button of a Google Trends chart saves."
        ),
    ),
    "nul": (
        with_term("oz\x00empic"),
        (
            "The file 'nul.csv' is a binary file, not CSV text, so upload the CSV that "
            "the download button of a Google Trends chart saves."
        ),
    ),
    "html": (
        f"<!doctype html><html><body>{SCRIPT}<table><tr><td>Week</td></tr>"
        "</table></body></html>".encode(),
        (
            "The file 'html.csv' is a web page (HTML), not a CSV file, so use the "
            "download button of a Google Trends chart instead of saving the page."
        ),
    ),
    "columns": (
        (",".join(f"c{i}" for i in range(10_000)) + "\n" + "1," * 9_999 + "1").encode(),
        (
            "Line 1 of 'columns.csv' has 10000 columns, but a Google Trends export has "
            "at most 6 (a date or region column and up to 5 terms), "
            f"{DOWNLOAD_AGAIN} and upload it unchanged."
        ),
    ),
    "header_only": (
        b"".join(LINES[:3]),
        (
            "The file 'header_only.csv' has a header but no data rows, so export the "
            "chart again once Google Trends shows data for it."
        ),
    ),
    "long_line": (
        b"Week," + b"x" * 1_000_000 + b"\n",
        (
            "Line 1 of 'long_line.csv' is not valid CSV (field larger than field limit "
            f"(131072)), {DOWNLOAD_AGAIN}."
        ),
    ),
    "json": (
        b'{"default": {"timelineData": []}}',
        (
            "The file 'json.csv' has only one line "
            '(\'{"default": {"timelineData": []}}\'), but a Google Trends export has '
            f"a header line and at least one data row, {DOWNLOAD_AGAIN}."
        ),
    ),
}

ACCEPTED_UPLOADS = {
    "bom": (b"\xef\xbb\xbf" + REAL, ["ozempic", "monjauro", "wegovy"]),
    "utf16": (REAL.decode().encode("utf-16"), ["ozempic", "monjauro", "wegovy"]),
    "latin1": (
        REAL.replace(b"ozempic", "caf\u00e9".encode("latin-1")),
        ["caf\u00e9", "monjauro", "wegovy"],
    ),
    "one_row": (b"".join(LINES[:4]), ["ozempic", "monjauro", "wegovy"]),
    "formula": (with_term(FORMULA), [FORMULA, "monjauro", "wegovy"]),
    "script": (with_term(SCRIPT), [SCRIPT, "monjauro", "wegovy"]),
    "image": (with_term(IMAGE), [IMAGE, "monjauro", "wegovy"]),
    "emoji": (
        with_term("ozempic \U0001f48a"),
        ["ozempic \U0001f48a", "monjauro", "wegovy"],
    ),
}


@pytest.mark.parametrize("name", REJECTED_UPLOADS)
def test_upload_rejected_with_sentence(name):
    content, expected = REJECTED_UPLOADS[name]

    with pytest.raises(TrendsFileError) as raised:
        parse_trends_csv(content, f"{name}.csv")

    assert raised.value.message == expected


@pytest.mark.parametrize("name", ACCEPTED_UPLOADS)
def test_upload_accepted_as_text(name):
    content, terms = ACCEPTED_UPLOADS[name]

    data = parse_trends_csv(content, f"{name}.csv")

    assert data.terms == terms
    assert len(data.interest_over_time) >= 1


def upload(app, name: str, content: bytes):
    app.segmented_control[0].set_value("Upload").run()
    app.file_uploader[0].set_value((name, content, "text/csv"))
    return app.run()


@pytest.mark.parametrize(
    "name", ["empty", "png", "html", "columns", "header_only", "json"]
)
def test_explore_upload_rejected_in_page(engine, name):
    content, expected = REJECTED_UPLOADS[name]
    app = open_app("pages/explore.py")

    upload(app, f"{name}.csv", content)

    assert not app.exception
    assert [error.value.replace("\\", "") for error in app.error] == [
        f"{name}.csv: {expected}"
    ]
    assert unsafe_renderings(app, SCRIPT) == []


@pytest.mark.parametrize("term", HOSTILE_TERMS)
def test_explore_hostile_term_shown_as_text(engine, term):
    app = open_app("pages/explore.py")

    upload(app, "hostile.csv", with_term(term))

    assert not app.exception
    assert not app.error
    assert unsafe_renderings(app, term) == []
    assert term in page_text(app).replace("\\", "")


@pytest.mark.parametrize(
    "file_name",
    [f"{IMAGE}.csv", f"{SCRIPT}.csv", "![a][r].csv", "report\u202egpj.csv"],
)
def test_explore_hostile_file_name(engine, file_name):
    app = open_app("pages/explore.py")

    upload(app, file_name, b"")

    assert not app.exception
    assert len(app.error) == 1
    assert unsafe_renderings(app, SCRIPT) == []


# Topics and instructions ---------------------------------------------------------

ACCEPTED_FIELDS = {
    "script_topic": ({"topics": [SCRIPT]}, "topics", [SCRIPT]),
    "image_topic": ({"topics": [IMAGE]}, "topics", [IMAGE]),
    "control_topic": ({"topics": ["oz\x07em\x1bpic\x00"]}, "topics", ["ozempic"]),
    "rtl_topic": ({"topics": [f"oz{RTL_OVERRIDE}empic"]}, "topics", ["ozempic"]),
    "emoji_topic": (
        {"topics": ["ozempic \U0001f48a"]},
        "topics",
        ["ozempic \U0001f48a"],
    ),
    "empty_topic": ({"topics": ["", "  ", "wegovy"]}, "topics", ["wegovy"]),
    "script_instructions": ({"instructions": SCRIPT}, "instructions", SCRIPT),
    "image_instructions": ({"instructions": IMAGE}, "instructions", IMAGE),
    "control_instructions": (
        {"instructions": "line\x00one\x1b[31m\nline two"},
        "instructions",
        "lineone[31m\nline two",
    ),
    "rtl_instructions": (
        {"instructions": f"plain {RTL_OVERRIDE}txet"},
        "instructions",
        "plain txet",
    ),
    "empty_instructions": ({"instructions": ""}, "instructions", ""),
}

REJECTED_FIELDS = {
    "long_topic": (
        {"topics": ["x" * 10_000]},
        (
            "A topic is 10000 characters long; the limit is 100. Shorten it to a "
            "search term."
        ),
    ),
    "too_many_topics": (
        {"topics": [f"topic {n}" for n in range(26)]},
        "26 topics were given; the limit is 25. Remove some topics.",
    ),
    "long_instructions": (
        {"instructions": "x" * 10_000},
        "The text is 10000 characters long; the limit is 4000. Shorten it.",
    ),
    "report_type": (
        {"report_type": "<script>"},
        (
            "The field 'report_type' is invalid: Input should be 'briefing', "
            "'market_opportunity', 'content_plan' or 'competitor_comparison'."
        ),
    ),
    "length": (
        {"length": "endless"},
        "The field 'length' is invalid: Input should be 'short', 'standard' or 'long'.",
    ),
}


@pytest.mark.parametrize("name", ACCEPTED_FIELDS)
def test_field_cleaned_not_rejected(name):
    fields, field, expected = ACCEPTED_FIELDS[name]

    request = parse_request({"samples": ["weight-loss-drugs-us"], **fields})

    assert getattr(request, field) == expected


@pytest.mark.parametrize("name", REJECTED_FIELDS)
def test_field_rejected_with_sentence(runner, engine, name):
    fields, expected = REJECTED_FIELDS[name]

    with pytest.raises(InvalidRequest) as raised:
        runner.submit({"samples": ["weight-loss-drugs-us"], **fields})

    assert raised.value.message == expected
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(GenerationJob)).one() == 0


def test_unknown_writer_rejected(runner, engine):
    with pytest.raises(InvalidRequest) as raised:
        runner.submit({"samples": ["weight-loss-drugs-us"], "writer": SCRIPT})

    assert raised.value.message.startswith(f"There is no writer called '{SCRIPT}'.")


def submit_form(app, instructions: str):
    area = next(area for area in app.text_area if area.label.startswith("Notes"))
    area.set_value(instructions)
    app.get("form_submit_button")[0].click()
    return app.run()


@pytest.mark.parametrize(
    "instructions",
    [SCRIPT, IMAGE, FORMULA, f"{RTL_OVERRIDE}txet", "\U0001f48a" * 50, "a\x00b\x1bc"],
)
def test_generate_form_hostile_instructions(engine, instructions):
    app = open_app("pages/generate.py")

    submit_form(app, instructions)

    assert not app.exception
    assert not app.error, [error.value for error in app.error]
    job_id = int(app.query_params["job"])
    with Session(engine) as session:
        job = session.get(GenerationJob, job_id)
    assert RTL_OVERRIDE not in job.request["instructions"]
    assert "\x00" not in job.request["instructions"]
    assert unsafe_renderings(app, instructions) == []


def test_generate_form_caps_instructions(engine):
    # The text area stops at its max_chars, so the form never sends more than
    # the engine accepts; the engine's own rejection is tested above.
    app = open_app("pages/generate.py")

    submit_form(app, "x" * 10_000)

    assert not app.exception
    assert not app.error
    with Session(engine) as session:
        job = session.get(GenerationJob, int(app.query_params["job"]))
    assert len(job.request["instructions"]) == 4000


@pytest.mark.parametrize("term", HOSTILE_TERMS)
def test_generate_picked_hostile_topic(engine, term):
    data = parse_trends_csv(with_term(term), "hostile.csv")
    dataset_id = save_dataset(data, engine=engine)
    app = open_app()
    app.session_state[PICKED_KEY] = Picked(
        dataset_id=dataset_id, topics=[term], description=", ".join(data.terms)
    )
    app.switch_page("pages/generate.py").run()

    app.get("form_submit_button")[0].click()
    app.run()

    assert not app.exception
    assert not app.error, [error.value for error in app.error]
    assert "job" in app.query_params
    assert unsafe_renderings(app, term) == []


# Addresses ---------------------------------------------------------------------

QUERY_CASES = [
    ("pages/generate.py", "job", "abc"),
    ("pages/generate.py", "job", "1;DROP TABLE generationjob"),
    ("pages/generate.py", "job", "-1"),
    ("pages/generate.py", "job", "0"),
    ("pages/generate.py", "job", "99999999999999999999999999"),
    ("pages/generate.py", "job", "\u00b2"),
    ("pages/generate.py", "job", "\uff11\uff12"),
    ("pages/generate.py", "job", IMAGE),
    ("pages/generate.py", "job", SCRIPT),
    ("pages/generate.py", "job", "99999"),
    ("pages/generate.py", "batch", "abc"),
    ("pages/generate.py", "batch", SCRIPT),
    ("pages/generate.py", "batch", "f" * 32),
    ("pages/history.py", "report", "99999"),
    ("pages/history.py", "report", "abc"),
    ("pages/history.py", "report", "-1"),
    ("pages/history.py", "report", "1e9"),
    ("pages/history.py", "report", IMAGE),
    ("pages/history.py", "job", "1 OR 1=1"),
    ("pages/history.py", "job", "99999"),
]


@pytest.mark.parametrize(("page", "name", "value"), QUERY_CASES)
def test_hostile_address_gets_sentence(engine, page, name, value):
    app = open_app(page, query_params={name: value})

    assert not app.exception
    messages = [element.value for element in [*app.warning, *app.error]]
    assert len(messages) == 1, messages
    shown = messages[0].replace("\\", "")
    if value.isascii() and value.isdigit() and int(value) > 0 and len(value) < 18:
        assert shown.startswith(f"There is no {name} {value}.")
    elif name == "batch" and len(value) == 32:
        assert shown == f"There is no batch {value}. It may have been typed wrongly."
    else:
        assert f"is not a {name} id" in shown
    assert "Traceback" not in page_text(app)
    assert unsafe_renderings(app, SCRIPT) == []
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(GenerationJob)).one() == 0


# Command line ----------------------------------------------------------------------

CLI_REJECTIONS = [
    (
        ["show", "abc"],
        "'abc' is not a report id; a report id is a positive whole number.",
    ),
    (
        ["show", "-1"],
        "'-1' is not a report id; a report id is a positive whole number.",
    ),
    (
        ["show", "1;DROP TABLE report"],
        (
            "'1;DROP TABLE report' is not a report id; a report id is a positive "
            "whole number."
        ),
    ),
    (["show", "99999"], "There is no report 99999. It may have been typed wrongly."),
    (
        ["generate", "--sample", "weight-loss-drugs-us", "--topic", "x" * 10_000],
        (
            "A topic is 10000 characters long; the limit is 100. Shorten it to a "
            "search term."
        ),
    ),
    (
        [
            "generate",
            "--sample",
            "weight-loss-drugs-us",
            "--instructions",
            "x" * 10_000,
        ],
        "The text is 10000 characters long; the limit is 4000. Shorten it.",
    ),
    (
        ["generate", "--sample", "weight-loss-drugs-us", "--report-type", SCRIPT],
        (
            "The field 'report_type' is invalid: Input should be 'briefing', "
            "'market_opportunity', 'content_plan' or 'competitor_comparison'."
        ),
    ),
    (
        ["generate", "--sample", "weight-loss-drugs-us", "--writer", "nobody"],
        "There is no writer called 'nobody'.",
    ),
]


@pytest.mark.parametrize(("arguments", "expected"), CLI_REJECTIONS)
def test_cli_rejects_with_sentence(engine, capsys, arguments, expected):
    status = cli_main(arguments)

    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith(f"error: {expected}")
    assert "Traceback" not in captured.err


def test_cli_import_rejects_binary_and_missing(engine, capsys, tmp_path):
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))

    binary_status = cli_main(["import", str(binary)])
    binary_err = capsys.readouterr().err
    missing_status = cli_main(["import", str(tmp_path / "missing.csv")])
    missing_err = capsys.readouterr().err

    assert binary_status == 2
    assert binary_err.startswith(f"error: {binary}: The file 'binary.csv' is a binary")
    assert missing_status == 2
    assert missing_err.strip() == (
        f"error: {tmp_path / 'missing.csv'} could not be read (No such file or "
        "directory). Check the path."
    )


def test_cli_generate_hostile_topic_as_text(engine, capsys):
    status = cli_main(
        [
            "generate",
            "--wait",
            "--sample",
            "weight-loss-drugs-us",
            "--topic",
            SCRIPT,
            "--topic",
            "ozempic",
            "--json",
        ]
    )

    assert status == 0, capsys.readouterr().err
    with Session(engine) as session:
        (job,) = session.exec(select(GenerationJob)).all()
    assert job.status == JobStatus.SUCCEEDED
    assert job.request["topics"] == [SCRIPT, "ozempic"]


# Writer output --------------------------------------------------------------------

HOSTILE_BODIES = {
    "script": f"# Report\n\n{SCRIPT}\n\nText after.",
    "img_tag": "# Report\n\n<img src=x onerror=alert(1)>\n\nText.",
    "remote_image": "# Report\n\n![pixel](https://evil.example/pixel.png)\n\nText.",
    "reference_image": "# Report\n\n![pixel][p]\n\n[p]: https://evil.example/r.png\n",
    "iframe": '# Report\n\n<iframe src="https://evil.example"></iframe>\n',
    "javascript_link": "# Report\n\n[click](javascript:alert(1))\n",
    "protocol_relative_image": "# Report\n\n![p](//evil.example/p.png)\n",
}


@pytest.mark.parametrize("name", HOSTILE_BODIES)
def test_hostile_writer_output_in_pages(runner, engine, writer_returning, name):
    body = HOSTILE_BODIES[name]
    draft = Draft(
        title=f"Title {SCRIPT} {IMAGE}",
        summary=f"Summary {IMAGE}",
        body=body,
        writer="test_hostile",
        writer_version="1",
    )
    writer_returning("test_hostile", draft)
    job = runner.wait(
        runner.submit(
            {"samples": ["weight-loss-drugs-us"], "writer": "test_hostile"}
        ).job_id,
        timeout=60,
    )
    assert job.status == JobStatus.SUCCEEDED, job.error

    status_page = open_app("pages/generate.py", query_params={"job": str(job.id)})
    report_page = open_app(
        "pages/history.py", query_params={"report": str(job.report_id)}
    )

    for app in (status_page, report_page):
        assert not app.exception
        assert unsafe_renderings(app, SCRIPT) == []
        assert unsafe_renderings(app, "<img") == []
        assert unsafe_renderings(app, "<iframe") == []


# Exports --------------------------------------------------------------------------


def test_history_csv_neutralises_formula(runner, engine):
    from generation.exports import history_csv

    job = runner.wait(
        runner.submit(
            {
                "samples": ["weight-loss-drugs-us"],
                "topics": [FORMULA, "+1", "@sum", "ozempic"],
            }
        ).job_id,
        timeout=60,
    )
    assert job.status == JobStatus.SUCCEEDED, job.error

    exported = history_csv(engine=engine)

    (row,) = list(csv.DictReader(io.StringIO(exported)))
    assert row["topics"] == f"'{FORMULA}, +1, @sum, ozempic"


def test_html_export_escapes_writer_html(runner, engine, writer_returning):
    from generation.exports import export_report

    draft = Draft(
        title=f"Title {SCRIPT}",
        summary="s",
        body=f"# Report\n\n{SCRIPT}\n\n![pixel](https://evil.example/pixel.png)\n",
        writer="test_hostile",
        writer_version="1",
    )
    writer_returning("test_hostile", draft)
    job = runner.wait(
        runner.submit(
            {"samples": ["weight-loss-drugs-us"], "writer": "test_hostile"}
        ).job_id,
        timeout=60,
    )

    html = export_report(job.report_id, "html", engine=engine).content.decode()

    assert SCRIPT not in html
    assert "&lt;script&gt;" in html
    assert 'src="https://evil.example' not in html


# Markdown neutralising --------------------------------------------------------

MARKDOWN_ATTACKS = [
    SCRIPT,
    IMAGE,
    "![a [b] c](https://evil.example/nested.png)",
    "![ref]\n\n[ref]: https://evil.example/shortcut.png",
    "see ![ref] here\n\n[ref]: https://evil.example/later.png",
    "\\\\![a](https://evil.example/after-backslash.png)",
    "[![a](https://evil.example/in-link.png)](https://example.org)",
    "<https://evil.example/autolink>",
    "$x^2$ and :red[colour] and **bold** and `code`",
    "- list item",
    "1. ordered",
    "# heading",
    "    indented code",
    "a | b\n--|--\n1 | 2",
    "&lt;script&gt;",
]


@pytest.mark.parametrize("text", MARKDOWN_ATTACKS)
def test_plain_markdown_renders_as_written(text):
    tokens = markdown_parser.parse(plain_markdown(text))

    assert [token.type for token in tokens] == [
        "paragraph_open",
        "inline",
        "paragraph_close",
    ]
    inline = tokens[1].children
    assert {child.type for child in inline} <= {"text", "softbreak"}
    shown = "".join(child.content for child in inline)
    assert shown == text.replace("\n", " ").strip()


@pytest.mark.parametrize("text", MARKDOWN_ATTACKS)
def test_without_remote_images_leaves_none(text):
    assert remote_image_hosts(without_remote_images(text)) == []
