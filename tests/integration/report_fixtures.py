"""The hand-counted fixtures of test_reports.py, built through the use cases with a fake
clock: each dossier's fate in the II.06a report, or its place on the dashboard, is noted
where it is built."""
from __future__ import annotations

from datetime import date

import pytest

from tests.online import take_online

from tests.conftest import vn
from workflow.adapters import repository
from workflow.services.importing.catalog import load
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

A = {n: Actor(n, r, a) for n, r, a in (("clerk", "counter", "T1"), ("kt", "officer", "T1.KT"),
                                       ("tax", "officer", "TAX"), ("ld", "officer", "T1.LD"),
                                       ("xclerk", "counter", "TAX"))}
DOCS = {"1.001612": ["GDN", "CCCD"], "1.001193": ["TK", "GCS"], "2.000999": ["TK"]}
READY = {"1.001612": [("clerk", "forward"), ("kt", "forward"), ("tax", "forward"), ("ld", "forward"),
                      ("clerk", "complete")],
         "1.001193": [("clerk", "forward"), ("kt", "forward"), ("clerk", "complete")],
         "2.000999": [("xclerk", "forward"), ("xclerk", "complete")]}
TAX_PROCEDURE = """
code: "2.000999"
name: "Thủ tục thử nghiệm tại cơ quan thuế"
field: "Thuế"
agency: "TAX"
processing_days: 1
channels: [in_person, online, post]
result: "Thông báo"
documents: [{code: TK, name: "Tờ khai"}]
steps: [{code: XL, name: "Xử lý", agency: "TAX", days: 1}]
"""
H, K, X = "1.001612", "1.001193", "2.000999"


class World:
    def __init__(self, ctx, clock):
        self.ctx, self.clock = ctx, clock

    def take(self, proc, at, channel="in_person", docs=None):
        self.clock.at = at
        who = A["xclerk"] if proc == X else A["clerk"]
        docs = DOCS[proc] if docs is None else docs
        if channel == "online":  # submitted online and accepted by the desk at `at`
            return take_online(self.ctx, who, proc, Applicant("Nguyễn Văn A"), docs).code
        d, _ = use_cases.intake(self.ctx, who, proc, Applicant("Nguyễn Văn A"), docs, channel)
        return d.code

    def act(self, code, who, action, at, **payload):
        self.clock.at = at
        use_cases.act(self.ctx, A[who], code, action, payload)

    def ready(self, code, at, skip=0):
        proc = use_cases.get(self.ctx, code)[0].procedure.code
        for who, action in READY[proc][skip:]:
            self.act(code, who, action, at)

    def forward(self, code, at):
        self.act(code, "clerk", "forward", at)


@pytest.fixture
def world(ctx, clock, engine, catalog, tmp_path):
    # the repository caches procedure versions by id for the process; ids restart with
    # every emptied test database, so a version another test stored under the same id
    # must not be taken for ours (nor ours for theirs)
    repository._PROCEDURE_CACHE.clear()
    (tmp_path / "tax.yaml").write_text(TAX_PROCEDURE, encoding="utf-8")
    assert not load(engine, [tmp_path / "tax.yaml"]).errors
    yield World(ctx, clock)
    repository._PROCEDURE_CACHE.clear()


def build_report_fixture(w: World) -> None:
    """The period is Mon 9 – Fri 13 March 2026. H = 1.001612 (3 working days),
    K = 1.001193 (1 day, 15:00 cut-off), X = 2.000999 at TAX (1 day)."""
    d = w.take(H, vn(2026, 3, 2, 9))                      # H1 ready and returned before: not counted
    w.ready(d, vn(2026, 3, 4, 10)); w.act(d, "clerk", "return_result", vn(2026, 3, 6, 10))
    d = w.take(H, vn(2026, 3, 2, 10))                     # H2 returned in the period only
    w.ready(d, vn(2026, 3, 4, 10)); w.act(d, "clerk", "return_result", vn(2026, 3, 10, 10))
    d = w.take(H, vn(2026, 3, 3, 9))                      # H3 carried, late (due Fri 6 09:00)
    w.ready(d, vn(2026, 3, 10, 10))
    d = w.take(H, vn(2026, 3, 5, 14))                     # H4 carried, early (due Tue 10 14:00)
    w.ready(d, vn(2026, 3, 9, 15))
    d = w.take(H, vn(2026, 3, 5, 14))                     # H5 carried, on time (same day, before)
    w.ready(d, vn(2026, 3, 10, 10))
    d = w.take(H, vn(2026, 3, 4, 9))                      # H6 carried, pending overdue (due Mon 9)
    w.forward(d, vn(2026, 3, 4, 10))
    d = w.take(K, vn(2026, 3, 6, 16))                     # K1 carried, rejected in the period
    w.forward(d, vn(2026, 3, 6, 16, 30)); w.act(d, "kt", "reject", vn(2026, 3, 9, 11), reason="sai")
    d = w.take(H, vn(2026, 3, 5, 9))                      # H7 withdrawn before: not counted
    w.act(d, "clerk", "withdraw", vn(2026, 3, 6, 9), reason="rút")
    d = w.take(H, vn(2026, 3, 4, 10))                     # H8 carried, waiting for a supplement
    w.forward(d, vn(2026, 3, 4, 11))
    w.act(d, "kt", "request_supplement", vn(2026, 3, 5, 10), missing=["UQ"], reason="thiếu")
    d = w.take(H, vn(2026, 3, 4, 10))                     # H9 carried, withdrawn in the period
    w.forward(d, vn(2026, 3, 4, 11)); w.act(d, "clerk", "withdraw", vn(2026, 3, 11, 10), reason="rút")
    d = w.take(H, vn(2026, 3, 2, 9))                      # H10 carried; restarted, due Fri 13 10:00
    w.forward(d, vn(2026, 3, 2, 10))
    w.act(d, "kt", "request_supplement", vn(2026, 3, 3, 10), missing=["UQ"], reason="thiếu")
    w.act(d, "clerk", "supplement", vn(2026, 3, 10, 10), documents=["UQ"])
    d = w.take(H, vn(2026, 3, 9, 9), "online")            # H11 new online, early
    w.ready(d, vn(2026, 3, 11, 10))
    d = w.take(H, vn(2026, 3, 9, 9))                      # H12 new, on time (08:30 on the day)
    w.ready(d, vn(2026, 3, 12, 8, 30))
    d = w.take(H, vn(2026, 3, 9, 9), "post")              # H13 new by post, late (11:00 > 09:00)
    w.ready(d, vn(2026, 3, 12, 11))
    d = w.take(H, vn(2026, 3, 10, 9))                     # H14 new, pending overdue (Fri 13 09:00)
    w.forward(d, vn(2026, 3, 10, 10))
    w.take(H, vn(2026, 3, 12, 9), "online")               # H15 new online, pending within
    d = w.take(H, vn(2026, 3, 11, 9))                     # H16 new, rejected
    w.act(d, "clerk", "reject", vn(2026, 3, 11, 10), reason="không thuộc thẩm quyền")
    d = w.take(H, vn(2026, 3, 12, 9))                     # H17 new, waiting for a supplement
    w.forward(d, vn(2026, 3, 12, 10))
    w.act(d, "kt", "request_supplement", vn(2026, 3, 13, 10), missing=["UQ"], reason="thiếu")
    d = w.take(H, vn(2026, 3, 13, 16), "online")          # H18 new online, ready after: pending within
    w.ready(d, vn(2026, 3, 16, 10))
    d = w.take(K, vn(2026, 3, 9, 9))                      # K2 new, early, returned in the period
    w.ready(d, vn(2026, 3, 9, 16)); w.act(d, "clerk", "return_result", vn(2026, 3, 10, 10))
    d = w.take(K, vn(2026, 3, 10, 14), "online")          # K3 new online, late, returned after
    w.ready(d, vn(2026, 3, 11, 15)); w.act(d, "clerk", "return_result", vn(2026, 3, 16, 10))
    w.take(H, vn(2026, 3, 10, 9), docs=["GDN"])           # H19 never received: not counted
    d = w.take(H, vn(2026, 3, 10, 9), docs=["GDN"])       # H20 received Wed 11: new, pending within
    w.act(d, "clerk", "supplement", vn(2026, 3, 11, 9), documents=["CCCD"])
    d = w.take(H, vn(2026, 3, 10, 9), docs=[])            # H21 refused at the counter: not counted
    w.act(d, "clerk", "reject", vn(2026, 3, 10, 10), reason="không đủ điều kiện")
    w.take(H, vn(2026, 3, 16, 9))                         # H22 received after: not counted
    d = w.take(H, vn(2026, 3, 4, 9))                      # H23 carried, ready after: pending overdue
    w.ready(d, vn(2026, 3, 16, 10))
    d = w.take(H, vn(2026, 3, 9, 9))                      # H24 postponed to Fri 13, still late
    w.forward(d, vn(2026, 3, 9, 10))
    w.act(d, "kt", "postpone", vn(2026, 3, 10, 9), reason="chờ xác minh", new_due_at=date(2026, 3, 13))
    w.ready(d, vn(2026, 3, 13, 10), skip=1)
    d = w.take(X, vn(2026, 3, 9, 9))                      # X1 TAX new, early
    w.ready(d, vn(2026, 3, 9, 15))
    w.take(X, vn(2026, 3, 12, 9))                         # X2 TAX new, pending overdue (Fri 13 09:00)
    d = w.take(X, vn(2026, 3, 5, 9))                      # X3 TAX returned in the period only
    w.ready(d, vn(2026, 3, 6, 10)); w.act(d, "xclerk", "return_result", vn(2026, 3, 9, 10))
    d = w.take(H, vn(2026, 3, 10, 9), "online")           # H25 ready exactly at the appointment: on time
    w.ready(d, vn(2026, 3, 13, 9))
    d = w.take(H, vn(2026, 3, 2, 9))                      # H26 carried, late, returned in the period
    w.ready(d, vn(2026, 3, 12, 10)); w.act(d, "clerk", "return_result", vn(2026, 3, 13, 10))
    w.take(K, vn(2026, 3, 17, 14))                        # K4 after the period, due Wed 18 14:00
    w.clock.at = vn(2026, 3, 18, 10)


def build_dashboard_fixture(w: World) -> dict:
    """Now: Wed 11 March 2026 10:00; 'soon' ends one working day later, Thu 12 10:00."""
    c = {}
    c["D1"] = w.take(H, vn(2026, 3, 6, 9))                # due Wed 11 09:00: overdue, at TD
    w.forward(c["D1"], vn(2026, 3, 6, 10))
    c["D2"] = w.take(H, vn(2026, 3, 6, 15))               # due Wed 11 15:00: today, at THUE (TAX)
    w.forward(c["D2"], vn(2026, 3, 6, 16)); w.act(c["D2"], "kt", "forward", vn(2026, 3, 9, 9))
    c["D3"] = w.take(H, vn(2026, 3, 9, 9))                # due Thu 12 09:00: soon, at the desk
    c["D4"] = w.take(H, vn(2026, 3, 11, 9))               # postponed by kt: on track, officer kt
    w.forward(c["D4"], vn(2026, 3, 11, 9, 30))
    w.act(c["D4"], "kt", "postpone", vn(2026, 3, 11, 9, 45), reason="xác minh", new_due_at=date(2026, 3, 17))
    c["D5"] = w.take(H, vn(2026, 3, 9, 9))                # paused by kt
    w.forward(c["D5"], vn(2026, 3, 9, 10))
    w.act(c["D5"], "kt", "request_supplement", vn(2026, 3, 10, 9), missing=["UQ"], reason="thiếu")
    c["D6"] = w.take(H, vn(2026, 3, 11, 9), docs=["GDN"])  # awaiting documents
    c["D7"] = w.take(H, vn(2026, 3, 2, 9))                # ready Wed 4 (early), not handed over
    w.ready(c["D7"], vn(2026, 3, 4, 10))
    c["D8"] = w.take(H, vn(2026, 3, 2, 9))                # ready Thu 5 10:00 (late), returned
    w.ready(c["D8"], vn(2026, 3, 5, 10)); w.act(c["D8"], "clerk", "return_result", vn(2026, 3, 6, 9))
    c["D9"] = w.take(X, vn(2026, 3, 10, 9))               # TAX, due Wed 11 09:00: overdue
    w.clock.at = vn(2026, 3, 11, 10)
    return c
