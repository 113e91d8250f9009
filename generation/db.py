"""Database engine, connection pragmas, schema set-up and sessions.

One engine per database URL per process; every unit of work opens its own
short ``Session`` from it, so no session is ever shared between threads.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine, select

from generation import models
from generation.config import get_settings

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_POOL_SIZE = 20
SQLITE_POOL_OVERFLOW = 60

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()

# Modules that define tables besides generation.models; imported before
# create_all() so their tables exist.
TABLE_MODULES: list[str] = [
    "generation.tokens",
    "generation.trends.cache",
    "generation.scheduling.models",
    "generation.watchlists",
    "generation.webhooks.models",
]

# Indexes that let History filter and sort without reading report rows,
# which are large. The one on topics lets a substring filter scan the index
# rather than the jobs.
_HISTORY_INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_report_cost_usd ON report (cost_usd)",
    "CREATE INDEX IF NOT EXISTS ix_report_deleted_at ON report (deleted_at)",
    "CREATE INDEX IF NOT EXISTS ix_generationjob_topics ON generationjob (topics)",
    "CREATE INDEX IF NOT EXISTS ix_generationjob_writer ON generationjob (writer)",
    "CREATE INDEX IF NOT EXISTS ix_generationjob_model ON generationjob (model)",
    # The Dashboard's aggregates over a window of days read these alone.
    (
        "CREATE INDEX IF NOT EXISTS ix_generationjob_created_status "
        "ON generationjob (created_at, status)"
    ),
    (
        "CREATE INDEX IF NOT EXISTS ix_report_figures ON report (created_at, "
        "prompt_tokens, output_tokens, thinking_tokens, cost_usd, duration_seconds, "
        "topics)"
    ),
]
# Full-text index over reports for History's search box. An external-content
# FTS5 table stores only the index; triggers keep it in step with the report
# table. Soft deletes (deleted_at) do not touch the indexed columns, so the
# update trigger fires only for edits of the text itself.
REPORT_SEARCH_SQLITE = [
    (
        "CREATE VIRTUAL TABLE IF NOT EXISTS report_search USING fts5("
        "title, topics, summary, body, content='report', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS report_search_insert AFTER INSERT ON report BEGIN "
        "INSERT INTO report_search (rowid, title, topics, summary, body) "
        "VALUES (new.id, new.title, new.topics, new.summary, new.body); END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS report_search_delete AFTER DELETE ON report BEGIN "
        "INSERT INTO report_search (report_search, rowid, title, topics, summary, body) "
        "VALUES ('delete', old.id, old.title, old.topics, old.summary, old.body); END"
    ),
    (
        "CREATE TRIGGER IF NOT EXISTS report_search_update "
        "AFTER UPDATE OF title, topics, summary, body ON report BEGIN "
        "INSERT INTO report_search (report_search, rowid, title, topics, summary, body) "
        "VALUES ('delete', old.id, old.title, old.topics, old.summary, old.body); "
        "INSERT INTO report_search (rowid, title, topics, summary, body) "
        "VALUES (new.id, new.title, new.topics, new.summary, new.body); END"
    ),
    "INSERT INTO report_search (report_search) VALUES ('rebuild')",
    # History sorts jobs by run time; the expression must match the one in
    # generation.history for SQLite to use this index.
    (
        "CREATE INDEX IF NOT EXISTS ix_generationjob_run_seconds ON generationjob "
        "(((julianday(finished_at) - julianday(started_at)) * 86400.0))"
    ),
    *_HISTORY_INDEXES,
]
# PostgreSQL has no FTS5: History searches a tsvector of the same columns,
# and this GIN index on that expression keeps the search off a full scan.
REPORT_SEARCH_POSTGRESQL = [
    (
        "CREATE INDEX IF NOT EXISTS ix_report_search ON report USING gin "
        "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(topics, '') "
        "|| ' ' || coalesce(summary, '') || ' ' || coalesce(body, '')))"
    ),
    (
        "CREATE INDEX IF NOT EXISTS ix_generationjob_run_seconds ON generationjob "
        "((finished_at - started_at))"
    ),
    *_HISTORY_INDEXES,
]


def _create_report_search(connection: Connection) -> None:
    """Create the report search index and sort indexes for this database."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statements = REPORT_SEARCH_SQLITE
    elif dialect == "postgresql":
        statements = REPORT_SEARCH_POSTGRESQL
    else:
        logger.warning("No full-text index for %s; search scans the reports", dialect)
        return
    for statement in statements:
        connection.execute(text(statement))


# Ordered schema changes applied after the first schema: (version, steps).
# A step is SQL text, or a function of the connection when the SQL depends on
# the database. create_all() makes new tables; a change to an existing table
# goes here.
def _add_report_cost_and_prompt(connection: Connection) -> None:
    """Add the columns reports gained after the first schema, where missing."""
    present = {column["name"] for column in inspect(connection).get_columns("report")}
    json_type = "JSON" if connection.dialect.name == "sqlite" else "JSONB"
    if "stage_costs" not in present:
        connection.execute(
            text(f"ALTER TABLE report ADD COLUMN stage_costs {json_type}")
        )
    if "prompt" not in present:
        connection.execute(text("ALTER TABLE report ADD COLUMN prompt TEXT"))


def _add_outline_review(connection: Connection) -> None:
    """Add the outline-review status and the job columns it needs, where missing."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # SQLAlchemy stores the enum's names, in a native type on PostgreSQL.
        connection.execute(
            text("ALTER TYPE jobstatus ADD VALUE IF NOT EXISTS 'AWAITING_REVIEW'")
        )
    present = {
        column["name"] for column in inspect(connection).get_columns("generationjob")
    }
    json_type = "JSON" if dialect == "sqlite" else "JSONB"
    additions = {
        "outline": "TEXT NOT NULL DEFAULT ''",
        "outline_approved": "BOOLEAN NOT NULL DEFAULT FALSE",
        "outline_usage": f"{json_type} NOT NULL DEFAULT '{{}}'",
    }
    for name, column_type in additions.items():
        if name not in present:
            connection.execute(
                text(f"ALTER TABLE generationjob ADD COLUMN {name} {column_type}")
            )


MIGRATIONS: list[tuple[int, list[str | Callable[[Connection], None]]]] = [
    (1, [_create_report_search]),
    (2, [_add_report_cost_and_prompt]),
    (3, [_add_outline_review]),
]


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def get_engine(url: str | None = None) -> Engine:
    """Return this process's engine for ``url`` (default: the settings' URL)."""
    url = url or get_settings().database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
        return engine


def _create_engine(url: str) -> Engine:
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # check_same_thread is a SQLite-only flag: worker threads open their own
    # connections from the pool, and the flag would reject that.
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        },
        # Every worker, poller and timer thread may hold a connection at once;
        # SQLite connections are cheap, and waiting for one is what hurts.
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_OVERFLOW,
    )
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _set_sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_db(engine: Engine | None = None) -> Engine:
    """Create missing tables, apply migrations and seed categories; idempotent."""
    engine = engine or get_engine()
    for module in TABLE_MODULES:
        importlib.import_module(module)
    SQLModel.metadata.create_all(engine)
    _apply_migrations(engine)
    _seed_categories(engine)
    return engine


def _apply_migrations(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        )
        current = connection.execute(
            text("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        ).scalar_one()
        for version, statements in MIGRATIONS:
            if version <= current:
                continue
            for statement in statements:
                if callable(statement):
                    statement(connection)
                else:
                    connection.execute(text(statement))
            connection.execute(
                text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version}
            )
            logger.info("Applied schema migration %s", version)


def _seed_categories(engine: Engine) -> None:
    with Session(engine) as session:
        if session.exec(select(models.Category).limit(1)).first() is not None:
            return
        for name, trends_id in models.DEFAULT_CATEGORIES:
            session.add(models.Category(name=name, trends_category_id=trends_id))
        try:
            session.commit()
        except IntegrityError:
            # Another process seeded the same rows first.
            session.rollback()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """Open a short session that commits on success and rolls back on error."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
