"""How digital the dossiers of a period are, per receiving agency (issue 19; these feed the
digitisation group of the Decision 766/QĐ-TTg service index, criteria 4.1 and 4.2):

- digitised: a dossier received in the period whose every required document of its
  procedure's checklist (not optional, not only presented) has a current file;
- electronic result: a dossier returned in the period whose result has a current file.

The index's own formulas for 4.1 and 4.2 were not read [U]: these are the product's
definitions from its records, named so on the page.

Set-based: the required documents of every procedure version seen in the period are written
into the statement as a small VALUES list, and each dossier's current files are counted
against them in one grouped query per measure.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, literal, select, union_all
from sqlalchemy.engine import Connection

from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_files import dossier_files
from workflow.domain.attachments import required_for_digitisation

from workflow.services.reports import statistics as reports


def required_documents(conn: Connection, procedure_ids) -> dict[int, set[str]]:
    repo = ProcedureRepository(conn)
    return {pid: {d.code for d in required_for_digitisation(repo.by_id(pid))} for pid in procedure_ids}


def measure(conn: Connection, p: reports.Period, scope: reports.Scope) -> dict:
    d, f = dossiers.c, dossier_files.c
    received = and_(d.received_at >= p.start, d.received_at < p.end, scope.where(d.agency))
    ids = conn.execute(select(d.procedure_id).where(received).distinct()).scalars().all()
    required = required_documents(conn, ids)
    rows: dict[str, dict] = {}

    def row(agency: str) -> dict:
        return rows.setdefault(agency, dict(agency=agency, received=0, digitised=0, returned=0,
                                            electronic_results=0))
    for agency, n in conn.execute(select(d.agency, func.count()).where(received).group_by(d.agency)):
        row(agency)["received"] = n
    pairs = [(pid, code) for pid, codes in required.items() for code in codes]
    if pairs:
        req = union_all(*[select(literal(pid).label("pid"), literal(code).label("code"))
                          for pid, code in pairs]).subquery("req")
        need = select(req.c.pid, func.count().label("n")).group_by(req.c.pid).subquery("need")
        have = (select(func.count(func.distinct(f.document)))
                .select_from(dossier_files.join(req, and_(req.c.pid == d.procedure_id, req.c.code == f.document)))
                .where(f.dossier_id == d.id, f.kind == "document", f.superseded_by.is_(None))
                .scalar_subquery())
        q = (select(d.agency, func.count()).select_from(dossiers.join(need, need.c.pid == d.procedure_id))
             .where(received, have == need.c.n).group_by(d.agency))
        for agency, n in conn.execute(q):
            row(agency)["digitised"] = n
    returned = and_(d.status == "returned", d.closed_at >= p.start, d.closed_at < p.end, scope.where(d.agency))
    electronic = exists().where(f.dossier_id == d.id, f.kind == "result", f.superseded_by.is_(None))
    for agency, n, e in conn.execute(select(d.agency, func.count(),
                                            func.count().filter(electronic)).where(returned).group_by(d.agency)):
        row(agency).update(returned=n, electronic_results=e)
    items = sorted(rows.values(), key=lambda r: r["agency"])
    total = {k: sum(r[k] for r in items) for k in ("received", "digitised", "returned", "electronic_results")}
    return dict(items=items, total=total, **{"from": p.first, "to": p.last})
