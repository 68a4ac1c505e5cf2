"""The daily rollup behind the statistics report (form II.06a): per receiving agency,
procedure and local day, what the dossiers CLOSED before the watermark contributed.

Why: a city's year is millions of dossiers; a closed dossier never changes again, so its
contribution to any period's figures can be summed once, by day, and the report reads
a few hundred thousand rollup rows plus the still-open ("hot") dossiers instead of every
dossier of the period. See workflow/services/report_rollup.py for the arithmetic.
"""
from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table

from .tables import TS, metadata

MEASURES = ("new_online", "new_other", "left_count", "early", "on_time", "late",
            "returned", "rejected", "withdrawn", "overdue_in", "overdue_out")

report_daily = Table(
    "report_daily", metadata,
    Column("agency", String(32), primary_key=True),
    Column("procedure_code", String(40), primary_key=True),
    Column("day", Date, primary_key=True),
    *[Column(m, Integer, nullable=False, default=0, server_default="0") for m in MEASURES],
)

report_rollup_state = Table(  # one row: days before `through` are rolled up
    "report_rollup_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("through", Date, nullable=False),
    Column("refreshed_at", TS, nullable=False),
)
