"""A Python client generated from the live description (openapi-python-client) calls a live
Baton: a list, an upload and its download parse into the client's models, and so do the
errors: the 409 with `asset_id`, the 422 with `errors` and with `findings`, the 412 with
`revision`, the 401. No call raises "unexpected status" and nothing is lost.

The client is generated when the session starts, so each test imports from it inside."""
# ruff: noqa: PLC0415

from __future__ import annotations

from io import BytesIO
from types import ModuleType
from typing import Any

import pytest

from tests.catalogue import create, transition
from tests.conftest import Actor

# SQLite only (`one_database`): the client is checked against the HTTP contract; the
# services behind it are tested on both databases.
pytestmark = [pytest.mark.slow, pytest.mark.one_database]

NOTE = b"# Working offline\n\nCrews keep working offline on remote sites; it syncs later.\n"


def _api(client: ModuleType, base_url: str, key: str) -> Any:
    return client.AuthenticatedClient(base_url=base_url, token=key, raise_on_unexpected_status=True)


def _upload(client: ModuleType, api: Any, content: bytes) -> Any:
    from baton_client.api.assets import upload_asset
    from baton_client.models import UploadAssetBody
    from baton_client.types import File

    body = UploadAssetBody(
        file=File(payload=BytesIO(content), file_name="offline.md", mime_type="text/markdown"),
        metadata='{"kind": "one_pager", "tags": ["offline"]}',
    )
    return upload_asset.sync_detailed(client=api, body=body)


def test_a_list_an_upload_and_its_download_parse(
    python_client: ModuleType, base_url: str, marketer: Actor
) -> None:
    from baton_client.api.assets import download_asset_file, list_assets
    from baton_client.models import AssetCreated, PageAssetOut
    from baton_client.types import File

    api = _api(python_client, base_url, str(marketer.key))
    uploaded = _upload(python_client, api, NOTE)
    assert uploaded.status_code == 201
    # The asset, and the live or pending assets whose text is nearly the same (none here).
    assert isinstance(uploaded.parsed, AssetCreated)
    assert uploaded.parsed.title == "Working offline"
    assert uploaded.parsed.similar == []
    assert uploaded.headers["etag"] == '"1"'

    page = list_assets.sync(client=api, tag=["offline"])
    assert isinstance(page, PageAssetOut)
    assert page.total == 1 and [a.id for a in page.items] == [uploaded.parsed.id]
    assert page.items[0].file.content_type.startswith("text/markdown")

    download = download_asset_file.sync_detailed(client=api, asset_id=uploaded.parsed.id)
    assert download.status_code == 200
    assert isinstance(download.parsed, File)
    assert download.parsed.payload.read() == NOTE
    assert "offline.md" in download.headers["content-disposition"]


def test_the_same_file_again_is_a_409_naming_the_asset(
    python_client: ModuleType, base_url: str, marketer: Actor
) -> None:
    from baton_client.models import AssetCreated, DuplicateUpload

    api = _api(python_client, base_url, str(marketer.key))
    first = _upload(python_client, api, NOTE).parsed
    assert isinstance(first, AssetCreated)
    again = _upload(python_client, api, NOTE)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert isinstance(again.parsed, DuplicateUpload)
    assert again.parsed.asset_id == first.id
    assert again.parsed.status == 409
    assert again.parsed.type_ == "/problems/conflict"
    assert "uploaded already" in again.parsed.detail


def test_invalid_input_is_a_422_locating_each_problem(
    python_client: ModuleType, base_url: str, marketer: Actor
) -> None:
    from baton_client.api.assets import create_asset
    from baton_client.models import AssetCreate, Kind, Problem

    api = _api(python_client, base_url, str(marketer.key))
    refused = create_asset.sync_detailed(
        client=api, body=AssetCreate(title="x" * 301, kind=Kind.EBOOK)
    )
    assert refused.status_code == 422
    assert isinstance(refused.parsed, Problem)
    assert refused.parsed.type_ == "/problems/invalid"
    assert [e.loc for e in refused.parsed.errors] == [["body", "title"]]
    assert refused.parsed.detail.startswith("title:")


def test_an_approval_refused_by_the_rules_is_a_422_with_findings(
    python_client: ModuleType, base_url: str, marketer: Actor
) -> None:
    from baton_client.api.assets import approve_asset
    from baton_client.models import ApprovalRefused, Finding

    rule = {"type": "banned", "phrase": "guaranteed savings", "severity": "error"}
    assert marketer.put("/v1/messaging/rules", json={"rules": [rule]}).status_code == 200
    asset = create(marketer, title="Guaranteed savings for every crew")
    transition(marketer, asset["id"], "submit")

    api = _api(python_client, base_url, str(marketer.key))
    refused = approve_asset.sync_detailed(client=api, asset_id=asset["id"])
    assert refused.status_code == 422
    assert isinstance(refused.parsed, ApprovalRefused)
    assert all(isinstance(f, Finding) for f in refused.parsed.findings)
    assert refused.parsed.findings[0].phrase.lower() == "guaranteed savings"
    assert refused.parsed.findings[0].severity == "error"
    assert refused.parsed.errors[0].loc == ["asset", "title"]


def test_a_stale_if_match_is_a_412_with_the_current_revision(
    python_client: ModuleType, base_url: str, marketer: Actor
) -> None:
    from baton_client.api.assets import update_asset
    from baton_client.models import AssetUpdate, StaleRevision

    asset = create(marketer, title="Revisions")
    api = _api(python_client, base_url, str(marketer.key))
    stale = update_asset.sync_detailed(
        asset_id=asset["id"], client=api, body=AssetUpdate(summary="new"), if_match='"999"'
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, StaleRevision)
    current = marketer.get(f"/v1/assets/{asset['id']}").headers["etag"]
    assert stale.parsed.revision == int(current.strip('"'))


def test_no_key_or_a_wrong_one_is_a_401(
    python_client: ModuleType, base_url: str, client: Any
) -> None:
    from baton_client.api.assets import list_assets
    from baton_client.models import Problem

    anonymous = python_client.Client(base_url=base_url, raise_on_unexpected_status=True)
    for api in (anonymous, _api(python_client, base_url, "not-a-key")):
        answer = list_assets.sync_detailed(client=api)
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert isinstance(answer.parsed, Problem)
        assert answer.parsed.status == 401 and answer.parsed.type_ == "/problems/unauthorized"
