"""Database engine, connection pragmas, schema set-up and sessions.

One engine per database URL per process; every unit of work opens its own
short ``Session`` from it, so no session is ever shared between threads.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, create_engine, select

from generation import models
from generation.config import get_settings

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000

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

# Ordered schema changes applied after the first schema: (version, SQL list).
# create_all() makes new tables; a change to an existing table goes here.
MIGRATIONS: list[tuple[int, list[str]]] = []


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
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
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
