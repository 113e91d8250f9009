"""The full-text search: kept in step with reports, safe with any input."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from generation.db import session_scope
from generation.errors import InvalidRequest
from generation.history import HistoryFilters, fts_query, list_history
from generation.models import Report
from generation.report_actions import delete_report
from tests.generation.history.factories import add_job


def search(engine, words: str) -> list[int]:
    page = list_history(HistoryFilters(search=words), engine=engine)
    return [row.report_id for row in page.rows]


def test_new_report_is_found_at_once(engine):
    _, report_id = add_job(engine, report={"body": "Lentil soup beats ramen."})

    assert search(engine, "lentil") == [report_id]


def test_edit_reindexes_report_text(engine):
    _, report_id = add_job(engine, report={"body": "Lentil soup beats ramen."})

    with session_scope(engine) as session:
        session.get(Report, report_id).body = "Chickpea stew beats ramen."

    assert search(engine, "chickpea") == [report_id]
    assert search(engine, "lentil") == []


def test_removed_report_leaves_index(engine):
    _, report_id = add_job(engine, report={"body": "Lentil soup."})

    with session_scope(engine) as session:
        session.delete(session.get(Report, report_id))

    assert search(engine, "lentil") == []
    with engine.connect() as connection:
        indexed = connection.execute(
            text(
                "SELECT count(*) FROM report_search WHERE report_search MATCH 'lentil'"
            )
        ).scalar_one()
    assert indexed == 0


def test_index_integrity_check_passes_after_changes(engine):
    ids = [add_job(engine, report={"body": f"Note {n}."})[1] for n in range(5)]
    with session_scope(engine) as session:
        session.get(Report, ids[0]).title = "Renamed"
        session.delete(session.get(Report, ids[1]))

    with engine.begin() as connection:
        # FTS5 raises if its index disagrees with the content table.
        connection.execute(
            text(
                "INSERT INTO report_search (report_search, rank) "
                "VALUES ('integrity-check', 1)"
            )
        )


def test_soft_deleted_report_leaves_search_but_job_stays(engine):
    job_id, report_id = add_job(engine, report={"body": "Lentil soup."})

    delete_report(report_id, engine=engine)

    assert search(engine, "lentil") == []
    page = list_history(HistoryFilters(), engine=engine)
    assert [row.job_id for row in page.rows] == [job_id]
    assert page.rows[0].report_deleted
    assert page.rows[0].title == "report deleted"


def test_search_matches_title_topics_and_summary(engine):
    _, by_title = add_job(engine, report={"title": "Kimchi trends"})
    _, by_topic = add_job(engine, topics="gochujang")
    _, by_summary = add_job(engine, report={"summary": "Tteokbokki is rising."})

    assert search(engine, "kimchi") == [by_title]
    assert search(engine, "gochujang") == [by_topic]
    assert search(engine, "tteokbokki") == [by_summary]


def test_search_needs_every_word(engine):
    _, both = add_job(engine, topics="food", report={"body": "Pizza and bagel."})
    add_job(engine, topics="food", report={"body": "Pizza only."})

    assert search(engine, "bagel pizza") == [both]


def test_search_ignores_case_and_accents(engine):
    _, report_id = add_job(engine, report={"body": "Crème brûlée is back."})

    assert search(engine, "CREME BRULEE") == [report_id]


def test_search_finds_korean_words(engine):
    _, report_id = add_job(engine, report={"body": "검색 관심도 분석 보고서"})

    assert search(engine, "관심도") == [report_id]


def test_phrase_in_quotes_keeps_word_order(engine):
    _, in_order = add_job(engine, report={"body": "New York pizza."})
    add_job(engine, report={"body": "York has new pizza."})

    assert search(engine, '"new york"') == [in_order]


def test_trailing_star_searches_prefix(engine):
    _, report_id = add_job(engine, report={"body": "Pizzeria openings."})

    assert search(engine, "pizz*") == [report_id]
    assert search(engine, "pizz") == []


@pytest.mark.parametrize(
    "words",
    [
        "pizza NOT bagel",
        "pizza OR bagel",
        "title:pizza",
        "NEAR(pizza bagel)",
    ],
)
def test_search_operators_are_plain_words(engine, words):
    add_job(engine, topics="pizza", report={"title": "Pizza", "body": "Pizza only."})
    add_job(engine, topics="bagel", report={"title": "Bagel", "body": "Bagel only."})

    # Read as FTS5 syntax, each would match one of the reports; read as
    # words, each needs a word ("not", "or", "title", "near") no report has.
    assert search(engine, words) == []


def test_plus_between_words_is_ignored(engine):
    _, both = add_job(engine, report={"body": "Pizza and bagel."})

    assert search(engine, "pizza + bagel") == [both]


@pytest.mark.parametrize(
    "words",
    [
        '"',
        '"pizza',
        'pizza"',
        "pizza'",
        "' OR 1=1 --",
        "'; DROP TABLE report; --",
        "pizza) OR (1=1",
        "\\",
        "%",
        "_",
        "\x00pizza",
        "pizza\u202e",
        "a" * 150,
    ],
)
def test_hostile_search_returns_rows_or_sentence(engine, words):
    _, report_id = add_job(engine, report={"body": "Pizza only."})

    try:
        page = list_history(HistoryFilters(search=words), engine=engine)
    except InvalidRequest as error:
        assert error.message.endswith(".")
        assert error.field == "q"
    else:
        assert page.total in (0, 1)
    with engine.connect() as connection:
        reports = connection.execute(text("SELECT count(*) FROM report")).scalar_one()
    assert reports == 1
    assert search(engine, "pizza") == [report_id]


@pytest.mark.parametrize("words", ["***", "---", '""', "🍕", "   "])
def test_search_without_words_gets_a_sentence(engine, words):
    add_job(engine)

    with pytest.raises(InvalidRequest) as raised:
        list_history(HistoryFilters(search=words), engine=engine)

    assert "has no letters or digits to look for" in raised.value.message


def test_overlong_search_gets_a_sentence(engine):
    with pytest.raises(InvalidRequest) as raised:
        list_history(HistoryFilters(search="pizza " * 50), engine=engine)

    assert raised.value.message == (
        "The search is 300 characters long; the limit is 200. Search for a few words."
    )


def test_fts_query_quotes_every_word():
    assert fts_query('pizza "new york" bag* NOT') == ('"pizza" "new york" "bag"* "NOT"')


def test_relevance_sort_ranks_more_mentions_first(engine):
    _, once = add_job(engine, report={"body": "Matcha. " + "Tea. " * 40})
    _, often = add_job(engine, report={"body": "Matcha matcha matcha latte."})

    page = list_history(
        HistoryFilters(search="matcha", sort="relevance"), engine=engine
    )

    assert [row.report_id for row in page.rows] == [often, once]


def test_relevance_sort_without_search_gets_a_sentence(engine):
    with pytest.raises(InvalidRequest) as raised:
        list_history(HistoryFilters(sort="relevance"), engine=engine)

    assert raised.value.field == "sort"


def test_postgresql_search_compiles_to_tsvector():
    from sqlalchemy.dialects import postgresql

    from generation.history import _HistoryQuery

    query = _HistoryQuery(
        HistoryFilters(search='pizza "new york"', topic="piz", sort="duration"),
        "postgresql",
    )
    statement = query._select_ids().order_by(*query._order_by())

    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert "plainto_tsquery" in sql
    assert "to_tsvector" in sql
    assert "ILIKE" in sql.upper()
    assert "EXTRACT(epoch" in sql
    assert "report_search" not in sql
