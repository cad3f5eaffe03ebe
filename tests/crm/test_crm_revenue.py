"""Asset performance tells revenue a CRM reported from revenue typed in, and shows whether
each asset is shareable with buyers."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.catalogue import publish
from tests.conftest import Actor
from tests.crm.test_crm_outcomes import (
    NOW,
    clock,
    generic,
    generic_event,
    performance,
    sent_on,
    settings_overrides,
)

__all__ = ["clock", "settings_overrides"]  # the fixtures this module uses


def test_crm_won_revenue_is_shown_apart_from_typed_outcomes(
    client: TestClient, clock: None, marketer: Actor, rep: Actor
) -> None:
    deck = publish(marketer, title="Crane retrofit deck", kind="presentation")
    battlecard = publish(marketer, title="Against SiteOps", kind="battlecard")
    for asset in (deck, battlecard):
        sent_on(rep, asset, "D-CRM-1")
        sent_on(rep, asset, "D-TYPED-2")
    won = generic_event("D-CRM-1", "won", NOW, event="evt-1", amount="12000")
    assert generic(client, won, message_id="msg_rev_1").status_code == 200
    typed = rep.post("/v1/opportunities/D-TYPED-2/outcome", json={"outcome": "won", "amount": 5000})
    assert typed.status_code in (200, 201), typed.text

    row = performance(marketer, deck)
    assert (row["won"], row["influenced_amount"], row["crm_influenced_amount"]) == (
        2,
        17000.0,
        12000.0,
    )
    assert row["shareable"] is True
    assert performance(marketer, battlecard)["shareable"] is False

    ranked = marketer.get(
        "/v1/reports/asset-performance", params={"sort": "-crm_influenced_amount"}
    )
    assert ranked.status_code == 200, ranked.text
