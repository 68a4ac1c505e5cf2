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

At city scale even those two indexes were a city month's every dossier (~435,000 entries
each at 5,000,000 dossiers a year). A closed dossier takes no more files, so both moments
of a dossier closed before the rollup's watermark are final: the nightly refresh sums them
(migration 0033, reports.rollup.digital) and only the dossiers not rolled up are counted
here: the open ones on their own partial index, those closed since the watermark (a day's
closings) on ix_dossiers_closed (which carries digitised_at for it), and the returns since
it on ix_dossiers_result_filed.
The received and returned dossiers they are shares of are the II.06a summary's (the same
sets: received in the period; status returned, closed in it).
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from workflow.adapters.tables import dossiers

from workflow.services.reports import rollup as report_rollup, statistics as reports

d = dossiers.c


def _received(p: reports.Period, scope: reports.Scope):
    return and_(d.received_at >= p.start, d.received_at < p.end, scope.where(d.agency))


def _returned(p: reports.Period, scope: reports.Scope, since: datetime | None = None):
    start = max(p.start, since) if since else p.start
    return and_(d.status == "returned", d.closed_at >= start, d.closed_at < p.end, scope.where(d.agency))


def electronic(conn: Connection, p: reports.Period, scope: reports.Scope) -> dict[str, list[int]]:
    """agency -> [digitised, electronic results] for the period: the rollup's sums of the
    dossiers closed before its watermark and the live count of the others (all of them
    without a rollup)."""
    through = report_rollup.watermark(conn)
    since = datetime.combine(through, time(0), tzinfo=p.start.tzinfo) if through else None
    found = report_rollup.digital(conn, p.first, p.last, scope) if since else {}
    # not rolled up: open (index-only on ix_dossiers_digitised_open), or closed since the
    # watermark (index-only on ix_dossiers_closed): two counts, as one with an OR the
    # planner joined a month of ix_dossiers_digitised to the closings in a bitmap (~50 ms)
    digitised = (_received(p, scope), d.digitised_at.is_not(None))
    live = ((d.closed_at.is_(None),), (d.closed_at.is_not(None), d.closed_at >= since)) if since else ((),)
    queries = [(0, select(d.agency, func.count()).where(*digitised, *part)) for part in live]
    filed = (_returned(p, scope, since), d.result_filed_at.is_not(None))
    queries.append((1, select(d.agency, func.count()).where(*filed)))
    for i, stmt in queries:
        for agency, n in conn.execute(stmt.group_by(d.agency)):
            found.setdefault(agency, [0, 0])[i] += n
    return found


def measure(conn: Connection, p: reports.Period, scope: reports.Scope, now: datetime, tz) -> dict:
    """Per receiving agency: received, digitised, returned, electronic results; the
    received and returned are the II.06a summary's."""
    rows: dict[str, dict] = {}

    def row(agency: str) -> dict:
        return rows.setdefault(agency, dict(agency=agency, received=0, digitised=0, returned=0,
                                            electronic_results=0))
    for r in reports.summary(conn, p, scope, now, tz)["rows"]:
        acc = row(r["agency"])
        acc["received"] += r["new_total"]
        acc["returned"] += r["returned"]
    for agency, (digitised, results) in electronic(conn, p, scope).items():
        row(agency).update(digitised=digitised, electronic_results=results)
    items = sorted((r for r in rows.values() if any(r[k] for k in ("received", "returned"))),
                   key=lambda r: r["agency"])
    total = {k: sum(r[k] for r in items) for k in ("received", "digitised", "returned", "electronic_results")}
    for r in (*items, total):
        r["digitised_share"] = _share(r["digitised"], r["received"])
        r["electronic_share"] = _share(r["electronic_results"], r["returned"])
    return dict(items=items, total=total, **{"from": p.first, "to": p.last})


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
