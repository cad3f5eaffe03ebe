"""FastAPI's per-app route work, done once per test process.

Every test builds its own app, and FastAPI works out each route's parameters again for
each app it routes: on 126 API, report and web tests that was 29 % of the test process's
CPU (11.6 of 40.3 s; with this module, 29.1 s, the mean of two runs). Most of it is pure
work on the same objects every time: evaluating the string annotations of the same
endpoint functions (`from __future__ import annotations`), and building the same parameter
and response fields (a pydantic TypeAdapter each) from the same annotations, defaults and
response models. All three are remembered here for the life of the test process.

Only the speed changes. FastAPI copies shared metadata before changing it and does not
change a parameter's field once built, so apps (and routes that declare a parameter with
the same annotation object, such as `api.discovery.routes.SearchIdParam`) may share one.
After a FastAPI upgrade without these internals, `install` changes nothing and the suite
simply runs slower."""

from __future__ import annotations

import functools
import inspect
from typing import Any

from fastapi import routing
from fastapi.dependencies import utils

MAX_PARAMS = 10_000


def install() -> None:
    typed_signature = getattr(utils, "get_typed_signature", None)
    analyze_param = getattr(utils, "analyze_param", None)
    response_field = getattr(routing, "create_model_field", None)
    if typed_signature is not None:
        utils.get_typed_signature = _signature_once(typed_signature)
    if analyze_param is not None:
        utils.analyze_param = _params_once(analyze_param)
    if response_field is not None:
        routing.create_model_field = _response_fields_once(response_field)


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


class _ByIdentity:
    """Answers remembered by plain keys (names) and the identity of the objects they were
    worked out from, those objects kept alive beside the answer so an id is never reused
    for another object."""

    def __init__(self) -> None:
        self._known: dict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = {}

    def answer(self, plain: tuple[Any, ...], objects: tuple[Any, ...], work: Any) -> Any:
        key = (*plain, *map(id, objects))
        found = self._known.get(key)
        if found is not None:
            kept, result = found
            if all(old is new for old, new in zip(kept, objects, strict=True)):
                return result
        answer = work()
        if len(self._known) >= MAX_PARAMS:  # objects made afresh each time: never found
            self._known.clear()
        self._known[key] = (objects, answer)
        return answer


def _params_once(analyze_param: Any) -> Any:
    # By the identity of the annotation and default: the same objects in every app, now
    # that signatures are shared.
    known = _ByIdentity()

    def once(*, param_name: str, annotation: Any, value: Any, path_param_names: set[str]) -> Any:
        return known.answer(
            (param_name, frozenset(path_param_names)),
            (annotation, value),
            lambda: analyze_param(
                param_name=param_name,
                annotation=annotation,
                value=value,
                path_param_names=path_param_names,
            ),
        )

    return once


def _response_fields_once(create_model_field: Any) -> Any:
    # A route's response field: its name (from the route's operation id) and the response
    # model, by the model's identity.
    known = _ByIdentity()

    def once(*, name: str, type_: Any, mode: str = "validation", **more: Any) -> Any:
        if more:  # a default, field info or alias: not a response field
            return create_model_field(name=name, type_=type_, mode=mode, **more)
        return known.answer(
            (name, mode), (type_,), lambda: create_model_field(name=name, type_=type_, mode=mode)
        )

    return once
