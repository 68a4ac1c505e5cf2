"""A procedure published once for every unit that settles it (issue 22, item 1): agencies
written relative to the competent unit ("{unit}", "{unit}.TP") load only when they resolve
for every unit named, a level names its units, and each unit gets its own offices."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from tests.conftest import FIXTURE_CATALOG
from tests.integration.test_catalog import write
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.tables import procedures
from workflow.catalog.schema import parse_procedure
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import InvalidInput
from workflow.services.dossiers import use_cases
from workflow.services.importing.catalog import load

# two wards with their own justice officers and leaders, and a third ward without
# justice officers of its own; the city's service point receives for all of them
AGENCIES = {"agencies": [
    {"code": "C", "name": "Thành phố", "level": "province", "parent": None},
    {"code": "C.PV", "name": "Điểm phục vụ hành chính công thành phố", "level": "province", "parent": "C"},
    {"code": "WA", "name": "Phường A", "level": "commune", "parent": "C"},
    {"code": "WA.TP", "name": "Tư pháp phường A", "level": "commune", "parent": "WA"},
    {"code": "WA.LD", "name": "Lãnh đạo phường A", "level": "commune", "parent": "WA"},
    {"code": "WB", "name": "Phường B", "level": "commune", "parent": "C"},
    {"code": "WB.TP", "name": "Tư pháp phường B", "level": "commune", "parent": "WB"},
    {"code": "WB.LD", "name": "Lãnh đạo phường B", "level": "commune", "parent": "WB"},
    {"code": "WC", "name": "Phường C", "level": "commune", "parent": "C"},
    {"code": "WC.LD", "name": "Lãnh đạo phường C", "level": "commune", "parent": "WC"},
]}

TEMPLATE = {
    "code": "1.999001", "name": "Thủ tục thử nghiệm cấp xã", "field": "Hộ tịch", "level": "commune",
    "agency": "{unit}", "competent_units": ["WA", "WB"], "anywhere": True, "processing_days": 3,
    "channels": ["in_person"], "result": "Kết quả",
    "documents": [{"code": "TK", "name": "Tờ khai"}],
    "steps": [{"code": "XL", "name": "Xử lý", "agency": "{unit}.TP", "days": 2},
              {"code": "KY", "name": "Ký", "agency": "{unit}.LD", "days": 0.5},
              {"code": "TKQ", "name": "Trả kết quả", "agency": "{unit}", "days": 0.5}],
}


def _template(**change):
    data = yaml.safe_load(yaml.safe_dump(TEMPLATE))
    data.update(change)
    return data


@pytest.fixture
def wards(engine, tmp_path):
    report = load(engine, [write(tmp_path, AGENCIES, "agencies-wards.yaml")])
    assert not report.errors, report.errors


def _stored(engine, code="1.999001"):
    with engine.connect() as conn:
        pid = conn.execute(select(procedures.c.id).where(procedures.c.code == code)).scalar_one()
        return ProcedureRepository(conn).by_id(pid)


def test_a_template_loads_once_and_resolves_for_each_unit(engine, wards, tmp_path):
    report = load(engine, [write(tmp_path, _template())])
    assert not report.errors, report.errors
    p = _stored(engine)
    assert p.is_template and p.anywhere and p.competent_units == ("WA", "WB")
    a, b = p.for_unit("WA"), p.for_unit("WB")
    assert (a.agency, [s.agency for s in a.steps]) == ("WA", ["WA.TP", "WA.LD", "WA"])
    assert (b.agency, [s.agency for s in b.steps]) == ("WB", ["WB.TP", "WB.LD", "WB"])
    assert a.unit == "WA" and not a.is_template and a.code == p.code and a.version == p.version
    with pytest.raises(KeyError):
        p.for_unit("WC")  # not a competent unit
    with pytest.raises(KeyError):
        p.for_unit(None)  # a template is settled only once a unit is named


def test_a_placeholder_that_does_not_resolve_for_one_unit_refuses_the_file(engine, wards, tmp_path):
    report = load(engine, [write(tmp_path, _template(competent_units=["WA", "WC"]))])
    assert not report.loaded and len(report.errors) == 1
    err = report.errors[0]
    assert err.field == "steps.0.agency" and "'WC.TP'" in err.message and "'WC'" in err.message
    with engine.connect() as conn:
        assert conn.execute(select(procedures.c.id).where(procedures.c.code == "1.999001")).first() is None


@pytest.mark.parametrize("change,field", [
    ({"competent_units": None}, "competent_units"),          # {unit} with no unit to resolve it
    ({"competent_units": ["WA", "NOWHERE"]}, "competent_units.1"),
    ({"competent_units": ["WA", "WA"]}, "competent_units.1"),
    ({"competent_units": {"level": "district"}}, "competent_units"),  # no unit of that level
    ({"agency": "{ward}"}, "agency"),
    ({"agency": "WA.{unit}"}, "agency"),                      # the unit comes first
])
def test_bad_competent_units_are_refused_naming_the_field(engine, wards, tmp_path, change, field):
    report = load(engine, [write(tmp_path, _template(**change))])
    assert not report.loaded and len(report.errors) == 1
    assert report.errors[0].field == field, report.errors[0]


def test_a_level_names_every_unit_of_it_not_their_offices(engine, wards, tmp_path):
    ok = _template(competent_units={"level": "commune", "under": "C"},
                   steps=[{"code": "KY", "name": "Ký", "agency": "{unit}.LD", "days": 2.5},
                          {"code": "TKQ", "name": "Trả kết quả", "agency": "{unit}", "days": 0.5}])
    report = load(engine, [write(tmp_path, ok)])
    assert not report.errors, report.errors
    # stored as the list: later agency files do not change what a dossier's version meant
    assert _stored(engine).competent_units == ("WA", "WB", "WC")
    # with a step at the justice officers, ward C (which has none) makes the file fail
    report = load(engine, [write(tmp_path, _template(competent_units={"level": "commune"}))])
    assert report.errors and report.errors[0].field == "steps.0.agency"


def test_files_without_the_new_keys_keep_their_fingerprints():
    """Databases loaded before the keys existed hold these fingerprints (computed by the
    loader before competent_units and anywhere were added): reloading must change no
    version. If the fixture file itself is edited, recompute it from the old loader."""
    data = yaml.safe_load((FIXTURE_CATALOG / "hkd.yaml").read_text())
    assert parse_procedure(data).fingerprint() == (
        "42b7332dc695547daff9e98146a487ece8f7875ee67ae9639d4a2fff2834e2a3")


def test_a_template_cannot_be_taken_in_without_its_unit(engine, wards, tmp_path, ctx):
    """Until intake names the competent unit, a template procedure is refused at every
    counter rather than received under an agency named "{unit}"."""
    assert not load(engine, [write(tmp_path, _template())]).errors
    with pytest.raises(InvalidInput, match="competent_unit"):
        use_cases.intake(ctx, Actor("clerk", "counter", "WA"), "1.999001", Applicant("A"), ["TK"],
                         "in_person")
