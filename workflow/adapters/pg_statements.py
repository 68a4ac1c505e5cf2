"""Plain-SQL statements for PostgreSQL's hot path: an intake or a transition in ONE statement.

Why: through SQLAlchemy's execution layer a transition cost ~1.3 ms of client CPU, mostly
per-statement bookkeeping and round trips (each ~70 µs of client CPU on its own), against
~0.6 ms of server work. Here the dossier row, its events (nhật ký xử lý), its outbox
messages, its visits (lượt đến) and its guidance failures are written by one statement of
data-modifying CTEs: the side rows are inserted from the row the first CTE returns, so when
a version-guarded UPDATE takes no row, nothing else is written either, and a final guard
fails the statement.

Statements are spelled per count of side rows, with scalar parameters (dumping arrays
cost more client CPU than the rest of the write), and cached: a handful of shapes exist.

A statement that SQLAlchemy Core can spell is written once, in Core, and `compiled` here
into PostgreSQL's text for this path: the same definition drives both dialects, and the
speed comes from the execution path, not from the spelling. The rest (the data-modifying
CTEs, the events read as one JSON array) are checked against the Core path by
tests/integration/test_hot_path_equivalence.py.
"""
from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

import psycopg
from psycopg.types.json import Json
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

STALE = "stale dossier version"  # the guard's failing text, recognised by the repository
_EVENT = (("seq", "int"), ("at", "timestamptz"), ("actor", "text"), ("action", "text"),
          ("from_state", "text"), ("to_state", "text"), ("step", "text"), ("note", "text"),
          ("data", "json"))
_FAILURE = (("at", "timestamptz"), ("clerk", "text"), ("document", "text"), ("stage", "text"))
_VISIT = (("at", "timestamptz"), ("kind", "text"), ("channel", "text"), ("trip", "int"),
          ("served_by", "text"))


def run(conn: Connection, sql: str, params, row_factory=None):
    """Run plain SQL on the psycopg connection under `conn` (same transaction), prepared
    server-side. A transition is the hot path: through SQLAlchemy's execution layer it
    cost twice the client CPU. Driver errors come out as SQLAlchemy's (IntegrityError,
    OperationalError...), as from `conn.execute`; a lost connection is invalidated."""
    dbapi_conn = conn.connection.dbapi_connection
    raw, names = _raw(sql)
    try:
        cursor = psycopg.RawCursor(dbapi_conn, row_factory=row_factory)  # None: the connection's
        return cursor.execute(raw, [params[n] for n in names] if names else params, prepare=True)
    except psycopg.Error as exc:
        lost = conn.dialect.is_disconnect(exc, dbapi_conn, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, psycopg.Error, hide_parameters=True,
                                  connection_invalidated=lost, dialect=conn.dialect) from exc


class Compiled:
    """A Core statement as PostgreSQL text with `%(name)s` placeholders, and the values
    Core bound itself (a LIMIT, a literal in VALUES)."""

    __slots__ = ("sql", "defaults")
    _DIALECT = PGDialect_psycopg()

    def __init__(self, statement):
        compiled = statement.compile(dialect=self._DIALECT)
        self.sql = str(compiled)
        self.defaults = {k: v for k, v in compiled.params.items() if v is not None}

    def run(self, conn: Connection, params: dict, row_factory=None):
        return run(conn, self.sql, {**self.defaults, **params} if self.defaults else params,
                   row_factory)


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


@lru_cache(maxsize=512)
def _raw(sql: str) -> tuple[str, tuple[str, ...]]:
    """psycopg's `%(name)s` / `%s` placeholders turned into PostgreSQL's `$n`, once per
    statement text. psycopg parses a statement with more than 50 parameters (an intake's)
    on every execution; a raw cursor takes `$n` as they are. Returns the text and the
    parameter names in `$n` order (empty for positional parameters)."""
    names: list[str] = []
    positional = 0

    def number(m: re.Match) -> str:
        nonlocal positional
        if m.group(0) == "%%":
            return "%"
        if m.group(1) is None:
            positional += 1
            return f"${positional}"
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"

    raw = _PLACEHOLDER.sub(number, sql)
    if names and positional:
        raise ValueError("a statement takes either named or positional parameters")
    return raw, tuple(names)


def _values_list(prefix: str, columns, n: int) -> str:
    return ", ".join("(" + ", ".join(f"%({prefix}{i}_{c})s::{t}" for c, t in columns) + ")"
                     for i in range(n))


def _side_rows(anchor: str, n_events: int, n_messages: int, n_visits: int, n_failures: int) -> str:
    """The CTEs inserting the side rows for the dossier row that `anchor` returns."""
    sql = ""
    if n_events:
        names = ", ".join(c for c, _ in _EVENT)
        sql += (f", ev AS (INSERT INTO dossier_events (dossier_id, {names})"
                f" SELECT {anchor}.id, e.* FROM {anchor}, (VALUES {_values_list('e', _EVENT, n_events)})"
                f" AS e ({names}))")
    if n_messages:
        sql += (", ob AS (INSERT INTO outbox (topic, payload, created_at, available_at, attempts)"
                f" SELECT m.topic, m.payload, %(now)s, %(now)s, 0 FROM {anchor},"
                f" (VALUES {_values_list('m', (('topic', 'text'), ('payload', 'json')), n_messages)})"
                " AS m (topic, payload))")
    if n_visits:
        names = ", ".join(c for c, _ in _VISIT)
        sql += (f", vi AS (INSERT INTO visits (dossier_id, agency, procedure_code, {names})"
                f" SELECT {anchor}.id, %(v_agency)s, %(v_procedure_code)s, v.* FROM {anchor},"
                f" (VALUES {_values_list('v', _VISIT, n_visits)}) AS v ({names}))")
    if n_failures:
        names = ", ".join(c for c, _ in _FAILURE)
        sql += (f", gf AS (INSERT INTO guidance_failures (dossier_id, agency, procedure_code, {names})"
                f" SELECT {anchor}.id, %(v_agency)s, %(v_procedure_code)s, f.* FROM {anchor},"
                f" (VALUES {_values_list('f', _FAILURE, n_failures)}) AS f ({names}))")
    return sql


@lru_cache(maxsize=256)
def save_statement(columns: tuple[str, ...], n_events: int, n_messages: int, n_visits: int,
                   n_failures: int) -> str:
    """The transition: UPDATE of `columns` guarded by the version read, side rows, then
    the guard; the sweep's levels are reset for a due moment among the columns."""
    sets = ", ".join(f"{c} = %({c})s" for c in columns)
    # a new due moment is a new deadline: the sweep may escalate it afresh
    sets += "".join(f", {level} = CASE WHEN {due} IS DISTINCT FROM %({due})s THEN 0 ELSE {level} END"
                    for due, level in (("due_at", "due_level"), ("step_due_at", "step_due_level"))
                    if due in columns)
    return (f"WITH u AS (UPDATE dossiers SET {sets}"
            " WHERE id = %(b_id)s AND version = %(b_version)s RETURNING id)"
            + _side_rows("u", n_events, n_messages, n_visits, n_failures)
            + f" SELECT (CASE WHEN count(*) = 1 THEN '1' ELSE '{STALE}' END)::int FROM u")


@lru_cache(maxsize=256)
def insert_statement(columns: tuple[str, ...], n_events: int, n_messages: int, n_visits: int,
                     n_failures: int) -> str:
    """The intake: INSERT the dossier row, side rows; returns the new id."""
    return (f"WITH d AS (INSERT INTO dossiers ({', '.join(columns)})"
            f" VALUES ({', '.join(f'%({c})s' for c in columns)}) RETURNING id)"
            + _side_rows("d", n_events, n_messages, n_visits, n_failures) + " SELECT id FROM d")


def side_row_params(d, now: datetime) -> dict:
    """The parameters of `_side_rows` for a dossier's pending events, messages, visits
    and guidance failures."""
    p = {"now": now, "v_agency": d.receiving_agency, "v_procedure_code": d.procedure.code}
    for i, e in enumerate(d.pending_events):
        p.update({f"e{i}_seq": e.seq, f"e{i}_at": e.at, f"e{i}_actor": e.actor,
                  f"e{i}_action": e.action, f"e{i}_from_state": e.from_state,
                  f"e{i}_to_state": e.to_state, f"e{i}_step": e.step, f"e{i}_note": e.note,
                  f"e{i}_data": Json(e.data)})
    for i, m in enumerate(d.pending_messages):
        p.update({f"m{i}_topic": m.topic, f"m{i}_payload": Json(m.payload)})
    for i, v in enumerate(d.pending_visits):
        p.update({f"v{i}_at": v.at, f"v{i}_kind": v.kind, f"v{i}_channel": v.channel,
                  f"v{i}_trip": int(v.is_trip), f"v{i}_served_by": v.served_by})
    for i, f in enumerate(d.pending_failures):
        p.update({f"f{i}_at": f.at, f"f{i}_clerk": f.clerk, f"f{i}_document": f.document,
                  f"f{i}_stage": f.stage})
    return p


def shape(d) -> tuple[int, int, int, int]:
    return len(d.pending_events), len(d.pending_messages), len(d.pending_visits), len(d.pending_failures)


def with_json(values: dict, json_columns: frozenset[str]) -> dict:
    """Wrap the JSON columns' values (a bare list would be dumped as an array)."""
    for name in json_columns.intersection(values):
        values[name] = Json(values[name])
    return values
