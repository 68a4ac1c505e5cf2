"""Indexes for the supervisor's dashboard and the statistics report (form II.06a).

The report counts dossiers by the moment their result was ready, the moment they were
closed and, for those still unresolved, the moment they were received. Each index leads
with the receiving agency, because every reader has a scope (a supervisor's agency and
those under it; for an admin, every agency), then the time, so a scope and a period are
one range per agency. On PostgreSQL the indexes also carry (INCLUDE) what the report
reads, so even a city's year is an index-only scan, never a read of the wide table. The
two partial indexes hold only the small sets of dossiers still unresolved, or closed
without a result (rejected, withdrawn).

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None

UNRESOLVED = "result_ready_at IS NULL AND closed_at IS NULL"
DROPPED = "result_ready_at IS NULL AND closed_at IS NOT NULL"
# what the report and its log book read of each dossier: on PostgreSQL the indexes carry
# it (INCLUDE), so a city's year is an index-only scan instead of a read of the wide table
COUNTED = ["id", "code", "procedure_code", "channel", "status", "received_at", "appointment_at", "due_at",
           "result_ready_at", "closed_at"]


def _include(*keys: str) -> list[str]:
    return [c for c in COUNTED if c not in keys]


def upgrade() -> None:
    op.create_index("ix_dossiers_result_ready", "dossiers", ["agency", "result_ready_at"],
                    postgresql_include=_include("result_ready_at"))
    op.create_index("ix_dossiers_closed", "dossiers", ["agency", "closed_at"],
                    postgresql_include=_include("closed_at"))
    op.create_index("ix_dossiers_unresolved", "dossiers", ["agency", "received_at"],
                    postgresql_include=_include("received_at"),
                    postgresql_where=sa.text(UNRESOLVED), sqlite_where=sa.text(UNRESOLVED))
    op.create_index("ix_dossiers_dropped", "dossiers", ["agency", "closed_at"],
                    postgresql_include=_include("closed_at"),
                    postgresql_where=sa.text(DROPPED), sqlite_where=sa.text(DROPPED))


def downgrade() -> None:
    for name in ("ix_dossiers_dropped", "ix_dossiers_unresolved", "ix_dossiers_closed",
                 "ix_dossiers_result_ready"):
        op.drop_index(name, "dossiers")
