"""The records of a dossier's files (tệp đính kèm): what was attached to which checklist
document or as the result, by whom and when. The content itself is in the file store,
addressed by its SHA-256 (workflow/adapters/file_store.py). Rows are only ever added: a
replaced file is marked superseded by the one that replaces it, and both stay."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from .tables import ID, TS, dossiers, metadata

dossier_files = Table(
    "dossier_files", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey("dossiers.id"), nullable=False),
    Column("kind", String(16), nullable=False),        # document | result
    Column("document", String(16)),                    # the checklist code (kind document)
    Column("name", String(255), nullable=False),       # the name it was sent with, cleaned
    Column("media_type", String(64), nullable=False),  # decided from the content
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("pages", Integer),                          # PDFs
    Column("uploaded_at", TS, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("superseded_by", ID, ForeignKey("dossier_files.id")),
    Index("ix_dossier_files_dossier", "dossier_id", "kind", "document"),
)
