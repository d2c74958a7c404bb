"""schemathesis against the app's own OpenAPI schema (in process, PostgreSQL): for every
operation, generated valid and invalid requests — as a logged-in learner — never get a 5xx, and
every answer matches the schema (status code documented, body valid, content type declared).

A few examples per operation and mode keep this bounded (`VB_SCHEMATHESIS_EXAMPLES`, default 6);
a deeper run by hand: `VB_SCHEMATHESIS_EXAMPLES=200 pytest tests/security/test_openapi_fuzz.py`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from vocalborn.accounts.models import Role

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)

MAX_EXAMPLES = int(os.environ.get("VB_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def _run(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        own = {k.lower() for k in (case.headers or {})}
        case.call_and_validate(headers={} if "authorization" in own else headers, checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_answers_match_the_schema(
    app: Any,
    client: Any,
    make_account: Any,
    mode: GenerationMode,
) -> None:
    learner = make_account(Role.CLIENT)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _run(operation, mode, learner.headers)
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            continue
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations >= 40
    assert not failures, "\n\n".join(failures)
