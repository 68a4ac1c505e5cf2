"""Deadline levels on dossiers, so a sweep skips crossings it already recorded, and an
index to find the crossings of one sweep.

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("due_level", sa.SmallInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("step_due_level", sa.SmallInteger(), nullable=False,
                                   server_default="0"))
    for col, level in (("due_at", "due_level"), ("step_due_at", "step_due_level")):
        for name, mark in (("overdue", 2), ("soon", 1)):
            where = sa.text(f"{level} < {mark}")
            op.create_index(f"ix_dossiers_sweep_{col}_{name}", "dossiers", [col],
                            postgresql_where=where, sqlite_where=where)
    op.create_index("ix_escalations_sweep", "escalations", ["sweep"])
    # crossings recorded before this revision keep their levels
    op.execute("UPDATE dossiers SET due_level = 2 WHERE EXISTS (SELECT 1 FROM escalations e WHERE "
               "e.dossier_id = dossiers.id AND e.scope = 'dossier' AND e.threshold = 'overdue' "
               "AND e.due_at = dossiers.due_at)")
    op.execute("UPDATE dossiers SET due_level = 1 WHERE due_level = 0 AND EXISTS (SELECT 1 FROM "
               "escalations e WHERE e.dossier_id = dossiers.id AND e.scope = 'dossier' "
               "AND e.threshold = 'due_soon' AND e.due_at = dossiers.due_at)")


def downgrade() -> None:
    op.drop_index("ix_escalations_sweep", "escalations")
    for col in ("due_at", "step_due_at"):
        for name in ("overdue", "soon"):
            op.drop_index(f"ix_dossiers_sweep_{col}_{name}", "dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("step_due_level")
        batch.drop_column("due_level")
