"""The hand-over of paper originals between points (issue 22): the receiving point sends
them to an agency the dossier concerns, the destination records their arrival, one
transfer travels at a time, and refused requests store nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.test_any_counter import bearer, city, take_in, who  # noqa: F401  (fixtures)
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_originals import original_transfers
from workflow.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from workflow.services.dossiers import originals, use_cases


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(original_transfers)).scalar_one()


def test_the_receiving_point_sends_and_the_competent_unit_receives(city, ctx, engine):
    d = take_in(ctx, return_at="C.PV")
    items, holder, where = originals.listing(ctx, who("wa"), d.code)
    assert items == [] and holder == "WA"
    assert {"WB", "WB.TP", "WB.LD", "C.PV"} <= set(where) and "WA" not in where
    sent = originals.send(ctx, who("wa"), d.code, "WB", ["TK"], "gửi qua bưu tá nội bộ")
    assert (sent.from_agency, sent.to_agency, sent.documents, sent.sent_by) == ("WA", "WB", ("TK",), "wa")
    _, holder, _ = originals.listing(ctx, who("wb"), d.code)
    assert holder is None  # on their way
    got = originals.receive(ctx, who("wb"), d.code, sent.id)
    assert got.received_by == "wb" and got.received_at is not None
    items, holder, _ = originals.listing(ctx, who("pv"), d.code)
    assert holder == "WB" and len(items) == 1 and not items[0].is_open
    # now WB holds them: it sends them on to the return point, WA no longer may
    with pytest.raises(Forbidden):
        originals.send(ctx, who("wa"), d.code, "C.PV", ["TK"])
    originals.send(ctx, who("wb"), d.code, "C.PV", ["TK"])
    _, trail = use_cases.get(ctx, d.code)
    actions = [e.action for e in trail]
    assert actions.count("originals_sent") == 2 and actions.count("originals_received") == 1


def test_one_transfer_at_a_time_and_only_the_destination_receives(city, ctx, engine):
    d = take_in(ctx)
    sent = originals.send(ctx, who("wa"), d.code, "WB.TP", ["TK"])
    with pytest.raises(Conflict):
        originals.send(ctx, who("wa"), d.code, "WB", ["TK"])
    for name in ("wa", "wb", "wb_ld"):  # the sender, the unit, another of its offices
        with pytest.raises(Forbidden):
            originals.receive(ctx, who(name), d.code, sent.id)
    originals.receive(ctx, who("wb_tp"), d.code, sent.id)
    with pytest.raises(Conflict):  # once
        originals.receive(ctx, who("wb_tp"), d.code, sent.id)
    with pytest.raises(NotFound):
        originals.receive(ctx, who("wb_tp"), d.code, sent.id + 99)
    assert count(engine) == 1


@pytest.mark.parametrize("to, documents, field", [
    ("WC", ["TK"], "to"),          # an agency the dossier never concerns
    ("WA", ["TK"], "to"),          # the holder itself
    ("WB", [], "documents"),
    ("WB", ["XX"], "documents"),   # not presented with the dossier
])
def test_bad_transfers_are_refused_and_nothing_is_stored(city, ctx, engine, to, documents, field):
    d = take_in(ctx)
    with pytest.raises(InvalidInput) as err:
        originals.send(ctx, who("wa"), d.code, to, documents)
    assert err.value.field == field
    assert count(engine) == 0
    with engine.connect() as conn:
        assert conn.execute(select(dossiers.c.version).where(dossiers.c.code == d.code)).scalar_one() == d.version


def test_someone_who_cannot_see_the_dossier_learns_nothing(city, ctx):
    d = take_in(ctx)
    with pytest.raises(Forbidden):
        originals.listing(ctx, who("wc"), d.code)
    with pytest.raises(Forbidden):
        originals.send(ctx, who("wc"), d.code, "WB", ["TK"])


def test_the_api(city, client, engine, bearer):
    def call(user, method, path, json=None):
        return client.open(path, method=method, json=json, headers=bearer[user])

    r = call("wa", "POST", "/api/v1/dossiers", {"procedure_code": "1.999001", "applicant": {"name": "Lê Văn Cường"},
                                                 "documents": ["TK"], "competent_unit": "WB"})
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["code"]
    base = f"/api/v1/dossiers/{code}/originals"
    for bad in ({"to": "WB"}, {"to": "WB", "documents": []}, {"to": "WB", "documents": ["TK"], "x": 1},
                {"to": "WC", "documents": ["TK"]}, {"to": "WB", "documents": ["NOPE"]}):
        r = call("wa", "POST", base, bad)
        assert r.status_code == 422, (bad, r.get_json())
    assert count(engine) == 0
    assert call("wb", "POST", base, {"to": "WB.TP", "documents": ["TK"]}).status_code == 403
    assert call("wc", "GET", base).status_code == 403
    assert call("root", "GET", "/api/v1/dossiers/NOPE-1/originals").status_code == 404
    r = call("wa", "POST", base, {"to": "WB", "documents": ["TK"], "note": "kèm 1 bì thư"})
    assert r.status_code == 201, r.get_json()
    tid = r.get_json()["id"]
    assert call("wa", "POST", base, {"to": "WB", "documents": ["TK"]}).status_code == 409
    assert call("wa", "POST", f"{base}/{tid}/received").status_code == 403
    r = call("wb", "POST", f"{base}/{tid}/received")
    assert r.status_code == 200 and r.get_json()["received_by"] == "wb"
    listed = call("wb_tp", "GET", base).get_json()
    assert listed["holder"] == "WB" and [i["id"] for i in listed["items"]] == [tid]
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"send_originals", "receive_originals", "list_originals"} <= {
        op["operationId"] for ops in spec["paths"].values() for op in ops.values()}
