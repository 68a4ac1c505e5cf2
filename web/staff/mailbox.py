"""The development mailbox page (hộp thư thử nghiệm): what the product would have mailed
or texted under `make run`, newest first, each message readable with its links clickable.

Registered only when MAILBOX_DIR is set, which only the development settings do: in
production the page does not exist (404). Staff only: the messages carry citizens'
addresses and single-use survey links.
"""
from __future__ import annotations

import re
from datetime import datetime

from flask import Blueprint, abort, current_app, render_template, request

from workflow.adapters.mailbox import dev_mailbox

from web.staff.access import ctx
from web.staff.auth import staff_required

bp = Blueprint("mailbox", __name__)
SHOWN = 200  # the newest; older files stay on disk
LINK = re.compile(r"(https?://[^\s<>\"']+)")


def _parts(text: str) -> list[tuple[str, bool]]:
    """The body as (text, is_link) pieces, so the template escapes the text and links the URLs."""
    return [(piece, i % 2 == 1) for i, piece in enumerate(LINK.split(text or "")) if piece]


def _local(at: str) -> str:
    try:
        moment = datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return at or ""
    return moment.astimezone(ctx().calendar.tz).strftime("%d/%m/%Y %H:%M:%S")


@bp.get("/hop-thu")
@staff_required()
def index():
    box = dev_mailbox(current_app.config)
    messages = [dict(m, local_at=_local(m.get("at"))) for m in box.latest(SHOWN)]
    chosen = None
    name = request.args.get("m")
    if name:
        chosen = box.read(name)
        if chosen is None:
            abort(404)
        chosen = dict(chosen, local_at=_local(chosen.get("at")), parts=_parts(chosen.get("body")))
    return render_template("staff/mailbox.html", messages=messages, chosen=chosen,
                           total=len(box.names()), shown=SHOWN, folder=str(box.path))
