"""Shared fixtures: a controllable clock, and databases on BOTH SQLite and PostgreSQL.

Every test that takes the `engine` (or anything built on it) runs twice, once per
backend. Each backend is migrated once per session with Alembic (so the migrations are
tested too) and emptied between tests.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from workflow.adapters.database import make_engine
from workflow.adapters.migrations import upgrade
from workflow.adapters.repository import _PROCEDURE_CACHE
from workflow.adapters.tables import metadata
import workflow.adapters.tables_fees  # noqa: F401  (the fee tables are emptied too)
import workflow.adapters.tables_originals  # noqa: F401  (and the originals transfers)
from workflow.services.importing.catalog import load
from workflow.domain.calendar import BusinessCalendar
from workflow.adapters.file_store import LocalFileStore
from workflow.services.context import Context

from tests.server_log import server_log_is_clean, watch_log  # noqa: F401  (autouse: every test)

HERE = Path(__file__).parent
FIXTURE_CATALOG = HERE / "fixtures" / "catalog"
PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(*args) -> datetime:
    """A moment in Hanoi time: vn(2026, 3, 2, 9, 0)."""
    return datetime(*args, tzinfo=VN)


class FakeClock:
    """The time the engine sees; tests move it forward by hand."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw) -> datetime:
        self.at += timedelta(**kw)
        return self.at


@contextmanager
def empty_pg_database(prefix: str):
    """A new, empty PostgreSQL database with a random name; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url():
    with empty_pg_database("motcua_test") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'motcua.db'}"
    upgrade(url)
    return url


_ENGINES: dict[str, object] = {}


def _empty(engine) -> None:
    """Empty every table. The audit trail refuses deletion (migration 0008): on PostgreSQL
    this session skips triggers for the one transaction; on SQLite the triggers are
    dropped and recreated from their own stored SQL."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                         "AND tbl_name IN ('dossier_events', 'payments')")).all()
            for name, _ in triggers:
                conn.execute(text(f"DROP TRIGGER {name}"))
            for t in tables:
                conn.execute(text(f"DELETE FROM {t}"))
            for _, sql in triggers:
                conn.exec_driver_sql(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    return request.getfixturevalue(f"{request.param}_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def engine(db_url):
    if db_url not in _ENGINES:
        _ENGINES[db_url] = make_engine(db_url)
    eng = _ENGINES[db_url]
    _empty(eng)
    # procedure ids restart in every emptied database: drop versions cached under old ids
    _PROCEDURE_CACHE.clear()
    yield eng


@pytest.fixture
def calendar():
    return BusinessCalendar()


@pytest.fixture
def clock():
    return FakeClock(vn(2026, 3, 2, 9, 0))  # a Monday morning


@pytest.fixture
def ctx(engine, calendar, clock, tmp_path):
    """Files go to a folder of the test's own (the S3 store is tested on its own)."""
    return Context(engine=engine, calendar=calendar, now=clock,
                   files=LocalFileStore(tmp_path / "files"))


@pytest.fixture
def catalog(engine):
    report = load(engine, [FIXTURE_CATALOG], now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert not report.errors, report.errors
    return report


def pytest_sessionfinish(session, exitstatus):
    for eng in _ENGINES.values():
        eng.dispose()


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """An S3-protocol server on 127.0.0.1 for the whole run (tests/object_store.py), with
    the credentials the S3 file store reads from the environment."""
    from tests.object_store import ACCESS, s3_server
    saved = {k: os.environ.get(k) for k in ACCESS}
    os.environ.update(ACCESS)
    try:
        with s3_server(tmp_path_factory.mktemp("s3") / "moto.log") as endpoint:
            yield endpoint
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
