"""A dossier's case, and postponed dossiers counted late from the covering index.

- dossiers.case_code: the case (trường hợp) of the procedure the dossier was received
  under; its checklist, time and fee follow the case (NULL: the procedure's own).
- ix_dossiers_result_ready, ix_dossiers_uncollected and ix_dossiers_closed also cover
  postponed_to: a dossier
  whose appointment was moved (apology, form 04) counts as late whatever follows, so the
  reports' outcome reads postponed_to beside result_ready_at and appointment_at, and the
  reads of results stay index-only. The three indexes are rebuilt: on a city's database this
  holds writes to `dossiers` while they build (run `db upgrade` in a quiet hour).
- The report's rollup (migrations 0007, 0013) summed postponed dossiers by the old rule:
  it is emptied, so the next refresh (hourly, or `flask --app web reports rollup`) sums
  every closed dossier again by the new one; until then the report reads the dossiers
  directly (the same figures, slower at city scale).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COUNTED = ["id", "code", "procedure_code", "channel", "status", "received_at", "appointment_at", "due_at",
           "result_ready_at", "closed_at"]  # as migration 0003


def _ready_indexes(extra: list[str]) -> None:
    ready = sa.text("result_ready_at IS NOT NULL")
    op.drop_index("ix_dossiers_result_ready", "dossiers")
    op.create_index("ix_dossiers_result_ready", "dossiers", ["agency", "result_ready_at"],
                    postgresql_include=[c for c in COUNTED if c != "result_ready_at"] + extra,
                    postgresql_where=ready, sqlite_where=ready)
    closed = sa.text("closed_at IS NOT NULL")
    op.drop_index("ix_dossiers_closed", "dossiers")
    op.create_index("ix_dossiers_closed", "dossiers", ["agency", "closed_at"],
                    postgresql_include=[c for c in COUNTED if c != "closed_at"] + extra,
                    postgresql_where=closed, sqlite_where=closed)
    uncollected = sa.text("result_ready_at IS NOT NULL AND closed_at IS NULL")
    op.drop_index("ix_dossiers_uncollected", "dossiers")
    op.create_index("ix_dossiers_uncollected", "dossiers", ["agency", "result_ready_at"],
                    postgresql_include=COUNTED + extra,
                    postgresql_where=uncollected, sqlite_where=uncollected)


ROLLUP = ("report_daily", "report_monthly", "report_ready_daily", "report_ready_monthly",
          "report_rollup_state")


def _empty_rollup() -> None:
    for table in ROLLUP:
        op.execute(f"DELETE FROM {table}")


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("case_code", sa.String(16), nullable=True))
    _ready_indexes(["postponed_to"])
    _empty_rollup()


def downgrade() -> None:
    _empty_rollup()
    _ready_indexes([])
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("case_code")
