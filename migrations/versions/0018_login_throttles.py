"""Failed-login counts per device and per account from untrusted clients.

- login_throttles(key, failures, window_ends): see workflow.adapters.login_throttle (OWASP,
  "Slow Down Online Guessing Attacks with Device Cookies"). The key is a SHA-256 digest of
  the subject, so usernames typed at the login page (real or not) are never stored.
- users.failed_logins and users.locked_until are dropped: a lock on the account row let any
  stranger lock any account, and an unknown username could never be locked, which told
  which accounts exist.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = ("0017", "0005")  # after the columns it drops (0005)
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_ends", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_throttles_window_ends", "login_throttles", ["window_ends"])
    with op.batch_alter_table("users") as batch:
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_login_throttles_window_ends", "login_throttles")
    op.drop_table("login_throttles")
