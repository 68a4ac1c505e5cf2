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

Migration 0031 adds the same four for the boundary-free dossiers (received at a point
other than their competent unit, issue 22) as signed corrections: each such dossier's sums
taken from its receiving point's row and added to its competent unit's. Form II.06a by
competent unit is the rows by receiving point plus these.

Migration 0033 adds two measures for the service index's digitisation group (issue 19):
`digitised` (received dossiers whose required documents all have a file, on the day
received) and `result_filed` (returned dossiers with an electronic result, on the day
closed). The ready tables hold 0 for both: until it is closed a dossier may still get files.
"""
from __future__ import annotations

from sqlalchemy import Column, Date, Integer, String, Table

from .tables import TS, metadata

MEASURES = ("new_online", "new_other", "left_count", "early", "on_time", "late",
            "returned", "rejected", "withdrawn", "overdue_in", "overdue_out",
            "digitised", "result_filed")


def _sums(name: str, key: str) -> Table:
    return Table(
        name, metadata,
        Column("agency", String(32), primary_key=True),
        Column("procedure_code", String(40), primary_key=True),
        Column(key, Date, primary_key=True),
        *[Column(m, Integer, nullable=False, default=0, server_default="0") for m in MEASURES],
    )


report_daily = _sums("report_daily", "day")
report_monthly = _sums("report_monthly", "month")  # `month`: the month's first day
report_ready_daily = _sums("report_ready_daily", "day")
report_ready_monthly = _sums("report_ready_monthly", "month")
# signed: the boundary-free dossiers moved from receiving point to competent unit
report_bf_daily = _sums("report_bf_daily", "day")
report_bf_monthly = _sums("report_bf_monthly", "month")
report_bf_ready_daily = _sums("report_bf_ready_daily", "day")
report_bf_ready_monthly = _sums("report_bf_ready_monthly", "month")

report_rollup_state = Table(  # one row: days before `through` are rolled up
    "report_rollup_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("through", Date, nullable=False),
    Column("refreshed_at", TS, nullable=False),
)
