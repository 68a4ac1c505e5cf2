"""Reception and return regardless of administrative boundaries (tiếp nhận, trả kết quả
không phụ thuộc địa giới hành chính).

Since 1 October 2025 Hanoi lets citizens and businesses submit and collect the procedures
the city has approved for it at any branch or service point of its Public Administration
Service Centre, whatever their residence or registered office (Chinhphu.vn, 1 October 2025;
piloted across the whole system to 30 November 2025, then the normal practice: VietnamPlus
and Dân trí, 18 November 2025). The city's decision approving the list of procedures was
not found; a procedure's `anywhere: true` in the catalog stands for its approval.

The rules here: who may take a dossier in (the competent unit's own desk, or any service
point for an approved procedure) and where its result may be collected.
"""
from __future__ import annotations

from .dossier import RETURN_BY_POST, Actor
from .errors import Forbidden, InvalidInput
from .procedure import Procedure

SERVICE_POINT = "service_point"  # agencies.kind of a point that receives and hands back
INTAKE_ROLES = ("counter", "supervisor")


def authorise_intake(actor: Actor, procedure: Procedure, service_points=frozenset()) -> None:
    """The competent unit's receiving desk (counter staff or its supervisor) takes in its
    dossiers; any service point's desk takes in a procedure approved for boundary-free
    reception (`anywhere`). `procedure` is already resolved for its competent unit."""
    if actor.role not in INTAKE_ROLES or not actor.agency:
        raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) may not receive dossiers "
                        f"for agency {procedure.agency}")
    if actor.agency == procedure.agency:
        return
    if not procedure.anywhere:
        raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) may not receive dossiers "
                        f"for agency {procedure.agency}: procedure {procedure.code} is not approved "
                        "for reception regardless of administrative boundaries")
    if actor.agency not in service_points:
        raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) may not receive dossiers "
                        f"for agency {procedure.agency}: {actor.agency} is not a service point")


def check_return_at(procedure: Procedure, receiving: str, return_at: str | None, return_by: str,
                    service_points=frozenset()) -> str | None:
    """Where the result will be collected: any service point for an approved procedure,
    by default the receiving one; not with a return by post. Returns the point to record
    (None: the receiving point)."""
    if return_at is None:
        return None
    if not isinstance(return_at, str):
        raise InvalidInput("return_at is an agency code", field="return_at")
    if return_by == RETURN_BY_POST:
        raise InvalidInput("the result goes by post: return_at names no counter", field="return_at")
    if return_at == receiving:
        return None
    if not procedure.anywhere:
        raise InvalidInput(f"procedure {procedure.code} is not approved for return regardless of "
                           f"administrative boundaries: its result is collected at {receiving}",
                           field="return_at")
    if return_at not in service_points:
        raise InvalidInput(f"'{return_at}' is not a service point", field="return_at")
    return return_at
