"""Reception and return regardless of administrative boundaries (issue 22).

Agencies that receive dossiers are marked as service points (kind = 'service_point'). A
dossier keeps the unit competent to settle it (competent_unit: the receiving agency of
the procedure as that unit settles it) beside the agency that received it (agency, the
receiving point), and the service point where the result is collected (return_at; none
when it goes back by post). Existing dossiers were received by their competent unit and
are collected where they were received.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("agencies", sa.Column("kind", sa.String(16), nullable=True))
    op.add_column("dossiers", sa.Column("competent_unit", sa.String(32), nullable=True))
    op.add_column("dossiers", sa.Column("return_at", sa.String(32), nullable=True))
    op.execute("UPDATE dossiers SET competent_unit = agency")
    op.execute("UPDATE dossiers SET return_at = agency WHERE return_by = 'counter'")
    with op.batch_alter_table("dossiers") as batch:
        batch.alter_column("competent_unit", existing_type=sa.String(32), nullable=False)
    op.create_index("ix_dossiers_competent_received", "dossiers", ["competent_unit", "received_at"])
    op.create_index("ix_dossiers_return_at_status", "dossiers", ["return_at", "status"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_return_at_status", table_name="dossiers")
    op.drop_index("ix_dossiers_competent_received", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("return_at")
        batch.drop_column("competent_unit")
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("kind")
