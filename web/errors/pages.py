"""Error pages for people (Vietnamese first); the API keeps its JSON errors."""
from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: _l("Yêu cầu không hợp lệ."),
    403: _l("Bạn không có quyền xem hoặc thực hiện thao tác này."),
    404: _l("Không tìm thấy trang hoặc hồ sơ yêu cầu."),
    405: _l("Thao tác không được hỗ trợ tại địa chỉ này."),
    413: _l("Dữ liệu gửi lên quá lớn."),
    422: _l("Dữ liệu chưa hợp lệ."),  # a value the rules refuse (a supervisor page's `by`, a date)
    429: _l("Bạn đã thử quá nhiều lần. Vui lòng thử lại sau."),
}


def html_error(exc):
    """Render an HTTP error as a page; redirects and other non-errors pass through."""
    if exc.code is None or exc.code < 400:
        return exc
    message = MESSAGES.get(exc.code, _l("Hệ thống đang gặp sự cố. Vui lòng thử lại sau."))
    if isinstance(exc, CSRFError):
        message = _l("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại "
                     "trang và thử lại.")
    headers = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else {}
    return render_template("error.html", code=exc.code, message=message, detail=None), exc.code, headers
