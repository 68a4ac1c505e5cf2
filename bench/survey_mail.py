"""Survey invitations (thư mời khảo sát) per minute, end to end through the real path:
closed dossiers -> outbox -> Celery worker and beat on Redis -> a local SMTP server.

N dossiers are closed by the engine for N different citizens (each with e-mail and phone,
so one mail and one SMS each). Their other mails (receipt, hand-over) are marked sent
first, so only the survey's two outbox hops remain: `dossier.closed` opens the survey and
queues the invitation, `survey.invite` sends it. Then a private redis-server, a worker
and beat start, the rate is taken from the first invitation aiosmtpd receives to the
N-th (the workers' start-up and the first beat tick are reported apart). The reference, measured in the same run, is plain smtplib sending
N mails to the same server one connection each, as the product's sender does.

    python bench/survey_mail.py [--mails N] [--pg-admin-url URL]
"""
from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import create_engine, text, update  # noqa: E402

from http_load import free_port, stop  # noqa: E402
from lifecycle import RUN, STAFF, STEPS, db_url, engine_context, prepare_bench_db, recreate_db  # noqa: E402
from workflow.adapters.tables import outbox  # noqa: E402
from workflow.domain.dossier import Actor, Applicant  # noqa: E402
from workflow.services.dossiers import use_cases  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DB = f"{RUN}_mail"
OUTBOX_INTERVAL_SECONDS = 1.0  # the beat's relay tick; the default (10 s) is printed beside


class Inbox:
    """Counts the survey invitations the SMTP server accepts, and when."""

    def __init__(self):
        self.lock = threading.Lock()
        self.survey_times: list[float] = []
        self.others = 0

    async def handle_DATA(self, server, session, envelope):
        content = envelope.content.decode("utf8", errors="replace")
        with self.lock:
            if "Message-ID: <survey-" in content:
                self.survey_times.append(time.perf_counter())
            else:
                self.others += 1
        return "250 OK"


def close_dossiers(url: str, n: int) -> None:
    ctx = engine_context(url, 2)
    actors = {name: Actor(name, role, agency) for name, (role, agency) in STAFF.items()}
    for i in range(n):
        d, _ = use_cases.intake(ctx, actors["clerk"], "1.001612", Applicant(
            f"Công dân {i}", f"001090{i:06d}", f"09{i:08d}", f"cong.dan.{i}@example.com"),
            ["GDN", "CCCD"], "in_person")
        for who, action in STEPS:
            use_cases.act(ctx, actors[who], d.code, action, {})
    with ctx.engine.begin() as conn:  # receipts and hand-overs went out long ago
        conn.execute(update(outbox).where(outbox.c.topic != "dossier.closed").values(
            sent_at=text("CURRENT_TIMESTAMP")))
    ctx.engine.dispose()


def smtplib_reference(port: int, n: int) -> float:
    """Mails per minute that plain smtplib gets through to the same server."""
    started = time.perf_counter()
    for i in range(n):
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "bench@test.local", f"r{i}@example.com", "tham chiếu"
        msg["Message-ID"] = f"<reference-{i}@bench>"
        msg.set_content("Kính gửi ông/bà, đây là thư tham chiếu.\n" * 5)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(msg)
    return n / (time.perf_counter() - started) * 60


def measure(admin_url: str, mails: int, concurrency: int = 2, log=print) -> dict:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = db_url(admin_url, DB)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    procs: list[subprocess.Popen] = []
    tmp = Path(tempfile.mkdtemp(prefix="motcua-mail-"))
    try:
        reference = smtplib_reference(smtp.port, mails)
        recreate_db(admin, DB)
        prepare_bench_db(url)
        log(f"      closing {mails} dossiers ...")
        close_dossiers(url, mails)
        redis_port = free_port()
        procs.append(subprocess.Popen(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL))
        env = dict(os.environ, DATABASE_URL=url, CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/0",
                   MOTCUA_ENV="development", SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port),
                   MAIL_FROM="motcua@bench.local", OUTBOX_INTERVAL_SECONDS=str(OUTBOX_INTERVAL_SECONDS),
                   SMS_FILE=str(tmp / "sms.jsonl"), PUBLIC_BASE_URL="http://khaosat.bench")
        celery = [sys.executable, "-m", "celery", "-A", "tasks.worker"]
        started = time.perf_counter()
        for role, args in (("worker", [f"--concurrency={concurrency}"]),
                           ("beat", ["--schedule", str(tmp / "beat-schedule")])):
            with open(tmp / f"{role}.log", "w") as out:
                procs.append(subprocess.Popen([*celery, role, "--loglevel=WARNING", *args], cwd=ROOT,
                                              env=env, stdout=out, stderr=subprocess.STDOUT))
        deadline = started + max(120.0, mails * 0.5)
        while len(inbox.survey_times) < mails and time.perf_counter() < deadline:
            if any(p.poll() is not None for p in procs):
                raise SystemExit("a bench process died:\n" + "\n".join(
                    (tmp / f"{r}.log").read_text()[-1500:] for r in ("worker", "beat")))
            time.sleep(0.1)
        got = len(inbox.survey_times)
        elapsed = (inbox.survey_times[-1] if got else time.perf_counter()) - started
        first = inbox.survey_times[0] - started if got else float("nan")
        steady = inbox.survey_times[-1] - inbox.survey_times[0] if got > 1 else float("nan")
        return dict(mails=got, expected=mails, elapsed=elapsed, per_minute=(got - 1) / steady * 60,
                    first_after=first, reference=reference, others=inbox.others,
                    sms=len((tmp / "sms.jsonl").read_text().splitlines())
                    if (tmp / "sms.jsonl").exists() else 0)
    finally:
        for p in reversed(procs):
            stop(p)
        smtp.stop()
        recreate_db(admin, DB, create=False)
        admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mails", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=2, help="worker processes")
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args()
    r = measure(a.pg_admin_url, a.mails, a.concurrency)
    print(f"{r['mails']}/{r['expected']} invitations in {r['elapsed']:.1f} s from the worker's start "
          f"(first after {r['first_after']:.1f} s): {r['per_minute']:.0f} mails/min steady; "
          f"{r['sms']} SMS; smtplib alone: {r['reference']:.0f} mails/min")


if __name__ == "__main__":
    main()
