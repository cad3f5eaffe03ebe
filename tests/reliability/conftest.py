"""The reliability suite's set-up: every test here carries the `reliability` marker, and
each may record figures (`figures` fixture) that the run prints at its end, so that they
can be quoted (rounds and outcomes of races, requests and req/s under load, what a crash
left behind). With pytest-xdist the figures travel with the test reports to the
controller. `BATON_TEST_RELIABILITY_JSON=path` also writes them all to a JSON file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

PROPERTY = "reliability-figures"
JSON_ENV = "BATON_TEST_RELIABILITY_JSON"
HERE = Path(__file__).parent

_collected: list[dict[str, Any]] = []


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def figures(
    request: pytest.FixtureRequest, record_property: Callable[[str, object], None]
) -> Callable[[str, dict[str, Any]], None]:
    """`figures(title, {...})`: record figures of this test for the end-of-run summary."""

    def record(title: str, values: dict[str, Any]) -> None:
        record_property(
            PROPERTY, json.dumps({"test": request.node.nodeid, "title": title, **values})
        )

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call":
        return
    for name, value in report.user_properties:
        if name == PROPERTY:
            entry = json.loads(str(value))
            entry["outcome"] = report.outcome
            _collected.append(entry)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _collected:
        return
    terminalreporter.write_sep("=", "reliability figures")
    for entry in sorted(_collected, key=lambda e: (e["test"], e["title"])):
        values = {k: v for k, v in entry.items() if k not in {"test", "title", "outcome"}}
        terminalreporter.write_line(f"{entry['title']}  [{entry['test']}: {entry['outcome']}]")
        for key, value in values.items():
            terminalreporter.write_line(f"    {key}: {_short(value)}")
    target = os.environ.get(JSON_ENV)
    if target:
        Path(target).write_text(json.dumps(_collected, indent=2, sort_keys=True))
        terminalreporter.write_line(f"figures written to {target}")


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)
