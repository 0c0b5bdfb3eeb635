"""Property-based fuzzing of the whole API with schemathesis, once per role: no answer is a
server error, and every answer conforms to the OpenAPI document (status, content type, body).

The examples per operation and role come from ARTICULA_FUZZ_EXAMPLES (3 by default, for
`make test`; `.ci/run` asks for more). Derandomized: the same requests on every run.
"""

from __future__ import annotations

import os

import hypothesis
import schemathesis
from hypothesis import HealthCheck
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_commitments_support import published

EXAMPLES = int(os.environ.get("ARTICULA_FUZZ_EXAMPLES", "3"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_server_error_and_schema_conformance_for_every_role(app, session, settings):
    p = published(session, settings)
    roles = {
        "sd": p.sd(),
        "delegation": p.as_("D1"),
        "sector": p.as_("MINSA"),
        "rapporteur": p.as_("A"),
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith("/api"):
            continue

        @hypothesis.settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        @hypothesis.given(case=operation.as_strategy())
        def fuzz(case) -> None:
            for headers in roles.values():
                key = f"{case.operation.method.upper()} {case.operation.path}"
                calls[key] = calls.get(key, 0) + 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS)

        try:
            fuzz()
        except BaseException as exc:  # schemathesis' FailureGroup; report every operation
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:600])
    documented = [path for path in app.openapi()["paths"] if path.startswith("/api")]
    assert len({key.split(" ", 1)[1] for key in calls}) == len(documented)
    assert not failures, f"{len(failures)} operations fail:\n\n" + "\n\n".join(failures)
