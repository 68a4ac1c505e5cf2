"""Digitisation on the dossier page (số hóa hồ sơ, issue 19): upload a scan to a checklist
document, or replace one (the old file is superseded and kept), attach the result's
electronic file, and download a file with the staff session.

The API's download takes a bearer token only (web/api/auth.py), so the pages have their own
route; both go through the same use cases (workflow.services.files.attachments) and so the
same rules: who may attach is the engine's (workflow.domain.attachments), who may download
is whoever may see the dossier. A refused upload re-renders the dossier page with the
reason flashed and a 4xx status; nothing is stored.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _

from workflow.domain.attachments import DOCUMENT, RESULT
from workflow.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from workflow.services.files import attachments

from web.file_download import file_response
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


@bp.get("/tep/<int:file_id>")
@staff_required(*DOSSIER_ROLES)
def download(file_id):
    """403 for a file one may not see, the same as for one that does not exist (as the
    dossier page answers for dossiers)."""
    try:
        return file_response(*attachments.open_file(ctx(), actor(), file_id))
    except NotFound:
        abort(403)
