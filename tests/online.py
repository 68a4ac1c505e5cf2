"""Online dossiers for tests that need one as a fact of the record (reports, evaluations):
submitted through the same service path as POST /api/v1/submissions, without the code and
the files (tests/integration/test_online_submission.py covers those), then accepted by the
desk at the same moment, so its received_at is `at`."""
from __future__ import annotations

import secrets

from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases
from workflow.services.online.submissions import add_submission
from workflow.services.unit_of_work import UnitOfWork


def take_online(ctx, desk: Actor, procedure_code: str, applicant: Applicant, documents: list[str],
                accept: bool = True):
    """The dossier, received by `desk` (accept=True) or left `submitted`."""
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        procedure_id, procedure = uow.procedures.current(procedure_code, now.astimezone(ctx.calendar.tz).date())
        dossier, _ = add_submission(uow, ctx, procedure_id, procedure, applicant, documents, now,
                                    secrets.token_urlsafe(24))
        uow.commit()
    return use_cases.act(ctx, desk, dossier.code, "accept", {}) if accept else dossier
