"""Schemathesis' stateful mode: sequences of calls that feed one answer into the next
(create an asset, then patch, submit, approve, archive, delete it, ...), generated from the
OpenAPI description and run by schemathesis' own engine (its stateful phase only, which
copes with a server whose state outlives each scenario). No step may answer a 5xx, and
every error is problem+json.

The OpenAPI description declares no links yet (issue 13): schemathesis infers them from
the parameters' and fields' names (the `id` a POST /v1/assets answers feeds `asset_id`,
...). The figures say how many transitions it found and how many steps ran."""

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
            # Only what this test asserts: the schema's own conformance is issue 13's.
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "errors_are_problem_json": {"enabled": True},
            },
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": False},
                "fuzzing": {"enabled": False},
                "stateful": {"enabled": True, "max-steps": STEPS},
            },
            "generation": {"max-examples": SCENARIOS, "database": "none"},
        }
    )


def test_stateful_sequences_never_fail_the_server(
    app: FastAPI, marketer: Actor, figures: Callable[[str, dict[str, Any]], None]
) -> None:
    publish(marketer, title="Stateful target", kind="email_template", body="Hi {{ name }}")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=_config())
    answers: Counter[str] = Counter()
    operations: set[str] = set()
    failures: list[str] = []
    errors: list[str] = []
    transitions = 0
    scenarios = 0
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted) and event.payload is not None:
            transitions = event.payload.transitions_selected
        elif isinstance(event, events.ScenarioFinished):
            scenarios += 1
            for interaction in event.recorder.interactions.values():
                request, response = interaction.request, interaction.response
                operations.add(f"{request.method} {request.uri.split('?')[0]}")
                code = response.status_code if response is not None else 0
                answers[f"{code // 100}xx" if code else "no answer"] += 1
                if code >= 500 or code == 0:
                    failures.append(f"{request.method} {request.uri}: {code}")
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        case = event.recorder.cases[case_id].value
                        failures.append(
                            f"{check.name}: {case.method} {case.formatted_path} "
                            f"{case.query} {case.body!r:.200}: {check.failure_info.failure!s:.300}"
                        )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(str(getattr(event, "value", None) or getattr(event, "exception", "")))
    kind = "sqlite" if app.state.settings.uses_sqlite else "postgresql"
    figures(
        f"schemathesis stateful, up to {SCENARIOS} scenarios of up to {STEPS} steps ({kind})",
        {
            "inferred transitions (links)": transitions,
            "scenarios": scenarios,
            "steps": sum(answers.values()),
            "distinct paths called": len(operations),
            "answers": dict(sorted(answers.items())),
            "failures (5xx, not problem+json)": len(failures),
            "engine errors": len(errors),
        },
    )
    assert not errors, errors[:5]
    assert not failures, failures[:20]
    assert transitions > 0 and sum(answers.values()) > SCENARIOS
