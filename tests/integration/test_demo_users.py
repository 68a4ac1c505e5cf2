"""Every agency of the demo catalog has a demo account, so that every demo procedure can
be followed to its end, and the README lists every account with its role and agency."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import select

from web.cli.commands import DEMO_USERS
from workflow.adapters.tables import users
from workflow.catalog import DEMO_DIR

ROOT = Path(__file__).resolve().parents[2]
ROLE_WORDS = {"counter": "counter clerk", "officer": "officer", "supervisor": "supervisor",
              "admin": "admin"}


def demo_agencies() -> dict[str, str]:
    data = yaml.safe_load((DEMO_DIR / "agencies.yaml").read_text(encoding="utf-8"))
    return {a["code"]: a["name"] for a in data["agencies"]}


def test_demo_load_creates_an_account_for_every_agency(app, engine):
    out = app.test_cli_runner().invoke(args=["demo", "load"])
    assert out.exit_code == 0, out.output
    with engine.connect() as conn:
        rows = conn.execute(select(users.c.username, users.c.role, users.c.agency, users.c.full_name)
                            .where(users.c.username.in_([u for u, *_ in DEMO_USERS]))).all()
    assert len(rows) == len(DEMO_USERS)
    agencies = demo_agencies()
    assert set(agencies) <= {r.agency for r in rows}
    for r in rows:  # accounts named after their agency carry its real name
        assert r.full_name and (r.agency is None or r.agency in agencies)
    assert next(r for r in rows if r.username == "canbo.bhxh").full_name.endswith(agencies["H26.BHXH"])
    again = app.test_cli_runner().invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "user " not in again.output  # idempotent


def test_the_readme_lists_every_demo_account_with_role_and_agency():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([\w.]+)` \|.*$", readme, re.M)}
    for username, role, agency, _ in DEMO_USERS:
        assert username in rows, username
        assert ROLE_WORDS[role] in rows[username] and (agency or "—") in rows[username], rows[username]
