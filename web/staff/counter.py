"""The counter (quầy tiếp nhận và trả kết quả): find a procedure, take in a dossier
against its checklist with the scans of what was presented (số hóa), print the receipt or
the one-time supplement notice, and hand results over in two clicks (list → confirm).

Intake goes through the same use case as the REST API; a hidden idempotency key makes a
double-clicked or re-sent form return the dossier already created.
"""
from __future__ import annotations

import uuid

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from web.api.schemas import ApplicantIn, FilerIn
from workflow.adapters.agencies import agency_names
from workflow.adapters.queries import list_procedures
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.users import display_names
from workflow.adapters.work_queues import desk_list
from workflow.domain.dossier import NOTIFY_CHOICES, RETURN_CHANNELS, Applicant, Filer
from workflow.domain.errors import DomainError, Forbidden, InvalidInput
from workflow.services.files.intake import intake_with_scans

from web.i18n import search_procedures
from web.security import inputs
from web.staff import pdf, printed
from web.staff.access import DESK_ROLES, DOSSIER_ROLES, actor, ctx, domain_error_page, load_visible, today
from web.staff.auth import staff_required
from web.staff.dossier_files import SCANS_PER_INTAKE, takes_upload, upload_problem

bp = Blueprint("counter", __name__, url_prefix="/quay")
bp.register_error_handler(DomainError, domain_error_page)
APPLICANT_FIELDS = {"name": "applicant_name", "id_number": "applicant_id_number",
                    "phone": "applicant_phone", "email": "applicant_email"}
# the person filing on the applicant's behalf (người nộp thay), when not the applicant
FILER_FIELDS = {"name": "filer_name", "id_number": "filer_id_number",
                "phone": "filer_phone", "email": "filer_email"}
ADDRESS_MAX = 300


def desk_procedures(conn, agency: str) -> list:
    """The procedures in force that this desk receives."""
    repo = ProcedureRepository(conn)
    return [p for p in (repo.by_id(i) for i in list_procedures(conn, today())) if p.agency == agency]


def _render_home(procedure=None, values=None, errors=None, status=200):
    agency = actor().agency
    query = request.args.get("q", "").strip()
    with ctx().engine.connect() as conn:
        procedures = desk_procedures(conn, agency)
        if procedure is None and request.values.get("thu_tuc"):
            code = request.values["thu_tuc"]
            procedure = next((p for p in procedures if p.code == code), None)
            case = request.values.get("truong_hop", "")
            if procedure is not None and procedure.case_named(case):  # the case's checklist
                procedure = procedure.for_case(case)
        ready = desk_list(conn, agency, "result_ready")
        waiting = desk_list(conn, agency, "awaiting_documents")
        online = desk_list(conn, agency, "submitted")  # sent online, to check and accept
        agency_name = agency_names(conn).get(agency, agency)
    results = search_procedures(procedures, query)
    if request.headers.get("X-Partial") == "procedures":
        return render_template("staff/_procedure_results.html", results=results, query=query)
    values = values or {"channel": "in_person", "idem": uuid.uuid4().hex, "return_by": "counter",
                        "notify": ["applicant"]}
    return render_template("staff/counter.html", results=results, query=query,
                           procedure=procedure, values=values, errors=errors or {}, ready=ready,
                           waiting=waiting, online=online, agency_name=agency_name), status


@bp.get("")
@staff_required(*DESK_ROLES)
def home():
    code = request.args.get("ma", "").strip()
    if code:
        return redirect(url_for("dossier.show", code=code))
    return _render_home()


def _person(form, fields: dict[str, str], labels: dict[str, str],
            model: type[ApplicantIn] = ApplicantIn) -> tuple[ApplicantIn | None, dict]:
    """A person's fields from the form, validated as the API validates them: (the values
    or None, the form's errors by field name)."""
    raw = {k: (form.get(f) or "").strip() or None for k, f in fields.items()}
    try:
        return model.model_validate(raw), {}
    except ValidationError as exc:
        return None, {fields[e["loc"][0]]: labels[e["loc"][0]] for e in exc.errors()
                      if e["loc"] and e["loc"][0] in labels}


def _applicant(form) -> tuple[Applicant | None, dict]:
    a, errors = _person(form, APPLICANT_FIELDS, {
        "name": _("Họ và tên người nộp là bắt buộc."),
        "id_number": _("Số giấy tờ tùy thân gồm 6–20 chữ số hoặc chữ in hoa."),
        "phone": _("Số điện thoại chưa đúng (8–20 chữ số)."),
        "email": _("Thư điện tử chưa đúng.")})
    if a is None:
        return None, errors
    return Applicant(a.name.strip(), a.id_number, a.phone, str(a.email) if a.email else None), {}


def _filer(form) -> tuple[Filer | None, dict]:
    """The filer's fields, or None when all are empty."""
    if not any((form.get(f) or "").strip() for f in FILER_FIELDS.values()):
        return None, {}
    f, errors = _person(form, FILER_FIELDS, {
        "name": _("Họ và tên người nộp thay là bắt buộc khi có người nộp thay."),
        "id_number": _("Số giấy tờ tùy thân của người nộp thay gồm 6–20 chữ số hoặc chữ in hoa."),
        "phone": _("Số điện thoại của người nộp thay chưa đúng (8–20 chữ số)."),
        "email": _("Thư điện tử của người nộp thay chưa đúng.")}, FilerIn)
    if f is None:
        return None, errors
    return Filer(f.name.strip(), f.phone, str(f.email) if f.email else None, f.id_number), {}


def _return_choice(form) -> tuple[dict, dict]:
    """How the result goes back, whom the notices go to, and why no authorisation is
    needed: normalised and bounded here, checked against the rules by the domain."""
    errors = {}
    return_by = form.get("return_by") or "counter"
    if return_by not in RETURN_CHANNELS:
        return_by, errors["return_by"] = "counter", _("Chọn hình thức nhận kết quả.")
    address = (form.get("return_address") or "").strip() or None
    if return_by != "post":
        address = None  # a typed address is dropped when the counter is chosen
    elif address:
        try:
            address = inputs.name(address)
            if len(address) > ADDRESS_MAX:
                raise InvalidInput("too long")
        except InvalidInput:
            errors["return_address"] = _("Địa chỉ nhận kết quả chưa đúng (một dòng, tối đa 300 ký tự).")
    notify = tuple(n for n in NOTIFY_CHOICES if n in form.getlist("notify")) or ("applicant",)
    exempt = (form.get("authorisation_exempt") or "").strip() or None
    if exempt:
        try:
            exempt = inputs.line(exempt)[:500]
        except InvalidInput:
            errors["authorisation_exempt"] = _("Lý do không cần văn bản ủy quyền chưa đúng.")
    return dict(return_by=return_by, return_address=address, notify=notify,
                authorisation_exempt=exempt), errors


@bp.post("/ho-so")
@takes_upload(files=SCANS_PER_INTAKE)
@staff_required(*DESK_ROLES)
def intake():
    form = request.form
    values = {k: form.get(k, "") for k in (*APPLICANT_FIELDS.values(), *FILER_FIELDS.values(),
                                           "channel", "idem", "return_by", "return_address",
                                           "authorisation_exempt", "fee_exemption", "fee_exemption_ground")}
    values["documents"] = form.getlist("documents")
    values["notify"] = form.getlist("notify")
    with ctx().engine.connect() as conn:
        found = ProcedureRepository(conn).current(form.get("procedure_code", ""), today())
    if found is None:
        abort(404)
    procedure = found[1]
    case = form.get("case") or None
    if case and procedure.case_named(case):
        procedure = procedure.for_case(case)
    applicant, errors = _applicant(form)
    filer, filer_errors = _filer(form)
    choice, choice_errors = _return_choice(form)
    errors = {**errors, **filer_errors, **choice_errors}
    key = values["idem"] if 0 < len(values["idem"]) <= 100 else None
    # a document handed in but not acceptable (wrong form, not certified...): listed on
    # the notice with the clerk's reason
    defects = {d.code: form[f"defect_{d.code}"].strip() for d in procedure.documents
               if (form.get(f"defect_{d.code}") or "").strip()}
    values["defects"] = defects
    status = 422
    if not errors:
        try:
            dossier, _replayed = intake_with_scans(
                ctx(), actor(), procedure.code, applicant, values["documents"],
                values["channel"] or "in_person", _scans(procedure), key, defects=defects or None,
                case=case, fee_exemption=_fee_exemption(values), filer=filer,
                competent_unit=_own_unit(procedure), **choice)
        except Forbidden:
            abort(403)
        except DomainError as exc:
            errors, status = _refusal(exc, procedure), exc.status
        else:
            if dossier.status == "awaiting_documents":
                flash(_("Hồ sơ chưa đủ: đã lập phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."), "warning")
                return redirect(url_for("counter.notice", code=dossier.code), 303)
            flash(_("Đã tiếp nhận hồ sơ %(code)s.", code=dossier.code), "success")
            return redirect(url_for("counter.receipt", code=dossier.code), 303)
    return _render_home(procedure, values, errors, status)


def _own_unit(procedure) -> str | None:
    """A procedure published once for several units ("{unit}", issue 22) taken in at one
    of those units' own desk is settled by that unit. The page does not yet offer taking
    one in for another unit (the API does: competent_unit)."""
    own = actor().agency
    return own if procedure.is_template and own in procedure.competent_units else None


def _fee_exemption(values: dict) -> dict | None:
    """The exemption from the fee the clerk chose (issue 21), with the particulars of its
    ground; the use case checks it is one the schedule lists."""
    code = values["fee_exemption"].strip()
    if not code:
        return None
    ground = inputs.text(values["fee_exemption_ground"].strip(), "fee_exemption.ground")[:500]
    return {"code": code[:16], "ground": ground or None}


def _scans(procedure) -> list:
    """The scans chosen for each checklist document (số hóa at intake); a file input left
    empty sends a part without a name, which is no scan."""
    return [(doc.code, f.stream, f.filename) for doc in procedure.documents
            for f in request.files.getlist(f"scan_{doc.code}") if f.filename]


CHOICE_MESSAGES = {
    "return_address": _l("Nhập địa chỉ nhận kết quả khi chọn nhận qua dịch vụ bưu chính công ích."),
    "notify": _l("Chỉ gửi thông báo cho người nộp thay khi đã ghi người nộp thay."),
    "authorisation_exempt": _l("Lý do không cần văn bản ủy quyền chỉ ghi khi có người nộp thay."),
}


def _refusal(exc: DomainError, procedure) -> dict:
    """The form's errors for a refused intake: a refused scan under its document, in words."""
    if (code := exc.details.get("authorisation")) is not None:
        name = next((d.name for d in procedure.documents if d.code == code), code)
        return {"documents": _("Người nộp thay phải xuất trình %(name)s, hoặc ghi lý do không cần "
                               "văn bản ủy quyền.", name=name)}
    if exc.field in CHOICE_MESSAGES:
        return {exc.field: str(CHOICE_MESSAGES[exc.field])}
    document = exc.details.get("document")
    if document is None:
        return {exc.field or "form": exc.message}
    name = next((d.name for d in procedure.documents if d.code == document), document)
    return {f"scan_{document}": f"{name}: {upload_problem(exc)}"}


def _slip_context(code: str, desk: bool = True):
    dossier, events = load_visible(code, desk=desk)
    people = {e.actor for e in events} | {g["by"] for g in dossier.guidance}
    with ctx().engine.connect() as conn:
        names = display_names(conn, people)
        agencies = agency_names(conn)
    return dossier, events, names, agencies


def _slip(model: dict | None, dossier, to_pdf, stem: str, template: str):
    """One printed slip as its page, or as a PDF with `?format=pdf`; 404 when there is none."""
    if model is None:
        abort(404)
    if request.args.get("format") == "pdf":
        data = to_pdf(model, current_app.config["TIMEZONE"])
        return Response(data, mimetype="application/pdf", headers={
            "Content-Disposition": f'inline; filename="{stem}-{dossier.code}.pdf"'})
    return render_template(template, m=model, dossier=dossier)


@bp.get("/ho-so/<code>/bien-nhan")
@staff_required(*DESK_ROLES)
def receipt(code):
    dossier, events, names, agencies = _slip_context(code)
    if dossier.received_at is None:
        return redirect(url_for("counter.notice", code=code))
    model = printed.receipt(dossier, events, names, agencies, current_app.config["PUBLIC_BASE_URL"],
                            ctx().calendar.tz)
    return _slip(model, dossier, pdf.receipt_pdf, "bien-nhan", "staff/receipt.html")


def _form(code: str, build, to_pdf, stem: str, template: str, desk: bool = False, with_tz: bool = True):
    """A printed form of the dossier (workflow.domain.rules numbers and titles it): built
    once by `web.staff.printed`, then its page or its PDF."""
    dossier, events, names, agencies = _slip_context(code, desk=desk)
    model = build(dossier, events, names, agencies, ctx().calendar.tz if with_tz else ctx().calendar)
    return _slip(model, dossier, to_pdf, stem, template)


@bp.get("/ho-so/<code>/phieu-bo-sung")
@staff_required(*DESK_ROLES)
def notice(code):
    """Form 02: the one-time request to supplement, at the receiving desk."""
    return _form(code, printed.notice, pdf.notice_pdf, "phieu-bo-sung", "staff/notice.html", desk=True)


@bp.get("/ho-so/<code>/phieu-xin-loi")
@staff_required(*DOSSIER_ROLES)
def apology(code):
    """Form 04, printed by the late agency or at the counter."""
    return _form(code, printed.apology, pdf.apology_pdf, "phieu-xin-loi", "staff/apology.html")


@bp.get("/ho-so/<code>/phieu-tu-choi")
@staff_required(*DOSSIER_ROLES)
def refusal(code):
    """Form 03: the refusal slip of a rejected dossier, with reasons and legal basis."""
    return _form(code, printed.refusal, pdf.refusal_pdf, "phieu-tu-choi", "staff/refusal.html")


@bp.get("/ho-so/<code>/thong-bao-dung")
@staff_required(*DOSSIER_ROLES)
def stop_notice(code):
    """Form 05 of Circular 03/2025: the notice of stopping a withdrawn dossier."""
    return _form(code, printed.stop_notice, pdf.stop_pdf, "thong-bao-dung", "staff/stop.html")


@bp.get("/ho-so/<code>/phieu-kiem-soat")
@staff_required(*DOSSIER_ROLES)
def control_sheet(code):
    """The process control sheet: every hand-off, who, when, on time or late."""
    return _form(code, printed.control_sheet, pdf.control_pdf, "phieu-kiem-soat", "staff/control.html",
                 with_tz=False)


FORM_ENDPOINTS = {"receipt": "counter.receipt", "supplement": "counter.notice",
                  "refusal": "counter.refusal", "apology": "counter.apology",
                  "stop": "counter.stop_notice", "control": "counter.control_sheet"}
DESK_FORMS = ("receipt", "supplement")  # printed at the receiving desk only


@bp.get("/tra-ket-qua/<code>")
@staff_required(*DESK_ROLES)
def return_confirm(code):
    """Second click of the hand-over: check the person and the result, then confirm."""
    dossier, _events = load_visible(code, desk=True)
    if dossier.status != "result_ready":
        flash(_("Hồ sơ %(code)s chưa có kết quả để trả.", code=code), "warning")
        return redirect(url_for("dossier.show", code=code))
    return render_template("staff/return_confirm.html", dossier=dossier)
