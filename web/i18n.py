"""Languages of the pages: Vietnamese by default (the source language written in every
template), English on request. The choice is kept in the session; the labels of domain
values (statuses, actions, channels, roles) live here so every page names them alike."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_babel import Babel, get_locale, gettext as _, lazy_gettext as _l, ngettext

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}
babel = Babel()
bp = Blueprint("i18n", __name__)

STATUS = {
    "submitted": _l("Nộp trực tuyến, chờ tiếp nhận"),
    "awaiting_documents": _l("Chờ bổ sung hồ sơ"), "received": _l("Đã tiếp nhận"),
    "in_progress": _l("Đang xử lý"), "supplement_requested": _l("Yêu cầu bổ sung"),
    "result_ready": _l("Có kết quả, chờ trả"), "returned": _l("Đã trả kết quả"),
    "rejected": _l("Từ chối giải quyết"), "withdrawn": _l("Đã rút hồ sơ"),
}
ACTION = {
    "intake": _l("Tiếp nhận hồ sơ"), "submit": _l("Nộp hồ sơ trực tuyến"),
    "accept": _l("Tiếp nhận hồ sơ trực tuyến"), "supplement": _l("Bổ sung hồ sơ"),
    "request_supplement": _l("Yêu cầu bổ sung"), "forward": _l("Chuyển bước tiếp theo"),
    "send_back": _l("Trả lại bước trước"), "complete": _l("Hoàn thành, có kết quả"),
    "return_result": _l("Trả kết quả"), "reject": _l("Từ chối giải quyết"),
    "withdraw": _l("Rút hồ sơ"), "postpone": _l("Xin lỗi, hẹn lại ngày trả"),
    "attach_file": _l("Đính kèm tệp"),
    "payment": _l("Thu lệ phí, phí"), "refund": _l("Hoàn trả lệ phí, phí"),
    "fee_exemption": _l("Miễn lệ phí, phí"),
    "originals_sent": _l("Chuyển hồ sơ giấy gốc"), "originals_received": _l("Nhận hồ sơ giấy gốc"),
}
CHANNEL = {"in_person": _l("Trực tiếp"), "online": _l("Trực tuyến"), "post": _l("Bưu chính")}
ROLE = {"counter": _l("Cán bộ một cửa"), "officer": _l("Cán bộ xử lý"),
        "supervisor": _l("Lãnh đạo, giám sát"), "admin": _l("Quản trị hệ thống")}


def safe_next(target: str | None) -> str | None:
    """Only a path on this site, decided by parsing (urllib.parse.urlsplit), not by prefix:
    no scheme, no host, a path from '/' that no browser reads as '//host'. Browsers drop
    tabs and line breaks from URLs and read '\\' as '/', so any whitespace, control
    character or backslash refuses the target (and no CR/LF can reach a header)."""
    if not target or len(target) > 2000:
        return None
    if any(c.isspace() or unicodedata.category(c) in ("Cc", "Cf") for c in target) or "\\" in target:
        return None
    parts = urlsplit(target)
    if target.startswith("//") or parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    return target


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "vi"


@bp.get("/ngon-ngu/<lang>")
def switch(lang):
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.args.get("next")) or "/")


def local_time(value: datetime | str | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """A moment as people at the desk read it: local time, day first (ISO text accepted,
    as event data stores it)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return value.astimezone(tz).strftime(fmt)


def fold(text: str) -> str:
    """Lower case without diacritics, so 'dang ky khai sinh' finds 'Đăng ký khai sinh'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text.lower())
                   if unicodedata.category(c) != "Mn")


def search_procedures(procedures: list, query: str) -> list:
    """Procedures whose code, name or field hold every word typed (accents optional)."""
    words = fold(query or "").split()
    return [p for p in procedures if all(w in fold(f"{p.code} {p.name} {p.field}") for w in words)]


def time_label(p) -> str:
    """A procedure's statutory time in the page's language (see workflow.domain.appointment)."""
    if p.same_day and p.cutoff:
        return _("trong ngày (nhận sau %(hour)s thì trả trong ngày làm việc tiếp theo)",
                 hour=p.cutoff.strftime("%H:%M"))
    if p.same_day:
        return _("trong ngày")
    if p.day_unit == "calendar":
        return _("%(days)s ngày", days="%g" % p.processing_days)
    return _("%(days)s ngày làm việc", days="%g" % p.processing_days)


def step_time(days: float) -> str:
    """A step's share of the time in plain words for citizens: whole or decimal working
    days from one day up ("3 ngày làm việc", "1,5 ngày làm việc"), working hours below
    ("1 giờ làm việc" for 0.125 day on an eight-hour office day, the calendar's own)."""
    if days >= 1:
        return _("%(days)s ngày làm việc", days=_decimal(days))
    hours = round(days * current_app.extensions["motcua"].calendar.minutes_per_day / 60, 2)
    return ngettext("%(hours)s giờ làm việc", "%(hours)s giờ làm việc", 1 if hours == 1 else 2,
                    hours=_decimal(hours))


def _decimal(value: float) -> str:
    text = "%g" % value
    return text.replace(".", ",") if str(get_locale()) == "vi" else text


_SOURCE_MARK = re.compile(r"\s*\[(?:R|U|I)(?: [^\]]{0,20})?\]")


def citizen_text(text: str | None) -> str:
    """A catalog note as citizens read it: without the maintainers' source marks ([R] read
    in the source, [U] unconfirmed, [I] inferred; see docs/rules.md)."""
    return _SOURCE_MARK.sub("", text or "")


def money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale,
                   timezone_selector=lambda: app.config["TIMEZONE"])
    app.register_blueprint(bp)
    app.jinja_env.filters.update(local_time=local_time, money=money, citizen=citizen_text)
    app.jinja_env.globals.update(time_text=time_label, step_time=step_time)
    app.jinja_env.globals.update(STATUS=STATUS, ACTION=ACTION, CHANNEL=CHANNEL, ROLE=ROLE,
                                 LANGUAGES=LANGUAGES)

    @app.context_processor
    def language():
        # other public areas (e.g. the survey) add (label, endpoint) pairs to
        # app.extensions["public_links"] to appear in the header of every page
        links = [(label, url_for(endpoint))
                 for label, endpoint in current_app.extensions.get("public_links", [])]
        return {"lang": str(get_locale() or "vi"), "public_links": links,
                "has_endpoint": current_app.view_functions.__contains__}
