"""Fewer index entries per transition, and the dashboard's counts read in index order.

- ix_dossiers_result_ready, ix_dossiers_closed, ix_dossiers_closed_at hold only the
  dossiers with a result ready / closed. Every reader asks for a range of those moments
  (which a NULL never meets), and an open dossier, the one a transition rewrites, has
  neither: each of its updates wrote three entries nobody could find.
- ix_dossiers_status_step_due (status, step_due_at) is dropped: the sweep reads its
  partial indexes (migration 0006), the work queues ix_dossiers_step_due, and nothing
  read this one; each transition wrote an entry into it.
- ix_dossiers_open keeps its rows (the open dossiers) and is keyed by what the
  supervisor's counts group on, then the due moment (status, agency, step_agency,
  procedure_code, step_code, step_officer, due_at): PostgreSQL groups them as it reads
  them, with the due-time buckets counted per group, instead of hashing every open
  dossier (at 5M dossiers ~280k of them). The drill-down's due-time ranges are read from
  ix_dossiers_open_due (status, due_at), as a city's already were.

Revision ID: 0015
Revises: 0014, 0003
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = ("0014", "0003")  # merges the branch of the report's indexes it narrows
branch_labels = None
depends_on = None

COUNTED = ["id", "code", "procedure_code", "channel", "status", "received_at", "appointment_at", "due_at",
           "result_ready_at", "closed_at"]  # as migration 0003
OPEN = ("status IN ('awaiting_documents', 'received', 'in_progress', 'supplement_requested', "
        "'result_ready')")
GROUPS = ["status", "agency", "step_agency", "procedure_code", "step_code", "step_officer", "due_at"]
OPEN_READ = ["agency", "step_agency", "procedure_code", "step_code", "id", "step_officer"]  # as 0011


def _moments(partial: bool) -> None:
    def where(column: str) -> dict:
        if not partial:
            return {}
        cond = sa.text(f"{column} IS NOT NULL")
        return dict(postgresql_where=cond, sqlite_where=cond)
    for name, key in (("ix_dossiers_result_ready", "result_ready_at"), ("ix_dossiers_closed", "closed_at")):
        op.drop_index(name, "dossiers")
        op.create_index(name, "dossiers", ["agency", key], postgresql_include=[c for c in COUNTED if c != key],
                        **where(key))
    op.drop_index("ix_dossiers_closed_at", "dossiers")
    op.create_index("ix_dossiers_closed_at", "dossiers", ["closed_at"], **where("closed_at"))


def upgrade() -> None:
    _moments(partial=True)
    op.drop_index("ix_dossiers_status_step_due", "dossiers")
    op.drop_index("ix_dossiers_open", "dossiers")
    op.create_index("ix_dossiers_open", "dossiers", GROUPS, postgresql_include=["id"],
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade() -> None:
    op.drop_index("ix_dossiers_open", "dossiers")
    op.create_index("ix_dossiers_open", "dossiers", ["status", "due_at"], postgresql_include=OPEN_READ,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))
    op.create_index("ix_dossiers_status_step_due", "dossiers", ["status", "step_due_at"])
    _moments(partial=False)
