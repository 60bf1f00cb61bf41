"""schemathesis against the OpenAPI schema: generated requests to every endpoint, never a 5xx, every error a
structured Chinese message, and every answer as the schema describes it (its status, media type and body:
schemathesis's status-code, content-type and response-schema conformance checks). Each operation gets FUZZ_EXAMPLES cases (default 25: about 1,700 over the API);
the number run and the statuses seen are printed."""

from __future__ import annotations

import os

import httpx
import schemathesis
from factories import PASSWORD
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))


def test_no_server_errors(live_server, world):
    token = httpx.post(f"{live_server}/api/session", json={"username": "admin", "password": PASSWORD}).json()["token"]
    schema = schemathesis.openapi.from_url(f"{live_server}/api/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    calls: dict[int, int] = {}
    failures: list[str] = []
    operations = [r.ok() for r in schema.get_all_operations()]
    for op in operations:
        if op.path == "/api/session" and op.method.upper() == "DELETE":
            continue  # signing out would revoke the token the other cases use

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case) -> None:  # noqa: ANN001
            response = case.call(headers=headers, timeout=30)
            calls[response.status_code] = calls.get(response.status_code, 0) + 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except FailureGroup as group:  # failed checks: collected, all of them reported at the end
                for failure in group.exceptions:
                    failures.append(f"{case.method} {case.formatted_path} {case.body!r:.200} → "
                                    f"{response.status_code}: {failure.title}: {str(failure.message)[:500]}")
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r:.200} → {response.status_code}")
            elif response.status_code >= 400:
                try:
                    ok = bool(response.json()["error"]["message"])
                except (ValueError, KeyError, TypeError):
                    ok = False
                if not ok:
                    failures.append(f"{case.method} {case.formatted_path} → {response.status_code} without an error body")

        run()
    total = sum(calls.values())
    print(f"\nfuzz: {total} generated requests over {len(operations)} operations, statuses {dict(sorted(calls.items()))}")
    assert not failures, "\n".join(failures[:20])
    assert total >= 1000 or EXAMPLES < 25
