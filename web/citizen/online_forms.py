"""What the online-submission pages (web/citizen/online.py) need around the services:
the files of a form (one input per checklist document), the refusals of the services put
in plain words for a citizen, and the small display helpers (a contact shown masked, a
file's size). Why apart: the routes stay readable, and every message a citizen may see
from a refusal is in one table, translated, instead of the services' English."""
from __future__ import annotations

import re

from flask import current_app, request
from flask_babel import get_locale, gettext as _, lazy_gettext as _l

from workflow.domain.errors import (ActionNotAllowed, DomainError, InvalidInput, NotFound, TooLarge,
                                    UnsupportedFile)
from workflow.services.online import codes
from workflow.services.online.submissions import Upload

ACCEPT = ".pdf,.jpg,.jpeg,.png"  # the browser's filter; the type is decided from the content
UPLOAD_OVERHEAD = 64 * 1024  # the multipart envelope and the form's fields
UPLOAD_FILES = 5  # a request may carry this many full-size files (as the API's)
TRIES_LEFT = re.compile(r"\((\d+) tries left\)")

# (error class, fields or None for any) -> message; the first match wins
MESSAGES = (
    (codes.TooManyRequests, None, _l("Đã gửi quá nhiều mã xác nhận trong một giờ. Vui lòng thử lại sau.")),
    (codes.CodeRefused, None, _l("Mã xác nhận đã hết hạn, đã được dùng hoặc bị khóa do nhập sai "
                                 "nhiều lần. Vui lòng xin mã mới.")),
    (NotFound, ("verification",), _l("Yêu cầu mã xác nhận không còn hiệu lực. Vui lòng xin mã mới.")),
    (UnsupportedFile, None, _l("Tệp không đúng định dạng: chỉ nhận tệp PDF, JPG hoặc PNG (kiểm tra "
                               "theo nội dung tệp, không theo tên tệp).")),
    (InvalidInput, ("name",), _l("Vui lòng nhập họ và tên người nộp hồ sơ.")),
    (InvalidInput, ("phone",), _l("Nhập số điện thoại (10 hoặc 11 chữ số, bắt đầu bằng 0) hoặc địa chỉ "
                               "thư điện tử để nhận mã xác nhận.")),
    (InvalidInput, ("email",), _l("Địa chỉ thư điện tử không hợp lệ.")),
    (InvalidInput, ("case",), _l("Vui lòng chọn đúng trường hợp của thủ tục.")),
    (InvalidInput, ("file", "documents", "document"),
     _l("Vui lòng đính kèm tệp cho các giấy tờ; tệp không được rỗng.")),
    (ActionNotAllowed, None, _l("Hồ sơ hiện không ở trạng thái chờ bổ sung; không cần gửi thêm giấy tờ.")),
)


def file_size(size: int | None) -> str:
    """Bytes as people read them: "850 KB", "2,4 MB" (a comma in Vietnamese)."""
    if size is None:
        return ""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    text = f"{size / (1024 * 1024):.1f}".removesuffix(".0")
    return (text.replace(".", ",") if str(get_locale()) == "vi" else text) + " MB"


def size_limit() -> str:
    return file_size(current_app.extensions["motcua"].file_max_bytes)


def file_rules() -> dict:
    """What the file inputs tell the browser and the applicant: types, the per-file limit."""
    return dict(accept=ACCEPT, limit=size_limit(), max_bytes=current_app.extensions["motcua"].file_max_bytes)


def upload_limit() -> int:
    """The most bytes a form post may carry, read before the form is parsed
    (web/security/guard.py); each file is held to the per-file limit by the services."""
    return current_app.extensions["motcua"].file_max_bytes * UPLOAD_FILES + UPLOAD_OVERHEAD


def uploads(documents) -> list[Upload]:
    """The files chosen in the form, one input `file-<code>` per checklist document; an
    input left empty (no name, no bytes) is no upload."""
    found = []
    for doc in documents:
        f = request.files.get(f"file-{doc.code}")
        if f is not None and (f.filename or f.content_length):
            found.append(Upload(doc.code, f.stream, f.filename))
    return found


def refusal(exc: DomainError) -> tuple[str, str | None]:
    """(message for the citizen, field it is about) for a refusal of the services."""
    if isinstance(exc, codes.CodeRefused) and (left := TRIES_LEFT.search(exc.message)):
        return _("Mã xác nhận không đúng (còn %(n)s lần thử).", n=left.group(1)), "code"
    if isinstance(exc, TooLarge):
        return _("Tệp quá lớn: mỗi tệp tối đa %(size)s.", size=size_limit()), "file"
    for cls, fields, message in MESSAGES:
        if isinstance(exc, cls) and (fields is None or exc.field in fields):
            return str(message), exc.field
    return _("Không thực hiện được yêu cầu. Vui lòng kiểm tra lại thông tin đã nhập."), exc.field


def masked(contact: str | None) -> str:
    """A phone or mail shown on the page without giving it away: 098****321, a***@example.com."""
    if not contact:
        return ""
    if "@" in contact:
        name, _at, host = contact.partition("@")
        return f"{name[:1]}***@{host}"
    return f"{contact[:3]}****{contact[-3:]}"
