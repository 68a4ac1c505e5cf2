"""The daily rollup behind the statistics report (form II.06a): per receiving agency,
procedure and local day, what the dossiers CLOSED before the watermark contributed.

Why: a city's year is millions of dossiers; a closed dossier never changes again, so its
contribution to any period's figures can be summed once, by day, and the report reads
a few hundred thousand rollup rows plus the still-open ("hot") dossiers instead of every
dossier of the period. See workflow/services/reports/rollup.py for the arithmetic.

Migration 0013 adds the same sums per calendar month (report_monthly: a year is a dozen
rows per agency and procedure, not 365), and the "ready" pair (report_ready_daily and
report_ready_monthly): what the dossiers whose result was ready before the watermark but
not handed over before it contribute, except their handing over (a result ready never
changes again either; at city scale these are a hundred thousand dossiers a year, read
live before). The ready pair is rebuilt whole at each refresh.

Migration 0031 adds the same four for the boundary-free dossiers only (received at a
point other than their competent unit, issue 22), keyed by receiving point AND competent
unit: form II.06a by competent unit moves them from the one's rows to the other's.
"""
from __future__ import annotations

from sqlalchemy import Column, Date, Index, Integer, String, Table

from .tables import TS, metadata

MEASURES = ("new_online", "new_other", "left_count", "early", "on_time", "late",
            "returned", "rejected", "withdrawn", "overdue_in", "overdue_out")


def _sums(name: str, key: str, by_unit: bool = False) -> Table:
    """by_unit: keyed by the competent unit too (the boundary-free sums)."""
    unit = [Column("competent_unit", String(32), primary_key=True)] if by_unit else []
    return Table(
        name, metadata,
        Column("agency", String(32), primary_key=True),
        *unit,
        Column("procedure_code", String(40), primary_key=True),
        Column(key, Date, primary_key=True),
        *[Column(m, Integer, nullable=False, default=0, server_default="0") for m in MEASURES],
        *([Index(f"ix_{name}_unit", "competent_unit", key)] if by_unit else []),
    )


report_daily = _sums("report_daily", "day")
report_monthly = _sums("report_monthly", "month")  # `month`: the month's first day
report_ready_daily = _sums("report_ready_daily", "day")
report_ready_monthly = _sums("report_ready_monthly", "month")
report_bf_daily = _sums("report_bf_daily", "day", by_unit=True)
report_bf_monthly = _sums("report_bf_monthly", "month", by_unit=True)
report_bf_ready_daily = _sums("report_bf_ready_daily", "day", by_unit=True)
report_bf_ready_monthly = _sums("report_bf_ready_monthly", "month", by_unit=True)

report_rollup_state = Table(  # one row: days before `through` are rolled up
    "report_rollup_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("through", Date, nullable=False),
    Column("refreshed_at", TS, nullable=False),
)
