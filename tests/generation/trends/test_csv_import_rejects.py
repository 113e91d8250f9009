"""Files that are not Trends exports, and exports changed by other programs.

The hostile inputs are generated here from the real exports, so each test
shows what was changed.
"""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from generation.errors import TrendsFileError, UserFacingError
from generation.trends.base import LESS_THAN_ONE
from generation.trends.csv_import import (
    MAX_UPLOAD_BYTES,
    neutralise_formula,
    parse_trends_csv,
)

WEEKLY = "trends_multitimeline_weekly_3terms_us_5y.csv"
RELATED = "trends_relatedqueries_ozempic_us_top_rising.csv"
REGIONS = "trends_geomap_us_states_3terms_percent_lt1.csv"


def rejection(content: bytes, filename: str = "upload.csv") -> str:
    with pytest.raises(TrendsFileError) as caught:
        parse_trends_csv(content, filename)
    message = caught.value.message
    # One sentence that names the problem and what to do.
    assert message.endswith(".")
    assert message.count(". ") == 0
    return message


def test_rejection_is_user_facing():
    assert issubclass(TrendsFileError, UserFacingError)


@pytest.mark.parametrize("content", [b"", b"   \r\n\n  ", b"\xef\xbb\xbf", b"\n,,,\n"])
def test_empty_file(content):
    message = rejection(content)

    assert message.startswith("The file 'upload.csv' is empty")
    assert "download the CSV again" in message


def test_file_over_upload_limit():
    content = b"Week,pizza: (Worldwide)\n" + b"2024-01-07,50\n" * (
        21 * 1024 * 1024 // 14
    )
    assert len(content) > MAX_UPLOAD_BYTES

    message = rejection(content)

    assert "is 21.0 MiB, larger than the 20 MiB upload limit" in message


def test_binary_file_with_zero_bytes():
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8

    message = rejection(content, "chart.png")

    assert message.startswith("The file 'chart.png' is a binary file, not CSV text")


def test_binary_file_without_zero_bytes():
    content = bytes(range(1, 32)) * 40 + b"Week,pizza\n"

    assert "is a binary file" in rejection(content)


def test_excel_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")

    message = rejection(buffer.getvalue(), "multiTimeline.xlsx")

    assert "is an Excel workbook or a ZIP archive, not a CSV file" in message


def test_html_page():
    content = (
        b"<!DOCTYPE html>\n<html lang='en'><head><title>Google Trends</title>"
        b"</head><body>Week,pizza</body></html>"
    )

    message = rejection(content, "explore.csv")

    assert "is a web page (HTML), not a CSV file" in message
    assert "download button" in message


def test_xml_feed():
    content = b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"></rss>'

    assert "is an XML document" in rejection(content, "rss.csv")


def test_raw_api_response():
    content = b')]}\',\n{"default":{"timelineData":[]}}'

    assert "is a raw response of the Google Trends API" in rejection(content)


def test_utf16_with_byte_order_mark(read_export):
    text = read_export(WEEKLY).decode("utf-8")

    data = parse_trends_csv(text.encode("utf-16"), "multiTimeline.csv")

    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.category == "All categories"
    assert data.interest_over_time.loc[pd.Timestamp("2025-11-23"), "wegovy"] == 23


def test_utf16_tab_separated_spreadsheet_text(read_export):
    # Excel's "Unicode Text" format: UTF-16 with a byte order mark and tabs.
    text = read_export(WEEKLY).decode("utf-8").replace(",", "\t")

    data = parse_trends_csv(text.encode("utf-16"))

    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.interest_over_time.loc[pd.Timestamp("2024-05-12"), "ozempic"] == 100


def test_utf16_without_byte_order_mark(read_export):
    text = read_export(REGIONS).decode("utf-8")

    data = parse_trends_csv(text.encode("utf-16-le"))

    assert data.interest_by_region.loc["Utah", "ozempic"] == 84


def test_utf16_mark_with_invalid_text():
    content = b"\xff\xfe" + "Week,pizza\n".encode("utf-16-le") + b"\x00\xdc"

    message = rejection(content)

    assert "starts with a UTF-16 byte order mark but is not valid UTF-16" in message


def test_utf8_byte_order_mark_is_stripped(read_export):
    content = b"\xef\xbb\xbf" + read_export(
        "trends_timeformat_2026_monthly_1term_germany_quoted.csv"
    )

    data = parse_trends_csv(content)

    assert data.terms == ["alnatura"]
    assert data.granularity == "monthly"


def test_windows_1252_text(read_export):
    text = read_export("trends_geomap_country_french_locale.csv").decode("utf-8")
    # The en dash in the header exists in Windows-1252 too.
    content = text.encode("cp1252")

    data = parse_trends_csv(content)

    assert data.category == "Toutes catégories"
    assert data.interest_by_region.loc["Nigeria", "bitcoin"] == 100
    assert "Bénin" in data.interest_by_region.index


def test_text_in_unknown_encoding():
    # 0x81 and 0x9d are bytes that Windows-1252 leaves undefined.
    content = b"Week,\x81\x9dpizza: (Worldwide)\n2024-01-07,50\n"

    message = rejection(content)

    assert "is neither UTF-8 nor Windows-1252 text" in message
    assert "byte 0x81 at offset 5" in message


def test_utf8_cut_inside_last_character(read_export):
    content = read_export("trends_multitimeline_weekly_2terms_korean_southkorea.csv")
    content += "2021-11-07,1테".encode()[:-1]

    message = rejection(content)

    # Decoded as UTF-8 up to the cut, then the short last line is reported.
    assert message.startswith("Line 56 of 'upload.csv' has 2 of the header's 3")


def test_ten_thousand_columns():
    header = "Week," + ",".join(f"term {index}: (Worldwide)" for index in range(9999))
    content = f"{header}\n2024-01-07,{','.join(['1'] * 9999)}\n".encode()

    message = rejection(content)

    assert message.startswith("Line 1 of 'upload.csv' has 10000 columns")
    assert "at most 6" in message


def test_more_than_five_terms():
    header = "Week," + ",".join(f"term{index}: (Worldwide)" for index in range(7))
    content = f"{header}\n2024-01-07,{','.join(['1'] * 7)}\n".encode()

    message = rejection(content)

    assert "names 7 terms, but Google Trends compares at most 5" in message


def test_too_many_lines():
    content = b"Week,pizza: (Worldwide)\n" + b"\n" * 60_000

    assert "has 60001 lines, far more than any Google Trends export" in rejection(
        content
    )


def test_missing_date_in_series(read_export):
    content = read_export(WEEKLY).replace(b"2021-01-03,3,0,0", b",3,0,0")

    assert "Line 10 of 'upload.csv' has '' where a date is expected" in rejection(
        content
    )


def test_region_listed_twice(read_export):
    content = read_export(REGIONS).replace(b"Louisiana,", b"West Virginia,")

    assert "lists the region 'West Virginia' twice" in rejection(content)


def test_only_one_line():
    message = rejection(b"Week,pizza: (Worldwide)\n")

    assert "has only one line ('Week,pizza: (Worldwide)')" in message


def test_header_without_data_rows():
    content = b"Category: All categories\n\nWeek,pizza: (Worldwide)\n"

    assert "has a header but no data rows" in rejection(content)


@pytest.mark.parametrize(
    "content",
    [
        b"Plain text notes\nabout pizza searches\n",
        b"Category: All categories\nNotes: none\n",
    ],
)
def test_text_without_table(content):
    assert "does not look like a Google Trends export" in rejection(content)


def test_csv_that_is_not_a_trends_export():
    content = b"name,age,city\nAda,36,London\nAlan,41,Wilmslow\n"

    message = rejection(content, "people.csv")

    assert message.startswith(
        "The file 'people.csv' does not look like a Google Trends export"
    )
    assert "'Week,pizza: (Worldwide)'" in message


def test_values_outside_trends_range():
    content = b"date,price\n2024-01-01,187.5\n2024-01-02,190.25\n"

    message = rejection(content, "prices.csv")

    assert message.startswith("Line 2 of 'prices.csv' has '187.5' for 'price'")
    assert "numbers from 0 to 100 or '<1'" in message


def test_text_in_value_column(read_export):
    content = read_export(WEEKLY).replace(b"2021-01-03,3,0,0", b"2021-01-03,n/a,0,0")

    assert "Line 10 of 'upload.csv' has 'n/a' for 'ozempic'" in rejection(content)


def test_file_cut_in_last_row(read_export):
    content = read_export(WEEKLY)
    content = content[: content.rindex(b",<1,23")]

    message = rejection(content)

    assert message.startswith("Line 265 of 'upload.csv' has 2 of the header's 4")
    assert "cut short" in message


def test_dates_out_of_order(read_export):
    content = read_export(WEEKLY).replace(b"2020-11-29,", b"2020-11-15,")

    message = rejection(content)

    assert message.startswith(
        "Line 5 of 'upload.csv' has the date '2020-11-15' after '2020-11-22'"
    )


def test_more_values_than_header_columns(read_export):
    content = read_export(WEEKLY).replace(b"2021-01-03,3,0,0", b"2021-01-03,3,0,0,7")

    assert "Line 10 of 'upload.csv' has 5 values" in rejection(content)


def test_related_rows_before_section_heading(read_export):
    content = read_export(RELATED).replace(b"\nTOP\n", b"\n")

    assert "comes before any TOP or RISING line" in rejection(content)


def test_related_row_without_label(read_export):
    content = read_export(RELATED).replace(b"wegovy,45", b",45")

    assert "Line 10 of 'upload.csv' has a value but no query or topic label" in (
        rejection(content)
    )


def test_spreadsheet_resave_semicolons_and_day_first_dates(read_export):
    # A German spreadsheet program writes "07.01.2024;50;" with a trailing
    # separator and day-first dates.
    lines = read_export(WEEKLY).decode("utf-8").splitlines()
    resaved = []
    for line in lines:
        cells = line.split(",")
        if cells[0][:2] == "20":
            year, month, day = cells[0].split("-")
            cells[0] = f"{day}.{month}.{year}"
        resaved.append(";".join(cells) + ";")

    data = parse_trends_csv("\r\n".join(resaved).encode("cp1252"))

    assert data.terms == ["ozempic", "monjauro", "wegovy"]
    assert data.granularity == "weekly"
    frame = data.interest_over_time
    assert frame.index[0] == pd.Timestamp("2020-11-22")
    assert frame.loc[pd.Timestamp("2024-05-12"), "ozempic"] == 100
    assert frame.loc[pd.Timestamp("2025-11-23"), "monjauro"] == LESS_THAN_ONE


def test_spreadsheet_resave_us_dates_and_quotes(read_export):
    lines = read_export("trends_multitimeline_monthly_1term_worldwide_lt1_values.csv")
    resaved = []
    for line in lines.decode("utf-8").splitlines():
        cells = line.split(",")
        if cells[0][:2] in ("19", "20"):
            year, month = cells[0].split("-")
            cells[0] = f"{int(month)}/1/{year}"
        resaved.append(",".join(f'"{cell}"' for cell in cells))

    data = parse_trends_csv("\n".join(resaved).encode())

    assert data.granularity == "monthly"
    frame = data.interest_over_time
    assert frame.loc[pd.Timestamp("2004-09-01"), "Bitcoin"] == LESS_THAN_ONE
    assert frame["Bitcoin"].idxmax() == pd.Timestamp("2017-12-01")


def test_decimal_comma_in_semicolon_file():
    content = "Woche;pizza: (Deutschland)\n07.01.2024;0,5\n14.01.2024;12\n"

    data = parse_trends_csv(content.encode())

    assert data.geo == "Deutschland"
    assert data.granularity == "weekly"
    assert list(data.interest_over_time["pizza"]) == [0.5, 12.0]


def test_hourly_series():
    content = b"Time,pizza: (United States)\n" + b"".join(
        f"2024-03-13T{hour:02d},{hour * 3}\n".encode() for hour in range(10, 20)
    )

    data = parse_trends_csv(content)

    assert data.granularity == "hourly"
    assert data.interest_over_time.loc[pd.Timestamp("2024-03-13 19:00"), "pizza"] == 57


def test_one_row_series_takes_granularity_from_header():
    data = parse_trends_csv(b"Month,pizza: (Worldwide)\n2024-01,40\n")

    assert data.granularity == "monthly"
    assert len(data.interest_over_time) == 1


def test_same_term_in_two_regions():
    content = (
        b"Week,pizza: (United States),pizza: (Italy)\n"
        b"2024-01-07,80,20\n2024-01-14,82,25\n"
    )

    data = parse_trends_csv(content)

    assert data.terms == ["pizza (United States)", "pizza (Italy)"]
    assert data.geo == "United States, Italy"
    assert data.interest_over_time["pizza (Italy)"].iloc[-1] == 25


def test_formula_cells_stay_text(read_export):
    attack = "=cmd|' /C calc'!A0"
    related = read_export(RELATED).replace(
        b"ozempic weight loss,99", f'"{attack}",99'.encode()
    )
    regions = read_export(REGIONS).replace(
        b"Louisiana,", b'"=HYPERLINK(""http://localhost/x"",""Louisiana"")",'
    )
    series = b"Week,@SUM(1+1): (Worldwide),-2+3: (Worldwide)\n2024-01-07,1,2\n"

    labels = [item.label for item in parse_trends_csv(related).related[0].top]
    region_names = list(parse_trends_csv(regions).interest_by_region.index)
    terms = parse_trends_csv(series).terms

    assert labels[1] == attack
    assert region_names[1] == '=HYPERLINK("http://localhost/x","Louisiana")'
    assert terms == ["@SUM(1+1)", "-2+3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1,600%", "'+1,600%"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("ozempic", "ozempic"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_neutralise_formula(text, expected):
    assert neutralise_formula(text) == expected
