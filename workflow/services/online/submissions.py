"""Online submission by the applicant (nộp hồ sơ trực tuyến, issue 19) and the private link.

Decree 45/2020/NĐ-CP Art. 11: the portal takes the electronic dossier and confirms the
submission; an officer of the one-stop unit then checks it and receives it, asks once for
everything missing, or refuses it with reasons. Here:

- `submit`: with a confirmed code (workflow.services.online.codes), the application and
  its files become a dossier `submitted` in the receiving unit's queue, numbered like a
  counter intake; the applicant gets a private link (the token is returned once and sent
  in the confirmation; only its hash is kept).
- `by_token`: what the applicant may see through the link.
- `supplement`: the applicant's online supplement answering the desk's request; the
  dossier goes back to the desk's check and the desk's inbox is told.
- `open_own_file`: a file of the applicant's own dossier (their uploads, the result).

Every file is checked (type from content, size, checklist) before anything is written;
the dossier, its files and the link commit in one transaction.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import insert, select

from workflow.adapters.tables import dossiers
from workflow.adapters.tables_files import dossier_files
from workflow.adapters.tables_online import online_access
from workflow.domain.codes import dossier_code
from workflow.domain.dossier import APPLICANT, Actor, Applicant, Dossier, Event, applicant_of
from workflow.domain.errors import InvalidInput, NotFound
from workflow.domain.lifecycle import lifecycle_for, open_online

from workflow.services.context import Context
from workflow.services.dossiers.use_cases import UNNUMBERED
from workflow.services.files.attachments import DOCUMENT, StoredFile, files_of, prepare, record
from workflow.services.notifications.inbox import notify_agency
from workflow.services.online import codes
from workflow.services.unit_of_work import UnitOfWork

MAX_FILES = 20  # files in one submission or supplement (this product's limit)
TOKEN_BYTES = 24


@dataclass(frozen=True)
class Upload:
    document: str
    stream: BinaryIO
    filename: str | None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def procedure_online(ctx: Context, procedure_code: str, case: str | None = None):
    """(procedure_id, procedure) in force and offered online, or a clear refusal."""
    with UnitOfWork(ctx.engine) as uow:
        found = uow.procedures.current(procedure_code, ctx.now().astimezone(ctx.calendar.tz).date())
    if found is None:
        raise NotFound(f"no procedure '{procedure_code}' in force", field="procedure_code")
    procedure_id, procedure = found
    if case:
        try:
            procedure = procedure.for_case(case)
        except KeyError:
            raise InvalidInput(f"procedure {procedure.code} has no case '{case}'", field="case") from None
    if "online" not in procedure.channels:
        raise InvalidInput(f"procedure {procedure.code} is not offered online", field="procedure_code")
    if procedure.is_template:  # never received under an agency named "{unit}"
        raise InvalidInput(f"procedure {procedure.code} is settled by the unit of the applicant's place; "
                           "submitting it online naming that unit is not available yet",
                           field="procedure_code")
    return procedure_id, procedure


def _check_checklist(procedure, uploads: list[Upload]) -> None:
    if len(uploads) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files at once", field="file")
    known = {d.code for d in procedure.documents}
    for u in uploads:
        if u.document not in known:
            raise InvalidInput(f"'{u.document}' is not a document of the checklist of procedure "
                               f"{procedure.code}", field="document")


def _checked_files(ctx: Context, procedure, uploads: list[Upload]):
    """Every upload checked, then all stored (workflow.services.files.attachments.prepare):
    one bad file refuses all and keeps nothing. Returns [(document, prepared upload)]."""
    if ctx.files is None:
        raise NotFound("files are not enabled (FILE_STORE)")
    if not uploads:
        raise InvalidInput("attach the documents of the checklist", field="file")
    _check_checklist(procedure, uploads)
    prepared = prepare(ctx, [(u.stream, u.filename) for u in uploads])
    return [(u.document, p) for u, p in zip(uploads, prepared)]


def submit(ctx: Context, verification: str, code: str, procedure_code: str, case: str | None,
           name: str, id_number: str | None, uploads: list[Upload]):
    """Returns (dossier, token, files, history)."""
    if not (name or "").strip():
        raise InvalidInput("the applicant's name is required", field="name")
    procedure_id, procedure = procedure_online(ctx, procedure_code, case)
    kind, contact = codes.check_code(ctx, verification, code, procedure.code)
    applicant = Applicant(name.strip(), id_number or None, contact if kind == "phone" else None,
                          contact if kind == "email" else None)
    now = ctx.now()
    documents = [u.document for u in uploads]
    _check_checklist(procedure, uploads)
    open_online(procedure, UNNUMBERED, applicant, documents, now)  # the domain's checks first
    spooled = _checked_files(ctx, procedure, uploads)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with UnitOfWork(ctx.engine) as uow:
        codes.use(uow.conn, verification, now)
        dossier, history = add_submission(uow, ctx, procedure_id, procedure, applicant, documents, now,
                                          token)
        read_version = dossier.version
        actor = Actor(applicant_of(dossier.code), APPLICANT, None)
        stored = [record(uow, dossier, actor, now, DOCUMENT, doc, p) for doc, p in spooled]
        history += dossier.pending_events
        uow.dossiers.save(dossier, read_version)
        notify_agency(uow.conn, dossier.receiving_agency, "submitted", dossier.code,
                      f"Hồ sơ {dossier.code} nộp trực tuyến, chờ tiếp nhận.", now)
        uow.commit()
    return dossier, token, stored, history


def add_submission(uow: UnitOfWork, ctx: Context, procedure_id: int, procedure, applicant: Applicant,
                   documents: list[str], now, token: str) -> tuple[Dossier, list[Event]]:
    """The submitted dossier, numbered like a counter intake and added with its private
    link's confirmation (the caller attaches the files and commits)."""
    dossier = open_online(procedure, UNNUMBERED, applicant, documents, now)
    day = now.astimezone(ctx.calendar.tz).date()
    seq = uow.dossiers.next_sequence(procedure.agency, day)
    dossier.assign_code(dossier_code(procedure.agency, day, seq, ctx.code_format))
    dossier.emit("submission.confirmed", token=token)
    history = list(dossier.pending_events)
    uow.dossiers.add(dossier, procedure_id)
    uow.conn.execute(insert(online_access).values(dossier_id=dossier.id, token_hash=_token_hash(token),
                                                  created_at=now))
    return dossier, history


def _by_token(uow: UnitOfWork, token: str) -> Dossier:
    row = uow.conn.execute(select(dossiers.c.code).join(online_access, online_access.c.dossier_id == dossiers.c.id)
                           .where(online_access.c.token_hash == _token_hash(str(token)))).first()
    dossier = uow.dossiers.get(row.code) if row is not None else None
    if dossier is None:
        raise NotFound("no dossier behind this link", field="token")
    return dossier


def by_token(ctx: Context, token: str) -> tuple[Dossier, list[Event], list[StoredFile]]:
    with UnitOfWork(ctx.engine) as uow:
        dossier = _by_token(uow, token)
        history = uow.dossiers.events(dossier.id)
        return dossier, history, files_of(uow.conn, dossier.id, dossier.code)


def supplement(ctx: Context, token: str, uploads: list[Upload], note: str | None = None):
    """The applicant's answer to the desk's request: files for the missing documents."""
    documents = list(dict.fromkeys(u.document for u in uploads))

    def answer(uow: UnitOfWork) -> tuple[Dossier, int, Actor]:
        dossier = _by_token(uow, token)
        read_version = dossier.version
        actor = Actor(applicant_of(dossier.code), APPLICANT, None)
        lifecycle_for(dossier.procedure).fire(dossier, "supplement", actor, ctx.now(), ctx.calendar,
                                              documents=documents, channel="online", note=note)
        return dossier, read_version, actor
    with UnitOfWork(ctx.engine) as uow:  # the machine decides first (state, who), on a copy
        procedure = answer(uow)[0].procedure  # left unsaved: a refusal keeps no file
    spooled = _checked_files(ctx, procedure, uploads)
    with UnitOfWork(ctx.engine) as uow:
        dossier, read_version, actor = answer(uow)
        for doc, p in spooled:
            record(uow, dossier, actor, ctx.now(), DOCUMENT, doc, p)
        uow.dossiers.save(dossier, read_version)
        notify_agency(uow.conn, dossier.receiving_agency, "resubmitted", dossier.code,
                      f"Hồ sơ {dossier.code} đã được bổ sung trực tuyến, chờ kiểm tra.", ctx.now())
        uow.commit()
    return by_token(ctx, token)


def open_own_file(ctx: Context, token: str, file_id: int):
    """(StoredFile, chunks) of a file of the link's dossier; 404 for any other."""
    with UnitOfWork(ctx.engine) as uow:
        dossier = _by_token(uow, token)
        mine = uow.conn.execute(select(dossier_files.c.id).where(
            dossier_files.c.id == file_id, dossier_files.c.dossier_id == dossier.id)).first()
        files = files_of(uow.conn, dossier.id, dossier.code) if mine else []
    stored = next((f for f in files if f.id == file_id), None)
    if stored is None:
        raise NotFound(f"no file {file_id} behind this link", field="id")
    return stored, ctx.files.open(stored.sha256)
