"""Nothing a client sends produces a 500: every operation of the OpenAPI description is
called with generated input (schemathesis + hypothesis), and every error is problem+json."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from tests.catalogue import publish
from tests.conftest import ADMIN_KEY, Actor

EXAMPLES_PER_OPERATION = 40
# The operations in this many parts, each its own test: the two test workers share them
# (one test of every operation was the suite's longest, up to 80 s on a slow machine).
SHARDS = 4


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) else value)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_input_produces_a_server_error(app: FastAPI, marketer: Actor, shard: int) -> None:
    # Some real content, so generated requests also meet existing rows.
    publish(marketer, title="Fuzz target", kind="email_template", body="Hi {{ name }}")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    every = [result.ok() for result in schema.get_all_operations()]
    assert len(every) > 30
    operations = every[shard::SHARDS]
    calls: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_KEY}"}
            # A generous read timeout: a slow answer is not a server error (this test is
            # about 5xx), and a loaded 2-core machine once took over schemathesis's 10 s.
            response = case.call(timeout=120)
            calls.append(case.method)
            where = (case.method, case.formatted_path, case.query, case.body)
            assert response.status_code < 500, (*where, response.text)
            if response.status_code >= 400:
                assert _content_type(response).startswith("application/problem+json"), where

        call()
    # Every operation was called, most of them many times.
    assert len(calls) > 10 * len(operations)
