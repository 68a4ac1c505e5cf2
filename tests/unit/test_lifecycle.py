"""The dossier machine without a database: every (state, action) pair, allowed and
refused, who may act, and the clock effects of each action."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.conftest import vn
from workflow.catalog.schema import parse_procedure, to_domain
from workflow.domain.calendar import BusinessCalendar
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import ActionNotAllowed, Forbidden, InvalidInput
from workflow.domain.lifecycle import ACTIONS, lifecycle_for, open_dossier, open_online

FIX = Path(__file__).parents[1] / "fixtures" / "catalog"
CAL = BusinessCalendar()
HKD = to_domain(parse_procedure(yaml.safe_load((FIX / "hkd.yaml").read_text()), "hkd.yaml"))
KS = to_domain(parse_procedure(yaml.safe_load((FIX / "khaisinh.yaml").read_text()), "khaisinh.yaml"))

CLERK = Actor("clerk", "counter", "T1")
OFFICER = {"T1.KT": Actor("kt", "officer", "T1.KT"), "TAX": Actor("tax", "officer", "TAX"),
           "T1.LD": Actor("ld", "officer", "T1.LD"), "T1": Actor("desk-officer", "officer", "T1")}
START = vn(2026, 3, 2, 9, 0)  # Monday
ALL_DOCS = ["GDN", "CCCD"]

PAYLOADS = {
    "accept": {},
    "supplement": {"documents": ["CCCD"]},
    "request_supplement": {"missing": ["UQ"], "reason": "thiếu giấy ủy quyền"},
    "forward": {}, "complete": {}, "return_result": {},
    "send_back": {"note": "cần thẩm định lại"},
    "reject": {"reason": "không đủ điều kiện"}, "withdraw": {"reason": "người nộp rút hồ sơ"},
    "postpone": {"reason": "chờ ý kiến cơ quan thuế", "new_due_at": date(2026, 3, 10)},
}


def new(documents=("GDN",), procedure=HKD, at=START, channel="in_person"):
    return open_dossier(procedure, "T1-260302-0001", Applicant("Nguyễn Văn A", phone="0912345678"),
                        list(documents), channel, CLERK, at, CAL)


def fire(d, action, actor=None, at=None, **payload):
    actor = actor or actor_for(d, action)
    return lifecycle_for(d.procedure).fire(d, action, actor, at or START, CAL,
                                           **(payload or PAYLOADS[action]))


def actor_for(d, action):
    if d.status in ("submitted", "awaiting_documents", "received", "result_ready") or action == "withdraw":
        return CLERK
    return OFFICER[d.current_step.agency]


# how to reach each state from a complete intake ("awaiting_documents": an incomplete one)
PATHS = {
    "submitted": [],
    "awaiting_documents": [],
    "received": [],
    "in_progress@TD": ["forward"],
    "in_progress@THUE": ["forward", "forward"],
    "in_progress@TKQ": ["forward", "forward", "forward", "forward"],
    "supplement_requested@TD": ["forward", "request_supplement"],
    "result_ready": ["forward", "forward", "forward", "forward", "complete"],
    "returned": ["forward", "forward", "forward", "forward", "complete", "return_result"],
    "rejected": ["reject"],
    "withdrawn": ["withdraw"],
}

# (state, action) -> resulting state; every pair not listed must be refused with 409
ALLOWED = {
    ("submitted", "accept"): "received",
    ("submitted", "request_supplement"): "awaiting_documents",
    ("submitted", "reject"): "rejected",
    ("submitted", "withdraw"): "withdrawn",
    ("awaiting_documents", "supplement"): "received",
    ("awaiting_documents", "reject"): "rejected",
    ("awaiting_documents", "withdraw"): "withdrawn",
    ("received", "forward"): "in_progress@TD",
    ("received", "reject"): "rejected",
    ("received", "withdraw"): "withdrawn",
    ("in_progress@TD", "forward"): "in_progress@THUE",
    ("in_progress@TD", "request_supplement"): "supplement_requested@TD",
    ("in_progress@TD", "reject"): "rejected",
    ("in_progress@TD", "withdraw"): "withdrawn",
    ("in_progress@THUE", "forward"): "in_progress@PD",
    ("in_progress@THUE", "send_back"): "in_progress@TD",
    ("in_progress@THUE", "request_supplement"): "supplement_requested@THUE",
    ("in_progress@THUE", "reject"): "rejected",
    ("in_progress@THUE", "withdraw"): "withdrawn",
    ("in_progress@TKQ", "complete"): "result_ready",
    ("in_progress@TKQ", "send_back"): "in_progress@PD",
    ("in_progress@TKQ", "request_supplement"): "supplement_requested@TKQ",
    ("in_progress@TKQ", "reject"): "rejected",
    ("in_progress@TKQ", "withdraw"): "withdrawn",
    ("supplement_requested@TD", "supplement"): "in_progress@TD",
    ("supplement_requested@TD", "reject"): "rejected",
    ("supplement_requested@TD", "withdraw"): "withdrawn",
    ("result_ready", "return_result"): "returned",
    ("received", "postpone"): "received",
    ("in_progress@TD", "postpone"): "in_progress@TD",
    ("in_progress@THUE", "postpone"): "in_progress@THUE",
    ("in_progress@TKQ", "postpone"): "in_progress@TKQ",
    ("supplement_requested@TD", "postpone"): "supplement_requested@TD",
}


def reach(state):
    if state == "submitted":  # an online submission, not yet checked by the desk
        d = open_online(HKD, "T1-260302-0001", Applicant("Nguyễn Văn A", phone="0912345678"),
                        ALL_DOCS, START)
        assert d.state == state
        return d
    d = new(documents=("GDN",) if state == "awaiting_documents" else ALL_DOCS)
    for action in PATHS[state]:
        fire(d, action)
    assert d.state == state
    return d


@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_state_action_pair(state, action):
    d = reach(state)
    seq, version = d.last_seq, d.version
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(ActionNotAllowed) as exc:
            fire(d, action, actor=CLERK)
        assert action not in exc.value.allowed
        assert sorted(exc.value.allowed) == sorted(a for (s, a) in ALLOWED if s == state)
        assert (d.state, d.last_seq, d.version) == (state, seq, version)  # nothing changed
    else:
        fire(d, action)
        assert d.state == expected
        assert d.last_seq == seq + 1 and d.version == version + 1
        event = d.pending_events[-1]
        assert (event.seq, event.action, event.from_state, event.to_state) == (seq + 1, action, state, expected)


@pytest.mark.parametrize("state,action", sorted(ALLOWED))
def test_wrong_agency_or_role_is_forbidden(state, action):
    d = reach(state)
    strangers = [Actor("other-desk", "counter", "T9"), Actor("other-officer", "officer", "T9"),
                 Actor("admin", "admin", None)]
    right = actor_for(d, action)
    if right.role == "counter":  # an officer of the same agency is not counter staff
        strangers.append(Actor("officer-at-desk", "officer", "T1.KT"))
    for actor in strangers:
        with pytest.raises(Forbidden):
            fire(d, action, actor=actor)
    assert d.state == state


def test_supervisor_may_do_what_officers_of_their_agency_may():
    d = reach("in_progress@TD")
    fire(d, "forward", actor=Actor("boss", "supervisor", "T1.KT"))
    assert d.state == "in_progress@THUE"
    with pytest.raises(Forbidden):
        fire(d, "forward", actor=Actor("boss", "supervisor", "T1.KT"))


def test_counter_staff_act_on_a_step_held_by_their_own_desk():
    d = reach("in_progress@TKQ")
    fire(d, "complete", actor=CLERK)
    assert d.status == "result_ready"


def test_incomplete_intake_lists_every_missing_document_at_once():
    d = new(documents=())
    assert d.status == "awaiting_documents"
    assert d.missing_documents == ["GDN", "CCCD"]  # UQ is optional
    assert d.received_at is None and d.due_at is None and d.clock is None
    assert d.pending_messages[0].topic == "dossier.supplement_notice"


def test_complete_intake_is_received_with_appointment():
    d = new(documents=ALL_DOCS)
    assert d.status == "received" and d.missing_documents == []
    assert d.due_at == vn(2026, 3, 5, 9, 0)  # 3 working days from Monday 09:00
    assert d.appointment_at == d.due_at
    assert d.visits == 1 and d.version == 1


def test_unknown_document_code_is_refused():
    with pytest.raises(InvalidInput) as exc:
        new(documents=["GDN", "XYZ"])
    assert exc.value.field == "documents"


def test_channel_must_be_offered():
    with pytest.raises(InvalidInput) as exc:
        new(channel="fax")
    assert exc.value.field == "channel"


def test_return_with_everything_starts_the_clock_at_that_moment():
    d = new(documents=())
    fire(d, "supplement", at=vn(2026, 3, 3, 14, 0), documents=["GDN", "CCCD"])
    assert d.status == "received"
    assert d.received_at == vn(2026, 3, 3, 14, 0)
    assert d.due_at == vn(2026, 3, 6, 14, 0)
    assert d.visits == 2 and d.supplement_trips == 1


def test_partial_return_stays_awaiting_with_the_rest_listed():
    d = new(documents=())
    fire(d, "supplement", documents=["GDN"])
    assert d.status == "awaiting_documents" and d.missing_documents == ["CCCD"]


def test_online_supplement_is_not_a_trip():
    d = new(documents=())
    fire(d, "supplement", documents=ALL_DOCS, channel="online")
    assert d.visits == 1 and d.supplement_trips == 0


def test_cutoff_after_three_pm_counts_from_next_working_day():
    d = open_dossier(KS, "T1-x", Applicant("B"), ["TK", "GCS"], "in_person", CLERK,
                     vn(2026, 3, 6, 15, 30), CAL)  # Friday 15:30
    assert d.due_at == vn(2026, 3, 9, 17, 0)  # Monday: the whole next working day
    d2 = open_dossier(KS, "T1-y", Applicant("B"), ["TK", "GCS"], "in_person", CLERK,
                      vn(2026, 3, 6, 14, 0), CAL)
    assert d2.due_at == vn(2026, 3, 9, 14, 0)


def test_step_clock_and_hand_off_event():
    d = reach("received")
    fire(d, "forward", at=vn(2026, 3, 2, 10, 0))
    assert d.step_due_at == vn(2026, 3, 3, 15, 0)  # 1.5 days = 12 office hours
    event = d.pending_events[-1]
    assert event.data["from_agency"] == "T1" and event.data["to_agency"] == "T1.KT"
    assert any(m.topic == "dossier.handed_over" for m in d.pending_messages)


def test_the_hand_over_moment_is_the_first_forward_out_of_received_and_stays():
    """dossiers.handed_over_at (migration 0030, the boundary-free report): written by the
    desk's forward, not moved by the later forwards nor by a send_back to the first step
    and its forward again. No action leads back to `received` once a step holds the
    dossier (ALLOWED), so a second forward out of received cannot happen."""
    assert not any(to == "received" for (state, _), to in ALLOWED.items() if "@" in state)
    d = reach("received")
    assert d.handed_over_at is None
    fire(d, "forward", at=vn(2026, 3, 2, 10, 0))
    assert d.handed_over_at == vn(2026, 3, 2, 10, 0)
    fire(d, "forward", at=vn(2026, 3, 2, 11, 0))
    fire(d, "send_back", at=vn(2026, 3, 2, 12, 0), note="làm lại", to_step="TD")
    fire(d, "forward", at=vn(2026, 3, 2, 13, 0))
    assert d.state == "in_progress@THUE" and d.handed_over_at == vn(2026, 3, 2, 10, 0)


def test_request_supplement_pauses_then_restart_gives_full_budget():
    d = reach("in_progress@TD")  # HKD restarts the clock after a supplement
    fire(d, "request_supplement", at=vn(2026, 3, 3, 9, 0), missing=["UQ"], reason="thiếu")
    assert d.due_at is None and not d.clock.running and d.clock.used == 480
    fire(d, "supplement", at=vn(2026, 3, 10, 9, 0), documents=["UQ"])
    assert d.clock.used == 0 and d.due_at == vn(2026, 3, 13, 9, 0)


def test_request_supplement_then_resume_keeps_time_used():
    d = open_dossier(KS, "T1-z", Applicant("B"), ["TK", "GCS"], "in_person", CLERK, START, CAL)
    lc = lifecycle_for(KS)
    lc.fire(d, "forward", CLERK, START, CAL)
    lc.fire(d, "request_supplement", OFFICER["T1.KT"], vn(2026, 3, 2, 11, 0), CAL,
            missing=["UQ"], reason="cần ủy quyền")
    assert d.clock.used == 120
    lc.fire(d, "supplement", CLERK, vn(2026, 3, 4, 8, 0), CAL, documents=["UQ"])
    assert d.due_at == vn(2026, 3, 4, 15, 0)  # 480 - 120 = 360 minutes left from Wed 08:00


def test_request_supplement_only_for_documents_on_the_checklist():
    d = reach("in_progress@TD")
    with pytest.raises(InvalidInput) as exc:
        fire(d, "request_supplement", missing=["SO_DO"], reason="x")
    assert exc.value.field == "missing"
    assert d.state == "in_progress@TD"


def test_send_back_to_a_named_earlier_step():
    d = reach("in_progress@TKQ")
    fire(d, "send_back", note="làm lại", to_step="TD")
    assert d.state == "in_progress@TD"
    d2 = reach("in_progress@THUE")
    with pytest.raises(InvalidInput) as exc:
        fire(d2, "send_back", note="x", to_step="PD")  # a later step, not an earlier one
    assert exc.value.field == "to_step" and d2.state == "in_progress@THUE"


@pytest.mark.parametrize("action,field", [("reject", "reason"), ("withdraw", "reason"),
                                          ("send_back", "note")])
def test_reason_required(action, field):
    d = reach("in_progress@THUE")
    with pytest.raises(InvalidInput) as exc:
        fire(d, action, actor=actor_for(d, action), **{field: "  "})
    assert exc.value.field == field


def test_result_ready_stops_the_clock_and_judges_lateness():
    d = reach("in_progress@TKQ")
    fire(d, "complete", at=vn(2026, 3, 6, 9, 0))  # after the Thursday appointment
    assert d.result_ready_at == vn(2026, 3, 6, 9, 0)
    assert d.pending_events[-1].data["late"] is True
    assert not d.clock.running


def test_events_are_numbered_without_gaps():
    d = reach("returned")
    assert [e.seq for e in d.pending_events] == list(range(1, len(d.pending_events) + 1))


def test_one_machine_per_procedure_version():
    assert lifecycle_for(HKD) is lifecycle_for(HKD)
    assert lifecycle_for(HKD) is not lifecycle_for(KS)


@pytest.mark.parametrize("documents", [ALL_DOCS, ["GDN"]])
def test_a_number_assigned_after_opening_reaches_the_pending_messages(documents):
    """The intake opens the dossier before drawing its number (the sequence row is locked
    from the draw to the commit); the receipt or supplement notice must carry the number."""
    d = open_dossier(HKD, "(unnumbered)", Applicant("Nguyễn Văn A", phone="0912345678"),
                     documents, "in_person", CLERK, START, CAL)
    assert d.pending_messages and all(m.payload["dossier"] == "(unnumbered)" for m in d.pending_messages)
    d.assign_code("T1-260302-0007")
    assert d.code == "T1-260302-0007"
    assert [m.payload["dossier"] for m in d.pending_messages] == ["T1-260302-0007"] * len(d.pending_messages)
