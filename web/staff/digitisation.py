"""Digitisation on the dossier page (số hóa hồ sơ, issue 19): upload a scan to a checklist
document, or replace one (the old file is superseded and kept), attach the result's
electronic file, sign it with the issuing agency's key (issue 21), and download a file
with the staff session.

The API's download takes a bearer token only (web/api/auth.py), so the pages have their own
route; both go through the same use cases (workflow.services.files.attachments) and so the
same rules: who may attach is the engine's (workflow.domain.attachments), who may download
is whoever may see the dossier. A refused upload re-renders the dossier page with the
reason flashed and a 4xx status; nothing is stored.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _

from workflow.domain.attachments import DOCUMENT, RESULT
from workflow.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, UnsupportedFile
from workflow.services.files import attachments, signing

from web.file_download import file_response
from web.result_signatures import signer_keys
from web.staff.access import DOSSIER_ROLES, actor, ctx, load_visible
from web.staff.auth import staff_required
from web.staff.dossier import render_page
from web.staff.dossier_files import takes_upload, upload_problem

bp = Blueprint("digitisation", __name__)


def _replaces() -> int | None:
    """The current file the upload replaces, or None to add beside the current files."""
    value = (request.form.get("replaces") or "").strip()
    if value and not (value.isdigit() and len(value) <= 18):
        raise InvalidInput("replaces must be a file id", field="replaces")
    return int(value) if value else None


def _upload(code: str, kind: str, document: str | None):
    load_visible(code)  # 403 before anything else for whoever may not see the dossier
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Chọn tệp đã quét (PDF, JPEG hoặc PNG) trước khi tải lên."), "error")
        return render_page(code, 422)
    try:
        replaces = _replaces()
        stored = attachments.attach(ctx(), actor(), code, kind, document, upload.stream,
                                    upload.filename, replaces)
    except Forbidden:
        abort(403)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(upload_problem(exc), "error")
        return render_page(code, exc.status)
    flash(_("Đã đính kèm tệp %(name)s.", name=stored.name), "success")
    return redirect(url_for("dossier.show", code=code, _anchor="h-docs"), 303)


@bp.post("/ho-so/<code>/giay-to/<document>/tep")
@takes_upload()
@staff_required(*DOSSIER_ROLES)
def upload_document(code, document):
    """A scan of one checklist document; `replaces` names the current file it supersedes."""
    return _upload(code, DOCUMENT, document)


@bp.post("/ho-so/<code>/ket-qua/tep")
@takes_upload()
@staff_required(*DOSSIER_ROLES)
def upload_result(code):
    """The result's electronic file (kết quả điện tử)."""
    return _upload(code, RESULT, None)


def sign_problem(exc: DomainError) -> str:
    """Why the result was not signed, in the page's language."""
    if isinstance(exc, NotFound):
        return _("Chưa có tệp kết quả để ký số.")
    if isinstance(exc, UnsupportedFile):
        return _("Chỉ ký số được tệp kết quả PDF; tệp hiện hành là ảnh.")
    if isinstance(exc, Conflict) and exc.field == "agency":
        return _("Chưa cấu hình chữ ký số của cơ quan %(agency)s: liên hệ quản trị hệ thống.",
                 agency=exc.details.get("agency", ""))
    if isinstance(exc, Conflict):
        return _("Tệp kết quả hiện hành đã được ký số.")
    return _("Chưa ký số được kết quả.")


@bp.post("/ho-so/<code>/ket-qua/ky-so")
@staff_required(*DOSSIER_ROLES)
def sign_result(code):
    """Sign the current result PDF with the issuing agency's key; the signed copy
    supersedes it. A refusal is flashed on the dossier page (303 back to it)."""
    load_visible(code)
    try:
        stored = signing.sign_result(ctx(), actor(), code, signer_keys(current_app.config))
    except Forbidden:
        abort(403)
    except DomainError as exc:
        flash(sign_problem(exc), "error")
    else:
        flash(_("Đã ký số kết quả: %(name)s.", name=stored.name), "success")
    return redirect(url_for("dossier.show", code=code, _anchor="h-result-files"), 303)


@bp.get("/tep/<int:file_id>")
@staff_required(*DOSSIER_ROLES)
def download(file_id):
    """403 for a file one may not see, the same as for one that does not exist (as the
    dossier page answers for dossiers)."""
    try:
        return file_response(*attachments.open_file(ctx(), actor(), file_id))
    except NotFound:
        abort(403)
