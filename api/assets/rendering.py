"""Filling an email template's `{{ name }}` placeholders with a rep's values.

Why a strict placeholder grammar rather than a template engine, even Jinja's sandbox:
the only thing a template needs is "put this value here". An engine exists to run logic
(loops, filters, attribute and item lookups, calls), and its sandbox is a deny-list over
that power which has been escaped more than once (Jinja: CVE-2016-10745, CVE-2019-10906,
CVE-2024-56326). Logic-less engines are no better here: Mustache implementations resolve
`{{ a.b }}` through attributes and call what they find, HTML-escape by default and render a
missing name as nothing. With one regular expression there is no logic to escape from.

The grammar, in full:

- a placeholder is `{{`, optional spaces or tabs, a name, optional spaces or tabs, `}}`;
  `{{name}}`, `{{ name }}` and `{{   name\t}}` are the same placeholder;
- a name is a letter or `_` followed by letters, digits or `_` (case matters);
- a name is a key looked up in the given variables, nothing more: `{{ __class__ }}` is
  the variable called `__class__`, never a Python attribute;
- anything else is text and is copied as written: `{% for x in y %}`, `{{ a.b }}`,
  `{{ x | upper }}`, `{{ }}`, `{{ first name }}` have no meaning and run nothing;
- values are inserted once, as plain text: a value containing `{{ other }}` appears
  literally (substitution is one pass and never rescans what it inserted), backslashes in
  values are not regex escapes, and nothing is HTML-escaped (the result is plain text;
  whoever puts it into HTML escapes it there).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlmodel import Session

from api.assets.kinds import rules_for
from api.assets.schemas import RenderedEmail
from api.assets.visibility import get_visible
from api.errors import Conflict, Invalid
from api.users.service import Caller

PLACEHOLDER = re.compile(r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*\}\}")
# What the variables may add to the template's own length: an email, not a payload.
MAX_ADDED_CHARS = 1_000_000

Variables = Mapping[str, str | int | float | None]


def _as_text(value: str | int | float) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))  # 40.0 from a JSON client reads as 40 in an email
    return str(value)


def fill(texts: Iterable[str], variables: Variables) -> list[str]:
    """Each text with every placeholder replaced by its value.

    A variable that is absent or null is missing: `Invalid` (422) with `missing` naming
    them all. Variables that no placeholder uses are ignored.
    """
    texts = list(texts)
    # How often each placeholder is used, in order of first use.
    uses = Counter(m.group(1) for text in texts for m in PLACEHOLDER.finditer(text))
    values: dict[str, str] = {}
    missing: list[str] = []
    for name in uses:
        value = variables.get(name)
        if value is None:
            missing.append(name)
        else:
            values[name] = _as_text(value)
    if missing:
        raise Invalid(
            f"the template needs values for: {', '.join(missing)}",
            errors=[{"loc": ["body", "variables", name], "msg": "missing"} for name in missing],
            missing=missing,
        )
    added = sum(len(values[name]) * count for name, count in uses.items())
    if added > MAX_ADDED_CHARS:
        raise Invalid(
            f"the variables would add {added} characters to the email; "
            f"at most {MAX_ADDED_CHARS} are accepted",
            loc=["body", "variables"],
        )
    # A function as the replacement: its result is used verbatim and never rescanned.
    return [PLACEHOLDER.sub(lambda m: values[m.group(1)], text) for text in texts]


def render_asset(
    session: Session, caller: Caller, asset_id: str, *, variables: Variables, now: datetime
) -> RenderedEmail:
    """The subject (`fields.subject`) and body of an email template, filled in.

    404 when the caller cannot see the asset (reps: live ones only); 409 when its kind
    does not render; 422 with `missing` when a placeholder has no value.
    """
    asset = get_visible(session, caller, asset_id, now=now)
    rules = rules_for(asset.kind)
    if not rules.renders:
        raise Conflict(
            f"only email templates can be rendered; this asset is a {rules.label.lower()}",
            kind=asset.kind,
        )
    subject = (asset.fields or {}).get("subject")
    subject_text = subject if isinstance(subject, str) else ""
    filled_subject, filled_body = fill([subject_text, asset.body], variables)
    return RenderedEmail(subject=filled_subject, body=filled_body)
