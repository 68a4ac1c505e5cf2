"""API for a dossier's files (issue 19): upload to a checklist document or as the result,
and download by id for those who may see the dossier; sign the result with the issuing
agency's key and read a file's signature (issue 21)."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request

from workflow.domain.errors import InvalidInput
from workflow.services.files import attachments, signing

from web.api.registry import api_route
from web.api.schemas import FileOut, SignatureOut
from web.api.views import file_json, respond
from web.file_download import file_response
from web.result_signatures import report_json, signer_keys, trust_roots

bp = Blueprint("api_files", __name__, url_prefix="/api/v1")


def ctx():
    return current_app.extensions["motcua"]


UPLOAD_FORM = {
    "file": ({"type": "string", "format": "binary"}, "PDF, JPEG or PNG (decided from the content); "
             "at most FILE_MAX_BYTES (20 MB by default)", True),
    "replaces": ({"type": "integer"}, "the id of a current file of the same document that this "
                 "one replaces (both are kept; the old one is marked superseded)", False),
}


def _upload(code: str, kind: str, document: str | None):
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("send the file as multipart/form-data in the field 'file'", field="file")
    replaces = request.form.get("replaces") or None
    if replaces is not None:
        if not replaces.isdigit() or len(replaces) > 18:
            raise InvalidInput("replaces must be a file id", field="replaces")
        replaces = int(replaces)
    stored = attachments.attach(ctx(), g.actor, code, kind, document, upload.stream,
                                upload.filename, replaces)
    return respond(FileOut, file_json(stored), status=201)


@api_route(bp, "/dossiers/<code>/documents/<document>/files", "POST",
           "Attach a file to a checklist document of the dossier (a scan at the counter, số hóa)",
           response=FileOut, status=201, multipart=UPLOAD_FORM,
           errors=(400, 401, 403, 404, 409, 413, 415, 422))
def upload_document_file(code, document):
    return _upload(code, attachments.DOCUMENT, document)


@api_route(bp, "/dossiers/<code>/result/files", "POST",
           "Attach the result's electronic file (at the last step, or at the desk once ready)",
           response=FileOut, status=201, multipart=UPLOAD_FORM,
           errors=(400, 401, 403, 404, 409, 413, 415, 422))
def upload_result_file(code):
    return _upload(code, attachments.RESULT, None)


@api_route(bp, "/files/<int:file_id>", "GET", "Download a file (those who may see its dossier)",
           media=("application/pdf", "image/jpeg", "image/png"), errors=(401, 404))
def download_file(file_id):
    return file_response(*attachments.open_file(ctx(), g.actor, file_id))


@api_route(bp, "/dossiers/<code>/result/sign", "POST",
           "Sign the current result PDF with the issuing agency's key (PAdES); the signed copy "
           "supersedes it (the same people who may attach the result)",
           response=FileOut, status=201, errors=(401, 403, 404, 409, 413, 415))
def sign_result(code):
    stored = signing.sign_result(ctx(), g.actor, code, signer_keys(current_app.config))
    return respond(FileOut, file_json(stored), status=201)


@api_route(bp, "/files/<int:file_id>/signature", "GET",
           "What the file's signature says: who signed, when, whether the document changed since, "
           "whether the chain reaches a trust root (those who may see its dossier)",
           response=SignatureOut, errors=(401, 404))
def file_signature(file_id):
    stored, report = signing.signature_of(ctx(), g.actor, file_id, trust_roots(current_app.config))
    return respond(SignatureOut, report_json(stored.id, report))
