"""Attaching a file to a dossier and reading it back (issue 19).

The upload is spooled, hashed and its type read from its content before any database
work, so no row is locked while bytes arrive; the content goes to the file store (by its
SHA-256: storing it twice is harmless), then one transaction adds the file's record and
the event in the dossier's trail. If that transaction fails, the content stays in the
store unreferenced (the same content uploaded again reuses it); nothing refers to it.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, Iterator

from sqlalchemy import insert, select, update

from workflow.adapters.file_content import EXTENSION, UnacceptableFile, inspect
from workflow.adapters.file_store import FileMissing, FileTooLarge, Spooled, spool
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_files import dossier_files
from workflow.domain.attachments import (DOCUMENT, RESULT, check_attach, record_attachment,
                                        required_for_digitisation)
from workflow.domain.dossier import Actor
from workflow.domain.errors import DomainError, InvalidInput, NotFound, TooLarge, UnsupportedFile
from workflow.domain.lifecycle import may_see

from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork

NAME_MAX = 255


@dataclass(frozen=True)
class StoredFile:
    id: int
    dossier_code: str
    kind: str
    document: str | None
    name: str
    media_type: str
    size: int
    sha256: str
    pages: int | None
    uploaded_at: datetime
    uploaded_by: str
    superseded_by: int | None


def clean_name(name: str | None, media_type: str) -> str:
    """The name the file came with, as a safe display and download name: no folders, no
    control characters, NFC, at most 255 characters; the extension follows the content."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", base) or "tep"
    ext = EXTENSION[media_type]
    return stem[:NAME_MAX - len(ext)] + ext


@dataclass(frozen=True)
class Upload:
    """An upload that passed every check and whose content is in the store, not yet on a
    dossier: what `record` writes."""
    name: str
    media_type: str
    size: int
    sha256: str
    pages: int | None


def attach(ctx: Context, actor: Actor, code: str, kind: str, document: str | None,
           stream: BinaryIO, filename: str | None, replaces: int | None = None) -> StoredFile:
    """Store an upload and record it on the dossier; refuse it whole, keeping nothing, when
    it is too large, empty, not a PDF/JPEG/PNG, or the actor may not attach it."""
    if ctx.files is None:
        raise NotFound("files are not enabled (FILE_STORE)")
    _check_may_attach(ctx, actor, code, kind, document)  # before reading a byte
    upload, = prepare(ctx, [(stream, filename)])
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.visible_dossier(actor, code)
        read_version = dossier.version
        stored = record(uow, dossier, actor, now, kind, document, upload, replaces)
        uow.dossiers.save(dossier, read_version)
        uow.commit()
    return stored


def prepare(ctx: Context, uploads: list[tuple[BinaryIO, str | None]]) -> list[Upload]:
    """Check every upload, then put them all in the store: when one is refused, none is
    stored (the counter's intake takes several scans at once, all or nothing). A refusal
    says which upload it was in its details' `index`."""
    if ctx.files is None:
        raise NotFound("files are not enabled (FILE_STORE)")
    checked = []
    try:
        for index, (stream, filename) in enumerate(uploads):
            try:
                checked.append(_checked(ctx, stream, filename))
            except DomainError as exc:
                exc.details["index"] = index
                raise
        for spooled, _upload in checked:
            ctx.files.put(spooled)
    finally:
        for spooled, _upload in checked:
            spooled.discard()
    return [upload for _spooled, upload in checked]


def _checked(ctx: Context, stream: BinaryIO, filename: str | None) -> tuple[Spooled, Upload]:
    """Spool one upload and read its type from its content; nothing is kept if refused."""
    try:
        up = spool(stream, ctx.files.spool_dir(), ctx.file_max_bytes)
    except FileTooLarge:
        raise TooLarge(f"the file is larger than {ctx.file_max_bytes} bytes", field="file",
                       limit=ctx.file_max_bytes) from None
    try:
        if up.size == 0:
            raise InvalidInput("the file is empty", field="file")
        try:
            media_type, pages = inspect(up.path, up.head)
        except UnacceptableFile as exc:
            raise UnsupportedFile(str(exc), field="file") from None
    except BaseException:
        up.discard()
        raise
    return up, Upload(clean_name(filename, media_type), media_type, up.size, up.sha256, pages)


def _check_may_attach(ctx, actor, code, kind, document) -> None:
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.visible_dossier(actor, code)
        check_attach(actor, dossier, kind, document)


def record(uow: UnitOfWork, dossier, actor: Actor, now: datetime, kind: str, document: str | None,
           upload: Upload, replaces: int | None = None, signed_by: str | None = None) -> StoredFile:
    """Inside the caller's transaction: the file's row (superseding `replaces`) and its event
    on the dossier (`signed_by`: the agency whose key signed it, workflow.services.files.signing).
    The caller saves the dossier against the version it read, and commits."""
    check_attach(actor, dossier, kind, document)  # again: the dossier may have moved on
    f = dossier_files.c
    if replaces is not None:
        old = uow.conn.execute(select(f.id).where(
            f.id == replaces, f.dossier_id == dossier.id, f.kind == kind,
            f.document.is_(None) if document is None else f.document == document,
            f.superseded_by.is_(None))).first()
        if old is None:
            raise InvalidInput(f"file {replaces} is not a current file of this document",
                               field="replaces")
    file_id = uow.conn.execute(insert(dossier_files).values(
        dossier_id=dossier.id, kind=kind, document=document, name=upload.name,
        media_type=upload.media_type, size=upload.size, sha256=upload.sha256, pages=upload.pages,
        uploaded_at=now, uploaded_by=actor.username,
    ).returning(f.id)).scalar_one()
    if replaces is not None:
        uow.conn.execute(update(dossier_files).where(f.id == replaces, f.superseded_by.is_(None))
                         .values(superseded_by=file_id))
    record_attachment(dossier, actor, now, file_id, kind, document, upload.name, upload.sha256,
                      upload.size, replaces, signed_by)
    if kind == DOCUMENT:
        _note_digitised(uow, dossier, now)
    elif kind == RESULT:
        _note_result_filed(uow, dossier, now)
    return StoredFile(file_id, dossier.code, kind, document, upload.name, upload.media_type,
                      upload.size, upload.sha256, upload.pages, now, actor.username, None)


def _note_digitised(uow: UnitOfWork, dossier, now: datetime) -> None:
    """Once every document the dossier must have a file of has one, keep the moment on its
    row (dossiers.digitised_at, written once: files are never removed, a replacement
    supersedes): the digitisation report counts it instead of the files of every dossier."""
    required = {d.code for d in required_for_digitisation(dossier.procedure)}
    if not required:
        return
    f = dossier_files.c
    have = set(uow.conn.execute(select(f.document).distinct().where(
        f.dossier_id == dossier.id, f.kind == DOCUMENT, f.superseded_by.is_(None))).scalars())
    if required <= have:
        uow.conn.execute(update(dossiers).where(dossiers.c.id == dossier.id,
                                                dossiers.c.digitised_at.is_(None))
                         .values(digitised_at=now))


def _note_result_filed(uow: UnitOfWork, dossier, now: datetime) -> None:
    """The first result file keeps its moment on the dossier's row (dossiers.result_filed_at,
    migration 0029, written once: result files are never removed and a signed copy
    supersedes the unsigned one, so the dossier keeps a current result file from then on):
    the digitisation report counts electronic results from it instead of probing the files."""
    uow.conn.execute(update(dossiers).where(dossiers.c.id == dossier.id,
                                            dossiers.c.result_filed_at.is_(None))
                     .values(result_filed_at=now))


def _row(r, code: str) -> StoredFile:
    return StoredFile(r.id, code, r.kind, r.document, r.name, r.media_type, r.size, r.sha256,
                      r.pages, r.uploaded_at, r.uploaded_by, r.superseded_by)


def files_of(conn, dossier_id: int, code: str) -> list[StoredFile]:
    """Every file of a dossier, current and superseded, in upload order."""
    f = dossier_files.c
    rows = conn.execute(select(dossier_files).where(f.dossier_id == dossier_id).order_by(f.id)).all()
    return [_row(r, code) for r in rows]


def current_results(conn, dossier_id: int, code: str) -> list[StoredFile]:
    """The result's current files (a signed copy supersedes the unsigned one)."""
    return [f for f in files_of(conn, dossier_id, code) if f.kind == RESULT and f.superseded_by is None]


def open_current_result(ctx: Context, code: str, file_id: int, statuses: tuple[str, ...]):
    """(StoredFile, chunks) of a current result file of dossier `code` while the dossier is
    in one of `statuses`; NotFound otherwise. For a caller that already knows the citizen
    may have it (the status lookup's signed link, web/citizen/status_lookup.py)."""
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.dossiers.get(code)
        found = [f for f in current_results(uow.conn, dossier.id, dossier.code) if f.id == file_id] \
            if dossier is not None and dossier.status in statuses else []
    if not found or ctx.files is None:
        raise NotFound(f"no result file {file_id} of dossier {code} to hand out", field="id")
    try:
        return found[0], ctx.files.open(found[0].sha256)
    except FileMissing:
        raise NotFound(f"the content of file {file_id} is missing from the store", field="id") from None


def open_file(ctx: Context, actor: Actor, file_id: int) -> tuple[StoredFile, Iterator[bytes]]:
    """The file's record and its content, if the actor may see its dossier (the same
    refusal whether the file exists or not)."""
    f = dossier_files.c
    with UnitOfWork(ctx.engine) as uow:
        row = uow.conn.execute(select(dossier_files, dossiers.c.code.label("dossier_code"))
                               .join(dossiers, dossiers.c.id == f.dossier_id)
                               .where(f.id == file_id)).first()
        dossier = uow.dossiers.get(row.dossier_code) if row is not None else None
        if dossier is None or not may_see(actor, dossier):
            raise NotFound(f"no file {file_id} that {actor.username} may see", field="id")
        stored = _row(row, row.dossier_code)
    if ctx.files is None:
        raise NotFound("files are not enabled (FILE_STORE)")
    try:
        return stored, ctx.files.open(stored.sha256)
    except FileMissing:
        raise NotFound(f"the content of file {file_id} is missing from the store", field="id") from None


__all__ = ["DOCUMENT", "RESULT", "StoredFile", "Upload", "attach", "current_results", "files_of",
           "open_current_result", "open_file", "prepare", "record"]
