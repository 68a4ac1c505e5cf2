"""Public status lookup (tra cứu hồ sơ), no login: the dossier code plus the last four
digits of the phone number given at the counter. The answer is the status, the current
stage and the appointment, never a name, a number or a document.

Failed guesses are counted per dossier code (and per client address) in this process,
so the four digits cannot simply be enumerated from one place.
"""
from __future__ import annotations

import hmac
import re
import threading
import time

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from workflow.adapters.agencies import agency_names
from workflow.domain.errors import NotFound
from workflow.services import dossiers as use_cases

bp = Blueprint("public", __name__)
DIGITS = 4
MAX_MISSES, WINDOW = 10, 15 * 60  # per code or per address, seconds


class Throttle:
    """Sliding count of misses per key; enough for a handful of web workers."""

    def __init__(self):
        self._lock = threading.Lock()
        self._misses: dict[str, list[float]] = {}

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len([t for t in self._misses.get(k, []) if now - t < WINDOW]) >= MAX_MISSES
                       for k in keys)

    def miss(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._misses) > 10_000:
                self._misses.clear()
            for k in keys:
                self._misses[k] = [t for t in self._misses.get(k, []) if now - t < WINDOW] + [now]


def _throttle() -> Throttle:
    """One per app (and so per process), never shared between test apps."""
    return current_app.extensions.setdefault("status_lookup_throttle", Throttle())


def _matches(phone: str | None, digits: str) -> bool:
    known = re.sub(r"\D", "", phone or "")[-DIGITS:]
    return len(known) == DIGITS and hmac.compare_digest(known, digits)


def public_view(dossier) -> dict:
    """Only what a passer-by may learn from a code and four digits."""
    step = dossier.current_step if dossier.status in ("in_progress", "supplement_requested") else None
    with current_app.extensions["motcua"].engine.connect() as conn:
        names = agency_names(conn)
    return dict(code=dossier.code, status=dossier.status, procedure=dossier.procedure.name,
                step=step.name if step else None,
                step_agency=names.get(step.agency, step.agency) if step else None,
                agency=names.get(dossier.receiving_agency, dossier.receiving_agency),
                received_at=dossier.received_at,
                appointment_at=getattr(dossier, "postponed_to", None) or dossier.appointment_at,
                result_ready_at=dossier.result_ready_at, closed_at=dossier.closed_at,
                missing=len(dossier.missing_documents or []))


@bp.route("/tra-cuu", methods=["GET", "POST"])
def status():
    code = (request.values.get("ma") or "").strip().upper()
    if request.method == "GET":
        return render_template("public/status.html", code=code, found=None, error=None)
    digits = re.sub(r"\D", "", request.form.get("so") or "")
    keys = (f"code:{code}", f"ip:{request.remote_addr}")
    error, found, status_code = None, None, 200
    if not code or len(digits) != DIGITS:
        error, status_code = _("Nhập mã hồ sơ và đúng 4 số cuối của số điện thoại."), 422
    elif _throttle().blocked(*keys):
        error, status_code = _("Bạn đã thử quá nhiều lần. Vui lòng thử lại sau 15 phút."), 429
    else:
        try:
            dossier, _events = use_cases.get(current_app.extensions["motcua"], code)
        except NotFound:
            dossier = None
        if dossier is None or not _matches(dossier.applicant.phone, digits):
            _throttle().miss(*keys)
            error, status_code = _("Không tìm thấy hồ sơ với mã và số điện thoại đã nhập."), 404
        else:
            found = public_view(dossier)
    return render_template("public/status.html", code=code, found=found, error=error), status_code
