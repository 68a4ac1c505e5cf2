"""API for the hand-over of a dossier's paper originals between points (issue 22): the
transfers, who holds the originals, sending and recording arrival. Rules in
workflow.domain.originals; the declaration follows web/api/payments.py."""
from __future__ import annotations

from flask import Blueprint, current_app, g

from workflow.domain.originals import Transfer
from workflow.services.dossiers import originals

from web.api import schemas as s
from web.api.registry import api_route
from web.api.views import respond

bp = Blueprint("api_originals", __name__, url_prefix="/api/v1")


def ctx():
    return current_app.extensions["motcua"]


def transfer_json(code: str, x: Transfer) -> dict:
    return dict(id=x.id, dossier_code=code, from_agency=x.from_agency, to_agency=x.to_agency,
                documents=list(x.documents), sent_at=x.sent_at, sent_by=x.sent_by,
                received_at=x.received_at, received_by=x.received_by, note=x.note)


@api_route(bp, "/dossiers/<code>/originals", "POST",
           "Send paper originals to another agency the dossier concerns (staff of the agency "
           "holding them: first the receiving point); one transfer open at a time",
           body=s.OriginalTransferIn, response=s.OriginalTransferOut, status=201,
           errors=(400, 401, 403, 404, 409, 422))
def send_originals(code):
    body: s.OriginalTransferIn = g.body
    x = originals.send(ctx(), g.actor, code, body.to, body.documents, body.note)
    return respond(s.OriginalTransferOut, transfer_json(code, x), 201,
                   Location=f"/api/v1/dossiers/{code}/originals")


@api_route(bp, "/dossiers/<code>/originals/<int:transfer_id>/received", "POST",
           "Record that sent originals arrived (staff of the destination agency)",
           response=s.OriginalTransferOut, errors=(400, 401, 403, 404, 409))
def receive_originals(code, transfer_id):
    x = originals.receive(ctx(), g.actor, code, transfer_id)
    return respond(s.OriginalTransferOut, transfer_json(code, x))


@api_route(bp, "/dossiers/<code>/originals", "GET",
           "The dossier's transfers of paper originals, who holds them and where they may go "
           "(those who may see the dossier)",
           response=s.OriginalTransfersOut, errors=(401, 403, 404))
def list_originals(code):
    found, holder, destinations = originals.listing(ctx(), g.actor, code)
    return respond(s.OriginalTransfersOut, dict(
        dossier_code=code, holder=holder, destinations=destinations,
        items=[transfer_json(code, x) for x in found]))
