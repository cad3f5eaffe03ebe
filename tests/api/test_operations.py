"""Operations outside /v1: health, readiness, metrics."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.catalogue import create
from tests.conftest import Actor


def test_healthz(anonymous: Actor) -> None:
    response = anonymous.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_names_each_dependency(anonymous: Actor) -> None:
    response = anonymous.get("/readyz")
    assert response.status_code == 200
    semantic = "off" if os.environ.get("BATON_SEMANTIC") == "off" else "ok"
    assert response.json() == {
        "data_dir": "ok",
        "database": "ok",
        "search": "ok",
        "semantic": semantic,
    }


def test_readyz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1",
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    assert response.json()["database"].startswith("error")
    assert response.json()["data_dir"] == "ok"
    assert client.get("/healthz").status_code == 200


def test_metrics_count_requests_by_route_template(marketer: Actor, anonymous: Actor) -> None:
    asset = create(marketer)
    marketer.get(f"/v1/assets/{asset['id']}")
    marketer.get("/v1/assets/does-not-exist")
    response = anonymous.get("/metrics")
    # Prometheus text exposition (prometheus-client says which version of it).
    assert response.headers["content-type"].startswith("text/plain; version=")
    text = response.text
    assert (
        'baton_http_requests_total{method="GET",route="/v1/assets/{asset_id}",status="200"} 1.0'
        in text
    )
    assert re.search(
        r'baton_http_request_duration_seconds_bucket\{[^}]*method="GET"'
        r'[^}]*route="/v1/assets/\{asset_id\}"',
        text,
    )
    assert (
        'baton_http_requests_total{method="GET",route="/v1/assets/{asset_id}",status="404"} 1.0'
        in text
    )
    assert asset["id"] not in text
    assert "baton_http_request_duration_seconds_bucket" in text


def test_readyz_is_503_naming_the_data_directory_when_it_takes_no_file(
    client: TestClient, settings: Settings
) -> None:
    shutil.rmtree(settings.data_dir)  # the catalogue of these tests lives elsewhere
    settings.data_dir.write_text("a file where the data directory should be")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert body["data_dir"] == "error: does not accept writes: Not a directory"
    assert body["database"] == "ok"  # (the search index of the PostgreSQL leg is in there)
