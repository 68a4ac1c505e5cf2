"""The architecture holds (.importlinter, checked with import-linter): the entry points
(web, tasks) over the bootstrap over the use cases over the adapters over the catalog
format over the domain; the domain free of Flask, SQLAlchemy, Celery and Redis; no import
cycle between sibling modules or packages at any depth. And the check is not idle: the
same contracts break on a copy of the code given an upward import or a cycle."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--config", ".importlinter"]


def lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run(LINT, cwd=where, capture_output=True, text=True, timeout=300)


def test_the_code_keeps_every_contract():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.fixture
def copy(tmp_path):
    for name in ("workflow", "web", "tasks"):
        shutil.copytree(ROOT / name, tmp_path / name,
                        ignore=shutil.ignore_patterns("__pycache__", "static", "translations",
                                                      "survey_translations", "demo", "questionnaires"))
    shutil.copy(ROOT / ".importlinter", tmp_path)
    shutil.copy(ROOT / "config.py", tmp_path)
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}\n")


def test_an_upward_import_breaks_the_layers(copy):
    add_line(copy / "workflow" / "domain" / "calendar.py", "import workflow.services.context")
    done = lint(copy)
    assert done.returncode != 0
    assert "Layers: the entry points over the use cases over the adapters over the domain BROKEN" in done.stdout
    assert "workflow.domain.calendar -> workflow.services.context" in done.stdout


def test_a_framework_in_the_domain_breaks_its_purity(copy):
    add_line(copy / "workflow" / "domain" / "dossier.py", "import sqlalchemy")
    done = lint(copy)
    assert "The domain knows no framework, database or queue BROKEN" in done.stdout


def test_a_cycle_between_capabilities_is_caught(copy):
    add_line(copy / "workflow" / "services" / "deadlines" / "escalation.py",
             "from workflow.services.reports import dashboard")
    add_line(copy / "workflow" / "services" / "reports" / "dashboard.py",
             "from workflow.services.deadlines import escalation")
    done = lint(copy)
    assert "No import cycle between sibling modules or packages, at any depth BROKEN" in done.stdout
    assert "workflow.services" in done.stdout
