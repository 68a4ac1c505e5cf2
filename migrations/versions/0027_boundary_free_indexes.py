"""The boundary-free dossiers at city scale (issue 22): two small partial indexes.

A dossier received at a point other than its competent unit (competent_unit <> agency)
is a small share of a city's dossiers. The boundary-free report and form II.06a by
competent unit read only those through these indexes: by receiving point and by
competent unit, each carrying the columns the II.06a count reads, so a city-wide month
reads no more than the period's boundary-free dossiers (bench/city.py).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

WHERE = sa.text("competent_unit <> agency")
COUNTED = ["procedure_code", "channel", "status", "appointment_at", "due_at", "result_ready_at",
           "closed_at", "postponed_to", "return_at"]


def upgrade() -> None:
    op.create_index("ix_dossiers_bf_received", "dossiers", ["agency", "received_at"],
                    postgresql_include=["competent_unit", *COUNTED],
                    postgresql_where=WHERE, sqlite_where=WHERE)
    # `id` too: the report's hand-over minutes look up each dossier's first forward
    op.create_index("ix_dossiers_bf_competent", "dossiers", ["competent_unit", "received_at"],
                    postgresql_include=["agency", "id", *COUNTED],
                    postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index("ix_dossiers_bf_competent", table_name="dossiers")
    op.drop_index("ix_dossiers_bf_received", table_name="dossiers")
