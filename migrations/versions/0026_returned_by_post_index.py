"""The returns by post, for form II.06a's return channels (issue 21) at city scale.

The II.06a summary splits the returned dossiers by how the result went back. Counting
every return of a city-wide period from `dossiers` read most of the table (a Seq Scan at
5,000,000 dossiers, bench/city.py); the returns by post are few (0.24 % of commune-level
intake came or went by post in Hanoi, July-September 2025, Lao Động), so only they are
counted, through this small partial index, and the returns at the counter are the
returned column less them (workflow.services.reports.statistics.return_channels).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'returned' AND return_by = 'post'")


def upgrade() -> None:
    op.create_index("ix_dossiers_returned_by_post", "dossiers", ["closed_at"],
                    postgresql_include=["agency", "competent_unit", "procedure_code", "received_at"],
                    postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index("ix_dossiers_returned_by_post", table_name="dossiers")
