"""Signing a dossier's electronic result (issue 21, item 2) and reading a file's signature.

The issuing agency is the procedure's agency (the authority that decides it, cơ quan có
thẩm quyền giải quyết); its key signs the current result PDF. The signed PDF is stored as a
new result file superseding the unsigned one: nothing is overwritten, both are kept, and
the dossier's trail has an attach_file event saying which file it supersedes and which
agency's key signed it. Who may sign is who may attach the result
(workflow.domain.attachments.check_attach with kind result).
"""
from __future__ import annotations

import io

from workflow.adapters.pdf_signing import NoSigner, SignerKeys, Unsignable, sign_pdf
from workflow.adapters.pdf_verification import SignatureReport, verify_pdf
from workflow.domain.attachments import RESULT, check_attach
from workflow.domain.dossier import Actor
from workflow.domain.errors import Conflict, NotFound, UnsupportedFile
from workflow.services.context import Context
from workflow.services.files.attachments import StoredFile, current_results, open_file, prepare, record
from workflow.services.unit_of_work import UnitOfWork

PDF = "application/pdf"


def _current_result(uow: UnitOfWork, actor: Actor, code: str):
    dossier = uow.visible_dossier(actor, code)
    check_attach(actor, dossier, RESULT, None)
    current = current_results(uow.conn, dossier.id, dossier.code)
    if not current:
        raise NotFound(f"dossier {code} has no result file to sign", field="code")
    return dossier, current[-1]


def _content(ctx: Context, stored: StoredFile) -> bytes:
    return b"".join(ctx.files.open(stored.sha256))


def sign_result(ctx: Context, actor: Actor, code: str, keys: SignerKeys) -> StoredFile:
    """Sign the dossier's current result file with the issuing agency's key; the signed copy
    supersedes it. Refused: no result file (404), not a PDF or one pyHanko cannot read (415),
    already signed or no key for the agency (409), a signed copy larger than FILE_MAX_BYTES
    (413)."""
    if ctx.files is None:
        raise NotFound("files are not enabled (FILE_STORE)")
    with UnitOfWork(ctx.engine) as uow:
        dossier, unsigned = _current_result(uow, actor, code)
        agency = dossier.procedure.agency
    if unsigned.media_type != PDF:
        raise UnsupportedFile(f"the result file {unsigned.id} is {unsigned.media_type}; only a PDF is "
                              "signed", field="file")
    data = _content(ctx, unsigned)
    if verify_pdf(data, []).signed:
        raise Conflict(f"the result file {unsigned.id} is already signed", field="file")
    try:
        signer = keys.load(agency)
    except NoSigner as exc:
        raise Conflict(f"the result cannot be signed: {exc}", field="agency", agency=agency) from None
    try:
        signed = sign_pdf(data, signer, reason=f"Kết quả giải quyết hồ sơ {code}", location=agency)
    except Unsignable as exc:
        raise UnsupportedFile(f"the result file {unsigned.id} cannot be signed: {exc}", field="file") from None
    stem = unsigned.name.rsplit(".", 1)[0]
    upload, = prepare(ctx, [(io.BytesIO(signed), f"{stem} (đã ký số).pdf")])
    with UnitOfWork(ctx.engine) as uow:
        dossier, current = _current_result(uow, actor, code)
        if current.id != unsigned.id:  # another result was attached meanwhile: sign that one
            raise Conflict(f"the result file changed while signing (now {current.id}); sign again",
                           field="file")
        read_version = dossier.version
        stored = record(uow, dossier, actor, ctx.now(), RESULT, None, upload, replaces=unsigned.id,
                        signed_by=agency)
        uow.dossiers.save(dossier, read_version)
        uow.commit()
    return stored


def signature_of(ctx: Context, actor: Actor, file_id: int, trust_roots) -> tuple[StoredFile, SignatureReport]:
    """What the file's signature says, for whoever may download the file."""
    stored, chunks = open_file(ctx, actor, file_id)
    data = b"".join(chunks)
    if stored.media_type != PDF:
        return stored, SignatureReport(signed=False, problem=f"{stored.media_type} is not a PDF")
    return stored, verify_pdf(data, trust_roots)


__all__ = ["PDF", "NoSigner", "SignerKeys", "sign_result", "signature_of"]
