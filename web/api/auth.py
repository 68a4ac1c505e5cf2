"""Bearer-token authentication for the API: resolves the token to an Actor."""
from __future__ import annotations

from flask import current_app, request

from workflow.adapters.users import actor_for_token
from workflow.domain.dossier import Actor
from workflow.domain.errors import Unauthenticated


def require_actor() -> Actor:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("send 'Authorization: Bearer <token>' (flask --app web users token NAME)",
                              field="Authorization")
    with current_app.extensions["motcua"].engine.connect() as conn:
        if conn.dialect.name == "postgresql":  # one read: no BEGIN/ROLLBACK round trips
            conn.execution_options(isolation_level="AUTOCOMMIT")
        actor = actor_for_token(conn, token.strip())
    if actor is None:
        raise Unauthenticated("the token is unknown or revoked", field="Authorization")
    return actor
