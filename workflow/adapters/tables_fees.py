"""The fee of each dossier and its payments (lệ phí, phí; issue 21).

- dossier_fees: the amount due fixed at intake from the schedule then in force, when it is
  paid (intake | return), its legal basis, and the exemption the clerk recorded with its
  ground (set once, never cleared).
- payments: one row per payment; a refund is a row with a negative amount and a reason.
  Rows are only ever inserted: the database refuses UPDATE and DELETE (migration 0022).
  `receipt_no` is the reference printed on the payment receipt and listed in the daily
  counter reconciliation; `day` is the local (Asia/Ho_Chi_Minh) date it was recorded.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, String, Table, Text

from .tables import ID, TS, metadata

dossier_fees = Table(
    "dossier_fees", metadata,
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("paid_at", String(16)),
    Column("basis", Text),
    Column("exemption", String(16)),
    Column("exemption_ground", Text),
    Column("exempted_by", String(64)),
    Column("exempted_at", TS),
)

payments = Table(
    "payments", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), nullable=False),
    Column("dossier_code", String(64), nullable=False),
    Column("agency", String(32), nullable=False),
    Column("procedure_code", String(40), nullable=False),
    Column("receipt_no", String(80), nullable=False, unique=True),
    Column("amount", BigInteger, nullable=False),
    Column("method", String(16), nullable=False),
    Column("reference", String(100)),
    Column("gateway_reference", String(100)),
    Column("reason", Text),
    Column("day", Date, nullable=False),
    Column("recorded_at", TS, nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("idempotency_key", String(180), unique=True),
    Column("idempotency_fingerprint", String(64)),
    Index("ix_payments_dossier", "dossier_id"),
    Index("ix_payments_day", "day", "agency"),
)
