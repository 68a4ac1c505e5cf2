"""Exactly one beat (bộ lập lịch) schedules, however many are started.

Two beats would send every periodic task twice: two deadline sweeps, two outbox relays.
The tasks are safe to run twice, but a city should not rely on that, and a second
machine should be able to run a beat as a standby that takes over when the first dies.

On PostgreSQL the beat takes a session-level advisory lock on its own connection before
it schedules anything; a second beat polls for the lock and waits. A beat that dies
(even by SIGKILL or a lost machine) drops its connection and with it the lock. If the
lock's connection breaks while the beat lives (a database restart), the beat exits with
status 1 rather than schedule without the lock; its supervisor starts it again.
The embedded SQLite setup runs on one machine and takes no lock.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

LOCK_KEY = 0x6D6F7463_75610001  # "motcua" + 1: the schedule's advisory lock
log = logging.getLogger("motcua.beat")


def _conninfo(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def hold_schedule(database_url: str, poll_seconds: float = 2.0, check_seconds: float = 10.0):
    """Block until this process holds the schedule; returns the connection holding it
    (None without PostgreSQL). A watcher thread keeps checking that connection."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    conn = psycopg.connect(_conninfo(database_url), autocommit=True,
                           application_name="motcua-beat-lock")
    waiting = False
    while not conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
        if not waiting:
            log.warning("another beat holds the schedule: this one waits as a standby")
            waiting = True
        time.sleep(poll_seconds)
    log.warning("this beat holds the schedule")
    threading.Thread(target=_watch, args=(conn, check_seconds), name="beat-lock-watch",
                     daemon=True).start()
    return conn


def _watch(conn: psycopg.Connection, every: float) -> None:
    while True:
        time.sleep(every)
        try:
            conn.execute("SELECT 1")
        except psycopg.Error as exc:
            log.error("lost the schedule lock's connection (%s): stopping this beat", exc)
            logging.shutdown()
            os._exit(1)
