"""What a PDF's signature says (pyHanko): who signed (the signer certificate's common name
and organisation), when (the signing time the signer put in the signature), whether the
document changed since (the signed byte range's digest, and nothing but allowed additions
after it), and whether the signer's certificate chains to one of the trust roots given.

Nothing is fetched from the network (no CRL, OCSP or AIA): the chain is built from the
certificates in the signature and checked against the roots only. Revocation is not
checked; a report says so.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import pem, x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext

ALLOWED_AFTER = ("NONE", "LTA_UPDATES")  # a later revision may only add validation data


@dataclass(frozen=True)
class SignatureReport:
    signed: bool
    signer: str | None = None           # subject common name (CN)
    organisation: str | None = None     # subject organisation (O)
    signed_at: datetime | None = None   # the signing time stated in the signature
    intact: bool | None = None          # unchanged since signing
    chain_valid: bool | None = None     # chains to a configured trust root
    signatures: int = 0
    problem: str | None = None          # why intact or chain_valid is False, in words


def load_trust_roots(paths) -> list[x509.Certificate]:
    """Every certificate in the PEM (or DER) files named."""
    roots = []
    for path in paths:
        data = Path(path).read_bytes()
        if pem.detect(data):
            roots += [x509.Certificate.load(der) for _type, _headers, der in pem.unarmor(data, multiple=True)]
        else:
            roots.append(x509.Certificate.load(data))
    return roots


def _name(cert: x509.Certificate, field: str) -> str | None:
    value = cert.subject.native.get(field)
    return ", ".join(value) if isinstance(value, list) else value


def verify_pdf(data: bytes, trust_roots: list[x509.Certificate]) -> SignatureReport:
    """The report on the last signature of the PDF (the one covering the most)."""
    try:
        sigs = PdfFileReader(io.BytesIO(data), strict=False).embedded_regular_signatures
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        return SignatureReport(signed=False, problem=f"not a readable PDF: {exc}")
    if not sigs:
        return SignatureReport(signed=False)
    sig = sigs[-1]
    cert = sig.signer_cert
    who = dict(signer=_name(cert, "common_name"), organisation=_name(cert, "organization_name"),
               signed_at=sig.self_reported_timestamp, signatures=len(sigs))
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False,
                                revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(sig, context)
    except (SignatureValidationError, PdfError, ValueError) as exc:
        return SignatureReport(signed=True, intact=False, chain_valid=False, problem=str(exc), **who)
    after = status.modification_level.name if status.modification_level is not None else "NONE"
    intact = bool(status.intact and status.valid and after in ALLOWED_AFTER)
    problems = []
    if not (status.intact and status.valid):
        problems.append("the signed bytes do not match the signature")
    elif after not in ALLOWED_AFTER:
        problems.append(f"the document was changed after signing ({after})")
    if not status.trusted:
        problems.append("the signer's certificate does not chain to a configured trust root"
                        if trust_roots else "no trust roots are configured (RESULT_TRUST_ROOTS)")
    return SignatureReport(signed=True, intact=intact, chain_valid=bool(status.trusted),
                           problem="; ".join(problems) or None, **who)
