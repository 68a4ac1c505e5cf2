"""Digitisation at the counter (số hóa khi tiếp nhận, issue 19): the clerk takes a dossier in
and attaches the scans of the documents presented in the same request.

All or nothing: every scan is checked (size, not empty, PDF/JPEG/PNG by its content) before
the dossier is created, so a refused scan refuses the whole intake with no dossier and no
stored file; then the dossier, its files' rows and their events are one transaction (the
intake's unit of work, through its `before_commit`). Only content that passed every check
reaches the store, addressed by its SHA-256; if the transaction then fails it stays there
unreferenced, as for any upload (workflow.services.files.attachments).
"""
from __future__ import annotations

from typing import BinaryIO

from workflow.domain.attachments import DOCUMENT
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import DomainError, InvalidInput

from workflow.services.context import Context
from workflow.services.dossiers import use_cases
from workflow.services.files.attachments import prepare, record

Scan = tuple[str, BinaryIO, "str | None"]  # (checklist document, content, name it came with)


def intake_with_scans(ctx: Context, actor: Actor, procedure_code: str, applicant: Applicant,
                      documents: list[str], channel: str, scans: list[Scan],
                      idempotency_key: str | None = None, **intake_options):
    """`use_cases.intake` plus the scans, each on a document marked as presented; returns
    (dossier, replayed). A refusal of a scan names its document in `details["document"]`."""
    if not scans:
        return use_cases.intake(ctx, actor, procedure_code, applicant, documents, channel,
                                idempotency_key, **intake_options)
    for document, _stream, _name in scans:
        if document not in documents:
            raise InvalidInput(f"a scan is attached to '{document}', which is not marked as "
                               "presented", field="scans", document=document)
    try:
        uploads = prepare(ctx, [(stream, name) for _document, stream, name in scans])
    except DomainError as exc:
        exc.details["document"] = scans[exc.details.get("index", 0)][0]
        raise

    def attach_scans(uow, dossier) -> None:
        now, read_version = ctx.now(), dossier.version
        for (document, _stream, _name), upload in zip(scans, uploads):
            record(uow, dossier, actor, now, DOCUMENT, document, upload)
        uow.dossiers.save(dossier, read_version)

    return use_cases.intake(ctx, actor, procedure_code, applicant, documents, channel,
                            idempotency_key, before_commit=attach_scans, **intake_options)
