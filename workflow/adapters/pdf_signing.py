"""PAdES signing of a PDF with an agency's key (pyHanko): the issuing agency's PKCS#12 file
from a folder of the server (`<AGENCY_CODE>.p12`), its passphrase from the environment;
neither is ever in the database.

The passphrase of agency H26.HD is read from the variable `<PREFIX>_H26_HD` (the agency's
code in capitals, every character other than a letter or digit as `_`), else from
`<PREFIX>` itself (one passphrase for every file of the folder); PREFIX is the setting
RESULT_SIGNER_PASSPHRASE_ENV. The signature is an incremental update of the file (the
unsigned bytes are kept as they were, followed by the signature's revision).
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter

AGENCY_FILE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")


class NoSigner(Exception):
    """No usable key for the agency: no file, no passphrase that opens it, or no folder."""


class Unsignable(Exception):
    """pyHanko cannot read the PDF well enough to add a revision to it."""


@dataclass(frozen=True)
class SignerKeys:
    directory: Path | None
    passphrase_env: str = "RESULT_SIGNER_PASSPHRASE"

    def path(self, agency: str) -> Path:
        if self.directory is None:
            raise NoSigner("signing results is not configured (RESULT_SIGNERS_DIR is not set)")
        if not AGENCY_FILE.fullmatch(agency):
            raise NoSigner(f"'{agency}' cannot name a key file")
        return Path(self.directory) / f"{agency}.p12"

    def passphrase(self, agency: str) -> bytes | None:
        own = f"{self.passphrase_env}_{re.sub(r'[^0-9A-Z]', '_', agency.upper())}"
        value = os.environ.get(own) or os.environ.get(self.passphrase_env)
        return value.encode() if value else None

    def load(self, agency: str) -> signers.SimpleSigner:
        path = self.path(agency)
        if not path.is_file():
            raise NoSigner(f"no signing key for agency {agency} ({path.name} is not in RESULT_SIGNERS_DIR)")
        try:
            return signers.SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(),
                                                         passphrase=self.passphrase(agency))
        except (ValueError, TypeError):
            raise NoSigner(f"the signing key of agency {agency} does not open with the passphrase "
                           f"in {self.passphrase_env}_… / {self.passphrase_env}") from None


def sign_pdf(data: bytes, signer: signers.SimpleSigner, reason: str, location: str | None = None) -> bytes:
    """`data` with a PAdES baseline signature (SHA-256) appended as a new revision."""
    meta = signers.PdfSignatureMetadata(field_name="KetQuaKySo", md_algorithm="sha256", reason=reason,
                                        location=location, subfilter=SigSeedSubFilter.PADES)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        return signers.PdfSigner(meta, signer=signer).sign_pdf(writer).getvalue()
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise Unsignable(str(exc)) from exc
