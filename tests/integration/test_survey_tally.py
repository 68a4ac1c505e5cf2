"""The SIPAS report from the monthly tallies gives exactly the figures of summing the
answers themselves (the computation it replaced, kept below as `reference_report`), on
SQLite and PostgreSQL, for every kind of period the API allows (whole months, parts of
months at either end, one day, one month in part, a period reaching into the future),
every agency scope and procedure filter. The answers are made by the real services:
dossiers received, processed and closed, the outbox relay opening surveys and sending
invitations (one mail server refusing, so some citizens answer before their invitation
is recorded), citizens answering through their links, some in the month after closing.

Also: the tallies equal a rebuild from the raw rows; a correction bracketed by
retract/restore keeps them right; migrations 0010 (monthly) and 0012 (daily) create what
tables_surveys.py declares and their backfills give the tallies the services kept."""
from __future__ import annotations

import random
import warnings
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import delete, inspect, select, update

from config import get_config
from tests.conftest import FIXTURE_CATALOG, FakeClock, empty_pg_database, vn
from workflow.adapters import survey_queries as queries
from workflow.adapters import survey_tally
from workflow.adapters.agencies import agency_names
from workflow.adapters.database import make_engine
from workflow.adapters.migrations import alembic_config, upgrade
from workflow.adapters.repository import _PROCEDURE_CACHE
from workflow.adapters.tables import metadata
from workflow.adapters.tables_surveys import (survey_feedback, survey_responses, survey_scores, survey_tally as
                                              tally_table, survey_tally_counts, survey_tally_counts_daily,
                                              survey_tally_daily, surveys)
from workflow.services.importing.catalog import load
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.sipas import Tally, percent
from workflow.services.dossiers import use_cases as dossiers
from workflow.services.notifications import outbox as relay_service
from workflow.services.context import Context
from workflow.services.surveys.sipas_report import _group, default_range, months, sipas_report
from workflow.services.surveys.config import survey_config
from workflow.services.surveys.use_cases import answer, survey_handlers

NOW = vn(2026, 6, 10, 10, 0)  # the world ends here: June is the current, partial month
T2_CATALOG = {
    "agencies_t2.yaml": """agencies:
  - {code: "T2", name: "Bộ phận một cửa phường thử nghiệm 2", level: commune, parent: null}
""",
    "t2.yaml": """code: "9.000001"
name: "Chứng thực bản sao (thử nghiệm)"
field: "Chứng thực"
level: commune
agency: "T2"
processing_days: 1
fee: {amount: 0, currency: VND}
channels: [in_person, online]
result: "Bản sao chứng thực"
on_supplement: resume
documents:
  - {code: BS, name: "Bản chính và bản sao"}
steps:
  - {code: TKQ, name: "Chứng thực và trả kết quả", agency: "T2", days: 0.5}
""",
}
PROCEDURES = {  # code: (receiving agency, documents, agencies of the steps)
    "1.001612": ("T1", ["GDN", "CCCD"], ["T1.KT", "TAX", "T1.LD", "T1"]),
    "1.001193": ("T1", ["TK", "GCS"], ["T1.KT", "T1"]),
    "9.000001": ("T2", ["BS"], ["T2"]),
}
REFUSED = "refused@example.com"  # this mail server refuses: the invitation is not recorded


# -- the reference: the report as computed before the tallies, from the answers ---------------
def reference_report(ctx, conf, date_from: date, date_to: date, agency=None, procedure=None) -> dict:
    """sipas_report as it was: the element and count cubes over the answers of the period,
    rolled up in Python."""
    tz = ctx.calendar.tz
    start, end = queries.local_bounds(date_from, date_to, tz)
    q = conf.in_force(date_to).questionnaire
    with ctx.engine.connect() as conn:
        cube = queries.element_cube(conn, start, end, agency, procedure)
        counts = queries.count_cube(conn, start, end, agency, procedure)
        feedback = queries.feedback_counts(conn, start, end, ctx.now(), agency)
        agencies = agency_names(conn)
        names = queries.procedure_names(conn, {r.procedure_code for r in counts})
    dims = {"overall": lambda r: "", "agency": lambda r: r.agency,
            "procedure": lambda r: r.procedure_code, "month": lambda r: r.period}
    tallies = {d: defaultdict(lambda: defaultdict(Tally)) for d in dims}
    sums = {d: defaultdict(lambda: defaultdict(int)) for d in dims}
    for r in cube:
        t = Tally(int(r.satisfied), int(r.answered), int(r.points))
        for d, key in dims.items():
            tallies[d][key(r)][r.element] += t
    for r in counts:
        for d, key in dims.items():
            for field in ("invited", "responses", "evaluation_points", "evaluation_max"):
                sums[d][key(r)][field] += int(getattr(r, field))

    def rows(dim, keys):
        return [(k, _group(q, tallies[dim][k], sums[dim][k])) for k in keys]
    return dict(
        date_from=date_from, date_to=date_to, agency=agency, procedure=procedure,
        questionnaire=dict(code=q.code, version=q.version, method=q.method, satisfied_from=q.satisfied_from),
        targets=[dict(year=t.year, low=t.low, high=t.high) for t in conf.targets],
        overall=dict(_group(q, tallies["overall"][""], sums["overall"][""]), feedback=feedback),
        by_agency=[dict(g, agency=k, name=agencies.get(k, k)) for k, g in rows("agency", sorted(sums["agency"]))],
        by_procedure=[dict(g, procedure_code=k, name=names.get(k, k))
                      for k, g in rows("procedure", sorted(sums["procedure"]))],
        by_month=[dict(g, month=k) for k, g in rows("month", months(date_from, date_to))])


PERIODS = [
    default_range(NOW.date()),                     # the pages' and the API's default
    (date(2026, 1, 1), date(2026, 1, 31)),         # one whole month
    (date(2026, 1, 15), date(2026, 3, 10)),        # parts of months at both ends
    (date(2026, 2, 1), date(2026, 2, 1)),          # one day
    (date(2026, 1, 31), date(2026, 2, 1)),         # the two days around a month's end
    (date(2026, 3, 5), date(2026, 3, 28)),         # most of one month: its tally less 7 days
    (date(2026, 3, 2), date(2026, 3, 6)),          # a few days of one month
    (date(2025, 12, 10), date(2026, 6, 30)),       # into the future
    (date(2026, 6, 1), date(2026, 6, 10)),         # this month up to today
    (date(2026, 5, 20), date(2026, 6, 5)),
    (date(2025, 1, 1), date(2025, 11, 30)),        # before any survey
]
SCOPES = [(agency, procedure) for agency in (None, "T1", "T2", "TAX")
          for procedure in (None, "1.001612", "9.000001")]


# -- the world, made by the services ---------------------------------------------------------
class Mailer:
    """Accepts every mail except to REFUSED (the outbox retries it later)."""

    def send(self, to, subject, body, message_id):
        if to == REFUSED:
            raise OSError("550 mailbox unavailable")


def closings(rnd: random.Random) -> list[tuple]:
    """(closing moment, procedure, outcome, email) from December to early June, with
    closings either side of midnight at the end of January (UTC is 7 hours behind)."""
    out = [(vn(2026, 1, 31, 23, 50), "1.001193", "returned", "a@example.com"),
           (vn(2026, 2, 1, 0, 10), "1.001193", "returned", "b@example.com"),
           (vn(2026, 3, 31, 16, 0), "9.000001", "returned", REFUSED),
           (vn(2026, 6, 2, 9, 0), "9.000001", "returned", "c@example.com")]
    start = vn(2025, 12, 1, 8, 0)
    for i in range(44):
        at = start + timedelta(days=rnd.randrange(175), hours=rnd.randrange(10), minutes=rnd.randrange(60))
        outcome = rnd.choices(["returned", "rejected", "withdrawn"], [12, 2, 1])[0]
        email = rnd.choices([f"p{i}@example.com", REFUSED, None], [7, 2, 1])[0]
        out.append((at, rnd.choice(list(PROCEDURES)), outcome, email))
    return sorted((c for c in out if c[0] < NOW), key=lambda c: c[0])


def close_one(ctx, clock, n: int, at, code: str, outcome: str, email) -> str:
    agency, documents, steps = PROCEDURES[code]
    clock.at = at - timedelta(minutes=len(steps) + 2)
    desk = Actor(f"desk.{agency}", "supervisor", agency)
    d, _ = dossiers.intake(ctx, desk, code, Applicant(f"Người nộp {n}", f"0790000{n:05d}", None, email),
                           documents, "in_person")
    if outcome != "returned":
        clock.at = at
        dossiers.act(ctx, desk, d.code, "reject" if outcome == "rejected" else "withdraw",
                     {"reason": "không đủ điều kiện"})
        return d.code
    dossiers.act(ctx, desk, d.code, "forward", {})
    for i, step_agency in enumerate(steps):
        clock.advance(minutes=1)
        dossiers.act(ctx, Actor(f"sup.{step_agency}", "supervisor", step_agency), d.code,
                     "forward" if i < len(steps) - 1 else "complete", {})
    clock.at = at
    dossiers.act(ctx, desk, d.code, "return_result", {})
    return d.code


def answers_for(q, rnd: random.Random) -> dict:
    return {x.code: rnd.choice((1, 2, 3, 4, 4, 5, 5, 5)) for x in q.questions.values()
            if not x.optional or rnd.random() < 0.6}


def build_world(ctx, clock, tmp_path, seed: int = 11) -> dict:
    """Close dossiers over six months through the services; relay the outbox (surveys
    opened, invitations sent); citizens answer 0-20 days later, some never. Returns facts
    about what was made, for the test to check the world is what it claims."""
    extra = tmp_path / "t2"
    extra.mkdir(exist_ok=True)
    for name, text in T2_CATALOG.items():
        (extra / name).write_text(text, encoding="utf-8")
    report = load(ctx.engine, [FIXTURE_CATALOG, extra], now=vn(2025, 1, 1, 0, 0))
    assert not report.errors, report.errors
    cfg = get_config("testing")
    settings = {k: getattr(cfg, k) for k in dir(cfg) if k.isupper()}
    settings.update(SMS_FILE=str(tmp_path / "sms.jsonl"), SURVEY_MIN_INTERVAL_DAYS=0)
    conf = survey_config(settings)
    handlers = survey_handlers(ctx, settings, Mailer())
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)  # leases on real time, as messages are
    rnd = random.Random(seed)
    timeline = []  # (moment, kind, data)
    for n, (at, code, outcome, email) in enumerate(closings(rnd)):
        timeline.append((at, "close", (n, code, outcome, email)))
        if outcome != "withdrawn" and email and rnd.random() < 0.75:
            timeline.append((at + timedelta(days=rnd.uniform(0.01, 20)), "answer", n))
    codes = {}
    for at, kind, data in sorted(timeline, key=lambda e: e[0]):
        if at >= NOW:
            continue
        if kind == "close":
            n, code, outcome, email = data
            codes[n] = close_one(ctx, clock, n, at, code, outcome, email)
        else:
            clock.at = at
            with ctx.engine.connect() as conn:
                found = conn.execute(select(surveys.c.nonce, surveys.c.expires_at).where(
                    surveys.c.dossier_code == codes[data])).first()
            if found is None or found.expires_at is None:
                continue
            q = conf.in_force(at.date()).questionnaire
            answer(ctx, conf, conf.token(found.nonce), answers_for(q, rnd),
                   "Chờ lâu" if rnd.random() < 0.2 else None, False)
        while relay_service.relay(claimer, handlers)["sent"]:  # the worker's pass
            pass
    clock.at = NOW
    with ctx.engine.connect() as conn:
        rows = conn.execute(select(surveys)).all()
    facts = dict(
        surveys=len(rows), answered=sum(r.answered_at is not None for r in rows),
        never_reached=sum(r.invited_at is None and r.answered_at is None for r in rows),
        answered_before_invited=sum(r.answered_at is not None and r.invited_at is None for r in rows),
        answered_next_month=sum(r.answered_at is not None and
                                r.answered_at.astimezone(ctx.calendar.tz).strftime("%Y-%m") != r.period
                                for r in rows),
        agencies={r.agency for r in rows}, periods={r.period for r in rows})
    return dict(conf=conf, facts=facts)


@pytest.fixture
def world(engine, calendar, tmp_path):
    clock = FakeClock(vn(2025, 12, 1, 7, 0))
    ctx = Context(engine=engine, calendar=calendar, now=clock)
    built = build_world(ctx, clock, tmp_path)
    return ctx, built["conf"], built["facts"]


def tally_rows(engine) -> dict:
    """Every tally row with a survey, by table and key (zero rows a retraction leaves are
    skipped: they stand for nothing)."""
    out = {}
    with engine.connect() as conn:
        for table, measure in ((survey_tally_counts, "surveys"), (survey_tally_counts_daily, "surveys"),
                               (tally_table, "answered"), (survey_tally_daily, "answered")):
            width = len(table.primary_key.columns)
            out[table.name] = {tuple(str(v) for v in r[:width]): tuple(r[width:]) for r in conn.execute(
                select(table).where(table.c[measure] != 0))}
    return out


def assert_reports_equal(ctx, conf, periods=PERIODS, scopes=SCOPES) -> int:
    compared = 0
    for first, last in periods:
        for agency, procedure in scopes:
            got = sipas_report(ctx, conf, first, last, agency, procedure)
            want = reference_report(ctx, conf, first, last, agency, procedure)
            assert got == want, (first, last, agency, procedure)
            compared += 1
    return compared


# -- the tests ---------------------------------------------------------------------------------
def test_tally_report_equals_the_sums_over_the_answers(world):
    ctx, conf, facts = world
    # the world is what it claims: both agencies, six months, every path to "reached"
    assert facts["agencies"] == {"T1", "T2"}
    assert {"2025-12", "2026-01", "2026-02", "2026-03", "2026-05", "2026-06"} <= facts["periods"]
    assert facts["answered"] >= 20 and facts["never_reached"] >= 2
    assert facts["answered_before_invited"] >= 1 and facts["answered_next_month"] >= 3
    year = sipas_report(ctx, conf, *default_range(NOW.date()))
    assert year["overall"]["responses"] == facts["answered"]
    assert year["overall"]["invited"] == facts["surveys"] - facts["never_reached"]
    assert {a["agency"] for a in year["by_agency"]} == {"T1", "T2"}
    assert year["overall"]["index"] is not None and year["overall"]["feedback"]["opened"] > 0
    # local days, not UTC ones: closed at 23:50 on 31 January and 00:10 on 1 February
    # (16:50 and 17:10 UTC on the 31st), each counted on its own local day and month
    for day in (date(2026, 1, 31), date(2026, 2, 1)):
        one_day = sipas_report(ctx, conf, day, day)
        assert one_day["overall"]["invited"] >= 1
        assert one_day == reference_report(ctx, conf, day, day)
    assert assert_reports_equal(ctx, conf) == len(PERIODS) * len(SCOPES)


def test_tallies_equal_a_rebuild_from_the_raw_rows(world, engine):
    ctx, _, _ = world
    kept = tally_rows(engine)
    assert len(kept["survey_tally_counts"]) >= 10 and len(kept["survey_tally_daily"]) >= 100
    with engine.begin() as conn:
        survey_tally.rebuild(conn, ctx.calendar.tz)
    assert tally_rows(engine) == kept


def test_a_correction_between_retract_and_restore_keeps_the_tallies_right(world, engine):
    ctx, conf, _ = world
    with engine.connect() as conn:
        answered = conn.execute(select(surveys.c.id).where(surveys.c.answered_at.is_not(None))
                                .order_by(surveys.c.id)).scalars().all()
    deleted, changed, gone = answered[0], answered[1], answered[2]
    with engine.begin() as conn:  # one answer withdrawn, one rescored, one survey removed
        survey_tally.retract(conn, ctx.calendar.tz, [deleted, changed, gone])
        for sid in (deleted, gone):
            rid = select(survey_responses.c.id).where(survey_responses.c.survey_id == sid).scalar_subquery()
            conn.execute(delete(survey_scores).where(survey_scores.c.response_id == rid))
            conn.execute(delete(survey_responses).where(survey_responses.c.survey_id == sid))
            conn.execute(delete(survey_feedback).where(survey_feedback.c.survey_id == sid))
        conn.execute(update(surveys).where(surveys.c.id == deleted).values(answered_at=None))
        conn.execute(delete(surveys).where(surveys.c.id == gone))
        rid = select(survey_responses.c.id).where(survey_responses.c.survey_id == changed).scalar_subquery()
        conn.execute(update(survey_scores).where(survey_scores.c.response_id == rid)
                     .values(satisfied=0, points=survey_scores.c.answered))
        survey_tally.restore(conn, ctx.calendar.tz, [deleted, changed, gone])
    assert_reports_equal(ctx, conf, PERIODS[:4], [(None, None), ("T1", None), ("T2", None)])
    kept = tally_rows(engine)
    with engine.begin() as conn:
        survey_tally.rebuild(conn, ctx.calendar.tz)
    assert tally_rows(engine) == kept


def test_the_operator_rebuilds_lost_tallies_from_the_command_line(world, engine, db_url):
    from web import create_app
    ctx, _, _ = world
    kept = tally_rows(engine)
    with engine.begin() as conn:  # e.g. answers restored from a backup without their tallies
        conn.execute(delete(tally_table))
        conn.execute(update(survey_tally_counts_daily).values(invited=0))
    app = create_app("testing", {"DATABASE_URL": db_url}, context=ctx)
    done = app.test_cli_runner().invoke(args=["surveys", "rebuild-tally"])
    assert done.exit_code == 0 and done.output.strip() == f"rows={len(kept['survey_tally_counts'])}", done.output
    assert tally_rows(engine) == kept


def test_response_rate_counts_a_survey_reached_once(world):
    """An invitation recorded after its survey was answered does not count it again."""
    ctx, conf, facts = world
    overall = sipas_report(ctx, conf, date(2025, 12, 1), NOW.date())["overall"]
    assert overall["invited"] == facts["surveys"] - facts["never_reached"]
    assert overall["response_rate"] == percent(facts["answered"], overall["invited"])


@contextmanager
def fresh_database(backend: str, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        with empty_pg_database("motcua_tally") as url:
            yield url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_declare_the_tables_and_backfill_the_services_tallies(backend, calendar, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        upgrade(url)
        engine = make_engine(url, 2, 0)
        _PROCEDURE_CACHE.clear()  # procedure ids of another database
        try:
            with engine.connect() as conn, warnings.catch_warnings():  # as tables_surveys.py declares
                # the bottleneck sample's indexes are on an expression (migration 0014)
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
                diffs = compare_metadata(MigrationContext.configure(conn), metadata)
            assert [d for d in diffs if "survey_tally" in repr(d)] == []
            clock = FakeClock(vn(2025, 12, 1, 7, 0))
            build_world(Context(engine=engine, calendar=calendar, now=clock), clock, tmp_path, seed=5)
            kept = tally_rows(engine)
            assert len(kept["survey_tally_counts"]) >= 10 and len(kept["survey_tally_daily"]) >= 100
            engine.dispose()
            command.downgrade(alembic_config(url), "0004")  # 0012, then 0010
            with engine.connect() as conn:
                assert not any(inspect(conn).has_table(t) for t in kept)
                assert inspect(conn).has_table("dossiers")  # the other branches stay
            upgrade(url)  # 0010 and 0012 again: their backfills from the answers
            assert tally_rows(engine) == kept
        finally:
            engine.dispose()
            _PROCEDURE_CACHE.clear()
