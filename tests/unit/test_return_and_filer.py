"""Return by post and the filer in the domain, without a database (issue 21, items 3-4)."""
from __future__ import annotations

import pytest

from tests.unit.test_lifecycle import ALL_DOCS, CAL, CLERK, HKD, KS, START
from workflow.domain.dossier import RETURNED, Applicant, Filer
from workflow.domain.errors import InvalidInput
from workflow.domain.lifecycle import lifecycle_for, open_dossier

A = Applicant("Nguyễn Văn A", phone="0912345678")
F = Filer("Trần Thị B", phone="0987654321", email="b@example.com")


def take_in(procedure=HKD, documents=ALL_DOCS, **kw):
    return open_dossier(procedure, "T1-260302-0001", A, list(documents), "in_person", CLERK, START,
                        CAL, **kw)


def test_defaults_keep_the_counter_and_the_applicant():
    d = take_in()
    assert (d.return_by, d.return_address, d.filer, d.notify) == ("counter", None, None, ("applicant",))
    assert [c.role for c in d.contacts()] == ["applicant"] and d.lookup_phones() == ["0912345678"]


@pytest.mark.parametrize("kw, field", [
    (dict(return_by="post"), "return_address"),
    (dict(return_address="Hà Nội"), "return_address"),
    (dict(return_by="boat", return_address="x"), "return_by"),
    (dict(notify=()), "notify"),
    (dict(notify=("filer",)), "notify"),
    (dict(filer=F), "documents"),                       # UQ listed, not presented
    (dict(authorisation_exempt="vợ"), "authorisation_exempt"),
])
def test_refusals_name_the_field(kw, field):
    with pytest.raises(InvalidInput) as err:
        take_in(**kw)
    assert err.value.field == field


def test_a_filer_with_the_authorisation_or_an_exemption():
    d = take_in(documents=[*ALL_DOCS, "UQ"], filer=F, notify=("applicant", "filer"))
    assert [c.name for c in d.contacts()] == ["Nguyễn Văn A", "Trần Thị B"]
    assert d.lookup_phones() == ["0912345678", "0987654321"]
    d = take_in(procedure=KS, documents=["TK", "GCS"], filer=F, authorisation_exempt="mẹ của trẻ")
    assert d.pending_events[0].data["authorisation_exempt"] == "mẹ của trẻ"


def test_the_hand_over_to_the_post_closes_as_a_counter_return():
    d = take_in(procedure=KS, documents=["TK", "GCS"], return_by="post", return_address="Phố Huế")
    machine = lifecycle_for(KS)
    desk = CLERK
    kt = type(CLERK)("kt", "officer", "T1.KT")
    machine.fire(d, "forward", desk, START, CAL)
    machine.fire(d, "forward", kt, START, CAL)
    machine.fire(d, "complete", desk, START, CAL)
    with pytest.raises(InvalidInput) as err:
        machine.fire(d, "return_result", desk, START, CAL)
    assert err.value.field == "tracking_number"
    machine.fire(d, "return_result", desk, START, CAL, tracking_number="EL1VN")
    assert d.status == RETURNED and d.tracking_number == "EL1VN"
    assert [m.topic for m in d.pending_messages][-2:] == ["dossier.posted", "dossier.closed"]
