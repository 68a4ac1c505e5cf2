"""What the staff pages show and say of a dossier's files (hồ sơ điện tử, issue 19): each
checklist document with its files and whether it is digitised (số hóa: it has a current,
not superseded, file), the count of required documents digitised, the result's files,
and who may attach what now (the engine's rule, workflow.domain.attachments, asked, never
restated). Also the page's words for a refused upload, shared by the counter's intake
and the dossier page."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import format_decimal, gettext as _

from workflow.domain.attachments import DOCUMENT, RESULT, may_attach, required_for_digitisation
from workflow.domain.errors import DomainError, InvalidInput, TooLarge, UnsupportedFile
from workflow.services.files.attachments import StoredFile

from web.api.registry import UPLOAD_OVERHEAD

SCANS_PER_INTAKE = 10  # the intake form's request may carry this many files at the limit


@dataclass
class Files:
    """The files of one checklist document (or of the result): current first, then those
    a later upload superseded (kept, never deleted)."""
    current: list[StoredFile] = field(default_factory=list)
    superseded: list[StoredFile] = field(default_factory=list)

    @property
    def digitised(self) -> bool:
        return bool(self.current)


@dataclass
class DocumentRow:
    doc: object  # the checklist's document (workflow.domain.procedure)
    files: Files
    required: bool
    may_attach: bool


@dataclass
class Panel:
    documents: list[DocumentRow]
    result: Files
    may_attach_result: bool

    @property
    def required_digitised(self) -> tuple[int, int]:
        """(digitised, total) of the required documents, as the digitisation report counts."""
        required = [r for r in self.documents if r.required]
        return sum(r.files.digitised for r in required), len(required)


def panel(dossier, files: list[StoredFile], who) -> Panel:
    by_document: dict[str | None, Files] = {}
    for f in files:
        slot = by_document.setdefault(f.document if f.kind == DOCUMENT else None, Files())
        (slot.superseded if f.superseded_by else slot.current).append(f)
    required = {d.code for d in required_for_digitisation(dossier.procedure)}
    rows = [DocumentRow(doc, by_document.get(doc.code, Files()), doc.code in required,
                        may_attach(who, dossier, DOCUMENT, doc.code))
            for doc in dossier.procedure.documents]
    return Panel(rows, by_document.get(None, Files()), may_attach(who, dossier, RESULT))


def size_text(size: int) -> str:
    """A file's size for people: KB below one MB, else MB with at most one decimal, in the
    page's number format (1,5 MB in Vietnamese, 1.5 MB in English)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{format_decimal(size / (1024 * 1024), format='#,##0.#')} MB"


def upload_problem(exc: DomainError) -> str:
    """Why an upload was refused, in the page's language (the engine's message is for the
    API's callers)."""
    if isinstance(exc, TooLarge):
        return _("Tệp lớn hơn giới hạn %(size)s cho phép.",
                 size=size_text(exc.details.get("limit") or current_app.extensions["motcua"].file_max_bytes))
    if isinstance(exc, UnsupportedFile):
        return _("Tệp không được nhận: chỉ nhận tệp PDF, JPEG hoặc PNG đọc được và không đặt mật "
                 "khẩu (loại tệp xét theo nội dung, không theo tên tệp).")
    if isinstance(exc, InvalidInput) and exc.field == "file":
        return _("Tệp rỗng (0 byte): hãy chọn lại tệp đã quét.")
    if isinstance(exc, InvalidInput) and exc.field == "replaces":
        return _("Tệp được chọn để thay không còn là tệp hiện hành của giấy tờ này.")
    if isinstance(exc, InvalidInput) and exc.field == "scans":
        return _("Có tệp quét cho giấy tờ chưa được đánh dấu là đã nộp: đánh dấu giấy tờ đó hoặc bỏ tệp.")
    return _("Chưa đính kèm được tệp.")


def takes_upload(files: int = 1):
    """Mark a page view that receives files: the edge guard (web/security/guard.py) lets its
    request be as large as `files` uploads at the configured limit, instead of a form's."""
    def mark(view):
        view.upload_limit = lambda: current_app.extensions["motcua"].file_max_bytes * files + UPLOAD_OVERHEAD
        return view
    return mark
