"""The applicant's pages for an online dossier (issue 19): the private link
(/ho-so-truc-tuyen/<token>) shows the dossier's state, what the desk asked for, and the
files, including the electronic result."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template

from workflow.services.online import submissions

bp = Blueprint("online_pages", __name__)


def ctx():
    return current_app.extensions["motcua"]


@bp.get("/ho-so-truc-tuyen/<token>")
def follow(token):
    dossier, history, files = submissions.by_token(ctx(), token)
    return render_template("public/online_follow.html", dossier=dossier, token=token,
                           files=[f for f in files if f.superseded_by is None])
