"""Supervisor pages (giám sát): the dashboard (/giam-sat), the dossiers behind each count
(/giam-sat/ho-so), the form II.06a statistics report (/giam-sat/bao-cao) with its
exports, the Decision 766 service index (/giam-sat/chi-so-766) and reception regardless of
administrative boundaries seen from both sides (/giam-sat/khong-dia-gioi, issue 22), and the
digitised dossiers and electronic results per agency (/giam-sat/so-hoa, issue 19). Rendered on the
server, Vietnamese first; the charts are inline SVG (web/supervisor/charts.py), so the
pages need no script and no CDN. Signed-in supervisors and admins only (the staff
session of web.staff.auth); the same figures are in the reports API for bearer tokens."""
from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflow.adapters.agencies import agency_names
from workflow.adapters.repository import ProcedureRepository
from workflow.domain.errors import DomainError, Forbidden
from workflow.services.reports import boundary_free, dashboard, digitisation
from workflow.services.reports import statistics as reports
from workflow.services.reports import service_index

from web.api.reports import LABELS, by_arg, digitisation_xlsx, export_response, index_xlsx, period_args
from web.api.payments import reconciliation_response
from web.api.views import _int_arg
from web.staff.auth import staff_required
from web.supervisor.charts import step_chart, week_chart

bp = Blueprint("supervisor", __name__, url_prefix="/giam-sat")
BUCKET_LABELS = {
    "overdue": _l("Quá hạn"), "today": _l("Đến hạn hôm nay"), "soon": _l("Sắp đến hạn (trong 1 ngày làm việc)"),
    "on_track": _l("Còn trong hạn"), "paused": _l("Tạm dừng, chờ bổ sung"), "submitted": _l("Nộp trực tuyến, chờ tiếp nhận"), "awaiting": _l("Chờ bổ sung tại quầy"),
    "ready": _l("Có kết quả, chờ trả")}
PER_PAGE = 50
# whose open dossiers the dashboard counts (issue 22): those received at the scope's points
# (the default) or those its units are competent to settle, wherever they were received
BY_LABELS = {"receiving": _l("Theo nơi tiếp nhận"), "competent": _l("Theo đơn vị có thẩm quyền giải quyết")}


DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def ctx():
    return current_app.extensions["motcua"]


@bp.before_request
def day_first_dates():
    """The period forms take dates as people write them, dd/mm/yyyy (a date input shows
    the browser's own format, often mm/dd/yyyy); such a query is redirected to the same
    page with ISO dates, the form the links, exports and the API use."""
    found = {k: DAY_FIRST.fullmatch(request.args.get(k, "").strip()) for k in ("from", "to")}
    if not any(found.values()):
        return None
    args = request.args.to_dict()
    for k, m in found.items():
        if m:
            args[k] = f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}"
    return redirect(url_for(request.endpoint, **(request.view_args or {}), **args))


def domain_errors_as_pages(view):
    """A refusal of the engine becomes the page's HTTP error, not the API's JSON."""
    @wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Forbidden:
            abort(403)
        except DomainError as exc:
            abort(exc.status, exc.message)
    return run


def guarded(view):
    return staff_required("supervisor", "admin")(domain_errors_as_pages(view))


def _scope(conn) -> reports.Scope:
    """The agencies the signed-in reader asks for (the query's `agency`) and may see."""
    return reports.scope_for(conn, current_user.actor, request.args.get("agency"))


def _period_query(p, **extra) -> dict:
    """The query string that asks for period `p` (and the query's agency, if any) again:
    for a page's links and downloads."""
    agency = {"agency": request.args["agency"]} if request.args.get("agency") else {}
    return {"from": p.first.isoformat(), "to": p.last.isoformat(), **agency, **extra}


def _by_query(by: str) -> dict:
    """`by` as the links carry it: left out for the default, so their addresses stay as they were."""
    return {} if by == "receiving" else {"by": by}


def _step_names(conn, codes) -> dict:
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    repo, names = ProcedureRepository(conn), {}
    for code in codes:
        found = repo.current(code, today)
        if found:
            names[code] = {s.code: s.name for s in found[1].steps}
    return names


# -- pages -----------------------------------------------------------------------------------
@bp.get("")
@guarded
def home():
    c = ctx()
    m = dashboard.moments(c.now(), c.calendar)
    p = period_args(default_days=30, max_days=366)
    by = by_arg()  # whose open dossiers: received at the scope's points, or its units competent
    with c.engine.connect() as conn:
        scope = _scope(conn)
        data = dashboard.counts(conn, scope, m, by)
        weeks = dashboard.on_time_by_week(conn, scope, m.now, c.calendar.tz, 12)
        slow = dashboard.bottlenecks(conn, scope, p, c.calendar)
        names = agency_names(conn)
        steps = _step_names(conn, {i["procedure_code"] for i in data["by_step"]})
    return render_template("supervisor/dashboard.html", d=data, scope=scope, names=names, steps=steps,
                           buckets=BUCKET_LABELS, weeks=week_chart(weeks), slow=slow,
                           chart=step_chart(slow["items"], c.calendar.minutes_per_day),
                           by_labels=BY_LABELS, by_q=_by_query(by))


@bp.get("/ho-so")
@guarded
def drill_down():
    c = ctx()
    args = {k: request.args.get(k) or None for k in ("agency", "bucket", "holder", "procedure", "step",
                                                     "officer")}
    if args["bucket"] and args["bucket"] not in dashboard.BUCKETS:
        abort(404)
    page = _int_arg("page", 1, 1, 1_000_000)
    by = by_arg()
    with c.engine.connect() as conn:
        scope = _scope(conn)
        items, total = dashboard.drill_down(
            conn, scope, dashboard.moments(c.now(), c.calendar), args["bucket"], args["holder"],
            args["procedure"], args["step"], args["officer"], page, PER_PAGE, by)
        names = agency_names(conn)
    pages = max(1, -(-total // PER_PAGE))
    return render_template("supervisor/dossiers.html", items=items, total=total, page=page, pages=pages,
                           args={k: v for k, v in args.items() if v} | _by_query(by), names=names,
                           buckets=BUCKET_LABELS, by_labels=BY_LABELS)


@bp.get("/bao-cao")
@guarded
def report():
    c = ctx()
    p = period_args()
    by = by_arg()
    with c.engine.connect() as conn:
        scope = _scope(conn)
        data = reports.summary(conn, p, scope, c.now(), c.calendar.tz, by)
        agency_name = agency_names(conn).get(scope.root, scope.root) if scope.root else None
    query = _period_query(p, **_by_query(by))
    return render_template("supervisor/report.html", d=data, labels=LABELS, query=query,
                           columns=reports.COLUMNS, agency_name=agency_name)


@bp.get("/khong-dia-gioi")
@guarded
def boundary_free_page():
    """What the agency received for other units, what came to it from other points and
    how long the hand-overs took, and what waits at its counter (issue 22, item 4)."""
    c = ctx()
    p = period_args()
    with c.engine.connect() as conn:
        scope = _scope(conn)
        data = boundary_free.report(conn, p, scope, c.now())
        names = agency_names(conn)
    return render_template("supervisor/boundary_free.html", d=data, names=names,
                           agency=request.args.get("agency") or "")


def _digitisation():
    """The digitisation table of the asked period and agency, and the agencies' names."""
    c = ctx()
    p = period_args()
    with c.engine.connect() as conn:
        scope = _scope(conn)
        return p, scope, digitisation.measure(conn, p, scope, c.now(), c.calendar.tz), agency_names(conn)


@bp.get("/so-hoa")
@guarded
def digitisation_page():
    """Per receiving agency: the dossiers received and those digitised, the dossiers
    returned and those with an electronic result (the service index's criteria 4.2, 4.1)."""
    p, scope, data, names = _digitisation()
    return render_template("supervisor/digitisation.html", d=data, names=names, agency=scope.root,
                           query=_period_query(p))


@bp.get("/so-hoa/tai-ve")
@guarded
def digitisation_download():
    """The digitisation page's table as .xlsx (the API's sheet, for the signed-in page)."""
    _, _, data, names = _digitisation()
    return digitisation_xlsx(data, names)


@bp.get("/bao-cao/tai-ve")
@guarded
def export():
    fmt = request.args.get("format", "xlsx")
    return export_response(current_user.actor, period_args(), request.args.get("agency"), fmt,
                           request.args.get("rows") or "summary", by_arg())


@bp.get("/le-phi/doi-chieu")
@guarded
def fee_reconciliation():
    """The daily counter reconciliation of fees (issue 21), xlsx or csv, `?day=`."""
    fmt = request.args.get("format", "xlsx")
    return reconciliation_response(current_user.actor, fmt if fmt in ("xlsx", "csv") else "xlsx")


TREND_MONTHS = 6


@bp.get("/chi-so-766")
@guarded
def service_index_page():
    """The service index of Decision 766/QĐ-TTg for the period, the criteria losing the
    most points, what would gain the most, and the trend of the last six months."""
    c = ctx()
    p = period_args()
    tz = c.calendar.tz
    with c.engine.connect() as conn:
        scope = _scope(conn)
        data = service_index.measure(conn, p, scope, c.now(), tz)
        trend = service_index.trend(conn, p.last, scope, c.now(), tz, TREND_MONTHS)
    losing = sorted((dict(cr, group=g["name"], lost=round(cr["max"] - cr["points"], 2))
                     for g in data["groups"] for cr in g["criteria"] if cr["points"] is not None),
                    key=lambda cr: -cr["lost"])[:3]
    query = _period_query(p)
    return render_template("supervisor/service_index.html", d=data, trend=trend, losing=losing, query=query)


@bp.get("/chi-so-766/tai-ve")
@guarded
def service_index_download():
    """The service index's criteria as .xlsx (the API's sheet, for the signed-in page: the
    API itself wants a bearer token, which a browser does not send)."""
    c = ctx()
    p = period_args()
    with c.engine.connect() as conn:
        scope = _scope(conn)
        data = service_index.measure(conn, p, scope, c.now(), c.calendar.tz)
    return index_xlsx(data)
