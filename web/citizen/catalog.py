"""Public pages (Vietnamese first): the procedure catalog and a health check.

A person opening the product sees the published procedures with everything Plan 143
asks to publish: documents, steps and who holds them, time, fees, channels, result and
legal basis. Staff pages live in web/staff, the status lookup in web/citizen/status_lookup.py.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import text

from workflow.adapters.agencies import agency_names
from workflow.adapters.queries import list_procedures
from workflow.adapters.repository import ProcedureRepository
from workflow.domain.procedure import UNIT, resolve_agency

from web.i18n import search_procedures

bp = Blueprint("pages", __name__)
SHOWN_UNITS = 3  # a procedure published for more units names the first ones and "…"


def agency_namer(names: dict[str, str]):
    """The name to show for an agency of a procedure: for one published once for several
    units ("{unit}", issue 22), the agency of each competent unit, not the placeholder."""
    def name(code: str, procedure) -> str:
        if UNIT not in code:
            return names.get(code, code)
        units = procedure.competent_units
        shown = [names.get(c, c) for c in (resolve_agency(code, u) for u in units[:SHOWN_UNITS])]
        return " / ".join(shown) + (" …" if len(units) > SHOWN_UNITS else "")
    return name


def _today():
    ctx = current_app.extensions["motcua"]
    return ctx.now().astimezone(ctx.calendar.tz).date()


@bp.get("/")
def catalog():
    with current_app.extensions["motcua"].engine.connect() as conn:
        repo = ProcedureRepository(conn)
        items = [repo.by_id(i) for i in list_procedures(conn, _today())]
        names = agency_names(conn)
    query = request.args.get("q", "").strip()
    found = search_procedures(items, query)
    return render_template("catalog.html", procedures=found, total=len(items), query=query,
                           agency_name=agency_namer(names))


@bp.get("/thu-tuc/<code>")
def procedure(code):
    with current_app.extensions["motcua"].engine.connect() as conn:
        found = ProcedureRepository(conn).current(code, _today())
        names = agency_names(conn)
    if found is None:
        abort(404)
    return render_template("procedure.html", p=found[1], agency_name=agency_namer(names))


@bp.get("/healthz")
def healthz():
    with current_app.extensions["motcua"].engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}
