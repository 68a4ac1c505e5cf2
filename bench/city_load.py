"""Load a generated city-year (bench/workload.py: the city, its mix and one dossier's rows)
into a migrated PostgreSQL database: the dossiers are generated in worker processes, in
chunks whose random stream depends only on the seed and the chunk, and COPied table by
table with the secondary indexes and foreign keys dropped, then rebuilt.

Usage (normally through bench/city.py):
    python bench/city_load.py --rows 20000 --seed 7 --db motcua_bench_city_try
"""
from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import os
import random
import sys
import time
from collections import deque
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from workflow.adapters import survey_tally  # noqa: E402
from workflow.adapters.database import make_engine  # noqa: E402
from workflow.domain.calendar import BusinessCalendar  # noqa: E402

from workload import BOUNDARY_FREE_SHARE, TABLES, WARDS, Maker, Timeline, prepare  # noqa: E402


# -- chunks, in worker processes -----------------------------------------------------------
_WORK: dict = {}


def init_worker(city: dict, tl: Timeline, seed: int) -> None:
    _WORK.update(maker=Maker(city, tl), seed=seed)


def chunk(bounds: tuple[int, int]) -> dict[str, str]:
    """Dossiers [first, last) as COPY text per table; the random stream depends only on
    the seed and the chunk's first id, so the output does not depend on the workers."""
    rnd = random.Random(_WORK["seed"] * 1_000_003 + bounds[0])
    lines: dict[str, list[str]] = {k: [] for k in TABLES}
    maker = _WORK["maker"]
    for i in range(*bounds):
        for k, v in maker.make(i, rnd).items():
            lines[k] += v
    return {k: "".join(v) for k, v in lines.items()}


CHUNK = 5000


def generate(city: dict, tl: Timeline, rows: int, seed: int, workers: int, sink) -> str:
    """Generate `rows` dossiers in worker processes, at most 2 chunks per worker in flight
    (memory stays bounded whatever `rows`), handing each chunk to `sink` in id order.
    Returns the SHA-256 of everything generated."""
    digest = hashlib.sha256()
    parts = [(a, min(a + CHUNK, rows + 1)) for a in range(1, rows + 1, CHUNK)]
    with mp.get_context("fork").Pool(workers, init_worker, (city, tl, seed)) as pool:
        pending: deque = deque()
        todo = iter(parts)
        for part in todo:
            pending.append(pool.apply_async(chunk, (part,)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            out = pending.popleft().get()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.apply_async(chunk, (nxt,)))
            for table in TABLES:
                digest.update(out[table].encode())
            sink(out)
    return digest.hexdigest()


def checksum(url: str | None, rows: int, seed: int, now: datetime, workers: int = 2, wards: int = WARDS,
             city: dict | None = None, boundary_free_share: float = BOUNDARY_FREE_SHARE) -> str:
    """The SHA-256 of the rows a seed gives (no database writes beyond the catalog)."""
    city = dict(city or prepare(url, wards), boundary_free_share=boundary_free_share)
    return generate(city, Timeline(BusinessCalendar(), now), rows, seed, workers, lambda out: None)


# -- loading -------------------------------------------------------------------------------
def bulk_load(url: str, rows: int, seed: int, now: datetime, workers: int, wards: int = WARDS,
              log=print, boundary_free_share: float = BOUNDARY_FREE_SHARE) -> dict:
    """Prepare the city, then COPY every table (one connection per table, streams side by
    side) with the secondary indexes and foreign keys of those tables dropped; rebuild
    them, validate the keys, set the sequences, fill the survey tallies, VACUUM ANALYZE."""
    import psycopg
    start = time.perf_counter()
    city = dict(prepare(url, wards), boundary_free_share=boundary_free_share)
    tl = Timeline(BusinessCalendar(), now)
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    names = ", ".join(f"'{t}'::regclass" for t in TABLES)
    with psycopg.connect(dsn, autocommit=True) as admin:
        indexes = admin.execute(f"SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                                f"WHERE indrelid IN ({names}) AND NOT indisprimary "
                                f"AND indexrelid NOT IN (SELECT conindid FROM pg_constraint WHERE contype = 'u')"
                                ).fetchall()
        keys = admin.execute(f"SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM "
                             f"pg_constraint WHERE contype = 'f' AND (conrelid IN ({names}) OR "
                             f"confrelid IN ({names}))").fetchall()
        for sql in [f'ALTER TABLE {t} DROP CONSTRAINT "{k}"' for t, k, _ in keys] + \
                [f"DROP INDEX {i}" for i, _ in indexes]:
            admin.execute(sql)
        with ExitStack() as stack:
            copies = {t: stack.enter_context(stack.enter_context(psycopg.connect(dsn, autocommit=True)).cursor()
                                             .copy(f"COPY {t} ({', '.join(cols)}) FROM STDIN"))
                      for t, cols in TABLES.items()}
            done = [0]

            def sink(out):
                for t in TABLES:
                    if out[t]:
                        copies[t].write(out[t])
                done[0] += CHUNK
                if done[0] % 500_000 == 0:
                    log(f"      {done[0]:,} dossiers ({time.perf_counter() - start:.0f} s)")
            digest = generate(city, tl, rows, seed, workers, sink)
        copied = time.perf_counter() - start
        log(f"      copied in {copied:.0f} s; building indexes ...")
        admin.execute("SET maintenance_work_mem = '1GB'")
        for t in ("dossiers", "surveys", "survey_responses", "survey_feedback", "visits", "guidance_failures"):
            admin.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                          f"(SELECT coalesce(max(id), 0) + 1 FROM {t}), false)")
        for sql in [ddl for _, ddl in indexes] + [f'ALTER TABLE {t} ADD CONSTRAINT "{k}" {ddl}'
                                                   for t, k, ddl in keys]:
            admin.execute(sql)
        began = time.perf_counter()
        fill_tallies(url)
        log(f"      survey tallies filled in {time.perf_counter() - began:.1f} s")
        for t in [*TABLES, *TALLIES]:
            admin.execute(f"VACUUM (ANALYZE) {t}")
    return dict(seconds=time.perf_counter() - start, copy_seconds=copied, checksum=digest,
                wards=len(city["wards"]))


TALLIES = ("survey_tally_counts", "survey_tally_counts_daily", "survey_tally", "survey_tally_daily")


def fill_tallies(url: str) -> None:
    """The SIPAS report's tallies from the copied surveys and answers, with the sums the
    services keep as they go (one INSERT ... SELECT per table), so the benchmark times
    the report on its tallies as in production."""
    engine = make_engine(url, 1, 0)
    try:
        with engine.begin() as conn:
            survey_tally.rebuild(conn, BusinessCalendar().tz)
    finally:
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--now", default="2026-11-27T16:00:00+07:00", help="the moment the data ends (ISO)")
    ap.add_argument("--wards", type=int, default=WARDS)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--db", default="motcua_bench_city_workload", help="database to (re)create")
    ap.add_argument("--boundary-free-share", type=float, default=BOUNDARY_FREE_SHARE,
                    help="ASSUMPTION (no published figure found): share of in-person dossiers of a ward "
                         "procedure taken in at another service point (default %(default)s)")
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args()
    if not a.db.startswith("motcua_bench_city"):
        ap.error("the database name must start with motcua_bench_city")
    admin = create_engine(a.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{a.db}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{a.db}"'))
    admin.dispose()
    url = make_url(a.pg_admin_url).set(database=a.db).render_as_string(hide_password=False)
    r = bulk_load(url, a.rows, a.seed, datetime.fromisoformat(a.now), a.workers, a.wards,
                  boundary_free_share=a.boundary_free_share)
    print(f"{a.rows:,} dossiers in {r['seconds']:.0f} s (COPY {r['copy_seconds']:.0f} s); sha256 {r['checksum']}")


if __name__ == "__main__":
    main()
