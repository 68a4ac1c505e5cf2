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
    # the uploads (multipart) are fuzzed one operation at a time above; the walk follows the
    # JSON operations' links from a dossier it made to reading and acting on it
    # (the public online-submission routes and the signing are fuzzed one at a time above too)
    machine = schema.exclude(path_regex=r"/files|/submissions|/result/sign").as_state_machine()
    seen = []

    class Walk(machine):
        def before_call(self, case):
            """Steer the intakes to a procedure that exists, at a channel the desk takes in,
            for a plain applicant, so links lead somewhere (the intake's own inputs are
            fuzzed one operation at a time above)."""
            body = case.body
            if case.operation.label == "POST /api/v1/dossiers" and isinstance(body, dict):
                body.update(procedure_code="1.001612", channel="in_person",
                            applicant={"name": "Nguyễn Văn Thử", "phone": "0912345678"},
                            documents=["GDN", "CCCD"][:len(str(body.get("channel"))) % 3])
                body.pop("defects", None)
                body.pop("case", None)

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
               and status in (200, 201) for label, status in seen), sorted(set(seen))


# -- hostile shapes on every operation (issue 16) ------------------------------------------
HOSTILE_TEXT = ["\x00", "1\x00", "a\x00b", "\x1b[31m", "\u202eevil", "\u200b", "x" * 5000,
                "Nguye\u0302\u0303n", "\U0001F600" * 50, "٤٣٢١", "𝟙𝟚𝟛", "9" * 40, "-9223372036854775809",
                "0001-01-01", "9999-12-31", "9999-12-31T23:59:59+14:00", "NaN", "\t//evil.example",
                "../../etc/passwd", "%00", "' OR 1=1 --", "=HYPERLINK(\"http://evil\")"]
HOSTILE_VALUES = HOSTILE_TEXT + [True, -1, 0, 2**63, -(2**63) - 1, 1e308, None, {}, [],
                                 [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
                                 {"a": {"b": {"c": {"d": "\x00"}}}}]


def hostile(op):
    """A valid request of the operation with one value swapped for a hostile shape: NUL and
    control characters, bidi controls, huge and odd Unicode, extreme numbers and dates, deep
    nesting; in a path parameter, a query value or a body field."""
    base = op.as_strategy(GenerationMode.POSITIVE)
    query_names = [p["name"] for p in op.definition.raw.get("parameters", []) if p.get("in") == "query"]

    @st.composite
    def draw(draw_):
        case = draw_(base)
        where = draw_(st.sampled_from(["path", "query", "body"]))
        if where == "path" and case.path_parameters:
            key = draw_(st.sampled_from(sorted(case.path_parameters)))
            case.path_parameters[key] = draw_(st.sampled_from(HOSTILE_TEXT))
        elif where == "query" and query_names:
            case.query = {**(case.query or {}), draw_(st.sampled_from(query_names)):
                          draw_(st.sampled_from(HOSTILE_TEXT))}
        elif isinstance(case.body, dict):
            keys = sorted(case.body) or ["extra"]
            value = draw_(st.sampled_from(HOSTILE_VALUES))
            case.body[draw_(st.sampled_from(keys))] = value
            if draw_(st.booleans()) and isinstance(case.body.get("applicant"), dict):
                case.body["applicant"]["name"] = draw_(st.sampled_from(HOSTILE_TEXT))
        return case
    return draw()


def test_hostile_shapes_on_every_operation_never_get_a_5xx(schema, tokens, api):
    seed(api)
    auth = {"Authorization": f"Bearer {tokens['boss']}"}
    failures = []
    for op in [result.ok() for result in schema.get_all_operations()]:
        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=hostile(op))
        def run(case):
            response = case.call(headers=auth)
            assert response.status_code < 500, (case.path_parameters, case.query, str(case.body)[:200],
                                                response.status_code, response.text[:200])
            if response.status_code >= 400:
                assert "error" in response.json()
        try:
            run()
        except Exception as exc:
            failures.append(f"{op.label}: {exc}")
    assert not failures, "\n\n".join(failures)
