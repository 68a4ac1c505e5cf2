"""The bottleneck view's sample at city scale: small partial indexes over every 4th, 16th,
64th and 256th dossier by id (ix_dossiers_sample_<t>, WHERE id % t = 0), led by the
moment the dossier left the counter's hands (coalesce(result_ready_at, closed_at); NULL
while it is unresolved) and covering what the view reads to choose its sample.

Why: the view measures the step visits of a systematic sample of the dossiers that were
active in the period (workflow/services/reports/dashboard.py). Choosing every m-th of them
needed them all counted and read first: at 1M dossiers ~100k for 30 days, ~0.2 s before
any visit was measured, and five times that at 5M. Over these indexes the sample is
read directly, and its size is estimated from the coarsest one (a few hundred entries).
Writes are cheap: a row is in the t-index only when t divides its id (a third of one
full index on average).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TIERS = (4, 16, 64, 256)  # as workflow/services/dashboard.SAMPLE_TIERS
COVERED = ["id", "agency", "procedure_code", "received_at", "result_ready_at", "closed_at"]  # index-only reads


def upgrade() -> None:
    for t in TIERS:
        where = sa.text(f"id % {t} = 0")
        op.create_index(f"ix_dossiers_sample_{t}", "dossiers",
                        [sa.text("coalesce(result_ready_at, closed_at)")],
                        postgresql_include=COVERED, postgresql_where=where, sqlite_where=where)


def downgrade() -> None:
    for t in TIERS:
        op.drop_index(f"ix_dossiers_sample_{t}", "dossiers")
