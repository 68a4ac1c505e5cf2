"""Failed-login counters (khóa đăng nhập tạm thời) after OWASP's "Slow Down Online Guessing
Attacks with Device Cookies": failures are counted per *device* (a browser that has signed in
to the account before, web/staff/device_cookie.py) and, for every other client together,
per *account from untrusted clients*. A stranger can lock out only the untrusted clients of
an account, never the owner's own browser; and an unknown username is counted exactly like
a real one, so neither the answer nor its timing tells which accounts exist.

A subject is stored as a SHA-256 digest, never as typed (people type passwords into the
username field). Each attempt first *reserves* its place in the count in one atomic
statement (INSERT … ON CONFLICT … RETURNING), and only the first `max_failures`
reservations of a window reach the password check: twenty simultaneous guesses get no more
checks than twenty in a row. A success gives its reservation back.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.engine import Connection

from .repository import _upsert
from .tables import TS, login_throttles

UNTRUSTED = "untrusted"  # every client without a valid device cookie for the account
DEVICE = "device"        # one browser that signed in to the account before


def subject_key(kind: str, subject: str) -> str:
    return hashlib.sha256(f"{kind}:{subject}".encode()).hexdigest()


def reserve(conn: Connection, key: str, now: datetime, window: timedelta) -> int:
    """Count one attempt (atomically) and return its place in the count, itself included;
    a window that has ended starts again at one."""
    t = login_throttles
    live, ends = t.c.window_ends > now, literal(now + window, TS)
    stmt = _upsert(conn)(t).values(key=key, failures=1, window_ends=now + window)
    stmt = stmt.on_conflict_do_update(index_elements=[t.c.key], set_=dict(
        failures=case((live, t.c.failures + 1), else_=1),
        window_ends=case((live, t.c.window_ends), else_=ends)))
    return conn.execute(stmt.returning(t.c.failures)).scalar_one()


def lock(conn: Connection, key: str, until: datetime) -> None:
    """The attempt that reached the limit failed: held until `until`."""
    conn.execute(update(login_throttles).where(login_throttles.c.key == key)
                 .values(window_ends=until))


def give_back(conn: Connection, key: str) -> None:
    """A success: its reservation was not a failure."""
    t = login_throttles
    conn.execute(update(t).where(t.c.key == key, t.c.failures > 0)
                 .values(failures=t.c.failures - 1))


def clear(conn: Connection, key: str) -> None:
    conn.execute(delete(login_throttles).where(login_throttles.c.key == key))


def locked_accounts(conn: Connection, usernames, now: datetime, max_failures: int) -> dict:
    """username -> end of its lock-out for untrusted clients, for the accounts page."""
    keys = {subject_key(UNTRUSTED, u): u for u in usernames}
    if not keys:
        return {}
    t = login_throttles
    rows = conn.execute(select(t.c.key, t.c.window_ends).where(
        t.c.key.in_(list(keys)), t.c.failures >= max_failures, t.c.window_ends > now))
    return {keys[r.key]: r.window_ends for r in rows}


def prune(conn: Connection, now: datetime) -> int:
    """Forget counts whose window has ended (the daily sweep calls this)."""
    return conn.execute(delete(login_throttles).where(login_throttles.c.window_ends <= now)).rowcount
