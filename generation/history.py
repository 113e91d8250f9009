"""History: every job with its report, filtered, searched, sorted and paged.

All work happens in the database. The filters become a WHERE clause, the page
is a LIMIT/OFFSET, and the search uses the full-text index over reports
(SQLite FTS5, kept in step by triggers made in ``generation.db``). So a page
costs the same at a hundred reports as at a hundred thousand, and no query
ever loads every row.

Filters travel in the page URL: ``HistoryFilters.to_query_params()`` and
``HistoryFilters.from_query_params()`` turn them into strings and back.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    Float,
    Integer,
    and_,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.sql.elements import ColumnElement

from generation.db import get_engine
from generation.errors import InvalidRequest
from generation.models import GenerationJob, JobStatus, Report

logger = logging.getLogger(__name__)

SORTS: Final = ("date", "duration", "cost", "relevance")
PAGE_SIZES: Final = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE: Final = 25
MAX_PAGE: Final = 100_000
MAX_SEARCH_CHARS: Final = 200
MAX_SEARCH_WORDS: Final = 16
MAX_FILTER_CHARS: Final = 100
DELETED_TITLE: Final = "report deleted"

JOBS = GenerationJob.__table__
REPORTS = Report.__table__
# The FTS5 index made by the first migration in generation.db (SQLite only).
REPORT_SEARCH = table("report_search", column("rowid", Integer), column("rank", Float))

# Words of a search: letters and digits in any script, an optional trailing
# "*" for a prefix search. Everything else (quotes, operators, column
# filters such as "title:", SQL) separates words and is never passed on.
_SEARCH_WORD = re.compile(r"(\w+)(\*?)")
_SEARCH_PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class HistoryFilters:
    """Filters, search, sort and page of the History list."""

    status: JobStatus | None = None
    category: str = ""
    topic: str = ""  # substring of the job's topics, case-insensitive
    writer: str = ""
    model: str = ""
    date_from: date | None = None  # UTC day, inclusive
    date_to: date | None = None  # UTC day, inclusive
    schedule_id: int | None = None
    search: str = ""  # full-text search over report titles, topics and text
    sort: str = "date"
    descending: bool = True
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    # Sentences about URL values that were not understood and so not applied.
    ignored: tuple[str, ...] = field(default=(), compare=False)

    def to_query_params(self) -> dict[str, str]:
        """Return the filters as URL query parameters, leaving out defaults."""
        params: dict[str, str] = {}
        if self.status is not None:
            params["status"] = self.status.value
        for key in ("category", "topic", "writer", "model"):
            value = getattr(self, key)
            if value:
                params[key] = value
        if self.date_from is not None:
            params["from"] = self.date_from.isoformat()
        if self.date_to is not None:
            params["to"] = self.date_to.isoformat()
        if self.schedule_id is not None:
            params["schedule"] = str(self.schedule_id)
        if self.search:
            params["q"] = self.search
        if self.sort != "date":
            params["sort"] = self.sort
        if not self.descending:
            params["order"] = "asc"
        if self.page != 1:
            params["page"] = str(self.page)
        if self.page_size != DEFAULT_PAGE_SIZE:
            params["size"] = str(self.page_size)
        return params

    @classmethod
    def from_query_params(cls, params: Mapping[str, str | list[str]]) -> HistoryFilters:
        """Read filters from URL query parameters.

        A value that cannot be read is left out, and ``ignored`` contains one
        sentence per such value for the page to show.
        """
        values = {key: _last(value) for key, value in params.items()}
        ignored: list[str] = []
        filters: dict[str, Any] = {}

        status = values.get("status", "").strip().lower()
        if status:
            try:
                filters["status"] = JobStatus(status)
            except ValueError:
                ignored.append(
                    f"The status '{status[:40]}' is not one of "
                    f"{', '.join(s.value for s in JobStatus)}, so it was ignored."
                )
        for key in ("category", "topic", "writer", "model"):
            value = " ".join(values.get(key, "").split())
            if len(value) > MAX_FILTER_CHARS:
                ignored.append(
                    f"The {key} filter is longer than {MAX_FILTER_CHARS} "
                    "characters, so it was ignored."
                )
            elif value:
                filters[key] = value
        for key, name in (("from", "date_from"), ("to", "date_to")):
            value = values.get(key, "").strip()
            if not value:
                continue
            try:
                filters[name] = date.fromisoformat(value)
            except ValueError:
                ignored.append(
                    f"The date '{value[:40]}' is not a date like 2025-01-31, "
                    "so it was ignored."
                )
        start, end = filters.get("date_from"), filters.get("date_to")
        if start is not None and end is not None and start > end:
            filters["date_from"], filters["date_to"] = end, start
            ignored.append(
                f"The start date {start} was after the end date {end}, so the "
                "two were swapped."
            )
        schedule = values.get("schedule", "").strip()
        if schedule:
            if schedule.isdigit() and 0 < int(schedule) < 2**63:
                filters["schedule_id"] = int(schedule)
            else:
                ignored.append(
                    f"The schedule '{schedule[:40]}' is not a schedule id, so it "
                    "was ignored."
                )
        search = values.get("q", "").strip()
        if search:
            filters["search"] = search[:MAX_SEARCH_CHARS]
        sort = values.get("sort", "").strip().lower()
        if sort:
            if sort in SORTS:
                filters["sort"] = sort
            else:
                ignored.append(
                    f"The sort '{sort[:40]}' is not one of {', '.join(SORTS)}, "
                    "so the list is sorted by date."
                )
        order = values.get("order", "").strip().lower()
        if order in ("asc", "desc"):
            filters["descending"] = order == "desc"
        elif order:
            ignored.append(
                f"The order '{order[:40]}' is neither asc nor desc, so newest "
                "and largest come first."
            )
        page = values.get("page", "").strip()
        if page:
            if page.isdigit() and 1 <= int(page) <= MAX_PAGE:
                filters["page"] = int(page)
            else:
                ignored.append(
                    f"The page '{page[:40]}' is not a page number, so the first "
                    "page is shown."
                )
        size = values.get("size", "").strip()
        if size:
            if size.isdigit() and int(size) in PAGE_SIZES:
                filters["page_size"] = int(size)
            else:
                ignored.append(
                    f"The page size '{size[:40]}' is not one of "
                    f"{', '.join(map(str, PAGE_SIZES))}, so "
                    f"{DEFAULT_PAGE_SIZE} rows are shown."
                )
        return cls(**filters, ignored=tuple(ignored))

    def with_page(self, page: int) -> HistoryFilters:
        return replace(self, page=max(1, min(MAX_PAGE, page)))

    @property
    def is_filtered(self) -> bool:
        """True when any filter or search narrows the list."""
        return any(
            (
                self.status is not None,
                self.category,
                self.topic,
                self.writer,
                self.model,
                self.date_from is not None,
                self.date_to is not None,
                self.schedule_id is not None,
                self.search,
            )
        )


@dataclass(frozen=True)
class HistoryRow:
    """One job in the History list, with its report's title when it has one."""

    job_id: int
    status: JobStatus
    progress: int
    stage: str
    message: str
    category: str
    topics: str
    writer: str
    model: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    run_seconds: float | None
    schedule_id: int | None
    retry_of: int | None
    report_id: int | None
    report_title: str
    report_deleted: bool
    tokens: int | None
    cost_usd: float | None

    @property
    def title(self) -> str:
        """The report title, "report deleted", or the job's topics."""
        if self.report_deleted:
            return DELETED_TITLE
        return self.report_title or self.topics


@dataclass(frozen=True)
class HistoryPage:
    """One page of the History list."""

    rows: list[HistoryRow]
    total: int  # rows matching the filters, over all pages
    page: int
    page_size: int
    has_next: bool

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def first_row_number(self) -> int:
        return (self.page - 1) * self.page_size + 1 if self.rows else 0


def list_history(
    filters: HistoryFilters | None = None, engine: Engine | None = None
) -> HistoryPage:
    """Return one page of jobs and reports matching ``filters``.

    Raises ``InvalidRequest`` with a sentence when the search has no words
    to look for, or when sorting by relevance without a search.
    """
    filters = filters or HistoryFilters()
    engine = engine or get_engine()
    offset = (filters.page - 1) * filters.page_size
    with engine.connect() as connection:
        query = _HistoryQuery(filters, connection.dialect.name)
        job_ids = query.page_ids(connection, offset, filters.page_size + 1)
        rows = query.rows(connection, job_ids[: filters.page_size])
        total = query.count(connection)
    return HistoryPage(
        rows=rows,
        total=total,
        page=filters.page,
        page_size=filters.page_size,
        has_next=len(job_ids) > filters.page_size,
    )


def iter_history(
    filters: HistoryFilters | None = None,
    engine: Engine | None = None,
    batch_size: int = 1000,
) -> Iterator[HistoryRow]:
    """Yield every row matching ``filters``, in order, ignoring the page.

    Rows are read ``batch_size`` at a time, so a CSV of the whole history
    never keeps all rows in memory.
    """
    filters = filters or HistoryFilters()
    engine = engine or get_engine()
    offset = 0
    while True:
        with engine.connect() as connection:
            query = _HistoryQuery(filters, connection.dialect.name)
            job_ids = query.page_ids(connection, offset, batch_size)
            rows = query.rows(connection, job_ids)
        yield from rows
        if len(job_ids) < batch_size:
            return
        offset += batch_size


def distinct_values(name: str, engine: Engine | None = None) -> list[str]:
    """Return the values of a job column (category, writer or model) in use."""
    if name not in ("category", "writer", "model"):
        raise ValueError(f"No History filter lists values of {name!r}")
    column_ = JOBS.c[name]
    statement = select(column_).where(column_ != "").group_by(column_).order_by(column_)
    with (engine or get_engine()).connect() as connection:
        return [value for (value,) in connection.execute(statement)]


def fts_query(search: str) -> str:
    """Return an FTS5 query that matches every word of ``search``.

    Each word becomes a quoted string, so FTS5 reads no operator, column
    filter or bracket in user text. Text in double quotes stays a phrase,
    and a word ending in ``*`` matches as a prefix. Raises ``InvalidRequest``
    when no word is left to search for.
    """
    parts: list[str] = []
    for words, is_phrase in _split_search(search):
        if is_phrase:
            parts.append('"' + " ".join(word for word, _ in words) + '"')
        else:
            parts.extend(f'"{word}"' + star for word, star in words)
    return " ".join(parts[:MAX_SEARCH_WORDS])


def search_words(search: str) -> list[str]:
    """Return the plain words of ``search``, as the non-FTS5 paths match them."""
    return [word for words, _ in _split_search(search) for word, _star in words][
        :MAX_SEARCH_WORDS
    ]


def _split_search(search: str) -> list[tuple[list[tuple[str, str]], bool]]:
    if len(search) > MAX_SEARCH_CHARS:
        raise InvalidRequest(
            f"The search is {len(search)} characters long; the limit is "
            f"{MAX_SEARCH_CHARS}. Search for a few words.",
            field="q",
        )
    groups: list[tuple[list[tuple[str, str]], bool]] = []
    position = 0
    for match in _SEARCH_PHRASE.finditer(search):
        groups.append((_SEARCH_WORD.findall(search[position : match.start()]), False))
        groups.append((_SEARCH_WORD.findall(match.group(1)), True))
        position = match.end()
    groups.append((_SEARCH_WORD.findall(search[position:]), False))
    groups = [(words, is_phrase) for words, is_phrase in groups if words]
    if not groups:
        raise InvalidRequest(
            f"The search '{search[:40]}' has no letters or digits to look for. "
            "Type a word from a report's title, topics or text.",
            field="q",
        )
    return groups


class _HistoryQuery:
    """Builds and runs the statements for one set of filters.

    A page is read in two steps: the ids of the page's jobs, found through
    indexes alone, then the columns of those jobs and their reports. Report
    rows are large (Markdown, analysis, inputs), so touching only the page's
    reports keeps a page cheap however many rows match.

    On SQLite a search starts from the FTS5 index and walks it newest report
    first. So "date" means the report's date there and the job's elsewhere,
    both in creation order because ids grow with time.
    """

    def __init__(self, filters: HistoryFilters, dialect: str) -> None:
        if filters.sort == "relevance" and not filters.search:
            raise InvalidRequest(
                "Sorting by relevance needs a search; type words to search for "
                "or sort by date, duration or cost.",
                field="sort",
            )
        self.filters = filters
        self.dialect = dialect
        self.run_seconds = run_seconds_expression(self.dialect)
        self.conditions = self._job_conditions()
        self.fts = self.dialect == "sqlite" and bool(filters.search)
        if filters.search and not self.fts:
            self.conditions.append(JOBS.c.report_id.in_(self._matching_reports()))

    def page_ids(self, connection: Connection, offset: int, limit: int) -> list[int]:
        """Return the ids of the jobs on one page, in display order."""
        if self.filters.sort == "cost" and not self.fts:
            return self._page_ids_by_cost(connection, offset, limit)
        statement = self._select_ids().order_by(*self._order_by())
        return self._ids(connection, statement.limit(limit).offset(offset))

    def rows(self, connection: Connection, job_ids: list[int]) -> list[HistoryRow]:
        """Return the full rows of ``job_ids``, in the order given."""
        if not job_ids:
            return []
        tokens = (
            REPORTS.c.prompt_tokens
            + REPORTS.c.output_tokens
            + REPORTS.c.thinking_tokens
        )
        statement = (
            select(
                JOBS.c.id.label("job_id"),
                JOBS.c.status,
                JOBS.c.progress,
                JOBS.c.stage,
                JOBS.c.message,
                JOBS.c.category,
                JOBS.c.topics,
                JOBS.c.writer,
                JOBS.c.model,
                JOBS.c.created_at,
                JOBS.c.started_at,
                JOBS.c.finished_at,
                self.run_seconds.label("run_seconds"),
                JOBS.c.schedule_id,
                JOBS.c.retry_of,
                REPORTS.c.id.label("report_id"),
                REPORTS.c.title.label("report_title"),
                REPORTS.c.deleted_at.label("report_deleted_at"),
                tokens.label("tokens"),
                REPORTS.c.cost_usd,
            )
            .select_from(JOBS.outerjoin(REPORTS, REPORTS.c.id == JOBS.c.report_id))
            .where(JOBS.c.id.in_(job_ids))
        )
        by_id = {
            mapping["job_id"]: _row(mapping)
            for mapping in connection.execute(statement).mappings()
        }
        return [by_id[job_id] for job_id in job_ids if job_id in by_id]

    def count(self, connection: Connection) -> int:
        """Return how many jobs match, over all pages."""
        if not self.fts:
            statement = select(func.count()).select_from(JOBS).where(*self.conditions)
        elif not self.conditions:
            # No job filter, so the index alone counts the matching reports.
            statement = (
                select(func.count())
                .select_from(REPORT_SEARCH)
                .where(*self._fts_conditions())
            )
        else:
            # The matches as one list, checked per job; joined the other way
            # round, SQLite may run the full-text query once per job.
            matches = select(REPORT_SEARCH.c.rowid).where(*self._fts_conditions())
            statement = (
                select(func.count())
                .select_from(JOBS)
                .where(*self.conditions, JOBS.c.report_id.in_(matches))
            )
        return self._run(connection, statement).scalar_one()

    def _select_ids(self):
        if not self.fts:
            return select(JOBS.c.id).where(*self.conditions)
        # The full-text index drives: it yields matches newest first, and
        # each is joined to its job until the page is full.
        joined = REPORT_SEARCH.join(JOBS, JOBS.c.report_id == REPORT_SEARCH.c.rowid)
        if self.filters.sort == "cost":
            joined = joined.join(REPORTS, REPORTS.c.id == JOBS.c.report_id)
        return (
            select(JOBS.c.id)
            .select_from(joined)
            .where(*self.conditions, *self._fts_conditions())
        )

    def _page_ids_by_cost(
        self, connection: Connection, offset: int, limit: int
    ) -> list[int]:
        """Return one page sorted by cost: jobs with a report, then the rest.

        Walking the index on report cost and joining each report to its job
        reads one page of rows. An outer join sorted as a whole would read
        every job's report first.
        """

        def direction(expression: ColumnElement) -> ColumnElement:
            return expression.desc() if self.filters.descending else expression.asc()

        with_report = (
            select(JOBS.c.id)
            .select_from(REPORTS.join(JOBS, JOBS.c.report_id == REPORTS.c.id))
            .where(*self.conditions)
            .order_by(direction(REPORTS.c.cost_usd), direction(REPORTS.c.id))
        )
        reported = self._run(
            connection,
            select(func.count())
            .select_from(JOBS)
            .where(JOBS.c.report_id.is_not(None), *self.conditions),
        ).scalar_one()
        job_ids: list[int] = []
        if offset < reported:
            job_ids = self._ids(connection, with_report.limit(limit).offset(offset))
        if len(job_ids) < limit:
            without_report = (
                select(JOBS.c.id)
                .where(JOBS.c.report_id.is_(None), *self.conditions)
                .order_by(direction(JOBS.c.id))
                .limit(limit - len(job_ids))
                .offset(max(0, offset - reported))
            )
            job_ids += self._ids(connection, without_report)
        return job_ids

    def _ids(self, connection: Connection, statement) -> list[int]:
        return [job_id for (job_id,) in self._run(connection, statement)]

    def _order_by(self) -> list[ColumnElement]:
        sort, descending = self.filters.sort, self.filters.descending

        def direction(expression: ColumnElement) -> ColumnElement:
            return expression.desc() if descending else expression.asc()

        newest = REPORT_SEARCH.c.rowid if self.fts else JOBS.c.id
        if sort == "duration":
            return [direction(self.run_seconds).nulls_last(), direction(newest)]
        if sort == "cost":
            # Only searches get here: every match has a report.
            return [direction(REPORTS.c.cost_usd), direction(newest)]
        if sort == "relevance":
            if self.fts:
                # FTS5's rank is bm25(), lower for better matches.
                return [REPORT_SEARCH.c.rank.asc(), newest.desc()]
            return [newest.desc()]
        return [direction(newest)]

    def _fts_conditions(self) -> list[ColumnElement]:
        return [
            literal_column("report_search").op("MATCH")(
                bindparam("fts_query", fts_query(self.filters.search))
            ),
            REPORT_SEARCH.c.rowid.not_in(_deleted_report_ids()),
        ]

    def _matching_reports(self):
        """Return the ids of live reports matching the search, without FTS5."""
        words = search_words(self.filters.search)
        if self.dialect == "postgresql":
            document = func.to_tsvector("simple", _report_text())
            matches = document.op("@@")(func.plainto_tsquery("simple", " ".join(words)))
        else:
            matches = and_(
                *(
                    _report_text().ilike("%" + _escape_like(word) + "%", escape="\\")
                    for word in words
                )
            )
        return select(REPORTS.c.id).where(matches, REPORTS.c.deleted_at.is_(None))

    def _job_conditions(self) -> list[ColumnElement]:
        filters = self.filters
        conditions: list[ColumnElement] = []
        if filters.status is not None:
            conditions.append(JOBS.c.status == filters.status)
        if filters.category:
            conditions.append(JOBS.c.category == filters.category)
        if filters.topic:
            # A substring cannot use an index's order, but the index on topics
            # contains every value, so the scan reads it and not the job rows.
            pattern = "%" + _escape_like(filters.topic) + "%"
            if self.dialect == "sqlite":
                # SQLite's LIKE already ignores case (for ASCII, as lower()
                # does), and without lower() the scan stays in the index.
                matches = JOBS.c.topics.like(pattern, escape="\\")
            else:
                matches = JOBS.c.topics.ilike(pattern, escape="\\")
            matching = select(JOBS.c.id).where(matches)
            conditions.append(JOBS.c.id.in_(matching))
        if filters.writer:
            conditions.append(JOBS.c.writer == filters.writer)
        if filters.model:
            conditions.append(JOBS.c.model == filters.model)
        if filters.date_from is not None:
            conditions.append(JOBS.c.created_at >= _day_start(filters.date_from))
        if filters.date_to is not None:
            next_day = _day_start(filters.date_to + timedelta(days=1))
            conditions.append(JOBS.c.created_at < next_day)
        if filters.schedule_id is not None:
            conditions.append(JOBS.c.schedule_id == filters.schedule_id)
        return conditions

    def _run(self, connection: Connection, statement):
        try:
            return connection.execute(statement)
        except OperationalError as error:
            # fts_query quotes every word, so FTS5 should never reject a
            # search; if it does, the analyst still gets a sentence.
            if not self.fts or "fts5" not in str(error).lower():
                raise
            logger.error("Search %r failed in FTS5: %s", self.filters.search, error)
            raise InvalidRequest(
                f"The search '{self.filters.search[:40]}' could not be run. "
                "Search for plain words, or put a phrase in double quotes.",
                field="q",
            ) from None


def _deleted_report_ids():
    return select(REPORTS.c.id).where(REPORTS.c.deleted_at.is_not(None))


def run_seconds_expression(dialect: str) -> ColumnElement:
    """Return a job's run time in seconds as SQL; NULL until it has ended.

    On SQLite the expression matches the index ``ix_generationjob_run_seconds``
    term for term, which is what lets a sort by duration use it.
    """
    if dialect == "sqlite":
        return (
            func.julianday(JOBS.c.finished_at) - func.julianday(JOBS.c.started_at)
        ) * literal_column("86400.0")
    return func.extract("epoch", JOBS.c.finished_at - JOBS.c.started_at)


def _report_text() -> ColumnElement:
    parts = [
        func.coalesce(REPORTS.c[name], "")
        for name in ("title", "topics", "summary", "body")
    ]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + " " + part
    return joined


def _row(mapping: Mapping[str, Any]) -> HistoryRow:
    run_seconds = mapping["run_seconds"]
    return HistoryRow(
        job_id=mapping["job_id"],
        status=JobStatus(mapping["status"]),
        progress=mapping["progress"],
        stage=mapping["stage"],
        message=mapping["message"] or "",
        category=mapping["category"],
        topics=mapping["topics"],
        writer=mapping["writer"],
        model=mapping["model"],
        created_at=mapping["created_at"],
        started_at=mapping["started_at"],
        finished_at=mapping["finished_at"],
        run_seconds=None if run_seconds is None else round(float(run_seconds), 2),
        schedule_id=mapping["schedule_id"],
        retry_of=mapping["retry_of"],
        report_id=mapping["report_id"],
        report_title=mapping["report_title"] or "",
        report_deleted=mapping["report_deleted_at"] is not None,
        tokens=mapping["tokens"],
        cost_usd=mapping["cost_usd"],
    )


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _escape_like(text_: str) -> str:
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _last(value: str | list[str]) -> str:
    if isinstance(value, list):
        return str(value[-1]) if value else ""
    return str(value)
