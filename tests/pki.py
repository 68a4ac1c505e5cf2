"""Throwaway keys for signed results (issue 21): a CA and agency certificates made with
`cryptography` at test time (RSA 2048), each agency's key as a PKCS#12 file named
<AGENCY_CODE>.p12, as RESULT_SIGNERS_DIR holds them (workflow/adapters/pdf_signing.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSPHRASE = "mat-khau-khoa-thu"


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject, key, issuer, issuer_key, ca: bool) -> x509.Certificate:
    start = datetime.now(timezone.utc) - timedelta(days=1)
    usage = x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                          encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(usage, critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_pki(folder: Path, label: str, agencies: dict[str, str], passphrase: str | None = PASSPHRASE) -> Path:
    """A CA named after `label` and one certificate per agency (CN and O: its name); each
    agency's PKCS#12 (with the CA) as folder/<code>.p12 under `passphrase` (None: not
    encrypted); returns the CA's PEM."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca_name = _name(f"CA thử nghiệm {label}", "Motcua test")
    ca = _certificate(ca_name, ca_key, ca_name, ca_key, ca=True)
    for code, name in agencies.items():
        key = _key()
        cert = _certificate(_name(name, name), key, ca_name, ca_key, ca=False)
        (folder / f"{code}.p12").write_bytes(pkcs12.serialize_key_and_certificates(
            code.encode(), key, cert, [ca], serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase else serialization.NoEncryption()))
    pem = folder / "ca.pem"
    pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return pem
