"""The citizen's self-check before the trip (tự kiểm tra hồ sơ): tick what you have, see
exactly what is still missing — the same checklist the counter uses, so the first trip
is complete. Plain GET form: works on any phone without JavaScript."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from workflow.adapters.repository import ProcedureRepository

bp = Blueprint("selfcheck", __name__)


@bp.get("/thu-tuc/<code>/tu-kiem-tra")
def self_check(code):
    ctx = current_app.extensions["motcua"]
    today = ctx.now().astimezone(ctx.calendar.tz).date()
    with ctx.engine.connect() as conn:
        found = ProcedureRepository(conn).current(code, today)
    if found is None:
        abort(404)
    p = found[1]
    known = {d.code for d in p.documents}
    have = [c for c in request.args.getlist("co") if c in known]
    checked = "kiem-tra" in request.args
    missing = p.missing(have) if checked else []
    return render_template("selfcheck.html", p=p, have=set(have), checked=checked,
                           missing=[d for d in p.documents if d.code in missing])
