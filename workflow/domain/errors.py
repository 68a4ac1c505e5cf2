"""Domain errors: each maps to one documented API error (code, HTTP status, field).

Kept free of any framework so the engine can raise them from pure code; the web
adapter turns them into `{"error": {"code", "message", "field"}}` responses.
"""
from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal the engine can give; nothing is written when raised."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, field: str | None = None, **details):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidInput(DomainError):
    """The request names a field with a value the rules do not accept."""

    code = "invalid_input"
    status = 422


class IdempotencyKeyReused(InvalidInput):
    """An Idempotency-Key sent again with a different request body (a new request must
    use a new key): refused rather than answered with the first request's result."""

    code = "idempotency_key_reused"


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401


class Forbidden(DomainError):
    """The actor's role or agency may not do this (e.g. a step of another agency)."""

    code = "forbidden"
    status = 403


class ActionNotAllowed(DomainError):
    """The action does not exist from the dossier's current state."""

    code = "action_not_allowed"
    status = 409

    def __init__(self, message: str, allowed: list[str], field: str | None = None):
        super().__init__(message, field, allowed=allowed)
        self.allowed = allowed


class Conflict(DomainError):
    """A concurrent writer changed the dossier first (optimistic lock lost)."""

    code = "conflict"
    status = 409


class StaleVersion(DomainError):
    """The caller's If-Match version is not the dossier's current version."""

    code = "stale_version"
    status = 412


class TooLarge(DomainError):
    """An uploaded file is larger than the configured limit."""

    code = "too_large"
    status = 413


class UnsupportedFile(DomainError):
    """An uploaded file is not of an accepted type (decided from its content) or is damaged."""

    code = "unsupported_file"
    status = 415
