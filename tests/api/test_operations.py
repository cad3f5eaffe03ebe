"""Operations outside /v1: health, readiness, metrics."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

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
    # The catalogue of these tests lives elsewhere; on the PostgreSQL leg the replica's
    # search index is in there, and its background work may write meanwhile: retry.
    deadline = time.monotonic() + 30
    while True:
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        try:
            settings.data_dir.write_text("a file where the data directory should be")
            break
        except (IsADirectoryError, FileExistsError):
            assert time.monotonic() < deadline, "the data directory could not be removed"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    body = response.json()
    assert body["data_dir"] == "error: does not accept writes: Not a directory"
    assert body["database"] == "ok"  # (the search index of the PostgreSQL leg is in there)


def test_metrics_show_the_process_and_name_their_units(anonymous: Actor) -> None:
    text = anonymous.get("/metrics").text
    values = dict(
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert float(values["process_resident_memory_bytes"]) > 10_000_000
    assert float(values["process_cpu_seconds_total"]) > 0
    assert float(values["process_open_fds"]) >= 3
    assert "process_start_time_seconds" in values
    assert any(name.startswith("python_info{") for name in values)
    assert "baton_search_index_lag_changes" in values
    # Every baton metric ends with its unit or _total (counters), per Prometheus' naming.
    families = re.findall(r"^# TYPE (baton_\S+) (\w+)$", text, re.MULTILINE)
    assert families
    for name, kind in families:
        if name.endswith("_created"):  # prometheus-client's creation time of a counter
            continue
        unit = "total" if kind == "counter" else name.rsplit("_", 1)[1]
        assert unit in {"total", "seconds", "bytes", "changes"}, name


def test_metrics_can_be_kept_behind_a_token(settings: Settings) -> None:
    token = "scrape-0123456789abcdef"
    app = create_app(settings.model_copy(update={"metrics_token": SecretStr(token)}))
    with TestClient(app) as client:
        missing = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
        right = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert client.get("/healthz").status_code == 200  # the probes stay open
    for refused in (missing, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "BATON_METRICS_TOKEN" in refused.json()["detail"]
        assert "process_cpu_seconds_total" not in refused.text
    assert right.status_code == 200
    assert "process_cpu_seconds_total" in right.text
