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
read most of `dossiers`.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.engine import Connection

from workflow.adapters.tables import dossiers
from workflow.adapters.tables_files import dossier_files

from workflow.services.reports import statistics as reports


def measure(conn: Connection, p: reports.Period, scope: reports.Scope) -> dict:
    d, f = dossiers.c, dossier_files.c
    received = and_(d.received_at >= p.start, d.received_at < p.end, scope.where(d.agency))
    rows: dict[str, dict] = {}

    def row(agency: str) -> dict:
        return rows.setdefault(agency, dict(agency=agency, received=0, digitised=0, returned=0,
                                            electronic_results=0))
    for agency, n in conn.execute(select(d.agency, func.count()).where(received).group_by(d.agency)):
        row(agency)["received"] = n
    for agency, n in conn.execute(select(d.agency, func.count())
                                  .where(received, d.digitised_at.is_not(None)).group_by(d.agency)):
        row(agency)["digitised"] = n
    returned = and_(d.status == "returned", d.closed_at >= p.start, d.closed_at < p.end, scope.where(d.agency))
    electronic = exists().where(f.dossier_id == d.id, f.kind == "result", f.superseded_by.is_(None))
    for agency, n, e in conn.execute(select(d.agency, func.count(),
                                            func.count().filter(electronic)).where(returned).group_by(d.agency)):
        row(agency).update(returned=n, electronic_results=e)
    items = sorted(rows.values(), key=lambda r: r["agency"])
    total = {k: sum(r[k] for r in items) for k in ("received", "digitised", "returned", "electronic_results")}
    return dict(items=items, total=total, **{"from": p.first, "to": p.last})
