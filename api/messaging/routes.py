"""/v1/messaging: the rules marketing approves collateral against, and checking a text."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import MarketerDep, NowDep, PageDep, SessionDep
from api.messaging import service, violations
from api.messaging.schemas import CheckIn, CheckOut, RulesIn, RulesOut, ViolationsOut

router = APIRouter(prefix="/v1/messaging", tags=["messaging"])


@router.get(
    "/rules",
    response_model=RulesOut,
    operation_id="getMessagingRules",
    summary="Get the messaging rules",
)
def get_rules(session: SessionDep, _: MarketerDep) -> RulesOut:
    """The rules in force, in their order."""
    return RulesOut(rules=service.present(service.current_rules(session)))


@router.put(
    "/rules",
    response_model=RulesOut,
    operation_id="replaceMessagingRules",
    summary="Replace the messaging rules",
)
def replace_rules(body: RulesIn, session: SessionDep, _: MarketerDep) -> RulesOut:
    """Replace all the rules; 422 naming each rule at fault, and nothing changes."""
    return RulesOut(rules=service.present(service.replace_rules(session, body.rules)))


@router.post(
    "/check",
    response_model=CheckOut,
    operation_id="checkMessaging",
    summary="Check a text against the rules",
)
def check(body: CheckIn, session: SessionDep, _: MarketerDep) -> CheckOut:
    """What the rules in force find in a text: offsets are into `text`."""
    kind = body.kind.value if body.kind is not None else None
    return CheckOut(findings=service.check_text(session, body.text, kind=kind))


@router.get(
    "/violations",
    response_model=ViolationsOut,
    operation_id="listMessagingViolations",
    summary="List the live assets that break today's rules",
)
def list_violations(
    session: SessionDep, _: MarketerDep, now: NowDep, page: PageDep
) -> ViolationsOut:
    """The live assets (approved, not expired) the rules in force find something in, with
    their findings, by id, a page at a time (`total`: how many in all). After a change of
    the rules, the notifications worker tells each one's owner once per rules version
    (`rules.violated`)."""
    version, items, total = violations.live_violations(session, now=now, page=page)
    return ViolationsOut(
        rules_version=version, total=total, items=items, limit=page.limit, offset=page.offset
    )
