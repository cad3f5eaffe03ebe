"""/v1/messaging: the rules marketing approves collateral against, and checking a text."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import IfMatchDep, MarketerDep, NowDep, PageDep, SessionDep, set_etag
from api.messaging import service, violations
from api.messaging.schemas import CheckIn, CheckOut, RulesIn, RulesOut, ViolationsOut

router = APIRouter(prefix="/v1/messaging", tags=["messaging"])


@router.get(
    "/rules",
    response_model=RulesOut,
    operation_id="getMessagingRules",
    summary="Get the messaging rules",
)
def get_rules(session: SessionDep, _: MarketerDep, response: Response) -> RulesOut:
    """The rules in force, in their order; the `ETag` header is their version, for
    `If-Match` on a later PUT."""
    rules = service.current_rules(session)
    set_etag(response, service.version_of(rules))
    return RulesOut(rules=service.present(rules))


@router.put(
    "/rules",
    response_model=RulesOut,
    operation_id="replaceMessagingRules",
    summary="Replace the messaging rules",
)
def replace_rules(
    body: RulesIn, session: SessionDep, _: MarketerDep, expected: IfMatchDep, response: Response
) -> RulesOut:
    """Replace all the rules; 422 naming each rule at fault, and nothing changes. With
    `If-Match` (the ETag of the rules you read), 412 when someone changed them meanwhile
    (`revision`: their version now): nothing is overwritten. The `ETag` header is the new
    version."""
    rules = service.replace_rules(session, body.rules, expected_version=expected)
    set_etag(response, service.version_of(rules))
    return RulesOut(rules=service.present(rules))


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
