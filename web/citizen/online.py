"""The applicant's pages for online submission (nộp hồ sơ trực tuyến, issue 19), made for a
phone, through the same service functions as the API (web/api/submissions.py):

- /nop-truc-tuyen/<code>: step 1, who applies and where the confirmation code goes (phone
  or mail); /nop-truc-tuyen/<code>/ma-xac-nhan sends it and shows step 2, the six digits
  and one file per checklist document; posting step 2 creates the dossier and sends the
  applicant to its private link. A refusal re-renders the step with a plain message and
  its 4xx status, keeping what was typed (never the code, never the files).
- /ho-so-truc-tuyen/<token>: the private link: the state, the dates, the desk's request to
  supplement and its form (only while the desk waits for documents), the files and the
  electronic result; /ho-so-truc-tuyen/<token>/bo-sung takes the supplement.

The token is the applicant's only credential: these pages are never cached and send no
Referer; the logs hide the token (web/security/log_filters.py); a wrong token is the
ordinary 404 page.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound as PageNotFound, RequestEntityTooLarge

from workflow.adapters.agencies import agency_names
from workflow.domain import guidance
from workflow.domain.errors import DomainError, InvalidInput, NotFound
from workflow.services.dossiers.use_cases import for_competent_unit
from workflow.services.files.attachments import DOCUMENT, RESULT
from workflow.services.online import codes, submissions

from web.citizen import online_forms as forms
from web.errors.pages import html_error

bp = Blueprint("online_pages", __name__)
FIELDS = {"name": 200, "id_number": 40, "phone": 20, "email": 254, "case": 32, "verification": 32,
          "competent_unit": 32}


def ctx():
    return current_app.extensions["motcua"]


@bp.after_request
def private(resp):
    """The pages carry the private link or a pending submission: no cache keeps them and
    no Referer carries the token to another site."""
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.app_template_filter("file_size")
def file_size(size):
    return forms.file_size(size)


def _blank() -> dict:
    return {name: "" for name in FIELDS} | {"sent_to": ""}


def _given() -> dict:
    """What the applicant typed, trimmed; too long a value is refused as the API does."""
    given = {}
    for name, limit in FIELDS.items():
        value = (request.form.get(name) or request.args.get(name) or "").strip()
        if len(value) > limit:
            raise InvalidInput(f"at most {limit} characters", field=name)
        given[name] = value
    given["sent_to"] = (request.form.get("sent_to") or "")[:260]
    return given


def agency_names_of(codes) -> list[tuple[str, str]]:
    """(code, name) of the units a procedure is published for, for the applicant to choose."""
    if not codes:
        return []
    with ctx().engine.connect() as conn:
        names = agency_names(conn)
    return [(c, names.get(c, c)) for c in codes]


def _procedure(code: str, case: str | None):
    """(procedure as published, procedure for the case); a procedure not offered online is
    not found here (InvalidInput about the case is the applicant's to fix)."""
    try:
        base = submissions.procedure_online(ctx(), code)[1]
    except DomainError:
        raise PageNotFound() from None
    return base, submissions.procedure_online(ctx(), code, case)[1] if case else base


def _form(step: int, code: str, given: dict, error=(None, None), status: int = 200):
    """The submission page at `step`; `error`: (message, field) of a refusal."""
    base, p = _procedure(code, None)
    if given.get("case"):
        try:
            p = _procedure(code, given["case"])[1]
        except InvalidInput:
            given = {**given, "case": ""}
    units = agency_names_of(base.competent_units)
    return render_template("public/online_submit.html", step=step, base=base, p=p, given=given,
                           units=units,
                           error=error[0], error_field=error[1], rules=forms.file_rules(),
                           ttl=int(codes.CODE_TTL.total_seconds() // 60)), status


@bp.get("/nop-truc-tuyen/<code>")
def submission_form(code):
    return _form(1, code, _blank() | {"case": (request.args.get("case") or "")[:32]})


@bp.post("/nop-truc-tuyen/<code>/ma-xac-nhan")
def ask_code(code):
    """Step 1 sent: check the applicant's name and contact, send the code, show step 2."""
    given = _blank()
    try:
        given = _given()
        if not given["name"]:
            raise InvalidInput("the applicant's name is required", field="name")
        p = _procedure(code, given["case"] or None)[1]
        for_competent_unit(p, given["competent_unit"] or None)  # checked before a code is sent
        sent = codes.request_code(ctx(), p, given["phone"], given["email"], request.remote_addr or "")
    except DomainError as exc:
        return _form(1, code, given, forms.refusal(exc), exc.status)
    contact = codes.contact_of(given["phone"], given["email"])[1]
    return _form(2, code, {**given, "verification": sent["verification"], "sent_to": forms.masked(contact)})


@bp.post("/nop-truc-tuyen/<code>")
def submit(code):
    """Step 2 sent: the code, the files; the dossier is created, then its private link."""
    given = _blank()
    try:
        given = _given()
        p = _procedure(code, given["case"] or None)[1]
        _dossier, token, _files, _history = submissions.submit(
            ctx(), given["verification"], (request.form.get("code") or "")[:12], code,
            given["case"] or None, given["name"], given["id_number"] or None, forms.uploads(p.documents),
            competent_unit=given["competent_unit"] or None)
    except DomainError as exc:
        return _form(2, code, given, forms.refusal(exc), exc.status)
    flash(_("Đã nộp hồ sơ. Hãy lưu lại đường dẫn của trang này để theo dõi và bổ sung hồ sơ."), "success")
    return redirect(url_for(".follow", token=token), 303)


submit.upload_limit = forms.upload_limit  # read by web/security/guard.py before parsing


def _asked(dossier) -> dict | None:
    """The desk's latest request to supplement (its listed documents and reasons)."""
    notices = dossier.notices()
    return notices[-1] if notices else None


def _follow(token: str, error: str | None = None, status: int = 200):
    """The private link's page (a refusal of the supplement shown on it, with its status)."""
    try:
        dossier, history, files = submissions.by_token(ctx(), token)
    except NotFound:
        return html_error(PageNotFound())
    current = [f for f in files if f.superseded_by is None]
    notice = _asked(dossier) if dossier.status == "awaiting_documents" else None
    return render_template(
        "public/online_follow.html", d=dossier, token=token, error=error, notice=notice,
        notice_docs=[d for d in dossier.procedure.documents if notice and d.code in notice["listed"]],
        submitted_at=next((e.at for e in history if e.action == "submit"), dossier.created_at),
        refused=next((e for e in reversed(history) if e.action == "reject"), None),
        docs={d.code: d for d in dossier.procedure.documents}, not_presented=guidance.NOT_PRESENTED,
        uploads=[f for f in current if f.kind == DOCUMENT], results=[f for f in current if f.kind == RESULT],
        rules=forms.file_rules()), status


@bp.get("/ho-so-truc-tuyen/<token>")
def follow(token):
    return _follow(token)


@bp.post("/ho-so-truc-tuyen/<token>/bo-sung")
def supplement(token):
    """The files the desk asked for, one input per listed document."""
    try:
        dossier = submissions.by_token(ctx(), token)[0]
    except NotFound:
        return html_error(PageNotFound())
    notice = _asked(dossier)
    wanted = [d for d in dossier.procedure.documents if notice and d.code in notice["listed"]]
    note = (request.form.get("note") or "").strip()[:2000] or None
    try:
        submissions.supplement(ctx(), token, forms.uploads(wanted), note)
    except DomainError as exc:
        return _follow(token, forms.refusal(exc)[0], exc.status)
    flash(_("Đã gửi giấy tờ bổ sung. Hồ sơ đang chờ cán bộ một cửa kiểm tra, tiếp nhận."), "success")
    return redirect(url_for(".follow", token=token), 303)


supplement.upload_limit = forms.upload_limit


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    """More bytes than a post may carry, refused before the form is read: the page again,
    saying so (what was typed is lost with the refused body)."""
    message = _("Tổng dung lượng các tệp gửi một lần quá lớn. Mỗi tệp tối đa %(size)s; vui lòng "
                "gửi tệp nhỏ hơn.", size=forms.size_limit())
    if request.endpoint == "online_pages.supplement":
        return _follow(request.view_args["token"], message, 413)
    return _form(1, request.view_args["code"], _blank(), (message, "file"), 413)
