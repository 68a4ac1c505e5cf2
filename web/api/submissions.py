"""API for online submission by applicants (issue 19), without a staff account:

1. POST /submissions/codes: a confirmation code goes to the applicant's phone or mail;
2. POST /submissions (multipart): the application, its files and the code create the
   dossier, `submitted`, in the receiving unit's queue; the answer carries the private link;
3. GET /submissions/{token}: the dossier through its private link;
4. POST /submissions/{token}/supplement (multipart): the online supplement the desk asked for;
5. GET /submissions/{token}/files/{id}: a file of the dossier (the uploads, the result).

Files travel as repeated multipart fields `document` (a checklist code) and `file`, paired
in order. Rate limits per address apply on top of the per-contact code limits
(web/security/limits.py, workflow/services/online/codes.py).
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, request, url_for

from workflow.domain.errors import InvalidInput
from workflow.services.files.attachments import DOCUMENT, RESULT
from workflow.services.online import codes, submissions

from web.api import schemas as s
from web.api.registry import api_route
from web.file_download import file_response
from web.api.views import file_json, respond

bp = Blueprint("api_submissions", __name__, url_prefix="/api/v1")


def ctx():
    return current_app.extensions["motcua"]


FILES_FORM = {
    "document": ({"type": "array", "items": {"type": "string", "pattern": "^[A-Z0-9_]{1,16}$"}},
                 "the checklist code of each file, in the order of the files", True),
    "file": ({"type": "array", "items": {"type": "string", "format": "binary"}},
             "PDF, JPEG or PNG (decided from the content), each at most FILE_MAX_BYTES; at most 20 files",
             True),
}
SUBMISSION_FORM = {
    "verification": ({"type": "string", "maxLength": 32}, "from POST /api/v1/submissions/codes", True),
    "code": ({"type": "string", "pattern": "^[0-9]{6}$"}, "the six digits sent to the applicant", True),
    "procedure_code": ({"type": "string", "maxLength": 32}, "the procedure, offered online", True),
    "case": ({"type": "string", "maxLength": 32}, "the procedure's case, where it has cases", False),
    "competent_unit": ({"type": "string", "maxLength": 32}, "the unit of the applicant's place "
                       "(cơ quan có thẩm quyền), required for a procedure published for several units",
                       False),
    "name": ({"type": "string", "maxLength": 200}, "the applicant's full name", True),
    "id_number": ({"type": "string", "maxLength": 40}, "the applicant's identity number", False),
    **FILES_FORM,
}
SUPPLEMENT_FORM = {**FILES_FORM, "note": ({"type": "string", "maxLength": 2000}, "a note to the desk", False)}


def _field(name: str, limit: int) -> str | None:
    value = (request.form.get(name) or "").strip()
    if len(value) > limit:
        raise InvalidInput(f"at most {limit} characters", field=name)
    return value or None


def _uploads() -> list[submissions.Upload]:
    documents, files = request.form.getlist("document"), request.files.getlist("file")
    if not files:
        raise InvalidInput("send the files as multipart/form-data fields 'file', each with its "
                           "'document'", field="file")
    if len(documents) != len(files):
        raise InvalidInput("give one 'document' code for each 'file', in the same order", field="document")
    return [submissions.Upload(d.strip(), f.stream, f.filename) for d, f in zip(documents, files)]


def _view(dossier, history, files, token: str | None = None) -> dict:
    submitted = next((e.at for e in history if e.action == "submit"), dossier.created_at)
    current = [f for f in files if f.superseded_by is None]
    return dict(
        code=dossier.code, procedure_code=dossier.procedure.code, procedure_name=dossier.procedure.name,
        status=dossier.status, submitted_at=submitted, received_at=dossier.received_at,
        appointment_at=dossier.appointment_at, documents=dossier.documents,
        missing_documents=dossier.missing_documents,
        notices=[dict(at=n["at"], listed=n["listed"], reasons=n["reasons"]) for n in dossier.notices()],
        files=[file_json(f) for f in current if f.kind == DOCUMENT],
        result=[file_json(f) for f in current if f.kind == RESULT],
        link=url_for("online_pages.follow", token=token, _external=True) if token else None,
        token=token)


@api_route(bp, "/submissions/codes", "POST",
           "Ask for a confirmation code before submitting online (sent by SMS or mail; public)",
           body=s.CodeRequestIn, response=s.CodeRequestOut, status=202, auth=False,
           errors=(400, 404, 422, 429))
def request_code():
    _pid, procedure = submissions.procedure_online(ctx(), g.body.procedure_code)
    sent = codes.request_code(ctx(), procedure, g.body.phone, g.body.email, request.remote_addr or "")
    return respond(s.CodeRequestOut, sent, status=202)


@api_route(bp, "/submissions", "POST",
           "Submit a dossier online with its files and the confirmation code (public)",
           response=s.SubmissionOut, status=201, auth=False, multipart=SUBMISSION_FORM, upload_files=5,
           errors=(400, 403, 404, 413, 415, 422, 429))
def create_submission():
    dossier, token, stored, history = submissions.submit(
        ctx(), _field("verification", 32) or "", _field("code", 12) or "",
        _field("procedure_code", 32) or "", _field("case", 32), _field("name", 200) or "",
        _field("id_number", 40), _uploads(), competent_unit=_field("competent_unit", 32))
    return respond(s.SubmissionOut, _view(dossier, history, stored, token), status=201)


@api_route(bp, "/submissions/<token>", "GET", "An online dossier through its private link (public)",
           response=s.SubmissionOut, auth=False, errors=(404, 429))
def get_submission(token):
    return respond(s.SubmissionOut, _view(*submissions.by_token(ctx(), token)))


@api_route(bp, "/submissions/<token>/supplement", "POST",
           "Supplement an online dossier as the desk asked, through its private link (public)",
           response=s.SubmissionOut, auth=False, multipart=SUPPLEMENT_FORM, upload_files=5,
           errors=(400, 404, 409, 413, 415, 422, 429))
def supplement_submission(token):
    return respond(s.SubmissionOut, _view(*submissions.supplement(ctx(), token, _uploads(),
                                                                  _field("note", 2000))))


@api_route(bp, "/submissions/<token>/files/<int:file_id>", "GET",
           "Download a file of the online dossier (the uploads, the electronic result)",
           media=("application/pdf", "image/jpeg", "image/png"), auth=False, errors=(404, 429))
def submission_file(token, file_id):
    return file_response(*submissions.open_own_file(ctx(), token, file_id))
