"""The signing and verifying settings of signed electronic results (issue 21), read from
the app's configuration when used: the agencies' key folder and passphrase variable
(workflow.adapters.pdf_signing), the trust roots (workflow.adapters.pdf_verification), and a
report as the API and the command line show it."""
from __future__ import annotations

import os
from pathlib import Path

from workflow.adapters.pdf_signing import SignerKeys
from workflow.adapters.pdf_verification import SignatureReport, load_trust_roots


def signer_keys(config) -> SignerKeys:
    folder = config.get("RESULT_SIGNERS_DIR")
    return SignerKeys(Path(folder) if folder else None,
                      config.get("RESULT_SIGNER_PASSPHRASE_ENV") or "RESULT_SIGNER_PASSPHRASE")


def trust_root_files(value: str | None) -> list[Path]:
    """RESULT_TRUST_ROOTS: PEM files, or folders of *.pem, separated by ':'."""
    files = []
    for part in (value or "").split(os.pathsep):
        if part.strip():
            path = Path(part.strip())
            files += sorted(path.glob("*.pem")) if path.is_dir() else [path]
    return files


def trust_roots(config) -> list:
    return load_trust_roots(trust_root_files(config.get("RESULT_TRUST_ROOTS")))


def report_json(file_id: int | None, report: SignatureReport) -> dict:
    return dict(file=file_id, signed=report.signed, signer=report.signer, organisation=report.organisation,
                signed_at=report.signed_at,
                document=None if report.intact is None else "intact" if report.intact else "modified",
                chain_valid=report.chain_valid, signatures=report.signatures, problem=report.problem)
