"""The deployment files, checked without a Docker engine: docker-compose.yml scales the API
behind one published port, migrates once before the API starts, gives the API a
Meilisearch key of its own (never the master key) and takes every secret from env files;
the image installs the optional parts the compose file uses; the package metadata is
complete."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$|MASTER", re.IGNORECASE)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _environment(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {str(k): str(v) for k, v in environment.items()}


def test_the_api_scales_behind_one_published_port(compose: dict[str, Any]) -> None:
    services = compose["services"]
    api = services["api"]
    assert "ports" not in api  # `--scale api=3` cannot clash on a host port
    assert api["deploy"]["replicas"] >= 2
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert list(published) == ["proxy"]
    (port,) = published["proxy"]
    assert port.startswith("127.0.0.1:")  # the host's loopback only
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"dynamic a api 8000", caddyfile)  # every replica, found by DNS
    mounted = " ".join(services["proxy"]["volumes"])
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile" in mounted


def test_migrations_run_once_before_the_api(compose: dict[str, Any]) -> None:
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["baton", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert "deploy" not in migrate
    depends = services["api"]["depends_on"]
    assert depends["migrate"] == {"condition": "service_completed_successfully"}
    assert depends["postgres"] == {"condition": "service_healthy"}
    assert migrate["image"] == services["api"]["image"]


def test_the_api_never_holds_the_meilisearch_master_key(compose: dict[str, Any]) -> None:
    services = compose["services"]
    text = (ROOT / "docker-compose.yml").read_text()
    for name in ("api", "migrate", "proxy"):
        service = services[name]
        assert "secrets/meilisearch.env" not in service.get("env_file", []), name
        assert not any("MEILI_MASTER_KEY" in f"{k}={v}" for k, v in _environment(service).items())
    assert "${MEILI_MASTER_KEY" not in text
    # Its own key: made by the one-shot job with the master key, limited to Baton's
    # indexes, read by the API from BATON_SECRETS_DIR as the file baton_meili_key.
    job = services["meili-key"]
    assert job["env_file"] == ["secrets/meilisearch.env"]
    assert services["api"]["depends_on"]["meili-key"] == {
        "condition": "service_completed_successfully"
    }
    script = (ROOT / "deploy" / "meili-key.sh").read_text()
    assert '"indexes": ["baton-assets*"]' in script
    assert '"actions": ["search", "documents.*"' in script
    assert "/keys/baton_meili_key" in script
    secrets_dir = _environment(services["api"])["BATON_SECRETS_DIR"]
    assert f"meili-key:{secrets_dir}:ro" in services["api"]["volumes"]
    subprocess.run(["sh", "-n", str(ROOT / "deploy" / "meili-key.sh")], check=True)


def test_the_key_file_is_the_meilisearch_key_setting(tmp_path: Path) -> None:
    (tmp_path / "baton_meili_key").write_text("0123abcd" * 8)
    settings = Settings(_secrets_dir=tmp_path)
    assert settings.meili_key is not None
    assert settings.meili_key.get_secret_value() == "0123abcd" * 8


def test_secrets_come_from_env_files_with_examples(compose: dict[str, Any]) -> None:
    referenced: set[str] = set()
    for name, service in compose["services"].items():
        for key, value in _environment(service).items():
            if not key.endswith("_DIR"):  # BATON_SECRETS_DIR names a folder
                assert not SECRET.search(key), f"{name}: {key} belongs in an env file"
            assert "baton:baton@" not in value, name
        referenced.update(service.get("env_file", []))
    assert referenced == {
        "secrets/baton.env",
        "secrets/postgres.env",
        "secrets/meilisearch.env",
    }
    for path in referenced:
        example = ROOT / "deploy" / "secrets.example" / Path(path).name
        names = [line.split("=", 1)[0] for line in example.read_text().splitlines()]
        assert any(n and not n.startswith("#") for n in names), example
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    example = (ROOT / "deploy" / "secrets.example" / "baton.env").read_text()
    assert "BATON_MEILI_KEY" not in example  # the job's key file, not a copy of the master


def test_the_image_installs_what_the_compose_file_uses() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'pip install -c constraints.txt ".[all]"' in dockerfile
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert any(d.startswith("psycopg[binary]") for d in extras["postgres"])
    assert any(d.startswith("meilisearch") for d in extras["meilisearch"])
    everything = extras["all"][0]
    assert everything.startswith("baton[") and {"postgres", "meilisearch"} <= set(
        everything.removeprefix("baton[").rstrip("]").split(",")
    )
    assert any(d.startswith("baton[") and "postgres" in d for d in extras["dev"])
    base = " ".join(project["dependencies"])
    assert "psycopg" not in base and "meilisearch" not in base


def test_the_package_metadata_is_complete() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for field in ("description", "readme", "license", "keywords", "classifiers"):
        assert project.get(field), field
    assert "Typing :: Typed" in project["classifiers"]
    # No [project.urls] until the project has a public address: a guessed one would send
    # people to someone else's page.
    assert "urls" not in project
    for package in ("api", "search", "ingest"):
        assert (ROOT / package / "py.typed").is_file(), package


def test_a_sqlite_installation_never_imports_the_optional_clients(tmp_path: Path) -> None:
    """What `baton[postgres]` and `baton[meilisearch]` bring is imported only by those who
    use it: the app on SQLite starts, serves and migrates without either client."""
    code = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from api import migrations\n"
        "from api.main import create_app\n"
        "from api.settings import Settings\n"
        f"settings = Settings(data_dir={str(tmp_path)!r}, semantic='off')\n"
        "settings.data_dir.mkdir(parents=True, exist_ok=True)\n"
        "migrations.upgrade(settings.catalogue_url)\n"
        "with TestClient(create_app(settings)) as client:\n"
        "    assert client.get('/readyz').status_code == 200\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'meilisearch')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
