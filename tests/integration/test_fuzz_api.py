"""The REST API fuzzed from its own OpenAPI document (schemathesis): random valid and
invalid requests to every operation, signed in as the receiving agency's supervisor, must
never get a 5xx, and every answer must be a documented status with a body matching the
documented schema. A stateful run follows the documented links (intake, then read, then
act on the dossier it made), so the fuzzer reaches dossiers that exist.

Bounded: a fixed number of examples per operation, derandomised, so the run is repeatable
and takes about a minute per backend."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.integration.conftest import INTAKE

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 60  # per operation and backend
STATEFUL_EXAMPLES = 100
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))


@pytest.fixture
def schema(app):
    app.extensions["motcua_limiter"].enabled = False  # reach the survey code, not its 429
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def seed(api) -> str:
    """One dossier in the database, so reads and actions meet a real one too."""
    r = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE)
    assert r.status_code == 201
    return r.get_json()["code"]


def strategies(op, known: dict):
    """Valid and invalid requests; some valid ones name a procedure or dossier that exists."""
    both = [op.as_strategy(GenerationMode.POSITIVE), op.as_strategy(GenerationMode.NEGATIVE)]
    if "{code}" in op.path:
        code = known["procedure"] if op.path.startswith("/api/v1/procedures") else known["dossier"]
        both.append(op.as_strategy(GenerationMode.POSITIVE, path_parameters={"code": code}))
    return st.one_of(both)


def test_every_operation_keeps_its_documented_contract(schema, tokens, api):
    known = {"dossier": seed(api), "procedure": "1.001612"}
    auth = {"Authorization": f"Bearer {tokens['boss']}"}  # supervisor at the receiving desk
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    for op in operations:
        @FUZZ
        @given(case=strategies(op, known))
        def run(case):
            case.call_and_validate(headers=auth, checks=CHECKS)
        try:
            run()
        except Exception as exc:  # collect every operation's first failure, not just one
            failures.append(f"{op.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_stateful_walk_follows_the_links(schema, tokens):
    auth = {"Authorization": f"Bearer {tokens['boss']}"}
    machine = schema.as_state_machine()
    seen = []

    class Walk(machine):
        def before_call(self, case):
            """Steer half the intakes to a procedure that exists, so links lead somewhere."""
            body = case.body
            if case.operation.label == "POST /api/v1/dossiers" and isinstance(body, dict) \
                    and len(str(body.get("applicant"))) % 2 == 0:  # depends only on the draw
                body.update(procedure_code="1.001612",
                            documents=["GDN", "CCCD"][:len(str(body.get("channel"))) % 3])
                body.pop("defects", None)

        def get_call_kwargs(self, case):
            return {"headers": auth}

        def validate_response(self, response, case, **kwargs):
            seen.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS)

    Walk.TestCase.settings = settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=6,
                                      deadline=None, derandomize=True, database=None,
                                      suppress_health_check=list(HealthCheck))
    Walk.run()
    # the walk got past the front door: a dossier it made was then read or acted on
    assert ("POST /api/v1/dossiers", 201) in seen, sorted(set(seen))
    assert any(label.startswith(("GET /api/v1/dossiers/{code}", "POST /api/v1/dossiers/{code}"))
               and status == 200 for label, status in seen), sorted(set(seen))
