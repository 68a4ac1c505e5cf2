"""SQLAlchemy 2.0 Core tables: the one schema for SQLite and PostgreSQL.

Deadlines and the fields lists filter on are plain indexed columns (not JSON) so the
sweeps and dashboards stay set-based. Migrations in `migrations/` create exactly these.
"""
from __future__ import annotations

from datetime import timezone

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer,
                        MetaData, SmallInteger, String, Table, Text, TypeDecorator,
                        UniqueConstraint, text)


class UTCDateTime(TypeDecorator):
    """Aware datetimes in and out on every backend (SQLite keeps naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER keys only
TS = UTCDateTime()

agencies = Table(
    "agencies", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("level", String(16)),
    Column("parent_code", String(32)),
    # "service_point": receives dossiers and hands back results (điểm tiếp nhận, trả kết
    # quả; a branch of the city's public administration service centre), migration 0024
    Column("kind", String(16)),
)

procedures = Table(
    "procedures", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date),
    Column("name", Text, nullable=False),
    Column("agency", String(32), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("is_current", Boolean, nullable=False, default=True),
    Column("loaded_at", TS, nullable=False),
    UniqueConstraint("code", "effective_from", "version"),
    Index("ix_procedures_lookup", "code", "is_current", "effective_from"),
)

users = Table(
    "users", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", Text),
    Column("role", String(16), nullable=False),
    Column("agency", String(32)),
    Column("password_hash", Text),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", TS, nullable=False),
    Column("last_login_at", TS),  # staff login (migration 0005)
)

# failed-login counts per device or per account from untrusted clients (migration 0018,
# workflow.adapters.login_throttle); the key is a digest, never the typed username
login_throttles = Table(
    "login_throttles", metadata,
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_ends", TS, nullable=False),
    Index("ix_login_throttles_window_ends", "window_ends"),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("revoked_at", TS),
)

dossier_sequences = Table(
    "dossier_sequences", metadata,
    Column("agency", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

dossiers = Table(
    "dossiers", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("procedure_id", ID, ForeignKey("procedures.id"), nullable=False),
    Column("procedure_code", String(40), nullable=False),
    Column("agency", String(32), nullable=False),          # receiving agency
    Column("status", String(24), nullable=False),
    Column("step_code", String(16)),
    Column("step_agency", String(32)),                      # holder of the current step
    Column("channel", String(16), nullable=False),
    Column("applicant_name", Text, nullable=False),
    Column("applicant_id_number", String(32)),
    Column("applicant_phone", String(32)),
    Column("applicant_email", Text),
    Column("documents", JSON, nullable=False),
    Column("missing_documents", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("visits", Integer, nullable=False, default=0),
    Column("supplement_trips", Integer, nullable=False, default=0),
    Column("created_at", TS, nullable=False),
    Column("received_at", TS),
    Column("due_at", TS),
    Column("appointment_at", TS),
    Column("result_ready_at", TS),
    Column("closed_at", TS),
    Column("clock_budget", Integer),
    Column("clock_used", Integer),
    Column("clock_since", TS),
    Column("step_budget", Integer),
    Column("step_used", Integer),
    Column("step_since", TS),
    Column("step_started_at", TS),
    Column("step_due_at", TS),
    Column("received_by", String(64)),                      # clerk who took it in
    Column("repeat_visit", Boolean, nullable=False, default=False),
    Column("guidance", JSON, nullable=False, default=list),  # notices and receipt given
    Column("postponed_to", TS),                             # the one new appointment
    Column("postponed_reason", Text),
    # the officer by step (cán bộ xử lý), and the current step's, kept by Dossier.record so
    # the dashboard reads who holds a dossier from its covering index (migration 0011)
    Column("step_officers", JSON, nullable=False, default=dict, server_default=text("'{}'")),
    Column("step_officer", String(64)),
    Column("case_code", String(16)),  # the procedure's case (trường hợp), migration 0016
    # return of the result (counter | post) and filing on someone's behalf (migration 0023)
    Column("return_by", String(8), nullable=False, default="counter", server_default="counter"),
    Column("return_address", Text),
    Column("tracking_number", String(40)),       # the post's number (mã vận đơn)
    Column("filer_name", Text),                  # người nộp thay, when not the applicant
    Column("filer_phone", String(32)),
    Column("filer_email", Text),
    Column("filer_id_number", String(32)),
    Column("notify", String(24), nullable=False, default="applicant", server_default="applicant"),
    # the unit competent to settle it (its receiving agency as that unit settles it) beside
    # `agency`, the point that received it; where the result is collected, none by post
    # (reception regardless of administrative boundaries, migration 0024)
    Column("competent_unit", String(32), nullable=False),
    Column("return_at", String(32)),
    # when every document it must have a file of had one (số hóa; migration 0028), written
    # once by the file that completes the set (workflow.services.files.attachments.record)
    Column("digitised_at", TS),
    # when its first result file was recorded (kết quả điện tử; migration 0029), written once
    # (result files are never removed; a signed copy supersedes the unsigned one)
    Column("result_filed_at", TS),
    # the first forward out of `received`: the desk's hand-over to the competent unit's
    # offices (migration 0030), written once by the lifecycle (_on_step_entered)
    Column("handed_over_at", TS),
    # deadline thresholds already escalated for the current due moments: 0 none,
    # 1 due soon, 2 overdue; reset when the due moment changes (see the sweep)
    Column("due_level", SmallInteger, nullable=False, default=0, server_default="0"),
    Column("step_due_level", SmallInteger, nullable=False, default=0, server_default="0"),
    Column("last_seq", Integer, nullable=False, default=0),
    Column("version", Integer, nullable=False, default=1),
    Column("idempotency_key", String(200), unique=True),
    Column("idempotency_fingerprint", String(64)),  # the first request's body (migration 0017)
    Index("ix_dossiers_open_due", "status", "due_at"),
    Index("ix_dossiers_step_due", "step_agency", "step_due_at"),
    Index("ix_dossiers_agency_status", "agency", "status"),
    Index("ix_dossiers_received", "agency", "received_at"),
    Index("ix_dossiers_competent_received", "competent_unit", "received_at"),
    Index("ix_dossiers_return_at_status", "return_at", "status"),
    Index("ix_dossiers_repeat_visit", "repeat_visit", "received_at"),
    # partial indexes holding only deadlines not yet escalated to that threshold: a sweep
    # reads just the new crossings, however many dossiers are already overdue
    *[Index(f"ix_dossiers_sweep_{col}_{name}", col,
            postgresql_where=text(f"{level} < {mark}"), sqlite_where=text(f"{level} < {mark}"))
      for col, level in (("due_at", "due_level"), ("step_due_at", "step_due_level"))
      for name, mark in (("overdue", 2), ("soon", 1))],
)

dossier_events = Table(
    "dossier_events", metadata,
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", TS, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", String(48)),
    Column("to_state", String(48), nullable=False),
    Column("step", String(16)),
    Column("note", Text),
    Column("data", JSON, nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("available_at", TS, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("sent_at", TS),
    Column("claimed_by", String(64)),  # the task holding the lease (migration 0009)
    Index("ix_outbox_pending", "sent_at", "available_at"),
)
