"""The hand-over of paper originals in the domain, without a database (issue 22)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.test_lifecycle import ALL_DOCS, CAL, CLERK, HKD, START
from workflow.domain import originals
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import Conflict, Forbidden, InvalidInput
from workflow.domain.lifecycle import open_dossier

D = open_dossier(HKD, "T1-260302-0001", Applicant("Nguyễn Văn A"), list(ALL_DOCS), "in_person",
                 CLERK, START, CAL)
STEP = D.procedure.steps[0].agency  # an agency of one of its steps


def sent(to=STEP, received=False, frm="T1"):
    return originals.Transfer(1, frm, to, ("GDN",), START, "clerk",
                              START + timedelta(hours=1) if received else None,
                              "someone" if received else None)


def test_the_receiving_point_holds_them_first_then_each_destination():
    assert originals.holder(D, []) == "T1"
    assert originals.holder(D, [sent()]) is None               # on their way
    assert originals.holder(D, [sent(received=True)]) == STEP
    assert "T1" not in originals.destinations(D, []) and STEP in originals.destinations(D, [])


def test_send_checks():
    assert originals.check_send(CLERK, D, [], STEP, ["GDN", "GDN"]) == ("GDN",)
    with pytest.raises(Forbidden):
        originals.check_send(Actor("x", "officer", STEP), D, [], "T1", ["GDN"])
    with pytest.raises(Conflict):
        originals.check_send(CLERK, D, [sent()], STEP, ["GDN"])
    for to, docs, field in (("T9", ["GDN"], "to"), (STEP, [], "documents"), (STEP, ["ZZ"], "documents"),
                            (None, ["GDN"], "to")):
        with pytest.raises(InvalidInput) as err:
            originals.check_send(CLERK, D, [], to, docs)
        assert err.value.field == field


def test_only_the_destination_receives_once():
    t = sent()
    with pytest.raises(Forbidden):
        originals.check_receive(CLERK, t)
    originals.check_receive(Actor("o", "officer", STEP), t)
    assert originals.may_receive(Actor("o", "officer", STEP), t)
    with pytest.raises(Conflict):
        originals.check_receive(Actor("o", "officer", STEP), sent(received=True))
    with pytest.raises(Forbidden):  # an administrator is no agency's staff
        originals.check_receive(Actor("root", "admin", None), t)
