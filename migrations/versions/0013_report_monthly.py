"""The II.06a rollup at city scale, second step: month rows, and the results ready but
not handed over (workflow/services/reports/rollup.py, workflow/adapters/tables_reports.py).

- report_monthly: the sums of report_daily per (receiving agency, procedure, calendar
  month), so a 365-day report reads a dozen rows per agency and procedure, plus the days
  of the months it cuts, instead of 365 (form II.06a, Circular 01/2018/TT-VPCP).
- report_ready_daily / report_ready_monthly: the same sums for the dossiers whose result
  was ready before the watermark and not handed over before it (all but the handing
  over), which the report read live before: at 5M dossiers a hundred thousand rows, each
  tested for early / on time / late in local dates.
- ix_report_daily_day, ix_report_ready_daily_day: a city-wide report reads the day rows
  of one or two months, not the whole table.

The existing rollup is cleared (as an import does): the ready pair can only be built by
the refresh, and sums that hold the closed dossiers but not the ready ones would count
those twice or not at all. Until the next refresh (nightly, or `flask --app web reports
rollup`) the report counts directly; the figures are the same.

(0012 was taken by the SIPAS tallies meanwhile; this revision follows 0011, the head that
holds 0007.)

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

MEASURES = ("new_online", "new_other", "left_count", "early", "on_time", "late",
            "returned", "rejected", "withdrawn", "overdue_in", "overdue_out")
TABLES = (("report_monthly", "month"), ("report_ready_daily", "day"), ("report_ready_monthly", "month"))


def upgrade() -> None:
    for name, key in TABLES:
        op.create_table(
            name,
            sa.Column("agency", sa.String(32), nullable=False),
            sa.Column("procedure_code", sa.String(40), nullable=False),
            sa.Column(key, sa.Date(), nullable=False),
            *[sa.Column(m, sa.Integer(), nullable=False, server_default="0") for m in MEASURES],
            sa.PrimaryKeyConstraint("agency", "procedure_code", key, name=f"pk_{name}"),
        )
    op.create_index("ix_report_daily_day", "report_daily", ["day"])
    op.create_index("ix_report_ready_daily_day", "report_ready_daily", ["day"])
    op.execute("DELETE FROM report_rollup_state")
    op.execute("DELETE FROM report_daily")


def downgrade() -> None:
    op.drop_index("ix_report_daily_day", "report_daily")
    for name, _ in reversed(TABLES):
        op.drop_table(name)
