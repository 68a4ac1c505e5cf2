"""API for fees and payments (issue 21, lệ phí, phí): a dossier's fee statement, payments
and refunds, the exemption the clerk records; the reports of what was collected and the
daily counter reconciliation (xlsx / csv)."""
from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, g, request

from workflow.adapters.export import csv_stream, local_value, xlsx_stream
from workflow.domain.errors import InvalidInput
from workflow.services.fees import payments as fee_payments
from workflow.services.fees import reports as fee_reports
from workflow.services.reports import statistics

from web.api import schemas as s
from web.api.registry import api_route
from web.api.reports import AGENCY_Q, PERIOD_Q, XLSX, _json, date_arg, period_args
from web.api.views import respond
from pydantic import BaseModel, ConfigDict, Field
from datetime import date, datetime

bp = Blueprint("api_payments", __name__, url_prefix="/api/v1")


def ctx():
    return current_app.extensions["motcua"]


def payment_json(pay: fee_payments.Payment) -> dict:
    return dict(vars(pay))


def statement_json(code: str, st: fee_payments.Statement) -> dict:
    d = st.due
    return dict(dossier_code=code, amount=d.amount, paid_at=d.paid_at, basis=d.basis,
                exemption=d.exemption, exemption_ground=d.exemption_ground, payable=d.payable,
                paid=st.paid, balance=st.balance, payments=[payment_json(x) for x in st.payments])


IDEMPOTENCY = {"Idempotency-Key": ({"type": "string", "maxLength": 100},
                                   "a retried POST with the same key returns the same payment")}


@api_route(bp, "/dossiers/<code>/payments", "POST",
           "Record a payment of the fee, or a refund as a negative amount with its reason "
           "(the desk of the receiving agency); entries are never edited",
           body=s.PaymentIn, response=s.PaymentOut, status=201, headers=IDEMPOTENCY,
           errors=(400, 401, 403, 404, 409, 422))
def record_payment(code):
    body: s.PaymentIn = g.body
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 100):
        raise InvalidInput("Idempotency-Key must be 1 to 100 characters", field="Idempotency-Key")
    fingerprint = hashlib.sha256(f"{code}|{body.model_dump_json()}".encode()).hexdigest() if key else None
    pay, replayed = fee_payments.pay(ctx(), g.actor, code, body.amount, body.method, body.reference,
                                     body.reason, key, fingerprint)
    return respond(s.PaymentOut, payment_json(pay), 201,
                   Location=f"/api/v1/dossiers/{code}/payments",
                   **({"Idempotent-Replayed": "true"} if replayed else {}))


@api_route(bp, "/dossiers/<code>/payments", "GET",
           "The dossier's fee: the amount due, exemption, payments and balance (those who may see it)",
           response=s.FeeStatementOut, errors=(401, 403, 404))
def list_payments(code):
    return respond(s.FeeStatementOut, statement_json(code, fee_payments.statement(ctx(), g.actor, code)))


@api_route(bp, "/dossiers/<code>/fee-exemption", "POST",
           "Record an exemption from the fee with its ground (the desk; once, before any payment)",
           body=s.FeeExemptionIn, response=s.FeeStatementOut, status=201,
           errors=(400, 401, 403, 404, 409, 422))
def record_fee_exemption(code):
    body: s.FeeExemptionIn = g.body
    st = fee_payments.exempt(ctx(), g.actor, code, body.code, body.ground)
    return respond(s.FeeStatementOut, statement_json(code, st), 201)


# -- reports -----------------------------------------------------------------------------
class CollectedRow(BaseModel):
    agency: str
    procedure_code: str
    day: date
    payments: int
    received: int
    refunded: int
    net: int


class CollectedTotal(BaseModel):
    payments: int
    received: int
    refunded: int
    net: int


class CollectedOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date
    agency: str | None
    items: list[CollectedRow]
    total: CollectedTotal


class ReconciliationRow(BaseModel):
    receipt_no: str
    dossier_code: str
    agency: str
    procedure_code: str
    recorded_at: datetime
    recorded_by: str
    method: str
    reference: str | None
    gateway_reference: str | None
    amount: int
    reason: str | None


class ReconciliationOut(BaseModel):
    day: date
    agency: str | None
    count: int
    total: int
    by_method: dict[str, int]
    items: list[ReconciliationRow]


@api_route(bp, "/reports/fees", "GET",
           "Fees collected per receiving agency, procedure and day (payments, refunds, net)",
           response=CollectedOut, errors=(401, 403, 422), query={**PERIOD_Q, **AGENCY_Q})
def report_fees():
    period = period_args()
    with ctx().engine.connect() as conn:
        data = fee_reports.collected(conn, period, statistics.scope_for(conn, g.actor, request.args.get("agency")))
    data["from"], data["to"] = data.pop("first"), data.pop("last")
    return _json(CollectedOut, data)


RECON_LABELS = ("Số biên lai", "Mã hồ sơ", "Cơ quan tiếp nhận", "Mã thủ tục", "Thời điểm thu",
                "Người thu", "Hình thức", "Tham chiếu", "Mã giao dịch cổng thanh toán",
                "Số tiền (đồng)", "Lý do hoàn trả")


@api_route(bp, "/reports/fees/reconciliation", "GET",
           "Daily counter reconciliation: every payment of the day with its receipt reference and "
           "the total (format=json|xlsx|csv)",
           response=ReconciliationOut, errors=(401, 403, 422), media=(XLSX, "text/csv"), query={
               "day": ({"type": "string", "format": "date"}, "the local day (default today)"),
               **AGENCY_Q,
               "format": ({"type": "string", "enum": ["json", "xlsx", "csv"]}, "json by default")})
def report_fee_reconciliation():
    return reconciliation_response(g.actor, (request.args.get("format") or "json").lower())


def reconciliation_response(actor, fmt: str):
    """The reconciliation of the day `?day=` (default today) for `?agency=`, as JSON, or
    a streamed workbook or CSV with a total line (also the supervisor's download)."""
    c = ctx()
    tz = c.calendar.tz
    day = date_arg("day", c.now().astimezone(tz).date())
    if fmt not in ("json", "xlsx", "csv"):
        raise InvalidInput("format must be json, csv or xlsx", field="format")
    with c.engine.connect() as conn:
        data = fee_reports.reconciliation(conn, day, statistics.scope_for(conn, actor, request.args.get("agency")))
    if fmt == "json":
        return _json(ReconciliationOut, data)
    table = [[i[k] for k in fee_reports.RECONCILIATION_COLUMNS] for i in data["items"]]
    table.append(["Tổng cộng", f"{data['count']} khoản", "", "", "", "", "", "", "", data["total"], ""])
    stem = f"doi-chieu-thu-phi_{day}" + (f"_{data['agency']}" if data["agency"] else "")
    if fmt == "xlsx":
        body, mimetype = xlsx_stream([("Đối chiếu thu phí", RECON_LABELS, table)], local_value(tz)), XLSX
    else:
        body, mimetype = csv_stream(RECON_LABELS, table, local_value(tz)), "text/csv"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{stem}.{fmt}"', "Cache-Control": "no-store"})
