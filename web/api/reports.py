"""Reports API for supervisors and administrators (bearer token): the dashboard, its
drill-down lists, the bottleneck view and the form II.06a statistics report, which also
exports as XLSX or CSV, streamed (see workflow.adapters.export)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from workflow.adapters.agencies import agency_names
from workflow.adapters.export import csv_stream, local_value, stream_rows, xlsx_stream
from workflow.domain.errors import InvalidInput
from workflow.services.reports import dashboard
from workflow.services.reports import evaluation as dossier_evaluation
from workflow.services.reports import statistics as reports
from workflow.services.reports import boundary_free, digitisation, service_index

from web.security import inputs
from web.api.registry import api_route
from web.api.views import _int_arg

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1")
LABELS = {  # form II.06a columns, in the words of the form
    "agency": "Mã cơ quan", "agency_name": "Cơ quan tiếp nhận", "procedure_code": "Mã thủ tục",
    "procedure_name": "Tên thủ tục", "received_total": "Tổng số hồ sơ nhận giải quyết",
    "carried": "Từ kỳ trước chuyển qua", "new_total": "Mới tiếp nhận trong kỳ",
    "new_online": "Trực tuyến", "new_in_person": "Trực tiếp, qua bưu chính",
    "resolved_total": "Đã giải quyết", "early": "Trước hạn", "on_time": "Đúng hạn",
    "late": "Quá hạn", "pending_total": "Đang giải quyết", "pending_within": "Trong hạn",
    "pending_overdue": "Quá hạn (đang giải quyết)", "returned": "Đã trả kết quả",
    "rejected": "Từ chối giải quyết", "withdrawn": "Rút hồ sơ",
    # a breakdown beside the form (issue 21): II.06a does not split the returns by channel
    "returned_at_counter": "Đã trả kết quả: tại Bộ phận Một cửa (ngoài biểu)",
    "returned_by_post": "Đã trả kết quả: qua bưu chính công ích (ngoài biểu)",
}
LOG_LABELS = ("Mã hồ sơ", "Cơ quan tiếp nhận", "Mã thủ tục", "Hình thức nộp", "Trạng thái",
              "Ngày tiếp nhận", "Ngày hẹn trả", "Hạn hiện tại", "Ngày có kết quả", "Ngày kết thúc",
              "Tiếp nhận", "Kết quả", "Tồn cuối kỳ", "Kết thúc trong kỳ",
              "Hình thức trả kết quả", "Mã vận đơn bưu chính")
# the form's columns only: the split of returns by channel is in the JSON and on the page
KEYS = ("agency", "agency_name", "procedure_code", "procedure_name", *reports.COLUMNS)


def ctx():
    return current_app.extensions["motcua"]


# -- schemas -----------------------------------------------------------------------------
class Figures(BaseModel):
    received_total: int
    carried: int
    new_total: int
    new_online: int
    new_in_person: int
    resolved_total: int
    early: int
    on_time: int
    late: int
    pending_total: int
    pending_within: int
    pending_overdue: int
    returned: int
    rejected: int
    withdrawn: int
    returned_at_counter: int = Field(0, description="returned at the counter (a breakdown of "
                                                    "`returned`; not a column of form II.06a)")
    returned_by_post: int = Field(0, description="returned by the public postal service (a "
                                                 "breakdown of `returned`; not a column of form II.06a)")


class SummaryRow(Figures):
    agency: str
    agency_name: str
    procedure_code: str
    procedure_name: str


class SummaryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date
    agency: str | None
    generated_at: datetime
    by: str = Field("receiving", description="receiving: rows by the agency that received the dossier "
                                             "(the form's); competent: by the unit competent to settle it")
    rows: list[SummaryRow]
    total: Figures


class Buckets(BaseModel):
    total: int
    overdue: int
    today: int
    soon: int
    on_track: int
    paused: int
    submitted: int = Field(description="submitted online, awaiting the desk's check")
    awaiting: int
    ready: int


class AgencyBuckets(Buckets):
    agency: str


class StepBuckets(Buckets):
    procedure_code: str
    step: str | None


class OfficerBuckets(Buckets):
    agency: str
    officer: str


class Week(BaseModel):
    week: str
    monday: date
    early: int
    on_time: int
    late: int
    total: int
    rate: float | None


class DashboardOut(BaseModel):
    now: datetime
    end_of_today: datetime
    soon: datetime
    agency: str | None
    by: str = Field("receiving", description="whose open dossiers: received by the agency, or for "
                                             "which it is the competent unit (either way, those at "
                                             "a step of its offices too)")
    total: Buckets
    by_agency: list[AgencyBuckets]
    by_step: list[StepBuckets]
    by_officer: list[OfficerBuckets]
    on_time_by_week: list[Week]


class OpenDossier(BaseModel):
    code: str
    procedure_code: str
    status: str
    agency: str
    holder: str
    step: str | None
    officer: str
    bucket: str
    due_at: datetime | None
    step_due_at: datetime | None
    received_at: datetime | None


class OpenDossierList(BaseModel):
    items: list[OpenDossier]
    page: int
    per_page: int
    total: int


class StepTime(BaseModel):
    procedure_code: str
    procedure_name: str
    step: str
    step_name: str
    agency: str | None
    visits: int
    median_minutes: float | None
    p90_minutes: float | None
    budget_minutes: int | None
    over_budget: int


class BottlenecksOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date
    agency: str | None
    procedure: str | None
    minutes_per_day: int
    sample: int
    sampled: bool
    dossiers: int
    estimated: bool  # dossiers counted from the sample (every × those sampled), not one by one
    every: int
    items: list[StepTime]


def _json(model, data: dict):
    return jsonify(model.model_validate(data).model_dump(mode="json", by_alias=True))


# -- arguments ---------------------------------------------------------------------------
def date_arg(name: str, default: date) -> date:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    return inputs.parse_date(raw, name)


def period_args(default_days: int | None = None, max_days: int = reports.MAX_DAYS) -> reports.Period:
    """from/to (inclusive local dates); by default this month, or the last N days."""
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    first = today - timedelta(days=default_days - 1) if default_days else today.replace(day=1)
    return reports.period(date_arg("from", first), date_arg("to", today), ctx().calendar.tz, max_days)


def by_arg() -> str:
    """by=receiving (default) or competent; anything else is a 422 on `by`."""
    by = request.args.get("by") or "receiving"
    reports.unit_column(by)
    return by


def scope_arg(conn, actor):
    return reports.scope_for(conn, actor, request.args.get("agency"))


BY_Q = {"by": ({"type": "string", "enum": list(reports.BY)},
               "receiving (default): by the agency that received the dossier; competent: by the unit "
               "competent to settle it (reception regardless of administrative boundaries)")}
AGENCY_Q = {"agency": ({"type": "string"}, "an agency and those under it (default: the supervisor's own)")}
PERIOD_Q = {"from": ({"type": "string", "format": "date"}, "first day, inclusive"),
            "to": ({"type": "string", "format": "date"}, "last day, inclusive")}


# -- export ------------------------------------------------------------------------------
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_response(actor, p: reports.Period, agency: str | None, fmt: str, rows: str = "summary",
                    by: str = "receiving"):
    """The report as a streamed XLSX (sheets: summary and log book) or CSV (`rows`:
    'summary' or 'dossiers', the log book)."""
    if fmt not in ("xlsx", "csv"):
        raise InvalidInput("format must be json, csv or xlsx", field="format")
    c = ctx()
    now, tz = c.now(), c.calendar.tz
    with c.engine.connect() as conn:
        scope = reports.scope_for(conn, actor, agency)
        data = reports.summary(conn, p, scope, now, tz, by)
    table = [[row[k] for k in KEYS] for row in data["rows"]]
    table.append(["", "Tổng cộng", "", "", *(data["total"][k] for k in reports.COLUMNS)])
    header = [LABELS[k] for k in KEYS]
    log = stream_rows(c.engine, reports.log_rows(p, scope, now, tz, by)) if fmt == "xlsx" or rows == "dossiers" else None
    stem = (f"bao-cao-II06a_{p.first}_{p.last}" + ("" if by == "receiving" else "_theo-co-quan-giai-quyet")
            + ("" if rows == "summary" or fmt == "xlsx" else "_ho-so"))
    if fmt == "xlsx":
        body = xlsx_stream([("Tổng hợp II.06a", header, table), ("Sổ theo dõi hồ sơ", LOG_LABELS, log)],
                           local_value(tz))
        mimetype = XLSX
    else:
        body = csv_stream(LOG_LABELS, log, local_value(tz)) if rows == "dossiers" else csv_stream(header, table)
        mimetype = "text/csv"  # Werkzeug adds "; charset=utf-8" to text types
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{stem}.{fmt}"', "Cache-Control": "no-store"})


# -- routes ------------------------------------------------------------------------------
@api_route(bp, "/reports/summary", "GET",
           "Statistics report, form II.06a, per receiving agency and procedure (format=json|xlsx|csv)",
           response=SummaryOut, errors=(401, 403, 422), media=(XLSX, "text/csv"), query={
               **PERIOD_Q, **AGENCY_Q, **BY_Q,
               "format": ({"type": "string", "enum": ["json", "xlsx", "csv"]}, "xlsx and csv are streamed"),
               "rows": ({"type": "string", "enum": ["summary", "dossiers"]},
                        "csv only: the summary, or one line per dossier counted (log book)")})
def report_summary():
    p = period_args()
    fmt = (request.args.get("format") or "json").lower()
    rows = request.args.get("rows") or "summary"
    if rows not in ("summary", "dossiers"):
        raise InvalidInput("rows must be summary or dossiers", field="rows")
    by = by_arg()
    if fmt != "json":
        return export_response(g.actor, p, request.args.get("agency"), fmt, rows, by)
    with ctx().engine.connect() as conn:
        data = reports.summary(conn, p, scope_arg(conn, g.actor), ctx().now(), ctx().calendar.tz, by)
    return _json(SummaryOut, data)


@api_route(bp, "/reports/dashboard", "GET",
           "Open dossiers due today, due soon (one working day) and overdue, by agency, step and "
           "officer; on-time rate by week", response=DashboardOut, errors=(401, 403, 422),
           query={**AGENCY_Q, **BY_Q, "weeks": ({"type": "integer", "minimum": 1, "maximum": 104},
                                                "weeks of on-time rate (default 12; by receiving "
                                                "agency whatever `by`)")})
def report_dashboard():
    c = ctx()
    weeks = _int_arg("weeks", 12, 1, 104)
    by = by_arg()
    m = dashboard.moments(c.now(), c.calendar)
    with c.engine.connect() as conn:
        scope = scope_arg(conn, g.actor)
        data = dashboard.counts(conn, scope, m, by)
        data["on_time_by_week"] = dashboard.on_time_by_week(conn, scope, m.now, c.calendar.tz, weeks)
    return _json(DashboardOut, data)


@api_route(bp, "/reports/dashboard/dossiers", "GET",
           "The open dossiers behind a dashboard count, earliest deadline first",
           response=OpenDossierList, errors=(401, 403, 422), query={
               **AGENCY_Q, **BY_Q, "bucket": ({"type": "string", "enum": list(dashboard.BUCKETS)}, "urgency"),
               "holder": ({"type": "string"}, "agency holding the dossier now"),
               "procedure": ({"type": "string"}, "procedure code"),
               "step": ({"type": "string"}, "current step code; '-': not at a step (at the desk)"),
               "officer": ({"type": "string"}, f"username, or '{dashboard.UNASSIGNED}'"),
               "page": ({"type": "integer", "minimum": 1}, "from 1"),
               "per_page": ({"type": "integer", "minimum": 1, "maximum": 200}, "default 50")})
def report_dashboard_dossiers():
    c = ctx()
    bucket = request.args.get("bucket") or None
    if bucket and bucket not in dashboard.BUCKETS:
        raise InvalidInput(f"bucket must be one of {', '.join(dashboard.BUCKETS)}", field="bucket")
    page, per_page = _int_arg("page", 1, 1, 1_000_000), _int_arg("per_page", 50, 1, 200)
    by = by_arg()
    with c.engine.connect() as conn:
        items, total = dashboard.drill_down(
            conn, scope_arg(conn, g.actor), dashboard.moments(c.now(), c.calendar), bucket,
            *(request.args.get(k) or None for k in ("holder", "procedure", "step", "officer")),
            page=page, per_page=per_page, by=by)
    return _json(OpenDossierList, dict(items=items, page=page, per_page=per_page, total=total))


@api_route(bp, "/reports/bottlenecks", "GET",
           "Median and 90th percentile working time per step of each procedure (default: last 30 days)",
           response=BottlenecksOut, errors=(401, 403, 422),
           query={**PERIOD_Q, **AGENCY_Q, "procedure": ({"type": "string"}, "procedure code")})
def report_bottlenecks():
    c = ctx()
    p = period_args(default_days=30, max_days=366)
    with c.engine.connect() as conn:
        data = dashboard.bottlenecks(conn, scope_arg(conn, g.actor), p, c.calendar,
                                     request.args.get("procedure") or None)
    return _json(BottlenecksOut, data)


# -- the Decision 766 service index -----------------------------------------------------------
class IndexCriterion(BaseModel):
    code: str
    name: str
    max: float | None = Field(description="the criterion's points; null where they were not found")
    formula: str
    full_at: float
    measured: bool
    why_not: str | None
    rate: float | None
    numerator: int | None
    denominator: int | None
    points: float | None


class IndexGroup(BaseModel):
    code: str
    name: str
    max: int
    points: float
    measured_max: float
    criteria: list[IndexCriterion]


class IndexAction(BaseModel):
    kind: str = Field(description="late_dossiers | late_feedback")
    agency: str | None = None
    agency_name: str | None = None
    procedure_code: str | None = None
    procedure_name: str | None = None
    dossiers: int
    gain: float = Field(description="points the index would gain had these been on time")
    text: str


class PeriodOut(BaseModel):
    """A report over a period of local days, `from` and `to` inclusive."""
    model_config = ConfigDict(populate_by_name=True)
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")


class ServiceIndexOut(PeriodOut):
    agency: str | None
    generated_at: datetime
    method: str
    points: float = Field(description="points over the criteria measured here")
    measured_max: float = Field(description="the points those criteria can give")
    max: int
    not_measured: float = Field(description="points of criteria this product cannot know")
    groups: list[IndexGroup]
    actions: list[IndexAction] = Field(description="the three actions that would gain the most points")


def index_xlsx(data: dict):
    header = ("Nhóm", "Mã", "Tiêu chí", "Điểm tối đa", "Công thức", "Tỷ lệ", "Tử số", "Mẫu số",
              "Điểm", "Ghi chú")
    rows = [(g["name"], c["code"], c["name"], c["max"], c["formula"], c["rate"], c["numerator"],
             c["denominator"], c["points"], "" if c["measured"] else f"Chưa đo được: {c['why_not']}")
            for g in data["groups"] for c in g["criteria"]]
    rows.append(("Tổng", "", "", data["measured_max"], "", "", "", "", data["points"],
                 f"{data['not_measured']} điểm chưa đo được trong hệ thống"))
    stem = f"chi-so-766_{data['from']}_{data['to']}"
    return Response(xlsx_stream([("Chỉ số 766", header, rows)]), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{stem}.xlsx"', "Cache-Control": "no-store"})


@api_route(bp, "/reports/service-index", "GET",
           "The Decision 766/QĐ-TTg service index from the records: each group and criterion with its "
           "formula, figures and points; criteria the product cannot know are marked not measured "
           "(format=json|xlsx)",
           response=ServiceIndexOut, errors=(401, 403, 422), media=(XLSX,), query={
               **PERIOD_Q, **AGENCY_Q,
               "format": ({"type": "string", "enum": ["json", "xlsx"]}, "xlsx: one sheet of criteria")})
def report_service_index():
    p = period_args()
    fmt = (request.args.get("format") or "json").lower()
    if fmt not in ("json", "xlsx"):
        raise InvalidInput("format must be json or xlsx", field="format")
    with ctx().engine.connect() as conn:
        data = service_index.measure(conn, p, scope_arg(conn, g.actor), ctx().now(), ctx().calendar.tz)
    return index_xlsx(data) if fmt == "xlsx" else _json(ServiceIndexOut, data)


class DigitisationRow(BaseModel):
    agency: str | None = None
    received: int
    digitised: int
    returned: int
    electronic_results: int
    digitised_share: float | None = Field(None, description="digitised / received (none without any)")
    electronic_share: float | None = Field(None, description="electronic_results / returned (none without any)")


class DigitisationOut(PeriodOut):
    items: list[DigitisationRow]
    total: DigitisationRow


def digitisation_xlsx(data: dict, names: dict):
    header = ("Mã cơ quan", "Cơ quan tiếp nhận", "Hồ sơ tiếp nhận", "Đã số hóa", "Tỷ lệ số hóa",
              "Hồ sơ đã trả kết quả", "Có kết quả điện tử", "Tỷ lệ kết quả điện tử")

    def line(code, name, r):
        return (code, name, r["received"], r["digitised"], r["digitised_share"], r["returned"],
                r["electronic_results"], r["electronic_share"])
    rows = [line(r["agency"], names.get(r["agency"], r["agency"]), r) for r in data["items"]]
    rows.append(line("", "Tổng cộng", data["total"]))
    stem = f"so-hoa_{data['from']}_{data['to']}"
    return Response(xlsx_stream([("Số hóa", header, rows)]), mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="{stem}.xlsx"', "Cache-Control": "no-store"})


@api_route(bp, "/reports/digitisation", "GET",
           "Digitised dossiers (every required document has a file) among those received, and "
           "electronic results among those returned, per receiving agency (Decision 766 group 4; "
           "format=json|xlsx)",
           response=DigitisationOut, errors=(401, 403, 422), media=(XLSX,), query={
               **PERIOD_Q, **AGENCY_Q,
               "format": ({"type": "string", "enum": ["json", "xlsx"]}, "xlsx: one sheet, a row per agency")})
def report_digitisation():
    p = period_args()
    fmt = (request.args.get("format") or "json").lower()
    if fmt not in ("json", "xlsx"):
        raise InvalidInput("format must be json or xlsx", field="format")
    with ctx().engine.connect() as conn:
        data = digitisation.measure(conn, p, scope_arg(conn, g.actor), ctx().now(), ctx().calendar.tz)
        names = agency_names(conn) if fmt == "xlsx" else {}
    return digitisation_xlsx(data, names) if fmt == "xlsx" else _json(DigitisationOut, data)


# -- the per-dossier evaluation, rolled up (Circular 01/2018/TT-VPCP Art. 15) ---------------
class EvaluationRow(BaseModel):
    agency: str | None = None
    officer: str | None = None
    month: str
    dossiers: int
    indicators: dict[str, float | None]
    score: float
    grade: str


class EvaluationRollupOut(PeriodOut):
    agency: str | None
    basis: str
    agencies: list[EvaluationRow] = Field(description="per receiving agency and month of the result: "
                                                      "nine indicators, score /18, grade")
    officers: list[EvaluationRow] = Field(description="per officer and month: indicators 1, 2, 3, 4, 7, "
                                                      "score /10, grade")


@api_route(bp, "/reports/evaluation", "GET",
           "The per-dossier evaluation rolled up per agency and month and per officer (Circular "
           "01/2018/TT-VPCP Art. 15); periods up to 93 days, at most 20,000 dossiers a request",
           response=EvaluationRollupOut, errors=(401, 403, 422), query={**PERIOD_Q, **AGENCY_Q})
def report_evaluation():
    p = period_args(max_days=93)
    with ctx().engine.connect() as conn:
        scope = scope_arg(conn, g.actor)
    return _json(EvaluationRollupOut, dossier_evaluation.rollup(ctx(), scope, p.first, p.last))


# -- reception regardless of administrative boundaries (issue 22, item 4) ---------------------
class UnitCount(BaseModel):
    competent_unit: str
    count: int


class PointCount(BaseModel):
    receiving_point: str
    count: int


class ForOthers(BaseModel):
    total: int
    items: list[UnitCount]


class FromElsewhere(BaseModel):
    total: int
    items: list[PointCount]


class Minutes(BaseModel):
    count: int
    median_minutes: float | None
    p90_minutes: float | None


class HandOver(BaseModel):
    dossiers: int = Field(description="received elsewhere in the period (as received_elsewhere.total)")
    to_unit: Minutes = Field(description="received_at to the first step's start (the first forward "
                                         "out of received): the hand-over to the unit's offices")
    to_return_point: Minutes = Field(description="returned ones collected at a point other than the "
                                                 "unit: result ready to returned (includes the "
                                                 "applicant's wait to collect)")


class Waiting(BaseModel):
    code: str
    receiving_point: str
    competent_unit: str
    ready_since: datetime


class Awaiting(BaseModel):
    count: int
    oldest: list[Waiting] = Field(description=f"the oldest {boundary_free.OLDEST}, oldest first")


class BoundaryFreeOut(PeriodOut):
    agency: str | None
    generated_at: datetime
    received_for_others: ForOthers = Field(description="received here in the period for another "
                                                       "competent unit, by unit")
    received_elsewhere: FromElsewhere = Field(description="this unit's dossiers received in the period "
                                                          "at other points, by receiving point")
    hand_over: HandOver
    awaiting_collection: Awaiting = Field(description="now: results ready to be collected here")


@api_route(bp, "/reports/boundary-free", "GET",
           "Reception regardless of administrative boundaries, from both sides: what an agency "
           "received for other units, what came to it from other points and how long the "
           "hand-overs took, and what waits at its counter for collection (default: this month)",
           response=BoundaryFreeOut, errors=(401, 403, 422), query={**PERIOD_Q, **AGENCY_Q})
def report_boundary_free():
    p = period_args()
    with ctx().engine.connect() as conn:
        data = boundary_free.report(conn, p, scope_arg(conn, g.actor), ctx().now())
    return _json(BoundaryFreeOut, data)
