"""Repositories over SQLAlchemy Core: dossiers, procedures, users, sequences, outbox.

Rows are mapped to domain objects by hand (no ORM identity map): it is the cheapest way
to keep the domain free of SQLAlchemy and to write a transition as one UPDATE guarded
by the version column plus one INSERT per event. On PostgreSQL the hot path (read a
dossier, take one in, write a transition, draw a code) is plain SQL (pg_statements).
"""
from __future__ import annotations

import threading
from collections import namedtuple
from datetime import date, datetime, timezone

import psycopg
from sqlalchemy import JSON, and_, bindparam, case, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from workflow.catalog.schema import ProcedureIn, to_domain
from workflow.domain.clock import Clock
from workflow.domain.dossier import Applicant, Dossier, Event, Filer
from workflow.domain.errors import Conflict
from workflow.domain.procedure import Procedure

from . import pg_statements as pg
from .tables import dossier_events, dossier_sequences, dossiers, outbox, procedures
from .tables_followup import guidance_failures, visits

# statements built once: a transition is on the hot path, and rebuilding a statement with
# inline values each time costs more CPU than the round trip it sends
_INSERT_DOSSIER = insert(dossiers).returning(dossiers.c.id)
_SAVE_DOSSIER = update(dossiers).where(
    dossiers.c.id == bindparam("b_id"), dossiers.c.version == bindparam("b_version")
).values(  # a new due moment is a new deadline: the sweep may escalate it afresh
    due_level=case((dossiers.c.due_at.is_distinct_from(bindparam("b_due_at")), 0),
                   else_=dossiers.c.due_level),
    step_due_level=case((dossiers.c.step_due_at.is_distinct_from(bindparam("b_step_due_at")), 0),
                        else_=dossiers.c.step_due_level))
_INSERT_EVENTS = insert(dossier_events)
_INSERT_OUTBOX = insert(outbox)
_GET_DOSSIER = select(dossiers).where(dossiers.c.code == bindparam("code"))
_FOR_KEY = select(dossiers.c.code, dossiers.c.idempotency_fingerprint).where(
    dossiers.c.idempotency_key == bindparam("key"))
_EVENTS = select(dossier_events).where(
    dossier_events.c.dossier_id == bindparam("dossier_id")).order_by(dossier_events.c.seq)
_CURRENT_PROCEDURE = select(procedures.c.id).where(
    procedures.c.code == bindparam("code"), procedures.c.is_current.is_(True),
    procedures.c.effective_from <= bindparam("on"),
    procedures.c.effective_to.is_(None) | (procedures.c.effective_to >= bindparam("on"))
).order_by(procedures.c.effective_from.desc()).limit(1)
_NEXT_SEQUENCE = {  # per dialect: the upsert is spelled alike, compiled apart
    name: dialect.insert(dossier_sequences).values(
        agency=bindparam("agency"), day=bindparam("day"), last=1).on_conflict_do_update(
        index_elements=["agency", "day"], set_={"last": dossier_sequences.c.last + 1}
    ).returning(dossier_sequences.c.last)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
# PostgreSQL hot path (pg_statements): plain SQL through the psycopg connection under the
# SQLAlchemy one, in the same transaction.
_COLUMNS = [c.name for c in dossiers.columns]
_JSON_COLUMNS = frozenset(c.name for c in dossiers.columns if isinstance(c.type, JSON))
_STATE_COLUMNS = ("status", "step_code", "step_agency", "documents", "missing_documents", "flags",
                  "visits", "supplement_trips", "received_at", "due_at", "appointment_at",
                  "result_ready_at", "closed_at", "handed_over_at", "clock_budget", "clock_used", "clock_since",
                  "step_budget", "step_used", "step_since", "step_started_at", "step_due_at",
                  "received_by", "repeat_visit", "guidance", "postponed_to", "postponed_reason",
                  "step_officers", "step_officer", "return_by", "tracking_number", "return_at", "last_seq",
                  "version")
_Row = namedtuple("_Row", _COLUMNS)  # the row class, built once (psycopg's namedtuple_row
# rebuilds its key from the description of every result)
_PG_GET = pg.Compiled(_GET_DOSSIER)
_HistoryRow = namedtuple("_HistoryRow", [*_COLUMNS, "history"])
_PG_GET_WITH_HISTORY = (  # the events as one JSON array, read by the dossier's key
    f"SELECT {', '.join(_COLUMNS)}, (SELECT coalesce(json_agg(json_build_array(e.seq, e.at,"
    " e.actor, e.action, e.from_state, e.to_state, e.step, e.note, e.data) ORDER BY e.seq),"
    " '[]') FROM dossier_events e WHERE e.dossier_id = dossiers.id) FROM dossiers WHERE code = %s")
_PG_CURRENT_PROCEDURE = pg.Compiled(_CURRENT_PROCEDURE)
_PG_NEXT_SEQUENCE = pg.Compiled(_NEXT_SEQUENCE["postgresql"])
_PROCEDURE_CACHE: dict[int, Procedure] = {}   # versions never change once stored
_CACHE_LOCK = threading.Lock()


def _row_factory(_cursor):
    return _Row._make


def _history_row_factory(_cursor):
    return _HistoryRow._make


def _upsert(conn: Connection):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)


class ProcedureRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def by_id(self, procedure_id: int) -> Procedure:
        cached = _PROCEDURE_CACHE.get(procedure_id)
        if cached is None:
            row = self.conn.execute(select(procedures.c.definition, procedures.c.version)
                                    .where(procedures.c.id == procedure_id)).one()
            cached = to_domain(ProcedureIn.model_validate(row.definition), row.version)
            with _CACHE_LOCK:
                _PROCEDURE_CACHE[procedure_id] = cached
        return cached

    def current(self, code: str, on: date) -> tuple[int, Procedure] | None:
        """The version of `code` in force on a day (latest effective_from <= day)."""
        if self.conn.dialect.name == "postgresql":  # on every intake: the plain-SQL path
            row = _PG_CURRENT_PROCEDURE.run(self.conn, dict(code=code, on=on)).fetchone()
        else:
            row = self.conn.execute(_CURRENT_PROCEDURE, dict(code=code, on=on)).first()
        return (row[0], self.by_id(row[0])) if row else None

    def store(self, parsed: ProcedureIn, now: datetime) -> tuple[str, int]:
        """Store a version if its content is new: returns ('unchanged'|'created'|'updated', version)."""
        c = procedures.c
        latest = self.conn.execute(
            select(c.id, c.version, c.fingerprint).where(
                c.code == parsed.code, c.effective_from == parsed.effective_from)
            .order_by(c.version.desc()).limit(1)).first()
        fingerprint = parsed.fingerprint()
        if latest and latest.fingerprint == fingerprint:
            return "unchanged", latest.version
        version = latest.version + 1 if latest else 1
        if latest:
            self.conn.execute(update(procedures).where(
                c.code == parsed.code, c.effective_from == parsed.effective_from).values(is_current=False))
        self.conn.execute(insert(procedures).values(
            code=parsed.code, version=version, effective_from=parsed.effective_from,
            effective_to=parsed.effective_to, name=parsed.name, agency=parsed.agency,
            fingerprint=fingerprint, definition=parsed.model_dump(mode="json"), is_current=True,
            loaded_at=now))
        return ("updated" if latest else "created"), version


def _filer_values(f: Filer | None) -> dict:
    return dict(filer_name=f.name if f else None, filer_phone=f.phone if f else None,
                filer_email=f.email if f else None, filer_id_number=f.id_number if f else None)


class DossierRepository:
    def __init__(self, conn: Connection, procedures_repo: ProcedureRepository):
        self.conn = conn
        self.procedures = procedures_repo
        self._pg = conn.dialect.name == "postgresql"
        self._stored: dict[int, tuple] = {}  # PostgreSQL: the row each dossier was read from

    # -- codes -------------------------------------------------------------------------
    def next_sequence(self, agency: str, day: date) -> int:
        """Next number in the agency's daily sequence; the row lock held until commit
        makes concurrent intakes queue, so a code is never handed out twice."""
        if self._pg:
            return _PG_NEXT_SEQUENCE.run(self.conn, dict(agency=agency, day=day)).fetchone()[0]
        return self.conn.execute(_NEXT_SEQUENCE[self.conn.dialect.name],
                                 dict(agency=agency, day=day)).scalar_one()

    # -- reading -----------------------------------------------------------------------
    def get(self, code: str) -> Dossier | None:
        if self._pg:
            row = _PG_GET.run(self.conn, dict(code=code), _row_factory).fetchone()
            return self._read(row) if row else None
        row = self.conn.execute(_GET_DOSSIER, dict(code=code)).first()
        return self._to_domain(row) if row else None

    def get_with_history(self, code: str) -> tuple[Dossier | None, list[Event]]:
        """The dossier and its events; on PostgreSQL in one statement (one round trip)."""
        if not self._pg:
            dossier = self.get(code)
            return dossier, (self.events(dossier.id) if dossier else [])
        row = pg.run(self.conn, _PG_GET_WITH_HISTORY, (code,), _history_row_factory).fetchone()
        if row is None:
            return None, []
        return self._read(row), [
            Event(seq, datetime.fromisoformat(at).astimezone(timezone.utc), actor, action, source,
                  target, step, note, data or {})
            for seq, at, actor, action, source, target, step, note, data in row.history]

    def for_key(self, idempotency_key: str):
        """(code, fingerprint of the first request) of the dossier made with this key, or None."""
        return self.conn.execute(_FOR_KEY, dict(key=idempotency_key)).first()

    def events(self, dossier_id: int) -> list[Event]:
        rows = self.conn.execute(_EVENTS, dict(dossier_id=dossier_id))
        return [Event(r.seq, r.at, r.actor, r.action, r.from_state, r.to_state, r.step, r.note,
                      r.data or {}) for r in rows]

    def _read(self, row) -> Dossier:
        d = self._to_domain(row)
        self._stored[d.id] = row
        return d

    def _to_domain(self, r) -> Dossier:
        proc = self.procedures.by_id(r.procedure_id).for_case(r.case_code)
        if r.competent_unit in proc.competent_units:  # settled by one of its units
            proc = proc.for_unit(r.competent_unit)
        d = Dossier(
            id=r.id, code=r.code, procedure=proc,
            applicant=Applicant(r.applicant_name, r.applicant_id_number, r.applicant_phone,
                                r.applicant_email),
            channel=r.channel, status=r.status, step_index=proc.step_index(r.step_code) if r.step_code else None,
            documents=list(r.documents), missing_documents=list(r.missing_documents),
            created_at=r.created_at, received_at=r.received_at, due_at=r.due_at,
            appointment_at=r.appointment_at, result_ready_at=r.result_ready_at, closed_at=r.closed_at,
            handed_over_at=r.handed_over_at,
            clock=Clock(r.clock_budget, r.clock_used, r.clock_since) if r.clock_budget is not None else None,
            step_clock=Clock(r.step_budget, r.step_used, r.step_since) if r.step_budget is not None else None,
            step_started_at=r.step_started_at, step_due_at=r.step_due_at, visits=r.visits,
            supplement_trips=r.supplement_trips, flags=list(r.flags), version=r.version,
            received_by=r.received_by, guidance=list(r.guidance or []), postponed_to=r.postponed_to,
            postponed_reason=r.postponed_reason, step_officers=dict(r.step_officers or {}),
            return_by=r.return_by, return_address=r.return_address, tracking_number=r.tracking_number,
            filer=Filer(r.filer_name, r.filer_phone, r.filer_email, r.filer_id_number)
            if r.filer_name else None,
            notify=tuple((r.notify or "applicant").split(",")),
            receiving_point=r.agency if r.agency != proc.agency else None,
            return_at=r.return_at if r.return_at not in (None, r.agency) else None,
            last_seq=r.last_seq, procedure_id=r.procedure_id)
        return d

    # -- writing -----------------------------------------------------------------------
    @staticmethod
    def _values(d: Dossier) -> dict:
        step = d.current_step
        clock, sclock = d.clock, d.step_clock
        return dict(
            status=d.status, step_code=step.code if step else None,
            step_agency=step.agency if step and d.status in ("in_progress", "supplement_requested") else None,
            documents=d.documents, missing_documents=d.missing_documents, flags=d.flags,
            visits=d.visits, supplement_trips=d.supplement_trips, received_at=d.received_at,
            due_at=d.due_at, appointment_at=d.appointment_at, result_ready_at=d.result_ready_at,
            closed_at=d.closed_at, handed_over_at=d.handed_over_at,
            clock_budget=clock.budget if clock else None, clock_used=clock.used if clock else None,
            clock_since=clock.running_since if clock else None,
            step_budget=sclock.budget if sclock else None, step_used=sclock.used if sclock else None,
            step_since=sclock.running_since if sclock else None,
            step_started_at=d.step_started_at, step_due_at=d.step_due_at,
            received_by=d.received_by, repeat_visit=d.repeat_visit, guidance=d.guidance,
            postponed_to=d.postponed_to, postponed_reason=d.postponed_reason,
            # the officer by step, and the current step's for the dashboard's covering index
            step_officers=dict(d.step_officers), step_officer=d.step_officer,
            # the channel the result went back by, and the post's number (return_result)
            return_by=d.return_by, tracking_number=d.tracking_number, return_at=d.return_point,
            last_seq=d.last_seq, version=d.version)

    def add(self, d: Dossier, procedure_id: int, idempotency_key: str | None = None,
            fingerprint: str | None = None) -> None:
        a = d.applicant
        row = dict(
            code=d.code, procedure_id=procedure_id, procedure_code=d.procedure.code,
            case_code=d.procedure.case,
            agency=d.receiving_agency, competent_unit=d.competent_unit, channel=d.channel,
            applicant_name=a.name,
            applicant_id_number=a.id_number, applicant_phone=a.phone, applicant_email=a.email,
            return_address=d.return_address, notify=",".join(d.notify),
            **_filer_values(d.filer), created_at=d.created_at, idempotency_key=idempotency_key,
            idempotency_fingerprint=fingerprint, **self._values(d))
        if self._pg:
            return self._add_pg(d, row)
        d.id = self.conn.execute(_INSERT_DOSSIER, row).scalar_one()
        self._flush_side_rows(d)

    def save(self, d: Dossier, expected_version: int) -> None:
        """Write the new state only if nobody else wrote since we read it."""
        if self._pg:
            return self._save_pg(d, expected_version)
        result = self.conn.execute(_SAVE_DOSSIER, dict(
            self._values(d), b_id=d.id, b_version=expected_version, b_due_at=d.due_at,
            b_step_due_at=d.step_due_at))
        if result.rowcount != 1:
            raise Conflict(f"dossier {d.code} was changed by someone else; reload and retry")
        self._flush_side_rows(d)

    def _save_pg(self, d: Dossier, expected_version: int) -> None:
        """The transition in one statement (pg_statements): in a one-statement unit of
        work it is its own transaction, so a transition is two round trips (read, write).
        Only the columns whose value differs from the row it was read from are set (a
        forward changes about ten of thirty): a column left out keeps an equal value."""
        values = self._values(d)
        row = self._stored.pop(d.id, None)
        if row is not None:  # write what changed: fewer values to send, JSON to dump
            values = {k: v for k, v in values.items() if k == "version" or getattr(row, k) != v}
        values = pg.with_json(values, _JSON_COLUMNS)
        statement = pg.save_statement(tuple(values), *pg.shape(d))
        values.update(pg.side_row_params(d, datetime.now(timezone.utc)),
                      b_id=d.id, b_version=expected_version)
        try:
            pg.run(self.conn, statement, values)
        except DBAPIError as exc:
            if not (isinstance(exc.orig, psycopg.errors.InvalidTextRepresentation)
                    and pg.STALE in str(exc.orig)):
                raise
            raise Conflict(f"dossier {d.code} was changed by someone else; reload and retry") from None
        self._sent(d)

    def _add_pg(self, d: Dossier, row: dict) -> None:
        """The intake in one statement: the row, its events, messages, visits, failures."""
        values = pg.with_json(row, _JSON_COLUMNS)
        statement = pg.insert_statement(tuple(values), *pg.shape(d))
        values.update(pg.side_row_params(d, datetime.now(timezone.utc)))
        d.id = pg.run(self.conn, statement, values).fetchone()[0]
        self._sent(d)

    @staticmethod
    def _sent(d: Dossier) -> None:
        d.pending_events.clear()
        d.pending_messages.clear()
        d.pending_visits.clear()
        d.pending_failures.clear()

    def _flush_side_rows(self, d: Dossier) -> None:
        if d.pending_events:
            self.conn.execute(_INSERT_EVENTS, [
                dict(dossier_id=d.id, seq=e.seq, at=e.at, actor=e.actor, action=e.action,
                     from_state=e.from_state, to_state=e.to_state, step=e.step, note=e.note,
                     data=e.data) for e in d.pending_events])
        if d.pending_messages:
            now = datetime.now(timezone.utc)
            self.conn.execute(_INSERT_OUTBOX, [
                dict(topic=m.topic, payload=m.payload, created_at=now, available_at=now, attempts=0)
                for m in d.pending_messages])
        where = dict(dossier_id=d.id, agency=d.receiving_agency, procedure_code=d.procedure.code)
        if d.pending_visits:
            self.conn.execute(insert(visits), [
                dict(where, at=v.at, kind=v.kind, channel=v.channel, trip=int(v.is_trip),
                     served_by=v.served_by) for v in d.pending_visits])
        if d.pending_failures:
            self.conn.execute(insert(guidance_failures), [
                dict(where, at=f.at, clerk=f.clerk, document=f.document, stage=f.stage)
                for f in d.pending_failures])
        self._sent(d)


def count(conn: Connection, table, *where) -> int:
    return conn.execute(select(func.count()).select_from(table).where(and_(True, *where))).scalar_one()
