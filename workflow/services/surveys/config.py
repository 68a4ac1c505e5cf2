"""What the survey use cases need from the settings: the questionnaires (read from the
versioned YAML files), the link secret and the time rules; plus the survey links and
the refusals a link can meet.

A survey link (đường dẫn khảo sát) is `{PUBLIC_BASE_URL}/s/{nonce}.{signature}`: the nonce
is 144 random bits stored on the survey row, the signature an HMAC of it under
SECRET_KEY. A forged link fails the signature before any database read; a stolen
database alone cannot make a link; and neither part says anything about the citizen.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from itsdangerous import BadSignature, Signer
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from workflow.adapters.tables_surveys import questionnaires
from workflow.domain.dossier import Applicant
from workflow.domain.errors import Conflict, DomainError, NotFound
from workflow.domain.sipas import (Questionnaire, QuestionnaireError, Target, parse_questionnaire,
                                   parse_targets)


class SurveyInvalid(NotFound):
    """Unknown or forged link."""

    code = "survey_invalid"


class SurveyExpired(DomainError):
    code = "survey_expired"
    status = 410


class SurveyAnswered(Conflict):
    """The link is single-use and was used."""

    code = "survey_answered"


@dataclass(frozen=True)
class Version:
    """One questionnaire file: parsed, its JSON definition and the definition's digest."""

    questionnaire: Questionnaire
    definition: dict
    fingerprint: str


@dataclass(frozen=True)
class SurveyConfig:
    secret: str
    public_url: str
    ttl: timedelta
    reminder: timedelta | None
    min_interval: timedelta | None
    feedback_days: float
    questionnaire_code: str
    versions: tuple[Version, ...]
    targets: tuple[Target, ...]

    def in_force(self, day: date) -> Version:
        """The version of the configured questionnaire in force on a day."""
        found = [v for v in self.versions if v.questionnaire.code == self.questionnaire_code
                 and v.questionnaire.effective_from <= day]
        if not found:
            raise RuntimeError(f"no questionnaire '{self.questionnaire_code}' in force on {day}")
        return max(found, key=lambda v: v.questionnaire.effective_from)

    # -- links ---------------------------------------------------------------------
    def _signer(self) -> Signer:
        return Signer(self.secret, salt="motcua.survey-link", digest_method=hashlib.sha256)

    def token(self, nonce: str) -> str:
        return self._signer().sign(nonce).decode()

    def link(self, nonce: str) -> str:
        return f"{self.public_url.rstrip('/')}/s/{self.token(nonce)}"

    def nonce(self, token: str) -> str:
        """The nonce of a genuine token, or SurveyInvalid."""
        if not isinstance(token, str) or len(token) > 200:
            raise SurveyInvalid("this survey link is not valid", field="token")
        try:
            return self._signer().unsign(token).decode()
        except BadSignature:
            raise SurveyInvalid("this survey link is not valid", field="token") from None

    def citizen_key(self, applicant: Applicant) -> str | None:
        """A keyed digest of who the citizen is (ID number, else e-mail, else phone):
        enough to group their surveys, useless to anyone without SECRET_KEY."""
        who = (f"id:{applicant.id_number.strip()}" if applicant.id_number and applicant.id_number.strip()
               else f"mail:{applicant.email.strip().lower()}" if applicant.email
               else f"tel:{re.sub(r'[^0-9]', '', applicant.phone)[-9:]}" if applicant.phone else None)
        if who is None:
            return None
        return hmac.new(self.secret.encode(), who.encode(), hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def load_versions(directory: str) -> tuple[Version, ...]:
    """Every questionnaire file of a folder, validated; a bad file raises naming the field."""
    out = []
    for path in sorted(Path(directory).glob("*.y*ml")):
        with open(path, encoding="utf-8") as fh:
            try:
                data = yaml.safe_load(fh)
            except yaml.YAMLError as exc:
                raise QuestionnaireError(str(path), "<yaml>", str(exc).replace("\n", " ")) from None
        q = parse_questionnaire(data, str(path))
        definition = json.loads(json.dumps(data, default=str))
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
        out.append(Version(q, definition, digest))
    return tuple(out)


def _days(value) -> timedelta | None:
    return timedelta(days=float(value)) if value and float(value) > 0 else None


@lru_cache(maxsize=8)
def _build(secret, public_url, ttl, reminder, interval, feedback, code, directory, targets) -> SurveyConfig:
    return SurveyConfig(secret, public_url, timedelta(days=float(ttl)), _days(reminder),
                        _days(interval), float(feedback), code, load_versions(directory),
                        parse_targets(targets))


def survey_config(settings) -> SurveyConfig:
    """The survey settings of a process (web app config or worker settings), built once."""
    return _build(settings["SECRET_KEY"], settings["PUBLIC_BASE_URL"], settings["SURVEY_TTL_DAYS"],
                  settings["SURVEY_REMINDER_DAYS"], settings["SURVEY_MIN_INTERVAL_DAYS"],
                  settings["SURVEY_FEEDBACK_DAYS"], settings["SURVEY_QUESTIONNAIRE"],
                  settings["SURVEY_QUESTIONNAIRE_DIR"], settings["SIPAS_TARGETS"])


# -- questionnaire versions as stored: a response points at exactly what it answered --
def stored_id(conn: Connection, version: Version, now: datetime) -> int:
    """The row of this exact definition, stored the first time it is used (two workers
    storing it at once: one fails on the unique key and its outbox message is retried)."""
    q, c = version.questionnaire, questionnaires.c
    where = (c.code == q.code, c.version == q.version, c.fingerprint == version.fingerprint)
    found = conn.execute(select(c.id).where(*where)).scalar()
    if found is None:
        found = conn.execute(insert(questionnaires).values(
            code=q.code, version=q.version, fingerprint=version.fingerprint,
            definition=version.definition, loaded_at=now).returning(c.id)).scalar_one()
    return found


def by_id(conn: Connection, questionnaire_id: int) -> Questionnaire:
    row = conn.execute(select(questionnaires.c.definition).where(
        questionnaires.c.id == questionnaire_id)).one()
    return parse_questionnaire(row.definition, f"questionnaire #{questionnaire_id}")
