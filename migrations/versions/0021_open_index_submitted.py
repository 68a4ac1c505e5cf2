"""The dashboard counts online submissions awaiting the desk's check (issue 19).

ix_dossiers_open (migration 0015) holds the open dossiers the supervisor's counts read; a
dossier submitted online and not yet received (status 'submitted') is open too, so the
index's condition names it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

GROUPS = ["status", "agency", "step_agency", "procedure_code", "step_code", "step_officer", "due_at"]  # as 0015
BEFORE = ("status IN ('awaiting_documents', 'received', 'in_progress', 'supplement_requested', "
          "'result_ready')")
AFTER = ("status IN ('submitted', 'awaiting_documents', 'received', 'in_progress', 'supplement_requested', "
         "'result_ready')")


def _open_index(condition: str) -> None:
    op.drop_index("ix_dossiers_open", "dossiers")
    op.create_index("ix_dossiers_open", "dossiers", GROUPS, postgresql_include=["id"],
                    postgresql_where=sa.text(condition), sqlite_where=sa.text(condition))


def upgrade() -> None:
    _open_index(AFTER)


def downgrade() -> None:
    _open_index(BEFORE)
