"""Online submission in the machine (issue 19): submitted → the desk's check → accepted,
asked once for a supplement, or refused; the applicant's online supplement goes back to
the desk; the one-visit rule holds as at the counter."""
from __future__ import annotations

import pytest

from tests.conftest import vn
from tests.unit.test_lifecycle import CAL, CLERK, HKD, OFFICER, START
from workflow.domain.dossier import Actor, Applicant, applicant_of
from workflow.domain.errors import ActionNotAllowed, Forbidden, InvalidInput
from workflow.domain.guidance import SecondComebackRefused
from workflow.domain.lifecycle import lifecycle_for, may_see, open_dossier, open_online

CODE = "T1-260302-0001"
SUPERVISOR = Actor("boss", "supervisor", "T1")


def submit(documents=("GDN",), at=START):
    return open_online(HKD, CODE, Applicant("Trần Thị B", phone="0912345678"), list(documents), at)


def fire(d, action, actor, at=START, **payload):
    return lifecycle_for(d.procedure).fire(d, action, actor, at, CAL, **payload)


def me(code=CODE):
    return Actor(applicant_of(code), "applicant", None)


def test_a_submission_waits_for_the_desk_with_no_clock_and_no_trip():
    d = submit()
    assert d.status == "submitted" and d.channel == "online"
    assert d.received_at is None and d.due_at is None and d.clock is None
    assert d.visits == 0 and d.missing_documents == ["CCCD"]
    assert [e.action for e in d.pending_events] == ["submit"]
    assert d.pending_events[0].actor == applicant_of(CODE)


def test_accepting_starts_the_clock_and_sends_the_receipt():
    d = submit(("GDN", "CCCD"), at=vn(2026, 3, 1, 21, 0))  # a Sunday evening
    fire(d, "accept", CLERK, at=vn(2026, 3, 2, 9, 0))
    assert d.status == "received" and d.received_at == vn(2026, 3, 2, 9, 0)
    assert d.due_at == vn(2026, 3, 5, 9, 0)  # HKD: 3 working days from the acceptance
    assert d.received_by == "clerk"
    assert [m.topic for m in d.pending_messages] == ["dossier.received"]
    assert d.guidance[-1]["stage"] == "receipt"


def test_accepting_an_incomplete_submission_is_refused_and_changes_nothing():
    d = submit(("GDN",))
    version = d.version
    with pytest.raises(InvalidInput) as exc:
        fire(d, "accept", CLERK)
    assert "CCCD" in exc.value.message
    assert d.status == "submitted" and d.version == version


def test_ask_once_the_applicant_supplements_online_and_the_desk_accepts():
    d = submit(("GDN",))
    fire(d, "request_supplement", CLERK, missing=["CCCD"], reason="thiếu bản sao CCCD")
    assert d.status == "awaiting_documents" and d.missing_documents == ["CCCD"]
    assert d.notices()[0]["stage"] == "intake" and d.notices()[0]["listed"] == ["CCCD"]
    assert d.pending_messages[-1].topic == "dossier.supplement_notice"
    fire(d, "supplement", me(), at=vn(2026, 3, 2, 20, 0), documents=["CCCD"])
    assert d.status == "submitted"  # back to the desk's check, not received
    assert d.visits == 0 and d.supplement_trips == 0 and not d.repeat_visit
    fire(d, "accept", CLERK, at=vn(2026, 3, 3, 8, 0))
    assert d.status == "received"


def test_a_second_request_would_be_a_second_comeback():
    d = submit(("GDN",))
    fire(d, "request_supplement", CLERK, missing=["CCCD"], reason="thiếu CCCD")
    fire(d, "supplement", me(), documents=["CCCD"])
    with pytest.raises(SecondComebackRefused):
        fire(d, "request_supplement", CLERK, missing=["UQ"], reason="thiếu ủy quyền")
    # a supervisor of the receiving agency may order it in writing; the dossier is flagged
    fire(d, "request_supplement", SUPERVISOR, missing=["UQ"], reason="thiếu ủy quyền",
         override_reason="giấy ủy quyền hết hạn")
    assert d.repeat_visit


def test_a_document_left_off_the_first_request_charges_the_clerk():
    d = submit(("GDN",))
    # UQ is optional in HKD's checklist: absent but not required, so not a failure
    fire(d, "request_supplement", CLERK, missing=["CCCD"], reason="thiếu CCCD")
    fire(d, "supplement", me(), documents=["CCCD"])
    fire(d, "request_supplement", SUPERVISOR, missing=["UQ"], reason="x", override_reason="y")
    assert [(f.clerk, f.document) for f in d.pending_failures] == [("clerk", "UQ")]


def test_only_this_dossiers_applicant_supplements_and_nobody_else_acts_for_the_desk():
    d = submit(("GDN",))
    fire(d, "request_supplement", CLERK, missing=["CCCD"], reason="thiếu CCCD")
    with pytest.raises(Forbidden):
        fire(d, "supplement", me("T1-260302-0002"), documents=["CCCD"])
    for stranger in (me(), OFFICER["T1.KT"], Actor("other", "counter", "T9")):
        with pytest.raises((Forbidden, ActionNotAllowed)):
            fire(d, "reject", stranger, reason="x")
    assert not may_see(me(), d)  # the private link is not a staff session


def test_refusing_a_submission_tells_the_applicant():
    d = submit(("GDN",))
    fire(d, "reject", CLERK, reason="không thuộc thẩm quyền")
    assert d.status == "rejected"
    assert ("dossier.rejected", "không thuộc thẩm quyền") in [
        (m.topic, m.payload.get("reason")) for m in d.pending_messages]


def test_the_desk_does_not_label_a_dossier_online():
    with pytest.raises(InvalidInput) as exc:
        open_dossier(HKD, CODE, Applicant("B"), ["GDN"], "online", CLERK, START, CAL)
    assert exc.value.field == "channel"


def test_a_procedure_not_offered_online_is_refused():
    from dataclasses import replace
    counter_only = replace(HKD, channels=("in_person",))
    with pytest.raises(InvalidInput):
        open_online(counter_only, CODE, Applicant("B"), ["GDN"], START)
