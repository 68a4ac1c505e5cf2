"""The survey tallies per local day of closing (bảng tổng hợp khảo sát theo ngày), filled
from the surveys and answers already stored.

Why: a report period that covers a month only in part (from the 15th, or the bench's
"last 365 days") read that month's days from the answers themselves, and the planner
could then join every answer of the city (a hash join over all responses) for three
days' worth. The daily tallies give those days' sums from one table, by an index range,
whatever the period; the monthly tallies of 0010 still serve the months covered whole.
The same transactions keep both (workflow/adapters/survey_tally.py); the backfill below
is the same sums as that module's `rebuild`, written out so this revision stays what it
was when the code moves. The local day is taken in the configured TIMEZONE, as the
application files it.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

from config import get_config

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNTS = ["surveys", "invited", "responses", "evaluation_points", "evaluation_max"]
SCORES = ["satisfied", "answered", "points"]
BACKFILL_COUNTS = """
INSERT INTO survey_tally_counts_daily (period, day, agency, procedure_code, surveys, invited, responses,
                                       evaluation_points, evaluation_max)
SELECT s.period, {day}, s.agency, s.procedure_code, count(*),
       sum(CASE WHEN s.invited_at IS NOT NULL OR s.answered_at IS NOT NULL THEN 1 ELSE 0 END),
       count(s.answered_at), coalesce(sum(r.evaluation_points), 0), coalesce(sum(r.evaluation_max), 0)
FROM surveys s LEFT OUTER JOIN survey_responses r ON r.survey_id = s.id
GROUP BY s.period, {day}, s.agency, s.procedure_code
"""
BACKFILL_SCORES = """
INSERT INTO survey_tally_daily (period, day, agency, procedure_code, element, satisfied, answered, points)
SELECT s.period, {day}, s.agency, s.procedure_code, sc.element, sum(sc.satisfied), sum(sc.answered),
       sum(sc.points)
FROM survey_scores sc JOIN survey_responses r ON r.id = sc.response_id JOIN surveys s ON s.id = r.survey_id
GROUP BY s.period, {day}, s.agency, s.procedure_code, sc.element
"""


def _local_day(dialect: str) -> str:
    """SQL for the local date of s.closed_at in the configured zone."""
    zone = get_config().TIMEZONE
    if not re.fullmatch(r"[A-Za-z0-9_/+-]+", zone):
        raise ValueError(f"unexpected time zone name {zone!r}")
    if dialect == "postgresql":
        return f"CAST(timezone('{zone}', s.closed_at) AS DATE)"
    minutes = int(ZoneInfo(zone).utcoffset(datetime(2000, 1, 1)).total_seconds() // 60)
    return f"date(s.closed_at, '{minutes:+d} minutes')"  # SQLite: naive UTC text, fixed offset


def _table(name: str, element: bool, measures: list[str]) -> None:
    key = ["period", "day", "agency", "procedure_code"] + (["element"] if element else [])
    op.create_table(
        name,
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        *([sa.Column("element", sa.String(32), nullable=False)] if element else []),
        *[sa.Column(m, sa.Integer(), nullable=False, server_default="0") for m in measures],
        sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")))


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _table("survey_tally_counts_daily", False, COUNTS)
    _table("survey_tally_daily", True, SCORES)
    day = _local_day(dialect)
    op.execute(BACKFILL_COUNTS.format(day=day))
    op.execute(BACKFILL_SCORES.format(day=day))
    if dialect == "postgresql":  # the planner's row counts, before the first report
        op.execute("ANALYZE survey_tally_counts_daily")
        op.execute("ANALYZE survey_tally_daily")


def downgrade() -> None:
    op.drop_table("survey_tally_daily")
    op.drop_table("survey_tally_counts_daily")
