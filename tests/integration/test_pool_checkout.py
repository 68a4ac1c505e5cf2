"""A pooled PostgreSQL connection the server closed is replaced at checkout, without the
round trip of a pre-ping (workflow.adapters.database._closed_while_pooled)."""
from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL
from workflow.adapters.database import make_engine


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_terminated_while_pooled_is_replaced(pg_url):
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        pid = _backend_pid(engine)  # now idle in the pool
        with admin.connect() as conn:  # what a restart or failover does to every backend
            assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        time.sleep(0.2)  # the server's goodbye reaches the client's socket
        assert _backend_pid(engine) != pid  # a fresh connection, no error
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()
        admin.dispose()


def test_a_healthy_pooled_connection_is_reused(pg_url):
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        assert _backend_pid(engine) == _backend_pid(engine)
    finally:
        engine.dispose()
