"""The records of online submission (nộp hồ sơ trực tuyến, issue 19).

- submission_codes: a confirmation code sent to the applicant's phone or mail before a
  dossier is created (only its hash is kept), with its expiry and the wrong tries;
- online_access: the private link (đường dẫn riêng) of an online dossier, by the hash of
  its token: the applicant follows and supplements the dossier through it. The token
  itself is only in the confirmation sent to the applicant.
"""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from .tables import ID, TS, metadata

submission_codes = Table(
    "submission_codes", metadata,
    Column("id", String(32), primary_key=True),          # the verification id (random)
    Column("procedure_code", String(32), nullable=False),
    Column("contact_kind", String(8), nullable=False),    # phone | email
    Column("contact", String(254), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("client", String(64), nullable=False),         # the requesting address, hashed
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("used_at", TS),
    Index("ix_submission_codes_contact", "contact", "created_at"),
    Index("ix_submission_codes_client", "client", "created_at"),
)

online_access = Table(
    "online_access", metadata,
    Column("dossier_id", ID, ForeignKey("dossiers.id"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
)
