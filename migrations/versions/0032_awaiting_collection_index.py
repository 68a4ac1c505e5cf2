"""The results waiting to be collected, oldest first, at city scale (issue 22): one small
partial index.

The boundary-free report's awaiting_collection lists the 50 oldest results ready
(status result_ready) whose return point is in the reader's scope. For a whole city
ix_dossiers_return_at_status (0024) gives every such dossier of every point, which were
then read from the heap and sorted: on a generated city of 500,000 dossiers (bench/city.py)
18,951 dossiers, 11,917 heap pages read, 227 ms with a cold cache, growing with the table
(results never collected stay). This index holds the results ready only, by the moment
they were ready, with the columns listed: the oldest 50 of a city are its first entries,
read in order (an index-only scan that stops at 50); a ward's few still come from 0024's.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'result_ready'")


def upgrade() -> None:
    op.create_index("ix_dossiers_awaiting", "dossiers", ["result_ready_at", "id"],
                    postgresql_include=["return_at", "code", "agency", "competent_unit"],
                    postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    op.drop_index("ix_dossiers_awaiting", table_name="dossiers")
