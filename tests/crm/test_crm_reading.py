"""Reading what CRMs send: amounts, times, stages, and the settings that configure it."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.crm import schemas
from api.errors import Invalid
from api.settings import Settings

NOW = datetime(2026, 11, 30, 9, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "amount", "currency"),
    [
        ("12500", Decimal("12500.00"), None),
        ("12,500.50", Decimal("12500.50"), None),
        ("$12,500", Decimal("12500.00"), "USD"),
        ("EUR 18,500.00", Decimal("18500.00"), "EUR"),
        ("9900 gbp", Decimal("9900.00"), "GBP"),
        ("1.25E4", Decimal("12500.00"), None),
        ("1.005", Decimal("1.01"), None),
        (48000.0, Decimal("48000.00"), None),
        (7, Decimal("7.00"), None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_amounts_as_crms_write_them(
    sent: Any, amount: Decimal | None, currency: str | None
) -> None:
    assert schemas.amount(sent, ["amount"]) == (amount, currency)


@pytest.mark.parametrize(
    "sent", ["lots", "-5", "1,2,3", "12.500,50", "1e400", "NaN", True, [1], {"v": 1}, "2e12"]
)
def test_what_is_no_amount_is_422(sent: Any) -> None:
    with pytest.raises(Invalid) as refused:
        schemas.amount(sent, ["body", "amount"])
    assert refused.value.extra["errors"][0]["loc"] == ["body", "amount"]


@pytest.mark.parametrize(
    "sent",
    [
        1796029320000,
        "1796029320000",
        1796029320,
        "2026-11-30T09:02:00Z",
        "2026-11-30T10:02:00+01:00",
    ],
)
def test_times_as_crms_write_them(sent: Any) -> None:
    assert schemas.instant(sent, ["t"]) == NOW


@pytest.mark.parametrize("sent", ["yesterday", "", None, True, 10**30, "0", {"t": 1}])
def test_what_is_no_time_is_422(sent: Any) -> None:
    with pytest.raises(Invalid):
        schemas.instant(sent, ["t"])


def test_stages_map_without_case() -> None:
    stages = schemas.StageMap.of(["closedwon", "Closed Won"], ["closedlost", "Closed Lost"])
    assert stages.state("CLOSED WON").value == "won"
    assert stages.state(" closedlost ").value == "lost"
    assert stages.state("qualifiedtobuy").value == "open"


def test_crm_settings_are_checked() -> None:
    with pytest.raises(ValidationError, match="Standard Webhooks secret"):
        Settings(crm_webhook_secret="not-a-whsec-key")
    with pytest.raises(ValidationError, match="Standard Webhooks secret"):
        Settings(crm_webhook_secret="whsec_" + base64.b64encode(b"short").decode())
    with pytest.raises(ValidationError, match="at least 16"):
        Settings(salesforce_secret="short")
    with pytest.raises(ValidationError, match="both name Closed Won"):
        Settings(crm_lost_stages="closedlost,Closed Won")
    settings = Settings(
        crm_won_stages=" closedwon , 1029384756 ,",
        salesforce_secret="   ",
        hubspot_client_secret="",
    )
    assert settings.crm_won_stages == ["closedwon", "1029384756"]
    assert settings.crm_lost_stages == ["closedlost", "Closed Lost"]
    assert settings.salesforce_secret is None and settings.hubspot_client_secret is None


class TestBehindAProxy:
    """HubSpot signs the URI it called: BATON_PUBLIC_URL's, with the characters of its
    table (%3A, %2F, %40, ...) decoded."""

    SECRET = "b7a3c1d0-5e2f-4a8b-9c6d-1e0f2a3b4c5d"

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"hubspot_client_secret": self.SECRET, "public_url": "https://baton.example.com"}

    def test_the_signature_is_over_the_public_uri(self, client: TestClient) -> None:
        client.app.state.clock = lambda: NOW  # type: ignore[attr-defined]
        path = "/v1/crm/hubspot/webhooks?portal=62515&from=ops%40example.com"
        body = json.dumps({"hs_object_id": "77", "dealstage": "closedwon"}).encode()
        timestamp = str(int(NOW.timestamp() * 1000))
        signed_uri = (
            "https://baton.example.com/v1/crm/hubspot/webhooks?portal=62515&from=ops@example.com"
        )
        message = b"POST" + signed_uri.encode() + body + timestamp.encode()
        signature = base64.b64encode(
            hmac.new(self.SECRET.encode(), message, hashlib.sha256).digest()
        )
        headers = {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": signature.decode(),
            "X-HubSpot-Request-Timestamp": timestamp,
        }
        response = client.post(path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["items"][0]["opportunity_id"] == "77"
        # The same signature for the server's own address (not the public one) is refused.
        local = "http://testserver/v1/crm/hubspot/webhooks"
        wrong = base64.b64encode(
            hmac.new(
                self.SECRET.encode(),
                b"POST" + local.encode() + body + timestamp.encode(),
                hashlib.sha256,
            ).digest()
        )
        refused = client.post(
            "/v1/crm/hubspot/webhooks",
            content=body,
            headers={**headers, "X-HubSpot-Signature-v3": wrong.decode()},
        )
        assert refused.status_code == 401
