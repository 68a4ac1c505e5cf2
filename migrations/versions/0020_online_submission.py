"""Online submission (issue 19): confirmation codes and the private links of online dossiers.

- submission_codes: the code sent to the applicant before the dossier is created (hash,
  expiry, wrong tries, used_at);
- online_access: the hash of each online dossier's private-link token.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "submission_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("procedure_code", sa.String(32), nullable=False),
        sa.Column("contact_kind", sa.String(8), nullable=False),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_index("ix_submission_codes_contact", "submission_codes", ["contact", "created_at"])
    op.create_index("ix_submission_codes_client", "submission_codes", ["client", "created_at"])
    op.create_table(
        "online_access",
        sa.Column("dossier_id", ID, sa.ForeignKey("dossiers.id", name="fk_online_access_dossier_id_dossiers"),
                  primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("token_hash", name="uq_online_access_token_hash"),
    )


def downgrade() -> None:
    op.drop_table("online_access")
    op.drop_index("ix_submission_codes_client", "submission_codes")
    op.drop_index("ix_submission_codes_contact", "submission_codes")
    op.drop_table("submission_codes")
