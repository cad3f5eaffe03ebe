"""Schemathesis' stateful mode: sequences of calls that feed one answer into the next
(create an asset, then patch, submit, approve, archive, delete it, ...), generated from the
OpenAPI description and run by schemathesis' own engine (its stateful phase only, which
copes with a server whose state outlives each scenario).

The description must be exact (issue 13): no step may answer a 5xx, every error is
problem+json, and every answer's status code, content type and body are the ones the
description declares for that operation (`status_code_conformance`,
`content_type_conformance`, `response_schema_conformance`). schemathesis infers the links
between operations from the parameters' and fields' names (the `id` a POST /v1/assets
answers feeds `asset_id`, ...). The figures say how many transitions it found, how many
steps ran, which operations they reached and what failed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from tests.catalogue import publish
from tests.conftest import ADMIN_KEY, Actor

SCENARIOS = 60
STEPS = 12
SEED = 20261111
# What every step is checked for: nothing undocumented, nothing but problem+json errors.
CHECKS = (
    "not_a_server_error",
    "errors_are_problem_json",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


def _content_type(response: Any) -> str:
    value = response.headers.get("content-type", "")
    return str(value[0] if isinstance(value, list) else value)


@schemathesis.check
def errors_are_problem_json(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx and 5xx is application/problem+json (API.md)."""
    if response.status_code >= 400 and not _content_type(response).startswith(
        "application/problem+json"
    ):
        raise AssertionError(f"{response.status_code} answered {_content_type(response)!r}")
    return None


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            # Random generation from a fixed seed: "deterministic" runs far fewer scenarios.
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {ADMIN_KEY}"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": False},
                "stateful": {"enabled": True, "max-steps": STEPS},
            },
            "generation": {"max-examples": SCENARIOS, "database": "none"},
        }
    )


def test_stateful_sequences_follow_the_description(
    app: FastAPI, marketer: Actor, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    publish(marketer, title="Stateful target", kind="email_template", body="Hi {{ name }}")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())
    answers: Counter[str] = Counter()
    operations: set[str] = set()
    failed_checks: Counter[str] = Counter()
    # One entry per (check, operation, status): the same gap met again is not a new one.
    failures: dict[tuple[str, str, int], str] = {}
    errors: list[str] = []
    transitions = 0
    scenarios = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted) and event.payload is not None:
            transitions = event.payload.transitions_selected
        elif isinstance(event, events.ScenarioFinished):
            scenarios += 1
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                code = interaction.response.status_code if interaction.response else 0
                answers[f"{code // 100}xx" if code else "no answer"] += 1
                operations.add(recorder.cases[case_id].value.operation.label)
            for case_id, checks in recorder.checks.items():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    case = recorder.cases[case_id].value
                    response = recorder.find_response(case_id=case_id)
                    code = response.status_code if response is not None else 0
                    failed_checks[check.name] += 1
                    failures.setdefault(
                        (check.name, case.operation.label, code),
                        f"{case.query} {case.body!r:.160}: {check.failure_info.failure!s:.300}",
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", None) or getattr(event, "exception", "")))
    kind = "sqlite" if app.state.settings.uses_sqlite else "postgresql"
    distinct = Counter(name for name, _, _ in failures)
    figures(
        f"schemathesis stateful, up to {SCENARIOS} scenarios of up to {STEPS} steps ({kind})",
        {
            "inferred transitions (links)": transitions,
            "scenarios": scenarios,
            "steps (cases)": sum(answers.values()),
            "operations reached": len(operations),
            "answers": dict(sorted(answers.items())),
            "failed checks": dict(sorted(failed_checks.items())),
            "distinct failures (check, operation, status)": dict(sorted(distinct.items())),
            "engine errors": len(errors),
        },
    )
    listed = [f"{name} {op} {code}: {info}" for (name, op, code), info in sorted(failures.items())]
    assert not errors, errors[:5]
    assert not failures, "\n".join(listed[:40])
    assert transitions > 0 and sum(answers.values()) > SCENARIOS
