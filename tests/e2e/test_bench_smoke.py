"""The one benchmark command runs end to end at tiny sizes and prints its table: pgbench,
engine-only, HTTP through gunicorn and locust, the sweep, and survey mails through a
real Celery worker, Redis and SMTP, and a 5 MB upload and download through gunicorn
(bench/run_all.py --quick)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PG_ADMIN_URL
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def test_run_all_quick_prints_every_figure_beside_its_reference(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "bench/run_all.py", "--quick", "--seconds", "2", "--skip", "city",
         "--json", str(out), "--pg-admin-url", PG_ADMIN_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "| figure | value | reference | ratio | target | met? |" in done.stdout
    assert "Machine: " in done.stdout and "PostgreSQL" in done.stdout
    report = json.loads(out.read_text())
    rows = {r["figure"].split(" (")[0]: r for r in report["rows"]}
    tps = rows["pgbench tpcb-like TPS"]["value"]
    assert tps > 0
    for figure in ("engine-only lifecycle transitions/s", "HTTP intake requests/s",
                   "HTTP full-lifecycle requests/s"):
        assert rows[figure]["value"] > 0 and rows[figure]["reference"] == tps, figure
        assert rows[figure]["ok"] in (True, False) and f"| {rows[figure]['figure']} |" in done.stdout
    assert rows["HTTP intake failed requests"]["value"] == 0
    assert rows["HTTP full-lifecycle requests/s"]["value"] > 0
    sweep = next(r for r in report["rows"] if r["figure"].startswith("deadline sweep over 5,000"))
    assert sweep["value"] < 3 and sweep["ok"] is True
    mails = next(r for r in report["rows"] if r["figure"].startswith("survey invitations per minute"))
    assert mails["value"] > 0 and mails["reference"] > 0
    assert rows["invitations delivered / expected"]["value"] == "20 / 20"
    for kind, verb in (("upload", "taking"), ("download", "serving")):
        memory = rows[f"web worker memory rise {verb} a 5 MB {kind}"]
        assert memory["ok"] is True and memory["reference"] is not None, memory
        speed = rows[f"5 MB {kind} throughput"]
        assert speed["value"] > 0 and speed["reference"] > 0, speed
    assert report["machine"]["cores"] >= 1 and report["machine"]["postgresql"]
