"""Catalog files: validation names the file and field, bad files load nothing, changed
files become new versions and dossiers keep the version they were received under."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from tests.conftest import FIXTURE_CATALOG
from workflow.adapters.tables import procedures
from workflow.services.importing.catalog import DEMO_DIR, load
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

GOOD = yaml.safe_load((FIXTURE_CATALOG / "hkd.yaml").read_text())


def write(tmp_path: Path, data, name="p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True) if not isinstance(data, str) else data)
    return path


def n_procedures(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(procedures)).scalar_one()


@pytest.mark.parametrize("change,field", [
    (lambda d: d.pop("name"), "name"),
    (lambda d: d.update(processing_days=2), "steps"),  # step days add up to 3
    (lambda d: d["steps"][0].update(days=0.3), "steps.0.days"),
    (lambda d: d["steps"][1].update(agency="NOWHERE"), "steps.1.agency"),
    (lambda d: d.update(channels=["fax"]), "channels.0"),
    (lambda d: d.update(on_supplement="maybe"), "on_supplement"),
    (lambda d: d["documents"].append(dict(d["documents"][0])), "documents.3.code"),
    (lambda d: d.update(code="hkd"), "code"),
    (lambda d: d.update(surprise=True), "surprise"),
    (lambda d: d.update(time_note="18 ngày làm việc [U]"), "time_note"),  # citizens read it as written
])
def test_invalid_file_is_refused_naming_the_field(engine, catalog, tmp_path, change, field):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    change(data)
    before = n_procedures(engine)
    report = load(engine, [write(tmp_path, data)])
    assert len(report.errors) == 1 and not report.loaded
    assert report.errors[0].field == field and report.errors[0].path.endswith("p.yaml")
    assert n_procedures(engine) == before


def test_broken_yaml_and_missing_file(engine, catalog, tmp_path):
    report = load(engine, [write(tmp_path, "code: [unclosed"), tmp_path / "absent.yaml"])
    assert sorted(e.field for e in report.errors) == ["<file>", "<yaml>"]


def test_reload_unchanged_is_a_no_op_and_change_is_a_new_version(engine, catalog, ctx, tmp_path):
    clerk = Actor("clerk", "counter", "T1")
    old, _ = use_cases.intake(ctx, clerk, "1.001612", Applicant("A"), ["GDN", "CCCD"], "in_person")
    report = load(engine, [FIXTURE_CATALOG / "hkd.yaml"])
    assert report.loaded[0].endswith("v1 unchanged")
    changed = yaml.safe_load(yaml.safe_dump(GOOD))
    changed["processing_days"] = 5
    report = load(engine, [write(tmp_path, changed)])
    assert report.loaded[0].endswith("v2 updated")
    new, _ = use_cases.intake(ctx, clerk, "1.001612", Applicant("B"), ["GDN", "CCCD"], "in_person")
    again, _ = use_cases.get(ctx, old.code)
    assert (again.procedure.version, again.procedure.processing_days) == (1, 3)
    assert (new.procedure.version, new.procedure.processing_days) == (2, 5)


def test_version_in_force_follows_effective_dates(engine, catalog, ctx, tmp_path):
    future = yaml.safe_load(yaml.safe_dump(GOOD))
    future.update(effective_from="2027-03-01", processing_days=2, steps=GOOD["steps"][:2])
    future["steps"][0]["days"] = 1
    assert not load(engine, [write(tmp_path, future)]).errors
    clerk = Actor("clerk", "counter", "T1")
    d, _ = use_cases.intake(ctx, clerk, "1.001612", Applicant("A"), ["GDN", "CCCD"], "in_person")
    assert d.procedure.processing_days == 3  # today is 2026: the old version applies


def test_demo_catalog_loads_clean(engine):
    report = load(engine, [DEMO_DIR])
    assert not report.errors, [str(e) for e in report.errors]
    with engine.connect() as conn:
        rows = conn.execute(select(procedures.c.code, procedures.c.definition)).all()
    codes = {r.code for r in rows}
    assert len(codes) >= 6
    levels = {r.definition.get("level") for r in rows}
    assert {"commune", "district", "province"} <= levels
    inter = {r.code for r in rows if any(s["agency"] != r.definition["agency"] for s in r.definition["steps"])}
    assert len(inter) >= 2
