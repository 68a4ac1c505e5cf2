"""Form II.06a by competent unit at city scale (issue 22): the boundary-free dossiers in
the rollup, and two small partial indexes for those not rolled up.

The report by competent unit is the report by receiving point, less the boundary-free
dossiers (competent_unit <> agency) each point received for others, plus those each unit
got from other points (workflow/services/reports/statistics.summary). Counted from
`dossiers`, those two corrections read every boundary-free dossier received before the
period's end (at 5,000,000 dossiers, ~500,000 of them: 517 ms p95 for a city month,
bench/city.py). Like the receiving side (migrations 0003, 0013), they now come from sums
kept once and the few dossiers not yet summed:

- report_bf_daily / report_bf_monthly / report_bf_ready_daily / report_bf_ready_monthly:
  the sums of report_daily & co. (workflow/adapters/tables_reports.py) of the
  boundary-free dossiers as signed corrections per (unit, procedure, day or month): each
  dossier's sums subtracted at its receiving point and added at its competent unit, so
  the report reads one correction per row it shows (netted once, at the refresh).
- ix_dossiers_bf_open: the boundary-free dossiers not closed (unresolved, or ready and
  not handed over), carrying what the count reads.
- ix_dossiers_bf_closed: the boundary-free dossiers closed, by closing time: the report
  reads those closed since the rollup's watermark.

The existing rollup is cleared (as migration 0013 did): the new tables can only be
filled by a refresh, and a watermark over empty boundary-free sums would miss them. Until
the next refresh (nightly, or `flask --app web reports rollup`) the report counts
directly; the figures are the same.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

MEASURES = ("new_online", "new_other", "left_count", "early", "on_time", "late",
            "returned", "rejected", "withdrawn", "overdue_in", "overdue_out")
TABLES = (("report_bf_daily", "day"), ("report_bf_monthly", "month"),
          ("report_bf_ready_daily", "day"), ("report_bf_ready_monthly", "month"))
BOUNDARY_FREE = "competent_unit <> agency"
OPEN = sa.text(f"{BOUNDARY_FREE} AND closed_at IS NULL")
CLOSED = sa.text(f"{BOUNDARY_FREE} AND closed_at IS NOT NULL")
COUNTED = ["agency", "competent_unit", "procedure_code", "channel", "status", "appointment_at", "due_at",
           "result_ready_at", "postponed_to"]


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
    op.create_index("ix_dossiers_bf_open", "dossiers", ["received_at"], postgresql_include=COUNTED,
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index("ix_dossiers_bf_closed", "dossiers", ["closed_at"],
                    postgresql_include=["received_at", *COUNTED], postgresql_where=CLOSED, sqlite_where=CLOSED)
    for table in ("report_rollup_state", "report_daily", "report_monthly", "report_ready_daily",
                  "report_ready_monthly"):
        op.execute(f"DELETE FROM {table}")


def downgrade() -> None:
    op.drop_index("ix_dossiers_bf_closed", table_name="dossiers")
    op.drop_index("ix_dossiers_bf_open", table_name="dossiers")
    for name, _ in reversed(TABLES):
        op.drop_table(name)
