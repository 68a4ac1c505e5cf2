"""The monthly survey tallies (bảng tổng hợp khảo sát theo tháng) the SIPAS report reads,
filled from the surveys and answers already stored.

Why: the city-wide report summed every answer of its period on each request (seconds at
a city's scale); the tallies hold the same sums per month of closing, receiving agency,
procedure (and element), kept by the transactions that open, reach and answer a survey
(workflow/adapters/survey_tally.py). The backfill below is the same sums as that
module's `rebuild`, written out so this revision stays what it was when the code moves.

Revision ID: 0010
Revises: 0004
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0004"
branch_labels = None
depends_on = None

KEY = ["period", "agency", "procedure_code"]
COUNTS = ["surveys", "invited", "responses", "evaluation_points", "evaluation_max"]
SCORES = ["satisfied", "answered", "points"]

BACKFILL_COUNTS = """
INSERT INTO survey_tally_counts (period, agency, procedure_code, surveys, invited, responses,
                                 evaluation_points, evaluation_max)
SELECT s.period, s.agency, s.procedure_code, count(*),
       sum(CASE WHEN s.invited_at IS NOT NULL OR s.answered_at IS NOT NULL THEN 1 ELSE 0 END),
       count(s.answered_at), coalesce(sum(r.evaluation_points), 0), coalesce(sum(r.evaluation_max), 0)
FROM surveys s LEFT OUTER JOIN survey_responses r ON r.survey_id = s.id
GROUP BY s.period, s.agency, s.procedure_code
"""
BACKFILL_SCORES = """
INSERT INTO survey_tally (period, agency, procedure_code, element, satisfied, answered, points)
SELECT s.period, s.agency, s.procedure_code, sc.element, sum(sc.satisfied), sum(sc.answered), sum(sc.points)
FROM survey_scores sc JOIN survey_responses r ON r.id = sc.response_id JOIN surveys s ON s.id = r.survey_id
GROUP BY s.period, s.agency, s.procedure_code, sc.element
"""


def _measure(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def upgrade() -> None:
    op.create_table(
        "survey_tally_counts",
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        *[_measure(c) for c in COUNTS],
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_survey_tally_counts")))
    op.create_table(
        "survey_tally",
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.Column("element", sa.String(32), nullable=False),
        *[_measure(c) for c in SCORES],
        sa.PrimaryKeyConstraint(*KEY, "element", name=op.f("pk_survey_tally")))
    op.execute(BACKFILL_COUNTS)
    op.execute(BACKFILL_SCORES)
    if op.get_bind().dialect.name == "postgresql":  # the planner's row counts, before the first report
        op.execute("ANALYZE survey_tally_counts")
        op.execute("ANALYZE survey_tally")


def downgrade() -> None:
    op.drop_table("survey_tally")
    op.drop_table("survey_tally_counts")
