"""Engine creation: one place that knows SQLite's and PostgreSQL's connection quirks."""
from __future__ import annotations

import select
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.engine import Engine, make_url


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 10, echo: bool = False,
                pool_timeout: float = 30, pool_recycle: int = -1) -> Engine:
    """Build an engine; SQLite gets WAL, a busy timeout and IMMEDIATE write transactions
    so two writers queue instead of failing with 'database is locked' mid-transaction.
    Server databases get a bounded pool, checked at checkout (a connection PostgreSQL or a
    proxy closed is replaced, not handed out) and recycled after `pool_recycle` seconds."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take effect
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow,
                           pool_timeout=pool_timeout, pool_recycle=pool_recycle)
    event.listen(engine, "checkout", _closed_while_pooled)
    return engine


def _closed_while_pooled(dbapi_conn, _record, _proxy) -> None:
    """The pre-ping without its round trip: a connection idle in the pool has nothing to
    read, so a readable socket means the server closed or terminated it (a restart, a
    failover, idle_session_timeout). The pool then replaces it with a fresh connection.
    A `SELECT 1` per checkout (pool_pre_ping) was one round trip in seven of a transition."""
    if dbapi_conn.closed:
        raise DisconnectionError("the connection is closed")
    poller = select.poll()  # not select.select: no limit on the descriptor number
    poller.register(dbapi_conn.fileno(), select.POLLIN)
    if poller.poll(0):
        raise DisconnectionError("the server closed this pooled connection")
