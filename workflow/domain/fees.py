"""Fees and charges (lệ phí, phí): the schedule a procedure publishes, the amount due for
one dossier, exemptions and their grounds, payments and the balance.

Pure rules: no clock, no database. The sources (see docs/concepts/fees.md):

- Luật Phí và lệ phí 97/2015/QH13: a fee (phí) or charge (lệ phí) is collected only where
  a list annexed to the law names it; the amount is set by the Ministry of Finance or, for
  the charges it delegates, by the provincial People's Council (HĐND).
- Thông tư 85/2019/TT-BTC: the charges under the provincial HĐND (among them hộ tịch,
  đăng ký hộ kinh doanh, cấp giấy chứng nhận quyền sử dụng đất, giấy phép xây dựng), as
  the published procedures cite it; the circular's text was not read for this module.
- Thông tư 281/2016/TT-BTC: the central civil-status rates, e.g. copies of extracts
  (8.000 đồng/bản) [unconfirmed, marked so in the catalog].

Exemption grounds and amounts are the catalog's data, each with its source in the
editors' note; those marked [U] there are unconfirmed.

Which schedule applies is the catalog's (data keyed by the date in force): a dossier keeps
the schedule of the day it was received. Amounts are whole đồng (VND has no minor unit).
"""
from __future__ import annotations

from dataclasses import dataclass

PAID_AT = ("intake", "return")      # nộp khi nộp hồ sơ | nộp khi nhận kết quả
METHODS = ("cash", "transfer", "online")   # tiền mặt | chuyển khoản | trực tuyến
MAX_AMOUNT = 10 ** 12               # one payment above this is a typing error, not a fee


@dataclass(frozen=True)
class Exemption:
    """One published ground for exemption (miễn lệ phí), e.g. a poor household."""

    code: str
    ground: str


@dataclass(frozen=True)
class FeeDue:
    """What the dossier owes, fixed at intake from the schedule then in force."""

    amount: int                     # before any exemption
    paid_at: str | None             # intake | return | None: the schedule does not say
    basis: str | None = None        # the legal basis of the amount
    exemption: str | None = None    # the exemption code the clerk recorded
    exemption_ground: str | None = None

    @property
    def exempt(self) -> bool:
        return self.exemption is not None

    @property
    def payable(self) -> int:
        """What must be paid: nothing when exempt."""
        return 0 if self.exempt else self.amount


class FeeError(ValueError):
    """A fee rule refused the request; `field` names the input at fault."""

    def __init__(self, message: str, field: str | None = None, **details):
        super().__init__(message)
        self.field = field
        self.details = details


def amount_due(fee, exemption_code: str | None = None, ground: str | None = None) -> FeeDue:
    """The amount due for a dossier from the fee of its procedure narrowed to its case
    (Procedure.for_case already picks the case's fee). An exemption must be one the
    schedule lists; the clerk may add the particulars of the ground (e.g. the certificate
    of a poor household), otherwise the schedule's wording is recorded."""
    if exemption_code is None:
        return FeeDue(fee.amount, fee.paid_at, fee.basis)
    listed = {e.code: e for e in fee.exemptions}
    if exemption_code not in listed:
        known = ", ".join(sorted(listed)) or "none"
        raise FeeError(f"no exemption '{exemption_code}' in this procedure's fee schedule "
                       f"(exemptions: {known})", field="fee_exemption.code")
    if fee.amount == 0:
        raise FeeError("nothing is due for this procedure: no exemption to record",
                       field="fee_exemption.code")
    text = (ground or "").strip() or listed[exemption_code].ground
    return FeeDue(fee.amount, fee.paid_at, fee.basis, exemption_code, text)


def balance(due: FeeDue, paid: int) -> int:
    """What is still owed (0 when exempt or fully paid); `paid` is the sum of payments,
    refunds included as negative amounts."""
    return max(due.payable - paid, 0)


def check_payment(due: FeeDue, paid: int, amount: int, method: str, reason: str | None) -> None:
    """A payment (amount > 0) may not exceed the balance; a refund (amount < 0) needs a
    reason and may not return more than was paid. Entries are never edited."""
    if type(amount) is not int or amount == 0 or abs(amount) > MAX_AMOUNT:
        raise FeeError(f"amount must be a whole number of đồng, not zero, at most {MAX_AMOUNT}",
                       field="amount")
    if method not in METHODS:
        raise FeeError(f"method must be one of {', '.join(METHODS)}", field="method")
    if amount > 0:
        if due.exempt:
            raise FeeError(f"the dossier is exempt ({due.exemption}): nothing to pay", field="amount")
        owed = balance(due, paid)
        if amount > owed:
            raise FeeError(f"the payment of {amount} đồng is more than the {owed} đồng due",
                           field="amount", due=owed)
    else:
        if not (reason or "").strip():
            raise FeeError("a refund needs its reason", field="reason")
        if -amount > paid:
            raise FeeError(f"a refund of {-amount} đồng is more than the {paid} đồng paid",
                           field="amount", paid=paid)


def handover_block(due: FeeDue | None, paid: int) -> str | None:
    """Why the result may not be handed over (trả kết quả) yet, or None. Only a schedule
    that says when the fee is paid (paid_at intake or return) is enforced: at return the
    amount is collected at the desk before the hand-over; at intake it should have been
    paid already, and an unpaid balance still holds the result back."""
    if due is None or due.paid_at is None or due.exempt:
        return None
    owed = balance(due, paid)
    if owed <= 0:
        return None
    return (f"Còn {vnd(owed)} đồng lệ phí/phí chưa nộp: chưa trả kết quả được. "
            f"An amount of {owed} VND is due: the result cannot be handed over until it is paid "
            f"or an exemption is recorded.")


def vnd(amount: int) -> str:
    """100000 -> '100.000' (the Vietnamese thousands separator)."""
    sign = "-" if amount < 0 else ""
    return sign + f"{abs(amount):,}".replace(",", ".")
