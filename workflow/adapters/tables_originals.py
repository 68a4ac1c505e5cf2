"""Hand-overs of a dossier's paper originals between agencies (issue 22, migration 0025).

One row per transfer: sent by staff of the agency holding the originals, received (once)
by staff of the destination; `documents` lists the checklist codes whose originals travel.
Rules in workflow.domain.originals.
"""
from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text

from .tables import ID, TS, metadata

original_transfers = Table(
    "original_transfers", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), nullable=False),
    Column("from_agency", String(32), nullable=False),
    Column("to_agency", String(32), nullable=False),
    Column("documents", JSON, nullable=False),
    Column("sent_at", TS, nullable=False),
    Column("sent_by", String(64), nullable=False),
    Column("received_at", TS),
    Column("received_by", String(64)),
    Column("note", Text),
    Index("ix_original_transfers_dossier", "dossier_id"),
)
