"""The city-year generator (bench/workload.py) at a small size on PostgreSQL: the same seed
gives the same rows, a different seed different ones; the loaded data reads as real
through the report services (the II.06a identity holds, the dashboard counts the open
dossiers, the SIPAS report counts the responses and its tallies equal the answers; the
daily rollup changes no figure);
and a ward's dashboard and report
queries read `dossiers` through indexes, never a Seq Scan, with the planner left free
(enable_seqscan on). At city scope on 20k rows the planner rightly prefers Seq Scans:
there `bench/city.py --check-plans` at 5M rows is the gate."""
from __future__ import annotations

import sys
import uuid
from datetime import datetime

import pytest
from sqlalchemy import create_engine, make_url, text

from tests.conftest import PG_ADMIN_URL
from tests.e2e.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import city  # noqa: E402
import city_load  # noqa: E402
import workload  # noqa: E402

from workflow.adapters.database import make_engine  # noqa: E402
from workflow.domain.calendar import BusinessCalendar  # noqa: E402
from workflow.domain.dossier import Actor  # noqa: E402
from workflow.services.reports import statistics as reports  # noqa: E402
from workflow.services.reports import dashboard
from workflow.services.reports import rollup as report_rollup

pytestmark = pytest.mark.e2e
ROWS, NOW = 20_000, datetime.fromisoformat(city.DEFAULT_NOW)


@pytest.fixture(scope="module")
def city_url():
    name = f"motcua_bench_city_t{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    loaded = city_load.bulk_load(url, ROWS, 7, NOW, 2, wards=30, log=lambda m: None)
    yield url, loaded
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_same_seed_same_rows_other_seed_other_rows(city_url):
    url, loaded = city_url
    city_data = workload.prepare(url, 30)  # idempotent on a loaded database
    again = city_load.checksum(None, ROWS, 7, NOW, workers=1, city=city_data)
    assert again == loaded["checksum"]  # one worker or two, loaded or not: the same rows
    assert city_load.checksum(None, ROWS, 8, NOW, workers=2, city=city_data) != again


def every_summary(conn, admin, cal) -> list:
    """II.06a of each period, city-wide and for a ward, by receiving point and by
    competent unit (the boundary-free dossiers move between rows: issue 22)."""
    ward = reports.scope_for(conn, Actor("t", "supervisor", "H26.P002"))
    return [reports.summary(conn, p, sc, NOW, cal.tz, by)["rows"] for p in city.periods(NOW, cal.tz).values()
            for sc in (admin, ward) for by in reports.BY]


def test_loaded_city_reads_as_real_data(city_url):
    url, _ = city_url
    engine, cal = make_engine(url, 1, 0), BusinessCalendar()
    with engine.connect() as conn:
        facts = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('awaiting_documents', 'received', 'in_progress', "
            "'supplement_requested', 'result_ready')), count(DISTINCT agency), count(DISTINCT procedure_code), "
            "count(*) FILTER (WHERE repeat_visit), count(*) FILTER (WHERE result_ready_at > appointment_at), "
            "count(*) FILTER (WHERE channel = 'online') FROM dossiers")).one()
        total, open_, agencies, procs, repeat, late, online = facts
        assert total == ROWS and agencies >= 30 and procs >= 9
        assert 0.005 * ROWS < repeat < 0.05 * ROWS and 0.02 * ROWS < late < 0.15 * ROWS
        assert 0.3 * ROWS < online < 0.6 * ROWS
        hops = conn.execute(text("SELECT count(*) FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id "
                                 "WHERE e.action = 'forward' AND e.to_state <> 'in_progress@TN' "
                                 "AND split_part(d.code, '-', 1) <> e.actor AND e.actor LIKE '%.cb%'")).scalar()
        assert hops > 0.1 * ROWS  # hand-offs between agencies' officers
        admin = reports.scope_for(conn, Actor("t", "admin", None))
        year = city.periods(NOW, cal.tz)["year"]
        s = reports.summary(conn, year, admin, NOW, cal.tz)["total"]
        assert s["received_total"] == s["resolved_total"] + s["rejected"] + s["withdrawn"] + s["pending_total"]
        assert s["resolved_total"] == s["early"] + s["on_time"] + s["late"] and s["late"] > 0
        assert s["new_total"] == s["new_online"] + s["new_in_person"] > 0.9 * ROWS
        m = dashboard.moments(NOW, cal)
        board = dashboard.counts(conn, admin, m)
        assert board["total"]["total"] == open_ and board["total"]["overdue"] > 0
        for bucket in dashboard.BUCKETS:  # a drill-down reads one bucket's rows: the count behind it
            assert dashboard.drill_down(conn, admin, m, bucket)[1] == board["total"][bucket], bucket
        responses = conn.execute(text("SELECT count(*) FROM survey_responses r JOIN surveys s ON s.id = r.survey_id "
                                      "WHERE s.closed_at >= :a AND s.closed_at < :b"),
                                 dict(a=year.start, b=year.end)).scalar()
        direct = every_summary(conn, admin, cal)
        weeks = dashboard.on_time_by_week(conn, admin, NOW, cal.tz)
    with engine.begin() as conn:  # the nightly rollup changes no figure
        assert report_rollup.refresh(conn, NOW.date(), cal.tz, NOW) > 1000
    with engine.connect() as conn:
        assert every_summary(conn, admin, cal) == direct
        assert dashboard.on_time_by_week(conn, admin, NOW, cal.tz) == weeks
    engine.dispose()
    from workflow.services.surveys.sipas_report import sipas_report
    from workflow.services.context import Context
    from workflow.services.surveys.config import survey_config
    from config import get_config
    cfg = get_config("testing")
    conf = survey_config({k: getattr(cfg, k) for k in dir(cfg) if k.isupper()})
    engine = make_engine(url, 1, 0)
    r = sipas_report(Context(engine, cal, lambda: NOW), conf, year.first, year.last)
    engine.dispose()
    assert r["overall"]["responses"] == responses > 0.1 * ROWS * workload.RESPONSE
    assert 60 < r["overall"]["index"] < 100 and r["overall"]["feedback"]["opened"] > 0


def test_every_dossier_is_digitised_at_reception_and_every_result_filed(city_url):
    """The generator's worst case for the digitisation report's partial indexes (migrations
    0028, 0029; the Hanoi rules are in bench/workload.py's docstring): every received
    dossier digitised at reception, every result filed when it is ready; the report and the
    service index, reading the rollup's sums (0033) and the dossiers not rolled up, count
    what a direct count of the dossiers gives, in every period."""
    from workflow.services.reports import digitisation, service_index
    url, _ = city_url
    engine, cal = make_engine(url, 1, 0), BusinessCalendar()
    try:
        with engine.connect() as conn:
            digitised_off, filed_off, returned_filed = conn.execute(text(
                "SELECT count(*) FILTER (WHERE digitised_at IS DISTINCT FROM received_at), "
                "count(*) FILTER (WHERE result_filed_at IS DISTINCT FROM result_ready_at), "
                "count(*) FILTER (WHERE status = 'returned' AND result_filed_at IS NOT NULL) FROM dossiers")).one()
            assert (digitised_off, filed_off) == (0, 0) and returned_filed > 0.5 * ROWS
        with engine.begin() as conn:  # rolled up through today (idempotent if an earlier test did)
            report_rollup.refresh(conn, NOW.date(), cal.tz, NOW)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT sum(digitised), sum(result_filed) FROM report_daily")).one()[1] > 0
            admin = reports.scope_for(conn, Actor("t", "admin", None))
            periods = city.periods(NOW, cal.tz)
            total = digitisation.measure(conn, periods["year"], admin, NOW, cal.tz)["total"]
            same = []
            for p in periods.values():
                own = digitisation.measure(conn, p, admin, NOW, cal.tz)["total"]
                groups = service_index.measure(conn, p, admin, NOW, cal.tz)["groups"]
                by_code = {x["code"]: x for g in groups for x in g["criteria"]}
                direct = conn.execute(text(
                    "SELECT count(*) FILTER (WHERE status = 'returned' AND closed_at >= :a AND closed_at < :b "
                    "AND result_filed_at IS NOT NULL), "
                    "count(*) FILTER (WHERE status = 'returned' AND closed_at >= :a AND closed_at < :b), "
                    "count(*) FILTER (WHERE received_at >= :a AND received_at < :b AND digitised_at IS NOT NULL), "
                    "count(*) FILTER (WHERE received_at >= :a AND received_at < :b) FROM dossiers"),
                    dict(a=p.start, b=p.end)).one()
                same.append(((by_code["4.1"]["numerator"], by_code["4.1"]["denominator"],
                              by_code["4.2"]["numerator"], by_code["4.2"]["denominator"]),
                             (own["electronic_results"], own["returned"], own["digitised"], own["received"]),
                             tuple(direct)))
    finally:
        engine.dispose()
    assert total["digitised"] == total["received"] > 0.9 * ROWS
    assert total["electronic_results"] == total["returned"] > 0.5 * ROWS
    assert all(a == b == c for a, b, c in same), same


def test_ward_queries_read_dossiers_through_indexes(city_url):
    url, _ = city_url
    ward = "H26.P002"
    results, plans = city.measure(url, NOW, 1, ward, log=lambda m: None)
    ward_plans = [p for p in plans if p["scope"] == "ward"]
    labels = {p["label"] for p in ward_plans}
    assert {"dashboard counts", "II.06a summary, year", "on-time rate, 12 weeks", "bottlenecks, 30 days"} <= labels
    assert all(any(rel == "dossiers" for _, _, rel in p["scans"]) for p in ward_plans if "SIPAS" not in p["label"])
    seq = [(p["label"], p["seq_on_dossiers"]) for p in ward_plans if p["seq_on_dossiers"]]
    assert not seq, seq
    assert all(r["value"] >= 0 for r in results)


def test_sipas_tallies_of_the_loaded_city_equal_the_answers(city_url):
    """The generator fills the SIPAS tallies (as the services keep them): the report read
    from them equals the sums over the copied answers, for the city and a ward, over the
    benchmark's year and a period cut inside months."""
    from datetime import date

    from config import get_config
    from tests.integration.test_survey_tally import reference_report
    from workflow.services.context import Context
    from workflow.services.surveys.sipas_report import sipas_report
    from workflow.services.surveys.config import survey_config
    url, _ = city_url
    cal = BusinessCalendar()
    cfg = get_config("testing")
    conf = survey_config({k: getattr(cfg, k) for k in dir(cfg) if k.isupper()})
    engine = make_engine(url, 1, 0)
    ctx = Context(engine, cal, lambda: NOW)
    year = city.periods(NOW, cal.tz)["year"]
    try:
        for first, last in ((year.first, year.last), (date(2026, 2, 10), date(2026, 7, 20))):
            for agency in (None, "H26.P002"):
                got = sipas_report(ctx, conf, first, last, agency)
                assert got == reference_report(ctx, conf, first, last, agency), (first, last, agency)
                assert got["overall"]["responses"] > 0
    finally:
        engine.dispose()


def test_boundary_free_dossiers_are_taken_in_at_another_point(city_url):
    """A share (an assumption: workload.BOUNDARY_FREE_SHARE) of the in-person dossiers of a
    ward procedure is received at another service point: the number, the clerk and the
    visits follow that point, the steps stay at the competent ward, the result waits at
    the point or at the ward; every other dossier is received where it is settled."""
    url, _ = city_url
    engine = make_engine(url, 1, 0)
    ward = r"^H26\.(HD|P[0-9]{3})$"
    with engine.connect() as conn:
        eligible, moved, at_city, home, odd = conn.execute(text(
            "SELECT count(*) FILTER (WHERE channel = 'in_person' AND competent_unit ~ :w), "
            "count(*) FILTER (WHERE competent_unit <> agency), "
            "count(*) FILTER (WHERE competent_unit <> agency AND agency = 'H26.PVHCC'), "
            "count(*) FILTER (WHERE competent_unit <> agency AND return_at = competent_unit), "
            "count(*) FILTER (WHERE competent_unit <> agency AND (channel <> 'in_person' OR competent_unit !~ :w "
            "  OR split_part(code, '-', 1) <> agency OR return_at NOT IN (agency, competent_unit) "
            "  OR received_by NOT LIKE lower(agency) || '.motcua%' OR step_agency LIKE agency || '.%') "
            "  OR competent_unit = agency AND return_at <> agency) FROM dossiers"), dict(w=ward)).one()
        assert 0.5 * workload.BOUNDARY_FREE_SHARE * eligible < moved < 1.5 * workload.BOUNDARY_FREE_SHARE * eligible
        assert 0 < at_city < moved and 0 < home < moved and odd == 0
        assert conn.execute(text(
            "SELECT count(*) FROM visits v JOIN dossiers d ON d.id = v.dossier_id WHERE v.agency <> d.agency "
            "UNION ALL SELECT count(*) FROM surveys s JOIN dossiers d ON d.id = s.dossier_id "
            "WHERE s.agency <> d.agency")).scalars().all() == [0, 0]
        steps_at_home = conn.execute(text(
            "SELECT count(*) FILTER (WHERE e.actor LIKE lower(d.competent_unit) || '.%'), count(*) "
            "FROM dossier_events e JOIN dossiers d ON d.id = e.dossier_id "
            "WHERE d.competent_unit <> d.agency AND d.agency <> 'H26.PVHCC' AND e.action = 'complete'")).one()
        assert steps_at_home[1] > 0 and steps_at_home[0] == steps_at_home[1]
        points = set(conn.execute(text("SELECT code FROM agencies WHERE kind = 'service_point'")).scalars())
        # the city's point and every generated ward; the demo catalog's second ward (phường
        # Dương Nội) is a service point of its own
        assert points == {"H26.PVHCC", "H26.DN", *workload.ward_codes(30)}
    engine.dispose()


def test_the_hand_over_moment_agrees_with_the_events(city_url):
    """dossiers.handed_over_at (migration 0030) as the lifecycle writes it: the first
    forward out of received in the dossier's events, none without one."""
    url, _ = city_url
    engine = make_engine(url, 1, 0)
    try:
        with engine.connect() as conn:
            kept, differ = conn.execute(text(
                "SELECT count(d.handed_over_at), count(*) FILTER (WHERE d.handed_over_at IS DISTINCT FROM f.at) "
                "FROM dossiers d LEFT JOIN (SELECT dossier_id, min(at) AS at FROM dossier_events "
                "WHERE action = 'forward' AND from_state = 'received' GROUP BY dossier_id) f "
                "ON f.dossier_id = d.id")).one()
        assert kept > 0 and differ == 0
    finally:
        engine.dispose()
