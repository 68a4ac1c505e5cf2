"""The service index's digitisation group at city scale (issue 19): the digitised dossiers
and the electronic results in the rollup, and one small partial index for the open ones.

Criteria 4.1 and 4.2 of the Decision 766/QĐ-TTg index divide the returned dossiers with
an electronic result and the received dossiers digitised by the II.06a summary's returned
and received (workflow/services/reports/service_index.py). Counted on the partial indexes
of migrations 0028 and 0029, the two numerators read every such dossier of the period
(at 5,000,000 dossiers a city month is ~435,000 index entries each, 70-90 ms), which kept
the city month of the index at the 300 ms line (bench/city.py). A closed dossier takes no
more files (workflow/domain/attachments.check_attach), so its two moments never change
again: like the report's other measures (migrations 0003, 0013, 0031), they are summed once
by the nightly refresh, and only the dossiers not rolled up are counted live:

- `digitised` (on the day received) and `result_filed` (on the day closed, returned
  dossiers only): two more measures of every rollup table. The "ready" tables hold 0 for
  both: a result ready but not handed over can still get document files.
- ix_dossiers_digitised_open: the digitised dossiers not closed, by agency and reception.
- ix_dossiers_closed (migration 0016) carries digitised_at too, so that the dossiers closed
  since the watermark (a day's closings) are counted from it alone: without it the count
  joined a month of ix_dossiers_digitised to them (~50 ms at 5,000,000 dossiers, against
  ~5 ms). Rebuilding it takes a while on a large table (11 s at 5,000,000 dossiers, 698 ->
  740 MB) and blocks writes to `dossiers` meanwhile: run the upgrade outside office hours.

The existing rollup is cleared (as migrations 0013 and 0031 did): its rows have no sums for
the new measures. Until the next refresh (nightly, or `flask --app web reports rollup`)
the reports count directly; the figures are the same.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

MEASURES = ("digitised", "result_filed")
TABLES = ("report_daily", "report_monthly", "report_ready_daily", "report_ready_monthly",
          "report_bf_daily", "report_bf_monthly", "report_bf_ready_daily", "report_bf_ready_monthly")
OPEN = sa.text("digitised_at IS NOT NULL AND closed_at IS NULL")
CLOSED = sa.text("closed_at IS NOT NULL")
# ix_dossiers_closed's columns as migration 0016 left them
COUNTED = ["id", "code", "procedure_code", "channel", "status", "received_at", "appointment_at", "due_at",
           "result_ready_at", "postponed_to"]


def _closed_index(extra: list[str]) -> None:
    op.drop_index("ix_dossiers_closed", table_name="dossiers")
    op.create_index("ix_dossiers_closed", "dossiers", ["agency", "closed_at"], postgresql_include=COUNTED + extra,
                    postgresql_where=CLOSED, sqlite_where=CLOSED)


def upgrade() -> None:
    for table in ("report_rollup_state", *TABLES):
        op.execute(f"DELETE FROM {table}")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for m in MEASURES:
                batch.add_column(sa.Column(m, sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_dossiers_digitised_open", "dossiers", ["agency", "received_at"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    _closed_index(["digitised_at"])


def downgrade() -> None:
    _closed_index([])
    op.drop_index("ix_dossiers_digitised_open", table_name="dossiers")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for m in reversed(MEASURES):
                batch.drop_column(m)
