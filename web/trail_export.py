"""The CSV download of a dossier's audit trail, shared by the API and the staff pages."""
from __future__ import annotations

from flask import Response

from workflow.adapters.export import csv_stream
from workflow.services.dossiers import audit_trail


def csv_response(code: str, events, tz) -> Response:
    body = csv_stream(audit_trail.COLUMNS, audit_trail.rows(events, tz))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="nhat-ky_{code}.csv"', "Cache-Control": "no-store"})
