"""Return by post and filing on someone's behalf (issue 21, items 3 and 4).

The dossier keeps how its result goes back (return_by: counter | post), the postal address
when by post, the post office's tracking number once handed over, the person who filed on
the applicant's behalf (người nộp thay) and whom the notices go to (notify: "applicant",
"filer" or "applicant,filer"). Existing dossiers are returned at the counter and notify
their applicant, as before.

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

COLUMNS = ("return_by", "return_address", "tracking_number", "filer_name", "filer_phone",
           "filer_email", "filer_id_number", "notify")


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("return_by", sa.String(8), nullable=False,
                                        server_default="counter"))
    op.add_column("dossiers", sa.Column("return_address", sa.Text(), nullable=True))
    op.add_column("dossiers", sa.Column("tracking_number", sa.String(40), nullable=True))
    op.add_column("dossiers", sa.Column("filer_name", sa.Text(), nullable=True))
    op.add_column("dossiers", sa.Column("filer_phone", sa.String(32), nullable=True))
    op.add_column("dossiers", sa.Column("filer_email", sa.Text(), nullable=True))
    op.add_column("dossiers", sa.Column("filer_id_number", sa.String(32), nullable=True))
    op.add_column("dossiers", sa.Column("notify", sa.String(24), nullable=False,
                                        server_default="applicant"))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
