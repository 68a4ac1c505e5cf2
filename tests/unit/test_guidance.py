"""One complete notice, one comeback, and whose guidance was incomplete (no database)."""
from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import vn
from tests.unit.test_lifecycle import ALL_DOCS, CAL, CLERK, HKD, OFFICER, new
from workflow.domain.dossier import Actor
from workflow.domain.guidance import SecondComebackRefused
from workflow.domain.lifecycle import lifecycle_for
from workflow.domain.postponement import PostponementRefused
from workflow.domain.errors import Forbidden, InvalidInput

LC = lifecycle_for(HKD)
KT = OFFICER["T1.KT"]
BOSS_KT = Actor("boss-kt", "supervisor", "T1.KT")


def test_incomplete_intake_issues_one_notice_with_every_item_and_reason():
    d = new(documents=())
    [notice] = d.notices()
    assert notice["listed"] == ["GDN", "CCCD"] and notice["by"] == "clerk"
    assert set(notice["reasons"]) == {"GDN", "CCCD"}
    assert d.visits == 1 and d.pending_visits[0].kind == "submission"


def test_defective_document_is_listed_with_its_reason():
    from workflow.domain.lifecycle import open_dossier
    from workflow.domain.dossier import Applicant
    d = open_dossier(HKD, "T1-x", Applicant("A"), ALL_DOCS, "in_person", CLERK, vn(2026, 3, 2, 9, 0),
                     CAL, defects={"CCCD": "Căn cước đã hết hạn"})
    assert d.status == "awaiting_documents" and d.missing_documents == ["CCCD"]
    assert d.notices()[0]["reasons"]["CCCD"] == "Căn cước đã hết hạn"


def test_citizen_not_bringing_a_listed_document_is_not_the_clerks_fault():
    d = new(documents=())
    LC.fire(d, "supplement", CLERK, vn(2026, 3, 3, 9, 0), CAL, documents=["GDN"])
    assert d.status == "awaiting_documents"
    assert d.pending_events[-1].data["not_brought"] == ["CCCD"]
    assert d.pending_failures == [] and not d.repeat_visit
    assert d.supplement_trips == 1


def _in_processing_after_a_notice():
    d = new(documents=())
    LC.fire(d, "supplement", CLERK, vn(2026, 3, 2, 10, 0), CAL, documents=ALL_DOCS)
    LC.fire(d, "forward", CLERK, vn(2026, 3, 2, 11, 0), CAL)
    return d


def test_second_comeback_is_refused_without_override():
    d = _in_processing_after_a_notice()
    with pytest.raises(SecondComebackRefused) as exc:
        LC.fire(d, "request_supplement", KT, vn(2026, 3, 3, 9, 0), CAL, missing=["UQ"], reason="x")
    assert exc.value.status == 409 and d.state == "in_progress@TD"
    with pytest.raises(SecondComebackRefused):  # a supervisor needs a written reason
        LC.fire(d, "request_supplement", BOSS_KT, vn(2026, 3, 3, 9, 0), CAL, missing=["UQ"], reason="x")
    with pytest.raises(Forbidden):  # a supervisor of another agency cannot act on the step at all
        LC.fire(d, "request_supplement", Actor("b", "supervisor", "T1"), vn(2026, 3, 3, 9, 0), CAL,
                missing=["UQ"], reason="x", override_reason="cần")


def test_override_flags_repeat_visit_and_blames_the_incomplete_guidance():
    d = _in_processing_after_a_notice()
    LC.fire(d, "request_supplement", BOSS_KT, vn(2026, 3, 3, 9, 0), CAL, missing=["UQ"],
            reason="người nộp thay cần giấy ủy quyền", override_reason="phát hiện nộp thay")
    assert d.repeat_visit and d.state == "supplement_requested@TD"
    [failure] = d.pending_failures
    assert (failure.clerk, failure.document, failure.stage) == ("clerk", "UQ", "intake")
    assert d.notices()[-1]["stage"] == "processing" and d.notices()[-1]["listed"] == ["UQ"]


def test_first_request_after_a_complete_intake_is_allowed_and_blames_the_receipt():
    d = new(documents=ALL_DOCS)  # receipt given: UQ absent and not asked for
    LC.fire(d, "forward", CLERK, vn(2026, 3, 2, 10, 0), CAL)
    LC.fire(d, "request_supplement", KT, vn(2026, 3, 2, 11, 0), CAL, missing=["UQ"], reason="nộp thay")
    assert d.state == "supplement_requested@TD"
    assert [(f.clerk, f.stage) for f in d.pending_failures] == [("clerk", "receipt")]
    assert d.repeat_visit


def test_request_for_a_present_document_blames_nobody():
    d = new(documents=ALL_DOCS)
    LC.fire(d, "forward", CLERK, vn(2026, 3, 2, 10, 0), CAL)
    LC.fire(d, "request_supplement", KT, vn(2026, 3, 2, 11, 0), CAL, missing=["CCCD"], reason="mờ")
    assert d.pending_failures == [] and not d.repeat_visit


# -- late results: apology and one new date -------------------------------------------
def _received():
    return new(documents=ALL_DOCS)  # appointment Thursday 5 March 2026 09:00


def test_postpone_once_with_a_working_day_date():
    d = _received()
    LC.fire(d, "postpone", CLERK, vn(2026, 3, 3, 9, 0), CAL, reason="chờ xác minh",
            new_due_at=date(2026, 3, 10))
    assert d.postponed_to == vn(2026, 3, 10, 17, 0) and d.due_at == d.postponed_to
    assert d.appointment_at == vn(2026, 3, 5, 9, 0)  # the first appointment is kept
    assert d.pending_messages[-1].topic == "dossier.postponed"
    with pytest.raises(PostponementRefused):
        LC.fire(d, "postpone", CLERK, vn(2026, 3, 3, 9, 0), CAL, reason="lần hai",
                new_due_at=date(2026, 3, 12))


def test_postpone_must_be_a_working_day_ahead():
    d = _received()
    with pytest.raises(PostponementRefused):  # Wed 10:00 + 1 working day > Thu 09:00
        LC.fire(d, "postpone", CLERK, vn(2026, 3, 4, 10, 0), CAL, reason="x", new_due_at=date(2026, 3, 10))
    LC.fire(d, "postpone", CLERK, vn(2026, 3, 4, 9, 0), CAL, reason="x", new_due_at=date(2026, 3, 10))


@pytest.mark.parametrize("when", [date(2026, 3, 7), date(2026, 3, 4), vn(2026, 3, 9, 12, 30)])
def test_new_date_must_be_a_later_working_moment(when):
    d = _received()
    with pytest.raises(InvalidInput):
        LC.fire(d, "postpone", CLERK, vn(2026, 3, 2, 10, 0), CAL, reason="x", new_due_at=when)
    assert d.postponed_to is None and d.version == 1
