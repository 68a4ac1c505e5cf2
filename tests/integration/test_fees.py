"""Fees and payments (issue 21): the amount due per case, exemption with its ground, a
payment and a refund (append-only), the hand-over refused while an amount is due, the
collected report and the daily counter reconciliation summing to the payments, and the
fee on the receipt (form 01)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.integration.test_staff_pages import login
from workflow.adapters.tables_fees import payments
from workflow.domain.dossier import Actor
from workflow.services.dossiers import use_cases
from workflow.services.importing.catalog import load

FEES = Path(__file__).parent.parent / "fixtures" / "fees"
CLERK, KT = Actor("clerk", "counter", "T1"), Actor("kt", "officer", "T1.KT")


@pytest.fixture
def fee_catalog(engine, catalog):
    report = load(engine, [FEES], now=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert not report.errors, report.errors
    return report


def intake(api, code="1.099001", **extra):
    r = api("clerk", "POST", "/api/v1/dossiers", json={
        "procedure_code": code, "documents": ["DON"], "channel": "in_person",
        "applicant": {"name": "Nguyễn Thị Hoa", "phone": "0912000111"}, **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["code"]


def ready(ctx, code):
    for who, action in ((CLERK, "forward"), (KT, "forward"), (CLERK, "complete")):
        use_cases.act(ctx, who, code, action, {})


def statement(api, code, user="clerk"):
    r = api(user, "GET", f"/api/v1/dossiers/{code}/payments")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def pay(api, code, amount, method="cash", **kw):
    return api("clerk", "POST", f"/api/v1/dossiers/{code}/payments",
               json={"amount": amount, "method": method, **kw}, headers=kw.pop("headers", None))


def test_fee_due_per_case(api, fee_catalog):
    published = api(None, "GET", "/api/v1/procedures/1.099001").get_json()["fee"]
    assert published["paid_at"] == "intake" and published["exemptions"][0] == {"code": "HN", "ground": "Hộ nghèo"}
    plain = statement(api, intake(api))
    assert (plain["amount"], plain["payable"], plain["balance"], plain["paid_at"]) == (50000, 50000, 50000, "intake")
    assert plain["basis"] == "Nghị quyết thử nghiệm của HĐND"
    house = statement(api, intake(api, case="CO_NHA"))
    assert (house["amount"], house["balance"]) == (120000, 120000)


def test_exemption_with_its_ground_at_intake_and_after(api, fee_catalog, engine):
    code = intake(api, fee_exemption={"code": "HN", "ground": "Giấy chứng nhận hộ nghèo số 12/2026"})
    st = statement(api, code)
    assert (st["exemption"], st["exemption_ground"], st["payable"], st["balance"]) == (
        "HN", "Giấy chứng nhận hộ nghèo số 12/2026", 0, 0)
    dossier = api("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert [e["action"] for e in dossier["events"]][-1] == "fee_exemption"
    assert pay(api, code, 50000).status_code == 422  # nothing to pay when exempt
    # a ground the schedule does not list is refused, and no dossier is made
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM dossiers")).scalar_one()
    r = api("clerk", "POST", "/api/v1/dossiers", json={
        "procedure_code": "1.099001", "documents": ["DON"], "applicant": {"name": "A"},
        "fee_exemption": {"code": "XYZ"}})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "fee_exemption.code"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dossiers")).scalar_one() == before
    # after intake, by the desk, with the schedule's wording when no particulars are given
    later = intake(api)
    r = api("clerk", "POST", f"/api/v1/dossiers/{later}/fee-exemption", json={"code": "NCC"})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["exemption_ground"] == "Gia đình người có công với cách mạng"
    assert api("clerk", "POST", f"/api/v1/dossiers/{later}/fee-exemption", json={"code": "HN"}).status_code == 409


def test_payment_refund_and_append_only(api, fee_catalog, engine):
    code = intake(api)
    r = pay(api, code, 20000, reference="PT-001")
    assert r.status_code == 201, r.get_json()
    first = r.get_json()
    assert first["receipt_no"] == f"{code}/TT01" and first["amount"] == 20000
    assert pay(api, code, 40000).status_code == 422  # more than the 30.000 still due
    assert pay(api, code, 30000, method="transfer", reference="FT2603").status_code == 201
    assert statement(api, code)["balance"] == 0
    # a refund: negative, with a reason, never more than was paid
    assert pay(api, code, -10000).status_code == 422  # no reason
    assert pay(api, code, -60000, reason="thu thừa").status_code == 422
    r = pay(api, code, -10000, reason="Thu thừa 10.000 đồng")
    assert r.status_code == 201 and r.get_json()["reason"] == "Thu thừa 10.000 đồng"
    st = statement(api, code)
    assert (st["paid"], st["balance"]) == (40000, 10000)
    assert [p["amount"] for p in st["payments"]] == [20000, 30000, -10000]
    # the database refuses to edit or delete a payment
    for sql in (update(payments).values(amount=1), payments.delete()):
        with pytest.raises((DBAPIError, IntegrityError)):
            with engine.begin() as conn:
                conn.execute(sql)
    assert statement(api, code)["paid"] == 40000


@pytest.mark.parametrize("amount", [0, 1.5, "1000", True, 10 ** 13, -10 ** 13, None])
def test_bad_amounts_change_nothing(api, fee_catalog, amount):
    code = intake(api)
    r = pay(api, code, amount)
    assert r.status_code == 422, (amount, r.get_json())
    assert statement(api, code)["payments"] == []


def test_bad_method_and_nul_are_refused(api, fee_catalog):
    code = intake(api)
    assert pay(api, code, 1000, method="cheque").status_code == 422
    assert pay(api, code, 1000, reference="PT\x00").status_code in (400, 422)
    assert statement(api, code)["payments"] == []


def test_online_payment_goes_through_the_development_gateway(api, fee_catalog):
    code = intake(api)
    r = pay(api, code, 50000, method="online")
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["gateway_reference"].startswith("DEV-")


def test_idempotent_payment(api, fee_catalog):
    code = intake(api)
    h = {"Idempotency-Key": "pay-1"}
    a = api("clerk", "POST", f"/api/v1/dossiers/{code}/payments", json={"amount": 10000, "method": "cash"}, headers=h)
    b = api("clerk", "POST", f"/api/v1/dossiers/{code}/payments", json={"amount": 10000, "method": "cash"}, headers=h)
    assert a.status_code == b.status_code == 201 and b.headers.get("Idempotent-Replayed") == "true"
    assert a.get_json()["id"] == b.get_json()["id"]
    c = api("clerk", "POST", f"/api/v1/dossiers/{code}/payments", json={"amount": 20000, "method": "cash"}, headers=h)
    assert c.status_code == 422
    assert statement(api, code)["paid"] == 10000


@pytest.mark.parametrize("procedure,amount", [("1.099001", 50000), ("1.099002", 30000)])
def test_result_is_not_handed_over_while_an_amount_is_due(api, ctx, fee_catalog, procedure, amount):
    code = intake(api, procedure)
    ready(ctx, code)
    r = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={})
    assert r.status_code == 422, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == "fee_due" and f"{amount:,}".replace(",", ".") in err["message"]
    assert api("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()["status"] == "result_ready"
    assert pay(api, code, amount).status_code == 201
    r = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={})
    assert r.status_code == 200 and r.get_json()["status"] == "returned"


def test_exempt_result_is_handed_over(api, ctx, fee_catalog):
    code = intake(api, fee_exemption={"code": "HN"})
    ready(ctx, code)
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={}).status_code == 200


def test_reports_and_daily_reconciliation_sum_to_the_payments(api, fee_catalog, clock):
    a, b = intake(api), intake(api, case="CO_NHA")
    for code, amount in ((a, 50000), (b, 120000), (b, -20000)):
        assert pay(api, code, amount, reason="hoàn một phần" if amount < 0 else None).status_code == 201
    day = api("boss", "GET", "/api/v1/reports/fees/reconciliation").get_json()["day"]
    rec = api("boss", "GET", f"/api/v1/reports/fees/reconciliation?day={day}").get_json()
    assert rec["count"] == 3 and rec["total"] == 150000 == sum(i["amount"] for i in rec["items"])
    assert {i["receipt_no"] for i in rec["items"]} == {f"{a}/TT01", f"{b}/TT01", f"{b}/TT02"}
    got = api("boss", "GET", f"/api/v1/reports/fees?from={day}&to={day}").get_json()
    assert got["total"] == {"payments": 3, "received": 170000, "refunded": 20000, "net": 150000}
    assert {(i["procedure_code"], i["net"]) for i in got["items"]} == {("1.099001", 150000)}
    # the CSV and the workbook: one line per payment and a total line equal to their sum
    r = api("boss", "GET", f"/api/v1/reports/fees/reconciliation?day={day}&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(lines) == 1 + 3 + 1 and lines[-1][0] == "Tổng cộng"
    assert int(lines[-1][9]) == sum(int(x[9]) for x in lines[1:-1]) == 150000
    r = api("boss", "GET", f"/api/v1/reports/fees/reconciliation?day={day}&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(r.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "Tổng cộng" and rows[-1][9] == sum(x[9] for x in rows[1:-1]) == 150000
    # another agency's supervisor may not read T1's
    assert api("boss", "GET", "/api/v1/reports/fees?agency=TAX").status_code == 403


def test_receipt_shows_the_fee(app, api, fee_catalog):
    code = intake(api)
    exempt = intake(api, fee_exemption={"code": "HN", "ground": "Sổ hộ nghèo 2026"})
    app.config["WTF_CSRF_ENABLED"] = False
    client = login(app, "clerk")
    page = client.get(f"/quay/ho-so/{code}/bien-nhan").get_data(as_text=True)
    assert "Lệ phí/phí: 50.000 đồng" in page
    page = client.get(f"/quay/ho-so/{exempt}/bien-nhan").get_data(as_text=True)
    assert "được miễn (HN: Sổ hộ nghèo 2026)" in page


def test_dossier_page_records_payment_refund_and_exemption(app, api, fee_catalog):
    app.config["WTF_CSRF_ENABLED"] = False
    clerk = login(app, "clerk")
    code = intake(api)
    page = clerk.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Lệ phí, phí" in page and "Ghi nhận đã thu" in page and "50.000" in page
    r = clerk.post(f"/ho-so/{code}/le-phi", data={"op": "pay", "amount": "50000", "method": "cash"})
    assert r.status_code == 303
    r = clerk.post(f"/ho-so/{code}/le-phi", data={"op": "refund", "amount": "5000", "method": "cash",
                                                   "reason": "thu thừa"})
    assert r.status_code == 303
    assert [p["amount"] for p in statement(api, code)["payments"]] == [50000, -5000]
    r = clerk.post(f"/ho-so/{code}/le-phi", data={"op": "pay", "amount": "1.5", "method": "cash"})
    assert r.status_code == 303 and len(statement(api, code)["payments"]) == 2
    other = intake(api)
    clerk.post(f"/ho-so/{other}/le-phi", data={"op": "exempt", "exemption": "HN", "ground": "Sổ hộ nghèo"})
    assert statement(api, other)["exemption"] == "HN"
    # an officer of a step agency sees the fee, without the desk's forms, and may not post
    kt = login(app, "kt")
    page = kt.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Lệ phí, phí" in page and "Ghi nhận đã thu" not in page
    assert kt.post(f"/ho-so/{code}/le-phi", data={"op": "pay", "amount": "1", "method": "cash"}).status_code == 403


def test_counter_form_records_the_exemption(app, api, fee_catalog):
    app.config["WTF_CSRF_ENABLED"] = False
    clerk = login(app, "clerk")
    page = clerk.get("/quay?thu_tuc=1.099001").get_data(as_text=True)
    assert "Lệ phí, phí" in page and "Hộ nghèo" in page
    r = clerk.post("/quay/ho-so", data={
        "procedure_code": "1.099001", "applicant_name": "Lê Thị Mai", "applicant_phone": "0912000222",
        "documents": ["DON"], "channel": "in_person", "fee_exemption": "HN",
        "fee_exemption_ground": "Giấy xác nhận hộ nghèo 2026"})
    assert r.status_code == 303, r.get_data(as_text=True)
    code = r.headers["Location"].split("/")[3]
    st = statement(api, code)
    assert (st["exemption"], st["exemption_ground"], st["balance"]) == ("HN", "Giấy xác nhận hộ nghèo 2026", 0)
    assert "được miễn (HN: Giấy xác nhận hộ nghèo 2026)" in clerk.get(r.headers["Location"]).get_data(as_text=True)


def test_migration_declares_the_fee_tables(engine):
    import warnings
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from workflow.adapters.tables import metadata
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "payments" in repr(d) or "dossier_fees" in repr(d)] == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0022_goes_down_and_up(backend, tmp_path):
    from alembic import command
    from sqlalchemy import inspect
    from tests.integration.test_survey_tally import fresh_database
    from workflow.adapters.database import make_engine
    from workflow.adapters.migrations import alembic_config, upgrade
    with fresh_database(backend, tmp_path) as url:
        upgrade(url)
        command.downgrade(alembic_config(url), "0021")
        engine = make_engine(url, 2, 0)
        try:
            with engine.connect() as conn:
                assert not inspect(conn).has_table("payments") and inspect(conn).has_table("dossiers")
            upgrade(url)
            with engine.connect() as conn:
                assert inspect(conn).has_table("payments") and inspect(conn).has_table("dossier_fees")
        finally:
            engine.dispose()


def test_supervisor_downloads_the_reconciliation(app, api, fee_catalog):
    code = intake(api)
    assert pay(api, code, 50000).status_code == 201
    app.config["WTF_CSRF_ENABLED"] = False
    boss = login(app, "boss")
    assert "le-phi/doi-chieu" in boss.get("/giam-sat/bao-cao").get_data(as_text=True)
    r = boss.get("/giam-sat/le-phi/doi-chieu?format=csv")
    assert r.status_code == 200 and f"{code}/TT01" in r.get_data(as_text=True)
    sheet = openpyxl.load_workbook(io.BytesIO(boss.get("/giam-sat/le-phi/doi-chieu").get_data())).active
    assert list(sheet.iter_rows(values_only=True))[-1][9] == 50000
