"""The fee rules without a database (workflow.domain.fees)."""
from __future__ import annotations

import pytest

from workflow.domain.fees import (Exemption, FeeDue, FeeError, amount_due, balance, check_payment,
                                  handover_block, vnd)
from workflow.domain.procedure import Case, Fee, Procedure, Step, DocumentSpec

FEE = Fee(50000, paid_at="intake", basis="NQ thử nghiệm",
          exemptions=(Exemption("HN", "Hộ nghèo"),))


def test_amount_due_and_exemption():
    assert amount_due(FEE) == FeeDue(50000, "intake", "NQ thử nghiệm")
    due = amount_due(FEE, "HN", "  ")
    assert due.exempt and due.payable == 0 and due.exemption_ground == "Hộ nghèo"
    assert amount_due(FEE, "HN", "Sổ 12").exemption_ground == "Sổ 12"
    with pytest.raises(FeeError) as e:
        amount_due(FEE, "XX")
    assert e.value.field == "fee_exemption.code"
    with pytest.raises(FeeError):
        amount_due(Fee(0, exemptions=(Exemption("HN", "Hộ nghèo"),)), "HN")


def test_case_fee_replaces_the_procedure_fee():
    p = Procedure("1.099001", "x", "f", "T1", 2, (DocumentSpec("DON", "Đơn"),),
                  (Step("XL", "Xử lý", "T1", 2),), fee=FEE,
                  cases=(Case("CO_NHA", "Có nhà", fee=Fee(120000, paid_at="intake")),))
    assert amount_due(p.for_case("CO_NHA").fee).amount == 120000
    assert amount_due(p.fee).amount == 50000


def test_payments_and_refunds():
    due = amount_due(FEE)
    check_payment(due, 0, 50000, "cash", None)
    for amount in (0, 50001, 1.5, True, 10 ** 13):
        with pytest.raises(FeeError):
            check_payment(due, 0, amount, "cash", None)
    with pytest.raises(FeeError):
        check_payment(due, 0, 100, "cheque", None)
    with pytest.raises(FeeError):
        check_payment(due, 20000, -1000, "cash", "")      # a refund needs its reason
    with pytest.raises(FeeError):
        check_payment(due, 20000, -20001, "cash", "thừa")  # more than was paid
    check_payment(due, 20000, -20000, "cash", "thừa")
    assert balance(due, 20000) == 30000 and balance(due, 60000) == 0


def test_handover_block():
    due = amount_due(FEE)
    assert "50.000 đồng" in handover_block(due, 0)
    assert handover_block(due, 50000) is None
    assert handover_block(amount_due(FEE, "HN"), 0) is None
    assert handover_block(amount_due(Fee(50000)), 0) is None  # paid_at not stated: not enforced
    assert vnd(1234567) == "1.234.567" and vnd(-5000) == "-5.000"
