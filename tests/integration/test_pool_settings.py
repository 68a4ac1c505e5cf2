"""The connection-pool settings reach the engine every process builds (PostgreSQL: SQLite
has no pool to size): a bounded pool waits DB_POOL_TIMEOUT then fails instead of opening
more connections than scaling out planned for, and connections are recycled after
DB_POOL_RECYCLE seconds (before a firewall or a proxy drops them idle)."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import exc, text

from config import get_config
from workflow.bootstrap import build_context


def engine_from(pg_url, **settings):
    base = {k: getattr(get_config("testing"), k) for k in dir(get_config("testing")) if k.isupper()}
    return build_context({**base, "DATABASE_URL": pg_url, **settings}).engine


def backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_full_pool_waits_the_timeout_then_refuses(pg_url):
    engine = engine_from(pg_url, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT=0.5)
    try:
        with engine.connect():
            began = time.monotonic()
            with pytest.raises(exc.TimeoutError):
                engine.connect()
            assert 0.4 < time.monotonic() - began < 5
        assert backend_pid(engine)  # returned to the pool, usable again
    finally:
        engine.dispose()


def test_connections_are_recycled_after_the_setting(pg_url):
    engine = engine_from(pg_url, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_RECYCLE=1)
    try:
        first = backend_pid(engine)
        assert backend_pid(engine) == first  # pooled
        time.sleep(1.2)
        assert backend_pid(engine) != first
    finally:
        engine.dispose()

