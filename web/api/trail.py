"""Export of a dossier's audit trail (nhật ký xử lý hồ sơ) as JSON or CSV, for
administrators and the supervisors of the agencies involved."""
from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel

from workflow.domain.errors import InvalidInput
from workflow.services.dossiers import audit_trail

from web.api import schemas as s
from web.trail_export import csv_response
from web.api.registry import api_route
from web.api.views import respond

bp = Blueprint("api_trail", __name__, url_prefix="/api/v1")


class TrailOut(BaseModel):
    code: str
    procedure_code: str
    status: str
    exported_at: str
    exported_by: str
    events: list[s.EventOut]


@api_route(bp, "/dossiers/<code>/trail", "GET",
           "The dossier's full audit trail, every event in order (admins; supervisors of the "
           "agencies involved); format=csv downloads it", response=TrailOut, errors=(401, 403, 404, 422),
           media=("text/csv",),
           query={"format": ({"type": "string", "enum": ["json", "csv"]}, "json (default) or csv")})
def dossier_trail(code):
    fmt = (request.args.get("format") or "json").lower()
    if fmt not in ("json", "csv"):
        raise InvalidInput("format must be json or csv", field="format")
    ctx = current_app.extensions["motcua"]
    dossier, events = audit_trail.trail(ctx, g.actor, code)
    if fmt == "csv":
        return csv_response(dossier.code, events, ctx.calendar.tz)
    now = ctx.now().astimezone(ctx.calendar.tz)
    return respond(TrailOut, dict(
        code=dossier.code, procedure_code=dossier.procedure.code, status=dossier.status,
        exported_at=now.isoformat(), exported_by=g.actor.username,
        events=[asdict(e) for e in events]), **{"Cache-Control": "no-store"})
