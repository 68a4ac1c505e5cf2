"""Public pages (Vietnamese first): the procedure catalog and a health check.

The staff and citizen pages grow here; for now a person opening the product sees the
published procedures with their documents, steps, time and fees.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from sqlalchemy import text

from workflow.adapters.queries import list_procedures
from workflow.adapters.repository import ProcedureRepository

bp = Blueprint("pages", __name__)


def _today():
    ctx = current_app.extensions["motcua"]
    return ctx.now().astimezone(ctx.calendar.tz).date()


@bp.get("/")
def catalog():
    with current_app.extensions["motcua"].engine.connect() as conn:
        repo = ProcedureRepository(conn)
        items = [repo.by_id(i) for i in list_procedures(conn, _today())]
    return render_template("catalog.html", procedures=items)


@bp.get("/thu-tuc/<code>")
def procedure(code):
    with current_app.extensions["motcua"].engine.connect() as conn:
        found = ProcedureRepository(conn).current(code, _today())
    if found is None:
        abort(404)
    return render_template("procedure.html", p=found[1])


@bp.get("/healthz")
def healthz():
    with current_app.extensions["motcua"].engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}
