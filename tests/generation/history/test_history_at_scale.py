"""History at 100 000 jobs: pages, filters, search and sorts return the right rows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from generation.dashboard import dashboard_figures
from generation.history import HistoryFilters, iter_history, list_history
from generation.models import JobStatus


def test_first_page_is_newest_jobs(large_history):
    page = list_history(HistoryFilters(), engine=large_history.engine)

    ids = [row.job_id for row in page.rows]
    assert ids[:3] == [
        large_history.costly_job,
        large_history.axolotl_job,
        large_history.quokka_job,
    ]
    last_generated = large_history.fill.last_job_id
    assert ids[3:] == list(range(last_generated, last_generated - 22, -1))
    assert page.total == large_history.jobs
    assert page.has_next


def test_first_page_rows_carry_report_titles(large_history):
    page = list_history(HistoryFilters(), engine=large_history.engine)

    quokka = next(row for row in page.rows if row.job_id == large_history.quokka_job)
    assert quokka.title == "Quokka sightings draw record interest in Perth"
    assert quokka.report_id == large_history.quokka_report
    axolotl = next(row for row in page.rows if row.job_id == large_history.axolotl_job)
    assert axolotl.report_id is None
    assert axolotl.title == "axolotl care"


def test_deep_page_continues_where_previous_ended(large_history):
    page_size = 100
    filters = HistoryFilters(page=400, page_size=page_size)

    page = list_history(filters, engine=large_history.engine)

    # Three planted jobs sit above the generated ones on the first page.
    first_expected = large_history.fill.last_job_id - (399 * page_size - 3)
    assert [row.job_id for row in page.rows] == list(
        range(first_expected, first_expected - page_size, -1)
    )


def test_last_page_has_no_next(large_history):
    page_size = 100
    last_page = -(-large_history.jobs // page_size)
    filters = HistoryFilters(page=last_page, page_size=page_size)

    page = list_history(filters, engine=large_history.engine)

    assert not page.has_next
    assert page.rows[-1].job_id == large_history.fill.first_job_id
    assert page.page_count == last_page


def test_status_and_schedule_filter_finds_planted_job(large_history):
    filters = HistoryFilters(status=JobStatus.FAILED, schedule_id=99)

    page = list_history(filters, engine=large_history.engine)

    assert [row.job_id for row in page.rows] == [large_history.axolotl_job]
    assert page.total == 1


def test_topic_filter_matches_substring_any_case(large_history):
    page = list_history(HistoryFilters(topic="AXOLOT"), engine=large_history.engine)

    assert [row.job_id for row in page.rows] == [large_history.axolotl_job]


def test_status_filter_total_matches_sql_count(large_history):
    with large_history.engine.connect() as connection:
        expected = connection.execute(
            text("SELECT count(*) FROM generationjob WHERE status = 'FAILED'")
        ).scalar_one()

    page = list_history(
        HistoryFilters(status=JobStatus.FAILED), engine=large_history.engine
    )

    assert page.total == expected
    assert all(row.status == JobStatus.FAILED for row in page.rows)
    assert [row.job_id for row in page.rows] == sorted(
        (row.job_id for row in page.rows), reverse=True
    )


def test_writer_and_model_filter(large_history):
    filters = HistoryFilters(writer="gemini", model="gemini-2.5-pro")

    page = list_history(filters, engine=large_history.engine)

    assert page.rows[0].job_id == large_history.costly_job
    assert {(row.writer, row.model) for row in page.rows} == {
        ("gemini", "gemini-2.5-pro")
    }


def test_date_range_keeps_only_those_days(large_history):
    filters = HistoryFilters(date_from=date(2026, 3, 1), date_to=date(2026, 3, 2))

    page = list_history(filters, engine=large_history.engine)

    # The generator spreads 100 000 jobs evenly over 365 days: about 274 a day.
    assert 500 <= page.total <= 600
    assert {row.created_at.date() for row in page.rows} <= {
        date(2026, 3, 1),
        date(2026, 3, 2),
    }


def test_search_finds_planted_report(large_history):
    page = list_history(
        HistoryFilters(search="quokka perth"), engine=large_history.engine
    )

    assert [row.job_id for row in page.rows] == [large_history.quokka_job]
    assert page.total == 1


def test_search_matches_report_text_not_only_title(large_history):
    page = list_history(HistoryFilters(search="marsupial"), engine=large_history.engine)

    assert [row.report_id for row in page.rows] == [large_history.quokka_report]


def test_search_total_agrees_with_topic_scan(large_history):
    # "sourdough" appears only in reports on topic sets that contain it, so
    # the full-text count must equal a plain scan of succeeded jobs' topics.
    with large_history.engine.connect() as connection:
        expected = connection.execute(
            text(
                "SELECT count(*) FROM generationjob WHERE status = 'SUCCEEDED' "
                "AND topics LIKE '%sourdough%'"
            )
        ).scalar_one()

    page = list_history(HistoryFilters(search="sourdough"), engine=large_history.engine)

    assert expected > 100
    assert page.total == expected
    assert all("sourdough" in row.topics for row in page.rows)


def test_search_with_filter_counts_both(large_history):
    filters = HistoryFilters(search="sourdough", writer="gemini")
    with large_history.engine.connect() as connection:
        expected = connection.execute(
            text(
                "SELECT count(*) FROM generationjob WHERE status = 'SUCCEEDED' "
                "AND topics LIKE '%sourdough%' AND writer = 'gemini'"
            )
        ).scalar_one()

    page = list_history(filters, engine=large_history.engine)

    assert page.total == expected
    assert {row.writer for row in page.rows} == {"gemini"}


def test_sort_by_cost_puts_costly_report_first(large_history):
    page = list_history(HistoryFilters(sort="cost"), engine=large_history.engine)

    costs = [row.cost_usd for row in page.rows]
    assert page.rows[0].job_id == large_history.costly_job
    assert costs == sorted(costs, reverse=True)


def test_sort_by_cost_page_crosses_to_jobs_without_report(large_history):
    with large_history.engine.connect() as connection:
        with_report = connection.execute(
            text("SELECT count(*) FROM generationjob WHERE report_id IS NOT NULL")
        ).scalar_one()
    page_size = 100
    page_number = with_report // page_size + 1
    filters = HistoryFilters(sort="cost", page=page_number, page_size=page_size)

    page = list_history(filters, engine=large_history.engine)

    reported = [row for row in page.rows if row.report_id is not None]
    assert len(reported) == with_report % page_size
    assert all(row.report_id is None for row in page.rows[len(reported) :])
    assert len(page.rows) == page_size


def test_sort_by_duration_ascending_and_descending(large_history):
    longest = list_history(HistoryFilters(sort="duration"), engine=large_history.engine)
    shortest = list_history(
        HistoryFilters(sort="duration", descending=False),
        engine=large_history.engine,
    )

    assert longest.rows[0].job_id == large_history.costly_job
    assert longest.rows[0].run_seconds == 9999.0
    durations = [row.run_seconds for row in shortest.rows]
    assert None not in durations
    assert durations == sorted(durations)


def test_iter_history_streams_every_filtered_row(large_history):
    filters = HistoryFilters(status=JobStatus.INTERRUPTED)
    total = list_history(filters, engine=large_history.engine).total

    rows = list(iter_history(filters, engine=large_history.engine, batch_size=500))

    assert len(rows) == total
    assert len({row.job_id for row in rows}) == total


def test_dashboard_counts_match_sql(large_history):
    figures = dashboard_figures(
        30, today=date(2026, 6, 30), engine=large_history.engine
    )
    with large_history.engine.connect() as connection:
        failed = connection.execute(
            text(
                "SELECT count(*) FROM generationjob WHERE status = 'FAILED' "
                "AND created_at >= '2026-06-01'"
            )
        ).scalar_one()
        reports = connection.execute(
            text("SELECT count(*) FROM report WHERE created_at >= '2026-06-01'")
        ).scalar_one()

    assert figures.status_counts[JobStatus.FAILED] == failed
    assert figures.reports == reports
    assert figures.running_count == 3
    assert figures.queued_count == 4
    assert len(figures.per_day) == 30
