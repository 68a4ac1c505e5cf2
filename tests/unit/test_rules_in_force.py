"""The rules in force, without a database: same-day procedures and their cut-off, periods
in calendar days (Civil Code 2015 Art. 147-148), cases with their own documents and time,
a postponement that stays on the record, the lawful appraisal supplement, and the forms
of the regime a dossier was received under."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import vn
from workflow.catalog.schema import CatalogError, parse_procedure, to_domain
from workflow.domain import evaluation, guidance
from workflow.domain.calendar import BusinessCalendar
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import InvalidInput
from workflow.domain.lifecycle import open_online, lifecycle_for, open_dossier
from workflow.domain.rules import applicable_forms, regime_of, regime_on

DEMO = Path(__file__).parents[2] / "workflow" / "catalog" / "demo"
CAL = BusinessCalendar()


def demo(name: str):
    path = DEMO / f"{name}.yaml"
    return to_domain(parse_procedure(yaml.safe_load(path.read_text()), str(path)))


KHAI_SINH = demo("1.001193-2025")   # same day, 15:00 cut-off
LLTP = demo("3.000333-2025")        # 10 calendar days, 15 in three cases
GPXD = demo("1.013225-2025")        # 15 calendar days; one lawful request during appraisal
DESK = Actor("clerk", "counter", "H26.HD")
POLICE_DESK = Actor("clerk-ca", "counter", "H26.CA")
KT = Actor("kt", "officer", "H26.HD.KT")
KT_BOSS = Actor("kt-boss", "supervisor", "H26.HD.KT")


def take(procedure, at, documents=None, actor=DESK, channel="in_person"):
    docs = documents if documents is not None else list(procedure.required_documents)
    return open_dossier(procedure, "X-1", Applicant("Nguyễn Văn An", phone="0912345678"), docs,
                        channel, actor, at, CAL)


def fire(d, action, actor, at, **payload):
    return lifecycle_for(d.procedure).fire(d, action, actor, at, CAL, **payload)


# -- same-day procedures ----------------------------------------------------------------
@pytest.mark.parametrize("hour, minute, expected", [
    (9, 30, vn(2026, 3, 2, 17, 0)),    # Monday morning: the close of that day
    (14, 59, vn(2026, 3, 2, 17, 0)),   # just before the cut-off: still that day
    (15, 0, vn(2026, 3, 3, 17, 0)),    # at the cut-off: the close of the next working day
    (16, 30, vn(2026, 3, 3, 17, 0)),
    (7, 15, vn(2026, 3, 2, 17, 0)),    # before opening: that day
])
def test_same_day_procedure_is_due_at_the_close_of_the_day_or_the_next(hour, minute, expected):
    d = take(KHAI_SINH, vn(2026, 3, 2, hour, minute))  # Monday 2 March 2026
    assert d.status == "received"
    assert d.appointment_at == expected == d.due_at


def test_same_day_received_on_a_friday_afternoon_or_a_day_off_is_due_the_next_working_day():
    assert take(KHAI_SINH, vn(2026, 3, 6, 15, 30)).appointment_at == vn(2026, 3, 9, 17, 0)
    # submitted online on a Saturday, accepted by the desk on Monday morning: the clock
    # starts at the acceptance (Decree 45/2020/NĐ-CP Art. 11), the same day's close
    online = open_online(KHAI_SINH, "X-2", Applicant("Nguyễn Văn An", phone="0912345678"),
                         list(KHAI_SINH.required_documents), vn(2026, 3, 7, 10, 0))
    assert online.status == "submitted" and online.appointment_at is None
    fire(online, "accept", DESK, vn(2026, 3, 9, 10, 0))
    assert online.appointment_at == vn(2026, 3, 9, 17, 0)


def test_a_working_day_procedure_with_a_cutoff_keeps_its_counting():
    """Other procedures keep their counting: 1 working day from the next opening."""
    counted = to_domain(parse_procedure({**yaml.safe_load((DEMO / "1.001193-2025.yaml").read_text()),
                                         "same_day": False}))
    assert take(counted, vn(2026, 3, 2, 9, 30)).appointment_at == vn(2026, 3, 3, 9, 30)


# -- calendar days ----------------------------------------------------------------------
def test_calendar_days_count_every_day_from_the_day_after_receipt():
    d = take(LLTP, vn(2026, 3, 2, 9, 0), actor=POLICE_DESK)   # Monday
    assert d.appointment_at == vn(2026, 3, 12, 17, 0)          # + 10 days, a Thursday
    # ten working days would have been Monday 16 March
    assert CAL.add_working_days(CAL.next_opening(vn(2026, 3, 2, 9, 0)), 10) == vn(2026, 3, 16, 9, 0)


def test_a_calendar_period_ending_on_a_holiday_ends_at_the_close_of_the_next_working_day():
    last = date(2026, 9, 2)                       # National Day
    assert not CAL.is_working_day(last)
    received = vn(2026, 8, 18, 10, 0)            # + 15 days = 2 September (the 15-day case)
    d = open_dossier(LLTP.for_case("NHIEUNOI"), "X-2", Applicant("An"),
                     list(LLTP.for_case("NHIEUNOI").required_documents), "in_person", POLICE_DESK,
                     received, CAL)
    expected = last + timedelta(days=1)
    while not CAL.is_working_day(expected):
        expected += timedelta(days=1)
    assert d.appointment_at.astimezone(CAL.tz).date() == expected
    assert d.appointment_at == datetime.combine(expected, datetime.min.time(), CAL.tz).replace(hour=17)


def test_a_calendar_period_ending_on_a_weekend_moves_to_monday():
    d = take(LLTP, vn(2026, 3, 4, 9, 0), actor=POLICE_DESK)  # + 10 = Saturday 14 March
    assert d.appointment_at == vn(2026, 3, 16, 17, 0)


# -- cases ------------------------------------------------------------------------------
CASED = {
    "code": "1.999001", "name": "Thủ tục thử theo trường hợp", "field": "Thử", "agency": "T1",
    "processing_days": 3, "channels": ["in_person"], "result": "Kết quả",
    "documents": [{"code": "DON", "name": "Đơn"}],
    "steps": [{"code": "XL", "name": "Xử lý", "agency": "T1", "days": 3}],
    "fee": {"amount": 50000},
    "cases": [{"code": "NN", "name": "Người nước ngoài", "processing_days": 8,
               "documents": [{"code": "HC", "name": "Hộ chiếu"}], "fee": {"amount": 120000}},
              {"code": "GIONG", "name": "Như thường lệ"}],
}


def test_a_case_adds_its_documents_and_sets_its_time_and_fee():
    p = to_domain(parse_procedure(CASED))
    clerk = Actor("c", "counter", "T1")
    case = p.for_case("NN")
    assert case.required_documents == ("DON", "HC") and case.fee.amount == 120000
    d = open_dossier(case, "X-3", Applicant("An"), ["DON"], "in_person", clerk, vn(2026, 3, 2, 9, 0), CAL)
    assert d.status == "awaiting_documents" and d.missing_documents == ["HC"]   # the case's document
    d = fire(d, "supplement", clerk, vn(2026, 3, 2, 10, 0), documents=["HC"])
    assert d.appointment_at == vn(2026, 3, 12, 10, 0)    # 8 working days, not 3
    plain = open_dossier(p, "X-4", Applicant("An"), ["DON"], "in_person", clerk, vn(2026, 3, 2, 9, 0), CAL)
    assert plain.appointment_at == vn(2026, 3, 5, 9, 0) and p.fee.amount == 50000
    same = p.for_case("GIONG")
    assert same.processing_days == 3 and same.documents == p.documents and same.case == "GIONG"
    assert p.for_case("NN") is case                     # one value, one machine per case
    with pytest.raises(KeyError):
        p.for_case("KHONG")


@pytest.mark.parametrize("change, field", [
    ({"cases": [{"code": "A", "name": "a"}, {"code": "A", "name": "b"}]}, "cases.1.code"),
    ({"cases": [{"code": "A", "name": "a", "documents": [{"code": "DON", "name": "x"}]}]},
     "cases.0.documents.0.code"),
    ({"same_day": True}, "processing_days"),                        # same day is "1"
    ({"day_unit": "calendar", "processing_days": 3.5}, "processing_days"),
    ({"appraisal_supplement": True}, "appraisal_supplement_basis"),  # the text must be cited
])
def test_the_catalog_refuses_inconsistent_counting_and_cases(change, field):
    with pytest.raises(CatalogError) as exc:
        parse_procedure({**CASED, **change}, "x.yaml")
    assert exc.value.field == field


def test_fingerprints_of_procedures_without_the_new_keys_are_unchanged():
    """Keys added later hash as before at their defaults, so reloading an unchanged file
    stores no new version."""
    plain = {k: v for k, v in CASED.items() if k != "cases"}
    assert parse_procedure(plain).fingerprint() == parse_procedure(
        {**plain, "same_day": False, "day_unit": "working", "cases": []}).fingerprint()
    assert parse_procedure(plain).fingerprint() != parse_procedure({**plain, "day_unit": "calendar"}).fingerprint()


# -- a postponement stays on the record -------------------------------------------------
def test_postpone_then_supplement_keeps_the_first_appointment_and_counts_late():
    hkd = demo("1.001612-2025")
    desk = Actor("clerk", "counter", hkd.agency)
    d = take(hkd, vn(2026, 12, 10, 9, 0), actor=desk)          # Thursday; 3 working days
    first = d.appointment_at
    assert first == vn(2026, 12, 15, 9, 0)
    d = fire(d, "forward", desk, vn(2026, 12, 10, 9, 5))
    holder = Actor("o", "officer", d.current_step.agency)
    while d.current_step.agency == desk.agency:
        d = fire(d, "forward", desk, vn(2026, 12, 10, 9, 10))
        holder = Actor("o", "officer", d.current_step.agency)
    d = fire(d, "postpone", holder, vn(2026, 12, 11, 9, 0), reason="chờ xác minh", new_due_at=date(2026, 12, 22))
    d = fire(d, "request_supplement", holder, vn(2026, 12, 11, 10, 0), missing=[hkd.documents[0].code],
             reason="bản khai chưa đúng")
    d = fire(d, "supplement", desk, vn(2026, 12, 14, 9, 0), documents=[hkd.documents[0].code])
    assert d.appointment_at == first                            # 15/12 stays on the record
    assert d.due_at >= vn(2026, 12, 22, 17, 0)                  # the one new date is a floor
    while d.status == "in_progress" and d.current_step != d.procedure.steps[-1]:
        d = fire(d, "forward", Actor("o", "officer", d.current_step.agency), vn(2026, 12, 14, 10, 0))
    d = fire(d, "complete", Actor("o", "officer", d.current_step.agency), vn(2026, 12, 14, 11, 0))
    assert d.result_ready_at < first                            # ready before even the first date
    assert evaluation.total_time(d, CAL).value == "late"        # the apology admitted lateness


# -- the lawful second request during appraisal ----------------------------------------
def _at_appraisal(documents):
    d = take(GPXD, vn(2026, 3, 2, 9, 0), documents=documents)
    if d.status == "awaiting_documents":
        d = fire(d, "supplement", DESK, vn(2026, 3, 3, 9, 0), documents=list(GPXD.required_documents))
    d = fire(d, "forward", DESK, vn(2026, 3, 3, 9, 30))   # the desk's own step TN
    d = fire(d, "forward", DESK, vn(2026, 3, 3, 10, 0))   # to appraisal (TD) at H26.HD.KT
    assert d.current_step.code == "TD"
    return d


def test_the_appraisal_request_needs_no_override_and_is_not_a_repeat_visit():
    d = _at_appraisal(["DON", "GTD"])                      # incomplete at the counter: one notice
    assert d.supplement_trips == 1
    d = fire(d, "request_supplement", KT, vn(2026, 3, 4, 9, 0), missing=["BVTK"],
             reason="bản vẽ mặt cắt móng chưa thể hiện đấu nối thoát nước")
    assert d.notices()[-1]["stage"] == guidance.APPRAISAL
    d = fire(d, "supplement", DESK, vn(2026, 3, 5, 9, 0), documents=["BVTK"])
    assert d.supplement_trips == 1 and not d.repeat_visit   # the lawful trip is not a repeat
    with pytest.raises(guidance.SecondComebackRefused):     # once only
        fire(d, "request_supplement", KT, vn(2026, 3, 6, 9, 0), missing=["DON"], reason="lần nữa")
    d = fire(d, "request_supplement", KT_BOSS, vn(2026, 3, 6, 9, 0), missing=["DON"], reason="lần nữa",
             override_reason="đơn ký sai người")
    assert d.repeat_visit


def test_the_appraisal_request_still_charges_the_clerk_for_what_intake_could_see():
    d = _at_appraisal(["DON", "GTD", "BVTK"])    # PCCC/THTRA/CKAT optional: received complete
    d = fire(d, "request_supplement", KT, vn(2026, 3, 4, 9, 0), missing=["CKAT"], reason="có công trình liền kề")
    # CKAT was absent at the receipt and not listed: the one-visit rule still holds for it
    assert d.repeat_visit and [f.document for f in d.pending_failures] == ["CKAT"]


def test_without_the_catalog_permission_a_second_request_is_refused():
    plain = to_domain(parse_procedure({**yaml.safe_load((DEMO / "1.013225-2025.yaml").read_text()),
                                       "appraisal_supplement": False, "appraisal_supplement_basis": None}))
    d = take(plain, vn(2026, 3, 2, 9, 0), documents=["DON", "GTD"])
    d = fire(d, "supplement", DESK, vn(2026, 3, 3, 9, 0), documents=["BVTK"])
    d = fire(fire(d, "forward", DESK, vn(2026, 3, 3, 9, 30)), "forward", DESK, vn(2026, 3, 3, 10, 0))
    with pytest.raises(guidance.SecondComebackRefused):
        fire(d, "request_supplement", KT, vn(2026, 3, 4, 9, 0), missing=["BVTK"], reason="x")


# -- the regime of a dossier and its forms ----------------------------------------------
def test_the_regime_changes_on_1_july_2025():
    assert regime_on(date(2025, 6, 30)).circular == "Thông tư 01/2018/TT-VPCP"
    assert regime_on(date(2025, 7, 1)).circular == "Thông tư 03/2025/TT-VPCP"
    assert "118/2025" in regime_on(date(2026, 12, 6)).decree


def test_forms_follow_the_dossier_and_the_regime_it_was_received_under():
    before = take(demo("1.001193-2020"), vn(2025, 6, 30, 9, 0), actor=Actor("c", "counter", "H26.ML"))
    after = take(KHAI_SINH, vn(2025, 7, 1, 9, 0))
    assert [(f.key, f.number) for f in applicable_forms(before, CAL.tz)] == [("receipt", "01"), ("control", "05")]
    assert [(f.key, f.number) for f in applicable_forms(after, CAL.tz)] == [("receipt", "01"), ("control", "06")]
    fire(after, "reject", DESK, vn(2025, 7, 1, 10, 0), reason="không thuộc thẩm quyền")
    assert [f.number for f in applicable_forms(after, CAL.tz)] == ["01", "03", "06"]
    assert regime_of(after, CAL.tz).form("apology").title.startswith("Văn bản xin lỗi")
    incomplete = take(KHAI_SINH, vn(2025, 7, 2, 9, 0), documents=["TK"])
    assert [f.number for f in applicable_forms(incomplete, CAL.tz)] == ["02"]


def test_an_unknown_case_is_refused_by_the_use_case_not_the_engine():
    with pytest.raises(KeyError):
        KHAI_SINH.for_case("XYZ")
    with pytest.raises(InvalidInput):   # a document of a case not chosen is not in the checklist
        open_dossier(to_domain(parse_procedure(CASED)), "X", Applicant("An"), ["DON", "HC"], "in_person",
                     Actor("c", "counter", "T1"), vn(2026, 3, 2, 9, 0), CAL)
