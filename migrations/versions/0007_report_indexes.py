"""The statistics report at city scale: a daily rollup of closed dossiers, and the
indexes that read the rest (the "hot" dossiers) and feed the rollup.

- report_daily / report_rollup_state: see workflow/services/reports/rollup.py. Empty until
  the first refresh; the report reads dossiers directly while there is no watermark.
- ix_dossiers_uncollected: results ready and not yet handed over (a partial index, small),
  which the report reads live beside the rollup.
- ix_dossiers_closed_at: dossiers closed since the last refresh, across all agencies.
- ix_dossiers_open: the open dossiers with what the dashboard counts read (partial,
  covering), so a city's dashboard is an index-only scan, never a read of the wide rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNCOLLECTED = "result_ready_at IS NOT NULL AND closed_at IS NULL"
COUNTED = ["id", "code", "procedure_code", "channel", "status", "received_at", "appointment_at", "due_at",
           "closed_at"]
OPEN = ("status IN ('awaiting_documents', 'received', 'in_progress', 'supplement_requested', "
        "'result_ready')")
OPEN_READ = ["agency", "step_agency", "procedure_code", "step_code", "id"]  # what the dashboard counts read
MEASURES = ("new_online", "new_other", "left_count", "early", "on_time", "late",
            "returned", "rejected", "withdrawn", "overdue_in", "overdue_out")


def upgrade() -> None:
    op.create_table(
        "report_daily",
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[sa.Column(m, sa.Integer(), nullable=False, server_default="0") for m in MEASURES],
        sa.PrimaryKeyConstraint("agency", "procedure_code", "day", name="pk_report_daily"),
    )
    op.create_table(
        "report_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_rollup_state"),
    )
    op.create_index("ix_dossiers_uncollected", "dossiers", ["agency", "result_ready_at"],
                    postgresql_include=COUNTED,
                    postgresql_where=sa.text(UNCOLLECTED), sqlite_where=sa.text(UNCOLLECTED))
    op.create_index("ix_dossiers_closed_at", "dossiers", ["closed_at"])
    op.create_index("ix_dossiers_open", "dossiers", ["status", "due_at"], postgresql_include=OPEN_READ,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index("ix_dossiers_open", "dossiers")
    op.drop_index("ix_dossiers_closed_at", "dossiers")
    op.drop_index("ix_dossiers_uncollected", "dossiers")
    op.drop_table("report_rollup_state")
    op.drop_table("report_daily")
