"""How digital the dossiers of a period are, per receiving agency (issue 19; these feed the
digitisation group of the Decision 766/QĐ-TTg service index, criteria 4.1 and 4.2):

- digitised: a dossier received in the period whose every required document of its
  procedure's checklist (not optional, not only presented; with its case's documents)
  has a current file;
- electronic result: a dossier returned in the period whose result has a current file.

The index's own formulas for 4.1 and 4.2 were not read [U]: these are the product's
definitions from its records, named so on the page.

A dossier becomes digitised once, when the file that completes its required documents is
recorded (dossiers.digitised_at, migration 0028): the report counts that moment on a small
partial index instead of the files of every dossier of the period, which for a whole city
read most of `dossiers`. Likewise its result is electronic from the moment its first result
file is recorded (dossiers.result_filed_at, migration 0029: result files are never removed
and a signed copy supersedes the unsigned one, so a current one remains): the returned
dossiers that have it are counted on their own partial index, index-only on PostgreSQL,
instead of probing `dossier_files` for every dossier returned in the period.
"""
from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from workflow.adapters.tables import dossiers

from workflow.services.reports import statistics as reports


def _received(p: reports.Period, scope: reports.Scope):
    d = dossiers.c
    return and_(d.received_at >= p.start, d.received_at < p.end, scope.where(d.agency))


def _returned(p: reports.Period, scope: reports.Scope):
    d = dossiers.c
    return and_(d.status == "returned", d.closed_at >= p.start, d.closed_at < p.end, scope.where(d.agency))


def electronic(conn: Connection, p: reports.Period, scope: reports.Scope) -> tuple[int, int]:
    """(digitised, electronic results) of the scope for the period, totals only: the
    service index takes the dossiers received and returned from the II.06a summary it
    has already counted (the same sets: received in the period; status returned, closed
    in it), so at city scale it reads only the two partial indexes, not the month's
    dossiers twice more."""
    d = dossiers.c
    digitised = conn.execute(select(func.count()).where(_received(p, scope), d.digitised_at.is_not(None)))
    results = conn.execute(select(func.count()).where(_returned(p, scope), d.result_filed_at.is_not(None)))
    return digitised.scalar_one(), results.scalar_one()


def measure(conn: Connection, p: reports.Period, scope: reports.Scope) -> dict:
    d = dossiers.c
    received = _received(p, scope)
    rows: dict[str, dict] = {}

    def row(agency: str) -> dict:
        return rows.setdefault(agency, dict(agency=agency, received=0, digitised=0, returned=0,
                                            electronic_results=0))
    for agency, n in conn.execute(select(d.agency, func.count()).where(received).group_by(d.agency)):
        row(agency)["received"] = n
    for agency, n in conn.execute(select(d.agency, func.count())
                                  .where(received, d.digitised_at.is_not(None)).group_by(d.agency)):
        row(agency)["digitised"] = n
    returned = _returned(p, scope)
    for agency, n in conn.execute(select(d.agency, func.count()).where(returned).group_by(d.agency)):
        row(agency)["returned"] = n
    for agency, n in conn.execute(select(d.agency, func.count())
                                  .where(returned, d.result_filed_at.is_not(None)).group_by(d.agency)):
        row(agency)["electronic_results"] = n
    items = sorted(rows.values(), key=lambda r: r["agency"])
    total = {k: sum(r[k] for r in items) for k in ("received", "digitised", "returned", "electronic_results")}
    return dict(items=items, total=total, **{"from": p.first, "to": p.last})
