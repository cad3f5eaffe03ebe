"""FastAPI's per-app route work, done once per test process.

Every test builds its own app, and FastAPI works out each route's parameters again for
each app it routes: on 126 API, report and web tests that was 29 % of the test process's
CPU (11.6 of 40.3 s; with this module, the process took 31.6 s). Most of it is pure work
on the same objects every time: evaluating the string annotations of the same endpoint
functions (`from __future__ import annotations`), and building the same parameter fields
(a pydantic TypeAdapter each) from the same annotations and defaults. Both are remembered
here for the life of the test process.

Only the speed changes. FastAPI copies shared metadata before changing it and does not
change a parameter's field once built, so apps (and routes that declare a parameter with
the same annotation object, such as `api.discovery.routes.SearchIdParam`) may share one.
After a FastAPI upgrade without these internals, `install` changes nothing and the suite
simply runs slower."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from fastapi.dependencies import utils

MAX_PARAMS = 10_000


def install() -> None:
    typed_signature = getattr(utils, "get_typed_signature", None)
    analyze_param = getattr(utils, "analyze_param", None)
    if typed_signature is not None:
        utils.get_typed_signature = _signature_once(typed_signature)
    if analyze_param is not None:
        utils.analyze_param = _params_once(analyze_param)


def _signature_once(typed_signature: Any) -> Any:
    @functools.cache
    def of_function(call: Any) -> inspect.Signature:
        return typed_signature(call)

    def once(call: Any) -> inspect.Signature:
        # A function's typed signature depends on the function alone; other callables
        # (bound methods, partials) are new objects each time: worked out as before.
        if inspect.isfunction(call):
            return of_function(call)
        return typed_signature(call)

    return once


def _params_once(analyze_param: Any) -> Any:
    # By the identity of the annotation and default (the same objects in every app, now
    # that signatures are shared), kept alive beside the answer so an id is never reused.
    known: dict[tuple[str, int, int, frozenset[str]], tuple[Any, Any, Any]] = {}

    def once(*, param_name: str, annotation: Any, value: Any, path_param_names: set[str]) -> Any:
        key = (param_name, id(annotation), id(value), frozenset(path_param_names))
        found = known.get(key)
        if found is not None and found[0] is annotation and found[1] is value:
            return found[2]
        details = analyze_param(
            param_name=param_name,
            annotation=annotation,
            value=value,
            path_param_names=path_param_names,
        )
        if len(known) >= MAX_PARAMS:  # annotations made afresh each time: never found
            known.clear()
        known[key] = (annotation, value, details)
        return details

    return once
