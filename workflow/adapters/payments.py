"""Online payment (thanh toán trực tuyến) as an adapter: the engine asks a gateway to take
an amount for a dossier and records the reference the gateway gives back.

Only a development gateway exists: it never calls the network and returns a made-up but
stable reference ("DEV-…"). A real gateway (the national portal's payment platform,
a bank's) would implement the same interface; none is wired in. Selected by the setting PAYMENT_GATEWAY ("dev", the default; "none" turns method
`online` off).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol


class PaymentRefused(Exception):
    """The gateway did not take the payment."""


@dataclass(frozen=True)
class Charge:
    gateway: str
    reference: str


class PaymentGateway(Protocol):
    name: str

    def charge(self, dossier_code: str, amount: int, reference: str | None) -> Charge:
        """Take `amount` đồng for the dossier; `reference` is the payer's own, if any."""


class DevelopmentGateway:
    """Pretends to take the payment: a reference derived from what was asked, no network."""

    name = "dev"

    def __init__(self):
        self.count = 0

    def charge(self, dossier_code: str, amount: int, reference: str | None) -> Charge:
        if amount <= 0:
            raise PaymentRefused("the development gateway takes positive amounts only")
        self.count += 1
        digest = hashlib.sha256(f"{dossier_code}|{amount}|{reference}|{self.count}".encode()).hexdigest()
        return Charge(self.name, f"DEV-{digest[:16].upper()}")


def payment_gateway(name: str | None) -> PaymentGateway | None:
    """The gateway named by PAYMENT_GATEWAY; None when online payment is off."""
    if name in (None, "", "dev"):
        return DevelopmentGateway()
    if name == "none":
        return None
    raise ValueError(f"PAYMENT_GATEWAY: unknown gateway '{name}' (known: dev, none)")
