"""Tables that follow a dossier after each action: visits (lượt đến), guidance failures,
deadline escalations and the staff's in-app notifications.

Kept beside `tables.py` on the same metadata; each row is written in the same
transaction as the dossier change that caused it.
"""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from .tables import ID, TS, dossiers, metadata, users

visits = Table(
    "visits", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey(dossiers.c.id), nullable=False),
    Column("at", TS, nullable=False),
    Column("kind", String(16), nullable=False),        # submission | supplement
    Column("channel", String(16), nullable=False),
    Column("trip", Integer, nullable=False),           # 1 when the citizen came in person
    Column("served_by", String(64), nullable=False),
    Column("agency", String(32), nullable=False),
    Column("procedure_code", String(40), nullable=False),
    Index("ix_visits_agency_at", "agency", "at"),
    Index("ix_visits_dossier", "dossier_id"),
)

guidance_failures = Table(
    "guidance_failures", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey(dossiers.c.id), nullable=False),
    Column("at", TS, nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("document", String(16), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("agency", String(32), nullable=False),
    Column("procedure_code", String(40), nullable=False),
    Index("ix_guidance_failures_agency_at", "agency", "at"),
)

escalations = Table(
    "escalations", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey(dossiers.c.id), nullable=False),
    Column("scope", String(24), nullable=False),       # "dossier" or "step:CODE"
    Column("threshold", String(16), nullable=False),   # due_soon | overdue
    Column("due_at", TS, nullable=False),
    Column("agency", String(32), nullable=False),      # who must act
    Column("created_at", TS, nullable=False),
    Column("sweep", String(32), nullable=False),       # the sweep that found the crossing
    UniqueConstraint("dossier_id", "scope", "threshold", "due_at"),
    Index("ix_escalations_sweep", "sweep"),
)

notifications = Table(
    "notifications", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("user_id", ID, ForeignKey(users.c.id), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("dossier_code", String(64)),
    Column("escalation_id", ID, ForeignKey(escalations.c.id)),   # the crossing that caused it
    Column("message", Text, nullable=False),
    Column("read_at", TS),
    Index("ix_notifications_user", "user_id", "read_at", "id"),
)
