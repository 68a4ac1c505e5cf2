"""The survey and SIPAS API under /api/v1.

Citizens (no token, the survey link is the credential): `GET/POST /surveys/{token}`.
Supervisors and administrators (bearer token): the SIPAS report, the feedback items
opened by unhappy answers and their answers. Staff: a dossier's nine-indicator
evaluation (Circular 01/2018/TT-VPCP Art. 13-15).
"""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, g, jsonify, request

from workflow.domain.errors import Forbidden, InvalidInput
from workflow.services.dossiers import use_cases as dossier_cases
from workflow.services.surveys import use_cases
from workflow.services.reports.evaluation import evaluation_of as dossier_evaluation_of
from workflow.services.surveys.sipas_report import default_range, sipas_report
from workflow.services.surveys.config import survey_config

from web.api import registry
from web.api import survey_schemas as s
from web.security import inputs
from web.api.registry import api_route

bp = Blueprint("api_surveys", __name__, url_prefix="/api/v1")
registry.STATUS_TEXT.setdefault(410, "Gone")  # an expired survey link
REPORT_ROLES = ("supervisor", "admin")


def ctx():
    return current_app.extensions["motcua"]


def conf():
    return survey_config(current_app.config)


def respond(model, data: dict, status: int = 200):
    resp = jsonify(model.model_validate(data).model_dump(mode="json"))
    resp.status_code = status
    return resp


def _date_arg(name: str, default: date) -> date:
    raw = request.args.get(name)
    if not raw:
        return default
    return inputs.parse_date(raw, name)


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not (raw.isascii() and raw.isdigit()) or not lo <= int(raw) <= hi:
        raise InvalidInput(f"'{name}' must be an integer from {lo} to {hi}", field=name)
    return int(raw)


def report_args() -> tuple[date, date]:
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    start, end = default_range(today)
    return _date_arg("from", start), _date_arg("to", end)


# -- the citizen's survey ------------------------------------------------------------
@api_route(bp, "/surveys/<token>", "GET", "The survey behind a citizen's link (public, single-use link)",
           response=s.SurveyOut, auth=False, errors=(404, 409, 410, 429),
           query={"lang": ({"type": "string", "enum": ["vi", "en"]}, "language of the texts")})
def get_survey(token):
    lang = "en" if request.args.get("lang") == "en" else "vi"
    return respond(s.SurveyOut, use_cases.view(ctx(), conf(), token, lang))


@api_route(bp, "/surveys/<token>", "POST", "Answer the survey once (public, single-use link)",
           body=s.SurveyAnswerIn, response=s.SurveyAnswerOut, status=201, auth=False,
           errors=(400, 404, 409, 410, 422, 429))
def answer_survey(token):
    body: s.SurveyAnswerIn = g.body
    result = use_cases.answer(ctx(), conf(), token, body.answers, body.comment, body.complaint,
                              body.lang)
    return respond(s.SurveyAnswerOut, result, 201)


# -- supervisors ---------------------------------------------------------------------
def _require_role(*roles):
    if g.actor.role not in roles:
        raise Forbidden(f"{g.actor.username} ({g.actor.role}) may not see this report")


@api_route(bp, "/reports/sipas", "GET",
           "SIPAS index per element and overall, per agency, procedure and month (supervisors)",
           response=s.SipasReport, errors=(401, 403, 422),
           query={"from": ({"type": "string", "format": "date"}, "first day (default: 11 months ago, 1st)"),
                  "to": ({"type": "string", "format": "date"}, "last day, included (default: today)"),
                  "agency": ({"type": "string"}, "receiving agency code"),
                  "procedure": ({"type": "string"}, "procedure code")})
def sipas_report_view():
    _require_role(*REPORT_ROLES)
    start, end = report_args()
    report = sipas_report(ctx(), conf(), start, end, request.args.get("agency") or None,
                          request.args.get("procedure") or None)
    return respond(s.SipasReport, report)


@api_route(bp, "/feedback", "GET",
           "Feedback items opened by unhappy survey answers, oldest deadline first (supervisors)",
           response=s.FeedbackList, errors=(401, 403, 422),
           query={"status": ({"type": "string", "enum": ["open", "overdue", "answered"]}, "filter"),
                  "agency": ({"type": "string"}, "agency (administrators; supervisors see their own)"),
                  "page": ({"type": "integer", "minimum": 1}, "page number, from 1"),
                  "per_page": ({"type": "integer", "minimum": 1, "maximum": 200}, "items per page")})
def list_feedback():
    page, per_page = _int_arg("page", 1, 1, 1_000_000), _int_arg("per_page", 50, 1, 200)
    items, total = use_cases.feedback_items(ctx(), g.actor, request.args.get("agency") or None,
                                            request.args.get("status") or None, page, per_page)
    return respond(s.FeedbackList, dict(items=items, page=page, per_page=per_page, total=total))


@api_route(bp, "/feedback/<int:feedback_id>/answer", "POST",
           "Answer a feedback item; the answer is sent to the citizen (supervisor of the agency)",
           body=s.FeedbackAnswerIn, response=s.FeedbackOut, errors=(400, 401, 403, 404, 409, 422))
def answer_feedback(feedback_id):
    item = use_cases.answer_feedback(ctx(), g.actor, feedback_id, g.body.answer)
    return respond(s.FeedbackOut, item)


@api_route(bp, "/dossiers/<code>/evaluation", "GET",
           "The dossier's nine indicators, 0–2 points each, scored from its records by the bands "
           "of Circular 01/2018/TT-VPCP Art. 13-15", response=s.EvaluationOut, errors=(401, 403, 404))
def dossier_evaluation(code):
    dossier_cases.get_visible(ctx(), g.actor, code)  # the same refusal, existing or not
    found = dossier_evaluation_of(ctx(), code)
    if g.actor.role != "admin" and g.actor.agency != found["receiving_agency"]:
        raise Forbidden(f"{g.actor.username} is not staff of {found['receiving_agency']}")
    return respond(s.EvaluationOut, found)
