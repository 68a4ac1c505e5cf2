"""The REST API under /api/v1: catalog (public) and dossiers (staff, bearer token)."""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Blueprint, current_app, g, jsonify, request, url_for

from workflow.adapters.queries import list_dossiers, list_procedures
from workflow.adapters.repository import ProcedureRepository
from workflow.domain.dossier import Applicant, Filer, STEP_STATUSES
from workflow.domain.errors import Forbidden, InvalidInput, NotFound
from workflow.domain.lifecycle import lifecycle_for
from workflow.domain.rules import applicable_forms, regime_of
from workflow.services.dossiers import use_cases
from workflow.services.files import attachments

from web.security.privacy import applicant_for, filer_for
from web.staff.counter import FORM_ENDPOINTS
from web.api import schemas as s
from web.api.registry import api_route, openapi

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def ctx():
    return current_app.extensions["motcua"]


# -- serialisers -----------------------------------------------------------------------
def procedure_summary(p) -> dict:
    return dict(code=p.code, name=p.name, field=p.field, level=p.level, agency=p.agency,
                processing_days=p.processing_days, version=p.version,
                inter_agency=any(st.agency != p.agency for st in p.steps))


def procedure_full(p) -> dict:
    return dict(
        procedure_summary(p), effective_from=p.effective_from.isoformat(),
        effective_to=p.effective_to.isoformat() if p.effective_to else None,
        fee=dict(amount=p.fee.amount, currency=p.fee.currency, note=p.fee.note,
                 public_note=p.fee.public_note, paid_at=p.fee.paid_at, basis=p.fee.basis,
                 exemptions=[dict(code=e.code, ground=e.ground) for e in p.fee.exemptions]),
        channels=list(p.channels), result=p.result, result_code=p.result_code,
        legal_basis=list(p.legal_basis), on_supplement=p.on_supplement,
        cutoff=p.cutoff.strftime("%H:%M") if p.cutoff else None,
        documents=[vars(d) for d in p.documents], steps=[vars(st) for st in p.steps],
        time_note=p.extra.get("time_note"), sources=list(p.extra.get("sources") or []))


def dossier_full(d, events, now, who) -> dict:
    step = d.current_step if d.status in STEP_STATUSES else None
    return dict(
        code=d.code, procedure_code=d.procedure.code, procedure_version=d.procedure.version,
        procedure_name=d.procedure.name, agency=d.receiving_agency, status=d.status,
        current_step=dict(code=step.code, name=step.name, agency=step.agency, due_at=d.step_due_at)
        if step else None,
        channel=d.channel, applicant=applicant_for(who, d), received_at=d.received_at, due_at=d.due_at,
        appointment_at=d.appointment_at, result_ready_at=d.result_ready_at, closed_at=d.closed_at,
        overdue=d.is_overdue(now), visits=d.visits, supplement_trips=d.supplement_trips,
        flags=d.flags, documents=d.documents, missing_documents=d.missing_documents,
        clock=dict(budget_minutes=d.clock.budget, used_minutes=d.clock.used_at(now, ctx().calendar),
                   running_since=d.clock.running_since) if d.clock else None,
        received_by=d.received_by, repeat_visit=d.repeat_visit, guidance=d.guidance,
        postponed_to=d.postponed_to, postponed_reason=d.postponed_reason,
        allowed_actions=list(lifecycle_for(d.procedure).allowed_actions(d)),
        events=[dict(seq=e.seq, at=e.at, actor=e.actor, action=e.action, from_state=e.from_state,
                     to_state=e.to_state, step=e.step, note=e.note, data=e.data) for e in events],
        files=files_json(d), version=d.version, return_by=d.return_by,
        return_address=d.return_address, tracking_number=d.tracking_number,
        filer=filer_for(who, d), notify=list(d.notify), competent_unit=d.competent_unit,
        return_at=d.return_point)


def file_json(f: attachments.StoredFile) -> dict:
    return dict(id=f.id, name=f.name, media_type=f.media_type, size=f.size, sha256=f.sha256,
                pages=f.pages, uploaded_at=f.uploaded_at, uploaded_by=f.uploaded_by, kind=f.kind,
                document=f.document, superseded_by=f.superseded_by)


def files_json(d) -> dict | None:
    """The dossier's files by document, and the result's (None where files are off)."""
    if ctx().files is None:
        return None
    with ctx().engine.connect() as conn:
        found = attachments.files_of(conn, d.id, d.code)
    documents: dict[str, list] = {}
    for f in found:
        if f.kind == attachments.DOCUMENT:
            documents.setdefault(f.document, []).append(file_json(f))
    return dict(documents=documents, result=[file_json(f) for f in found if f.kind == attachments.RESULT])


def dossier_row(r, now) -> dict:
    open_ = r.status in ("received", "in_progress", "supplement_requested")
    return dict(code=r.code, procedure_code=r.procedure_code, agency=r.agency, status=r.status,
                current_step=dict(code=r.step_code, name=r.step_code, agency=r.step_agency,
                                  due_at=r.step_due_at) if r.step_agency else None,
                received_at=r.received_at, due_at=r.due_at, closed_at=r.closed_at,
                overdue=bool(open_ and r.due_at and r.due_at < now), version=r.version)


def local_times(value, tz=None):
    """Every moment in a response is shown in the calendar's time zone (+07:00)."""
    tz = tz or ctx().calendar.tz
    if isinstance(value, datetime):
        return value.astimezone(tz)
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN else local_times(v, tz) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _PLAIN else local_times(v, tz) for v in value]
    return value


# values that hold no moment: passed through without a call (a response has ~100 of them)
_PLAIN = frozenset({str, int, float, bool, type(None)})


def respond(model, data: dict, status: int = 200, **headers):
    """The answer, checked against its declared model and written by pydantic's own JSON
    serializer (one pass, in the model's field order)."""
    body = model.model_validate(local_times(data)).model_dump_json()
    resp = current_app.response_class(body, status=status, mimetype="application/json")
    resp.headers.update(headers)
    return resp


def visible_dossier(code: str):
    """(dossier, events) if the caller may read it: staff of the receiving agency or of an
    agency holding one of its steps (web/staff/access.py), or an administrator; else 403."""
    return use_cases.get_visible(ctx(), g.actor, code)


def listing_agency() -> str | None:
    """Staff list the dossiers of their own agency (received there or held there now);
    administrators any agency, or all."""
    wanted = request.args.get("agency") or None
    if g.actor.role == "admin":
        return wanted
    if wanted and wanted != g.actor.agency:
        raise Forbidden(f"{g.actor.username} sees only the dossiers of {g.actor.agency}", field="agency")
    return g.actor.agency


# -- catalog ---------------------------------------------------------------------------
@api_route(bp, "/procedures", "GET", "List the procedures in force (public)",
           response=s.ProcedureList, auth=False, errors=(400,))
def list_procedures_view():
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    with ctx().engine.connect() as conn:
        repo = ProcedureRepository(conn)
        items = [procedure_summary(repo.by_id(i)) for i in list_procedures(conn, today)]
    return respond(s.ProcedureList, dict(items=items, total=len(items)))


@api_route(bp, "/procedures/<code>", "GET", "One procedure in full: documents, steps, time, fee (public)",
           response=s.ProcedureOut, auth=False, errors=(404,))
def get_procedure(code):
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    with ctx().engine.connect() as conn:
        found = ProcedureRepository(conn).current(code, today)
    if found is None:
        raise NotFound(f"no procedure '{code}' in force", field="code")
    return respond(s.ProcedureOut, procedure_full(found[1]))


# -- dossiers --------------------------------------------------------------------------
@api_route(bp, "/dossiers", "POST", "Receive a dossier at the counter (tiếp nhận hồ sơ)",
           body=s.DossierIn, response=s.DossierOut, status=201,
           links={"GetDossier": ("get_dossier", {"code": "$response.body#/code"}),
                  "ActOnDossier": ("act", {"code": "$response.body#/code"}),
                  "DossierDeadline": ("dossier_deadline", {"code": "$response.body#/code"}),
                  "DossierOriginals": ("list_originals", {"code": "$response.body#/code"}),
                  "SendOriginals": ("send_originals", {"code": "$response.body#/code"})},
           headers={"Idempotency-Key": ({"type": "string", "maxLength": 100},
                                        "a retried POST with the same key returns the same dossier")})
def create_dossier():
    body: s.DossierIn = g.body
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (0 < len(key) <= 100):
        raise InvalidInput("Idempotency-Key must be 1 to 100 characters", field="Idempotency-Key")
    a, f = body.applicant, body.filer
    dossier, replayed, events = use_cases.intake(
        ctx(), g.actor, body.procedure_code,
        Applicant(a.name, a.id_number, a.phone, str(a.email) if a.email else None),
        body.documents, body.channel, key, defects=body.defects, with_events=True, case=body.case,
        fingerprint=_fingerprint(body) if key else None,
        fee_exemption=body.fee_exemption.model_dump() if body.fee_exemption else None,
        return_by=body.return_by, return_address=body.return_address,
        filer=Filer(f.name, f.phone, str(f.email) if f.email else None, f.id_number) if f else None,
        notify=tuple(body.notify), authorisation_exempt=body.authorisation_exempt,
        competent_unit=body.competent_unit, return_at=body.return_at)
    return respond(s.DossierOut, dossier_full(dossier, events, ctx().now(), g.actor), 201,
                   Location=f"/api/v1/dossiers/{dossier.code}",
                   **({"Idempotent-Replayed": "true"} if replayed else {}))


# fields added by issue 21: left out of a body's fingerprint when the body leaves them
# out, so a body written before them keeps the fingerprint it had
_LATER_FIELDS = frozenset({"fee_exemption", "return_by", "return_address", "filer",
                           "authorisation_exempt", "notify", "competent_unit", "return_at"})


def _fingerprint(body: s.DossierIn) -> str:
    unset = _LATER_FIELDS - body.model_fields_set
    return hashlib.sha256(body.model_dump_json(exclude=set(unset)).encode()).hexdigest()


def _int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"'{name}' must be an integer", field=name) from None
    if not lo <= value <= hi:
        raise InvalidInput(f"'{name}' must be between {lo} and {hi}", field=name)
    return value


@api_route(bp, "/dossiers", "GET", "List dossiers, most urgent first",
           response=s.DossierList,
           query={"status": ({"type": "string", "enum": list(s.Status.__args__)}, "filter by status"),
                  "agency": ({"type": "string"}, "receiving agency or holder of the current step "
                             "(staff: only their own; administrators: any)"),
                  "overdue": ({"type": "boolean"}, "only (not) overdue"),
                  "flag": ({"type": "string", "enum": ["repeat_visit"]}, "only flagged dossiers"),
                  "page": ({"type": "integer", "minimum": 1}, "page number, from 1"),
                  "per_page": ({"type": "integer", "minimum": 1, "maximum": 200}, "items per page")})
def list_dossiers_view():
    status = request.args.get("status") or None
    if status and status not in s.Status.__args__:
        raise InvalidInput(f"unknown status '{status}'", field="status")
    overdue_raw = request.args.get("overdue")
    if overdue_raw not in (None, "", "true", "false", "1", "0"):
        raise InvalidInput("'overdue' must be true or false", field="overdue")
    overdue = None if overdue_raw in (None, "") else overdue_raw in ("true", "1")
    page = _int_arg("page", 1, 1, 1_000_000)
    per_page = _int_arg("per_page", 50, 1, 200)
    flag = request.args.get("flag") or None
    if flag not in (None, "repeat_visit"):
        raise InvalidInput(f"unknown flag '{flag}'", field="flag")
    now = ctx().now()
    with ctx().engine.connect() as conn:
        rows, total = list_dossiers(conn, now, status, listing_agency(), overdue, page, per_page,
                                    flag)
    return respond(s.DossierList, dict(items=[dossier_row(r, now) for r in rows], page=page,
                                       per_page=per_page, total=total))


@api_route(bp, "/dossiers/<code>", "GET", "One dossier with its history", response=s.DossierOut,
           errors=(401, 403, 404))
def get_dossier(code):
    dossier, events = visible_dossier(code)
    return respond(s.DossierOut, dossier_full(dossier, events, ctx().now(), g.actor),
                   ETag=f'"{dossier.version}"')


@api_route(bp, "/dossiers/<code>/forms", "GET",
           "The printed forms that apply to the dossier now, numbered by the rules in force when "
           "it was received (HTML and PDF)", response=s.FormList, errors=(401, 403, 404))
def dossier_forms(code):
    dossier, _events = visible_dossier(code)
    tz = ctx().calendar.tz
    regime = regime_of(dossier, tz)
    items = []
    for f in applicable_forms(dossier, tz):
        html = url_for(FORM_ENDPOINTS[f.key], code=dossier.code, _external=True)
        items.append(dict(form=f.number, key=f.key, title=f.title, source=regime.forms_source,
                          html=html, pdf=url_for(FORM_ENDPOINTS[f.key], code=dossier.code, format="pdf",
                                                 _external=True)))
    return respond(s.FormList, dict(items=items, regime=regime.citation))


@api_route(bp, "/dossiers/<code>/actions/<action>", "POST",
           "Apply a lifecycle action (409 lists the actions allowed now)",
           body=s.ACTION_BODIES, body_key="action", response=s.DossierOut,
           errors=(400, 401, 403, 404, 409, 412, 422),
           links={"GetDossier": ("get_dossier", {"code": "$response.body#/code"}),
                  "ActAgain": ("act", {"code": "$response.body#/code"})},
           headers={"If-Match": ({"type": "string"}, "the dossier version you read; 412 if stale")})
def act(code, action):
    if_match = request.headers.get("If-Match")
    expected = None
    if if_match is not None:
        try:
            expected = int(if_match.strip().strip('W/').strip('"'))
        except ValueError:
            raise InvalidInput("If-Match must be the dossier's version number", field="If-Match") from None
    payload = g.body.model_dump(exclude_none=True)
    dossier, events = use_cases.act(ctx(), g.actor, code, action, payload, expected, with_events=True)
    return respond(s.DossierOut, dossier_full(dossier, events, ctx().now(), g.actor), ETag=f'"{dossier.version}"')


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi("/api/v1", "motcua — một cửa API", "1.0.0"))
