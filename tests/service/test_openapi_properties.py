"""A property test generated from the service's own /openapi.json (schemathesis), against the real server.

schemathesis's lazy pytest loader (`from_fixture`) sets a private attribute that pytest 9
no longer has, so each operation's strategy is taken from the loaded schema and run
with Hypothesis's `@given` directly, the other way schemathesis documents.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

if TYPE_CHECKING:
    from schemathesis import SerializationContext
    from tests.service.conftest import ServiceProcess


@schemathesis.serializer("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
def json_lines(context: SerializationContext, value: Any) -> bytes:
    """A batch body as the document describes it: each item of the array on a line of its own."""
    items = value if isinstance(value, list) else [value]
    return b"".join(json.dumps(item).encode("utf-8") + b"\n" for item in items)


OPERATIONS = [
    ("POST", "/v1/evaluate"),
    ("POST", "/v1/evaluate/batch"),
    ("GET", "/v1/frameworks"),
    ("GET", "/v1/frameworks/{name}/schema"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


# Invalid requests are generated for the one operation that has something to get wrong
# besides a body whose lines each get their own result (the batch answers 200, each
# line's result saying whether it was valid): POST /v1/evaluate's body and parameters.
CASES = [(method, path, schemathesis.GenerationMode.POSITIVE) for method, path in OPERATIONS]
CASES.append(("POST", "/v1/evaluate", schemathesis.GenerationMode.NEGATIVE))


@pytest.mark.parametrize(("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES])
def test_every_operation_answers_as_its_openapi_document_says(
    service: ServiceProcess, method: str, path: str, mode: schemathesis.GenerationMode
) -> None:
    """Generated requests, valid (accepted) and invalid (refused with a 4xx), never get a server error, and
    each answer has a documented status, type and schema."""
    schema = schemathesis.openapi.from_url(f"{service.url}/openapi.json")
    operations = {(op.method.upper(), op.path): op for op in (r.ok() for r in schema.get_all_operations())}
    assert set(operations) == set(OPERATIONS)
    operation = operations[(method, path)]

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate()

    check()
