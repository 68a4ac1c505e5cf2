"""The counter form's places (issue 22, "any counter in the city"): which procedures a desk
receives, the unit competent to settle a procedure published for several units, and the
service point where the result is collected.

The engine decides (workflow.domain.boundary_free and use_cases.for_competent_unit); this
module only offers the choices the form shows and reads them back, so a refused choice
comes back from the engine with its message like any other refusal.
"""
from __future__ import annotations

import re

from workflow.adapters.agencies import service_point_names, service_points
from workflow.domain.procedure import resolve_agency

UNIT_FIELD, POINT_FIELD = "competent_unit", "return_at"
AGENCY_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")  # as the API's AgencyCode


def received_here(procedure, agency: str, is_service_point: bool) -> bool:
    """A desk receives a procedure its agency settles (itself or, for one published for
    several units, as one of them), and, at a service point, any procedure approved for
    boundary-free reception."""
    if procedure.agency == agency:
        return True
    if any(resolve_agency(procedure.agency, u) == agency for u in procedure.competent_units):
        return True
    return is_service_point and procedure.anywhere


def is_service_point(conn, agency: str) -> bool:
    return agency in service_points(conn, {agency})


def offers_unit(procedure) -> bool:
    """The form asks for the competent unit of a procedure published for several units or
    approved for boundary-free reception."""
    return procedure.is_template or len(procedure.competent_units) > 1 or procedure.anywhere


def choices(conn, procedure, agency: str, names: dict) -> dict:
    """What the form offers for `procedure` at `agency`'s desk: `units` [(value, name)]
    when the competent unit is asked (value as the engine takes it: a unit of
    `competent_units`, or the procedure's own agency), `points` [(code, name)] of the
    service points when the procedure is approved for boundary-free return."""
    if procedure is None:
        return dict(units=[], points=[], own_unit=None)
    units = []
    if offers_unit(procedure):
        listed = procedure.competent_units or (procedure.agency,)
        units = [(u, names.get(resolve_agency(procedure.agency, u), u)) for u in listed]
    own = next((u for u, _name in units if resolve_agency(procedure.agency, u) == agency), None)
    points = list(service_point_names(conn).items()) if procedure.anywhere else []
    if points and agency not in dict(points):  # the desk's own point stays the default
        points.insert(0, (agency, names.get(agency, agency)))
    return dict(units=units, points=points, own_unit=own)


def read(form, procedure, agency: str, return_by: str) -> tuple[dict, list[str]]:
    """The competent unit and return point the clerk chose, as intake's keyword arguments,
    and the fields holding a malformed value. The return point is ignored when the
    result goes by post, and left out when it is the desk's own point (the default)."""
    if procedure is None:
        return {}, []
    chosen = {}
    unit = (form.get(UNIT_FIELD) or "").strip() or None
    point = (form.get(POINT_FIELD) or "").strip() or None
    errors = [f for f, v in ((UNIT_FIELD, unit), (POINT_FIELD, point))
              if v is not None and not AGENCY_CODE.fullmatch(v)]
    if errors:
        return {}, errors
    if offers_unit(procedure):
        chosen[UNIT_FIELD] = unit
    if procedure.anywhere and return_by != "post" and point not in (None, agency):
        chosen[POINT_FIELD] = point
    return chosen, []
