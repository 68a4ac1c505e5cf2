"""API for following dossiers up: notifications, deadline explanations, the
repeat-visit report and the citizen's self-check against a procedure's checklist."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, current_app, g, jsonify, request
from pydantic import BaseModel, Field

from workflow.adapters.repository import ProcedureRepository
from workflow.domain.errors import Forbidden, InvalidInput, NotFound
from workflow.services.dossiers import explain
from workflow.services.notifications import inbox
from workflow.services.reports import repeat_visits

from web.security import inputs
from web.api.registry import api_route
from web.api.schemas import Line, Strict
from web.api.views import _int_arg, respond, visible_dossier

bp = Blueprint("api_followup", __name__, url_prefix="/api/v1")


def ctx():
    return current_app.extensions["motcua"]


class NotificationOut(BaseModel):
    id: int
    created_at: datetime
    kind: str
    dossier_code: str | None
    message: str
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int


class Ok(BaseModel):
    ok: bool


class SkippedDayOut(BaseModel):
    day: str
    reason: str
    name: str | None


class PauseOut(BaseModel):
    started_at: datetime
    ended_at: datetime | None
    reason: str | None
    working_minutes: int
    clock_after: str
    documents: list[str]


class HolderOut(BaseModel):
    holder: str
    working_minutes: int


class StepTimeOut(BaseModel):
    code: str
    agency: str
    budget_minutes: int
    working_minutes: int


class DeadlineOut(BaseModel):
    code: str
    procedure_code: str
    procedure_version: int
    processing_days: float
    minutes_per_day: int
    budget_minutes: int
    used_minutes: int
    received_at: datetime | None
    clock_started_at: datetime | None
    cutoff: str | None
    same_day: bool = Field(description="settled within the day of receipt (before the cut-off)")
    day_unit: str = Field(description="working | calendar: how processing_days are counted")
    case: str | None = Field(description="the procedure's case the dossier was received under")
    time_text: str = Field(description="the statutory time as the receipt prints it")
    on_supplement: str
    appointment_at: datetime | None
    due_at: datetime | None
    postponed_to: datetime | None
    postponed_reason: str | None
    skipped_days: list[SkippedDayOut]
    pauses: list[PauseOut]
    holders: list[HolderOut]
    steps: list[StepTimeOut]


class RepeatTotals(BaseModel):
    dossiers: int
    repeat_visit_dossiers: int
    repeat_visit_rate: float
    guidance_failures: int
    flagged: int
    avg_trips: float


class RepeatGroup(BaseModel):
    agency: str
    procedure_code: str
    clerk: str | None
    month: str
    dossiers: int
    repeat_visit_dossiers: int
    repeat_visit_rate: float
    flagged: int
    trips: int
    avg_trips: float


class FailureGroup(BaseModel):
    agency: str
    procedure_code: str
    clerk: str
    count: int


class RepeatReport(BaseModel):
    totals: RepeatTotals
    groups: list[RepeatGroup]
    guidance_failures: list[FailureGroup]


class CheckIn(Strict):
    documents: list[Line] = Field(default_factory=list, max_length=100)


class CheckOut(BaseModel):
    procedure_code: str
    complete: bool
    missing: list[str]
    missing_names: list[str]


@api_route(bp, "/notifications", "GET", "My notifications, newest first", response=NotificationList,
           query={"unread": ({"type": "boolean"}, "only unread ones"),
                  "page": ({"type": "integer", "minimum": 1}, "page"),
                  "per_page": ({"type": "integer", "minimum": 1, "maximum": 200}, "items per page")},
           errors=(401, 422))
def list_notifications():
    unread = request.args.get("unread", "false")
    if unread not in ("true", "false", "1", "0", ""):
        raise InvalidInput("'unread' must be true or false", field="unread")
    page, per_page = _int_arg("page", 1, 1, 1_000_000), _int_arg("per_page", 50, 1, 200)
    rows, total = inbox.list_for(ctx(), g.actor, unread in ("true", "1"), page, per_page)
    return respond(NotificationList, dict(items=[dict(r._mapping) for r in rows], page=page,
                                          per_page=per_page, total=total))


@api_route(bp, "/notifications/<int:notification_id>/read", "POST", "Mark a notification read",
           response=Ok, errors=(401, 404))
def read_notification(notification_id):
    inbox.mark_read(ctx(), g.actor, notification_id)
    return jsonify({"ok": True})


@api_route(bp, "/dossiers/<code>/deadline", "GET",
           "How the appointment was computed and who used the working time", response=DeadlineOut,
           errors=(401, 403, 404))
def dossier_deadline(code):
    visible_dossier(code)  # 403 unless the caller may read the dossier
    return respond(DeadlineOut, explain.explain(ctx(), code))


def _period():
    tz = ctx().calendar.tz
    start = inputs.parse_date(request.args["from"], "from") if request.args.get("from") else None
    end = inputs.parse_date(request.args["to"], "to") if request.args.get("to") else None
    today = ctx().now().astimezone(tz).date()
    end = end or today
    start = start or end.replace(day=1)
    if start > end:
        raise InvalidInput("'from' is after 'to'", field="from")
    return (datetime.combine(start, time(0), tz), datetime.combine(end + timedelta(days=1), time(0), tz))


def reporting_agency() -> str | None:
    """Supervisors see their own agency; admins any (or all)."""
    wanted = request.args.get("agency") or None
    actor = g.actor
    if actor.role == "admin":
        return wanted
    if actor.role != "supervisor":
        raise Forbidden("reports are for supervisors and admins")
    if wanted and wanted != actor.agency:
        raise Forbidden(f"a supervisor of {actor.agency} sees only that agency")
    return actor.agency


@api_route(bp, "/reports/repeat-visits", "GET", "Repeat visits, guidance failures and trips",
           response=RepeatReport,
           query={"from": ({"type": "string", "format": "date"}, "first day (default: 1st of month)"),
                  "to": ({"type": "string", "format": "date"}, "last day (default: today)"),
                  "agency": ({"type": "string"}, "receiving agency")},
           errors=(401, 403, 422))
def repeat_visit_report():
    agency = reporting_agency()
    start, end = _period()
    return respond(RepeatReport, repeat_visits.report(ctx(), start, end, agency))


@api_route(bp, "/procedures/<code>/check", "POST",
           "Self-check: which required documents are still missing (public)", body=CheckIn,
           response=CheckOut, auth=False, errors=(400, 404, 422))
def self_check(code):
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    with ctx().engine.connect() as conn:
        found = ProcedureRepository(conn).current(code, today)
    if found is None:
        raise NotFound(f"no procedure '{code}' in force", field="code")
    p = found[1]
    known = {d.code for d in p.documents}
    unknown = [c for c in g.body.documents if c not in known]
    if unknown:
        raise InvalidInput(f"not in the checklist: {', '.join(unknown)}", field="documents")
    missing = p.missing(g.body.documents)
    names = {d.code: d.name for d in p.documents}
    return respond(CheckOut, dict(procedure_code=p.code, complete=not missing, missing=missing,
                                  missing_names=[names[c] for c in missing]))
