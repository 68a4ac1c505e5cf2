"""Public status lookup (tra cứu hồ sơ), no login: the dossier code plus the last four
digits of the phone number given at the counter: the applicant's, or that of the person
who filed on their behalf (người nộp thay, issue 21). The answer is the status, the current
stage and the appointment, never a name, a number or a document.

Failed guesses are counted per dossier code and per client address (web/security/limits.py, in
Redis in production), so the four digits cannot simply be enumerated: every well-formed
lookup takes its place in both counts before it looks, and gives it back if it finds.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from workflow.adapters.agencies import agency_names
from workflow.domain.dossier import RESULT_READY, RETURNED
from workflow.domain.errors import NotFound
from workflow.services.dossiers import use_cases
from workflow.services.files.attachments import current_results, open_current_result

from web.file_download import file_response
from web.security import inputs, limits

bp = Blueprint("public", __name__)
DIGITS = 4
HANDED_OUT = (RESULT_READY, RETURNED)  # the result may be downloaded in these states


def _matches(phone: str | None, digits: str) -> bool:
    known = inputs.ascii_digits(phone or "")[-DIGITS:]
    return len(known) == DIGITS and hmac.compare_digest(known, digits)


def public_view(dossier) -> dict:
    """Only what a passer-by may learn from a code and four digits."""
    step = dossier.current_step if dossier.status in ("in_progress", "supplement_requested") else None
    with current_app.extensions["motcua"].engine.connect() as conn:
        names = agency_names(conn)
    return dict(code=dossier.code, status=dossier.status, procedure=dossier.procedure.name,
                step=step.name if step else None,
                step_agency=names.get(step.agency, step.agency) if step else None,
                agency=names.get(dossier.receiving_agency, dossier.receiving_agency),
                received_at=dossier.received_at,
                appointment_at=getattr(dossier, "postponed_to", None) or dossier.appointment_at,
                result_ready_at=dossier.result_ready_at, closed_at=dossier.closed_at,
                missing=len(dossier.missing_documents or []),
                # by post: the channel and, once handed to the post office, its tracking
                # number (the citizen follows the parcel with it; no address is shown)
                by_post=getattr(dossier, "return_by", "counter") == "post",
                tracking_number=getattr(dossier, "tracking_number", None))


@bp.route("/tra-cuu", methods=["GET", "POST"])
def status():
    code = (request.values.get("ma") or "").strip().upper()
    if request.method == "GET":
        return render_template("public/status.html", code=code, found=None, error=None)
    digits = inputs.ascii_digits(request.form.get("so") or "")  # digits of any script
    error, found, status_code = None, None, 200
    if not code or len(digits) != DIGITS:
        error, status_code = _("Nhập mã hồ sơ và đúng 4 số cuối của số điện thoại."), 422
    else:
        reservation = limits.reserve_misses(code)
        if reservation is None:
            return too_many_tries(None)
        try:
            dossier, _events = use_cases.get(current_app.extensions["motcua"], code)
        except NotFound:
            dossier = None
        if dossier is None or not any(_matches(phone, digits) for phone in dossier.lookup_phones()):
            error, status_code = _("Không tìm thấy hồ sơ với mã và số điện thoại đã nhập."), 404
        else:
            reservation.give_back()
            found = public_view(dossier)
            found["results"] = result_links(dossier)
    return render_template("public/status.html", code=code, found=found, error=error), status_code


def _links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="motcua-status-result")


def result_links(dossier) -> list[dict]:
    """The current result files with a short-lived download link each (none before the
    result is ready, or where files are off)."""
    ctx = current_app.extensions["motcua"]
    if dossier.status not in HANDED_OUT or ctx.files is None:
        return []
    with ctx.engine.connect() as conn:
        files = current_results(conn, dossier.id, dossier.code)
    return [dict(name=f.name, size=f.size, url=url_for("public.result_file", token=_links().dumps(
        [dossier.code, f.id]))) for f in files]


@bp.get("/tra-cuu/ket-qua/<token>")
def result_file(token):
    """A result file through the link the lookup gave; 404 once the link expired, for a
    forged one, or once the file is no longer the current result."""
    try:
        code, file_id = _links().loads(token, max_age=current_app.config["RESULT_LINK_MINUTES"] * 60)
    except (BadSignature, ValueError, TypeError):
        abort(404)
    try:
        return file_response(*open_current_result(current_app.extensions["motcua"], str(code),
                                                  int(file_id), HANDED_OUT))
    except NotFound:
        abort(404)


def too_many_tries(_limit):
    """The lookup page itself, saying why (web/security/limits.py counts the tries)."""
    code = (request.values.get("ma") or "").strip().upper()
    return current_app.make_response((render_template(
        "public/status.html", code=code, found=None,
        error=_("Bạn đã thử quá nhiều lần. Vui lòng thử lại sau 15 phút.")), 429))
