"""Pages of the satisfaction survey (khảo sát mức độ hài lòng, SIPAS), Vietnamese first.

`/s/<token>`: the citizen's single-use survey, made for a phone; an answered, expired or
forged link gets a page that says so (409, 410, 404), never a 500.
`/ket-qua-sipas`: the public results (Plan 143/KH-UBND: results are published).
`/giam-sat/sipas`: supervisors' trend against the 85% and 90–95% targets, and the
feedback items (phản ánh, kiến nghị) of their agency to answer within their deadline.
Texts use their own Flask-Babel domain ("surveys", web/survey_translations); `?lang=en`
on any of these pages switches the session to English, as /ngon-ngu/en does.
"""
from __future__ import annotations

from pathlib import Path

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_babel import Domain, refresh
from flask_login import current_user

from workflow.domain.errors import DomainError, InvalidInput
from workflow.services.surveys import use_cases
from workflow.services.surveys.sipas_report import default_range, sipas_report
from workflow.services.surveys.config import (SurveyAnswered, SurveyExpired, SurveyInvalid,
                                             survey_config)

from web.i18n import LANGUAGES
from web.supervisor.sipas_chart import elements, trend
from web.staff.auth import staff_required

bp = Blueprint("survey_pages", __name__)
SURVEYS = Domain(str(Path(__file__).parents[1] / "survey_translations"), domain="surveys")
t = SURVEYS.gettext
PROBLEMS = {  # status, title, explanation
    SurveyInvalid: (404, "Đường dẫn khảo sát không hợp lệ",
                    "Đường dẫn không đúng hoặc đã bị thay đổi. Vui lòng mở lại đúng đường dẫn trong "
                    "thư điện tử hoặc tin nhắn đã nhận."),
    SurveyAnswered: (409, "Phiếu khảo sát này đã được trả lời",
                     "Mỗi đường dẫn chỉ dùng được một lần. Cảm ơn Ông/Bà đã đánh giá."),
    SurveyExpired: (410, "Đường dẫn khảo sát đã hết hạn",
                    "Thời hạn trả lời khảo sát đã kết thúc. Ông/Bà vẫn có thể góp ý trực tiếp tại "
                    "Bộ phận một cửa."),
}


def ctx():
    return current_app.extensions["motcua"]


def conf():
    return survey_config(current_app.config)


def lang() -> str:
    return "en" if session.get("lang") == "en" else "vi"


@bp.before_request
def language_from_query():
    wanted = request.args.get("lang")
    if wanted in LANGUAGES and session.get("lang") != wanted:
        session["lang"] = wanted
        refresh()


def page(template: str, **context) -> str:
    return render_template(f"survey/{template}", t=t, **context)


def problem(exc: DomainError):
    status, title, text = PROBLEMS[type(exc)]
    return page("problem.html", title=t(title), text=t(text)), status


# -- the citizen's survey ------------------------------------------------------------
@bp.route("/s/<token>", methods=["GET", "POST"])
def survey(token):
    try:
        shown = use_cases.view(ctx(), conf(), token, lang())
    except (SurveyInvalid, SurveyAnswered, SurveyExpired) as exc:
        return problem(exc)
    if request.method == "GET":
        return page("form.html", survey=shown, token=token, given={}, error=None)
    answers = {code[2:]: value for code, value in request.form.items() if code.startswith("q-") and value}
    comment, complaint = request.form.get("comment"), request.form.get("complaint") == "1"
    try:
        result = use_cases.answer(ctx(), conf(), token, answers, comment, complaint, lang())
    except (SurveyInvalid, SurveyAnswered, SurveyExpired) as exc:
        return problem(exc)
    except InvalidInput as exc:
        field = (exc.field or "").removeprefix("answers.")
        error = dict(field=field, message=t("Vui lòng chọn mức độ hài lòng cho câu hỏi được đánh dấu.")
                     if exc.field and exc.field.startswith("answers.")
                     else t("Vui lòng ghi nội dung phản ánh, kiến nghị vào ô ý kiến."))
        return page("form.html", survey=shown, token=token, error=error,
                    given=dict(answers, comment=comment or "", complaint=complaint)), 422
    return page("thanks.html", result=result)


# -- results -------------------------------------------------------------------------
def _report(agency: str | None):
    today = ctx().now().astimezone(ctx().calendar.tz).date()
    start, end = default_range(today)
    report = sipas_report(ctx(), conf(), start, end, agency)
    return report, trend(report["by_month"], report["targets"], t("phiếu"))


@bp.get("/ket-qua-sipas")
def results():
    """Public: the index per element, per agency and its trend over twelve months."""
    report, trend_chart = _report(None)
    return page("results.html", report=report, trend_chart=trend_chart)


@bp.get("/giam-sat/sipas")
@staff_required("supervisor", "admin")
def supervisor():
    """The index of the supervisor's agency by default (any agency on request); the
    feedback items of their own agency (administrators: all)."""
    own = current_user.agency if current_user.role == "supervisor" else None
    agency = request.args.get("agency") or own
    report, trend_chart = _report(agency)
    status = request.args.get("status")
    status = status if status in ("open", "overdue", "answered") else "open"
    items, total = use_cases.feedback_items(ctx(), current_user.actor, None, status, 1, 100)
    # not named `chart`: the templates import a macro of that name, which hid the figures
    # and left the monthly trend blank
    return page("supervisor.html", report=report, trend_chart=trend_chart, items=items, total=total,
                status=status, agency=agency, element_bars=elements(report["overall"], lang()))


@bp.post("/giam-sat/sipas")
@staff_required("supervisor", "admin")
def answer_feedback():
    """The supervisor's answer to one feedback item (named in the form)."""
    raw = request.form.get("feedback_id", "")
    try:
        if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**31):
            raise InvalidInput("no feedback item named", field="feedback_id")
        use_cases.answer_feedback(ctx(), current_user.actor, int(raw), request.form.get("answer", ""))
        flash(t("Đã ghi nhận trả lời; trả lời sẽ được gửi tới người dân."), "success")
    except InvalidInput:
        flash(t("Vui lòng nhập nội dung trả lời (tối đa 4000 ký tự)."), "error")
    except DomainError as exc:
        flash(t("Không thể ghi nhận trả lời: %(reason)s", reason=exc.message), "error")
    return redirect(url_for("survey_pages.supervisor") + "#phan-anh")


def init_app(app) -> None:
    """Register the pages and the public results link in the site header."""
    app.register_blueprint(bp)
    app.extensions.setdefault("public_links", []).append(
        (SURVEYS.lazy_gettext("Kết quả khảo sát"), "survey_pages.results"))
