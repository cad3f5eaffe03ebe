"""The audit log: every change by people is recorded with who, when, what and the changed
fields before and after, in the change's own transaction; admins read it (filters, CSV);
nobody can change it, through the API or in the database."""

from __future__ import annotations

import csv
import getpass
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.assets import service as assets
from api.assets.schemas import AssetCreate
from api.audit import formats
from api.audit import service as audit
from api.cli import app as cli
from api.db import make_engine, session_scope
from api.demo.load import load_if_empty
from api.files.blobs import BlobStore
from api.settings import Settings, get_settings
from api.users.service import MASTER
from tests.api.test_conventions import assert_problem
from tests.api.test_files import upload
from tests.catalogue import create, transition
from tests.conftest import Actor, new_actor

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
RULE = {"type": "banned", "phrase": "guaranteed savings", "severity": "error"}


def entries(admin: Actor, **params: Any) -> list[dict[str, Any]]:
    response = admin.get("/v1/audit", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def of_asset(admin: Actor, asset_id: str) -> list[dict[str, Any]]:
    """The asset's entries, oldest first."""
    return entries(admin, subject="asset", subject_id=asset_id)[::-1]


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.catalogue_url)
    yield engine
    engine.dispose()


# --- what each change records -------------------------------------------------------------


def test_an_assets_life_is_recorded_with_who_and_the_changed_fields(
    marketer: Actor, admin: Actor
) -> None:
    asset = create(marketer, title="Cold chain", summary="Reefers", stages=["awareness"])
    marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Cold chain 101", "tags": ["x"]})
    transition(marketer, asset["id"], "submit")
    transition(admin, asset["id"], "approve")
    assert admin.delete(f"/v1/assets/{asset['id']}").status_code == 204

    log = of_asset(admin, asset["id"])
    assert [e["action"] for e in log] == [
        "asset.created",
        "asset.updated",
        "asset.submitted",
        "asset.approved",
        "asset.deleted",
    ]
    created, updated, submitted, approved, deleted = log
    assert {e["actor_id"] for e in (created, updated, submitted)} == {marketer.id}
    assert created["actor_name"].startswith("marketer-")  # the email at the time
    assert (approved["actor_id"], approved["actor_name"]) == ("admin", "Master key")
    assert deleted["actor_id"] == "admin"

    assert created["before"] is None
    assert created["after"]["title"] == "Cold chain"
    assert created["after"]["status"] == "draft"
    assert created["after"]["stages"] == ["awareness"]
    assert created["after"]["owner_id"] == marketer.id
    # Only what changed, before and after; the summary did not.
    assert updated["before"] == {"title": "Cold chain", "tags": []}
    assert updated["after"] == {"title": "Cold chain 101", "tags": ["x"]}
    assert submitted["before"] == {"status": "draft"}
    assert submitted["after"] == {"status": "in_review"}
    assert approved["before"] == {"status": "in_review", "approved_at": None}
    assert approved["after"]["status"] == "approved"
    assert approved["after"]["approved_at"] is not None
    assert deleted["after"] is None
    assert deleted["before"]["title"] == "Cold chain 101"
    assert deleted["before"]["status"] == "approved"
    for entry in log:
        assert datetime.fromisoformat(entry["at"]).tzinfo is not None


def test_rejection_archive_and_an_edit_of_a_live_asset_as_a_revision(
    marketer: Actor, admin: Actor
) -> None:
    asset = create(marketer, title="Night shift rota")
    transition(marketer, asset["id"], "submit")
    transition(marketer, asset["id"], "reject", comment="Cite the study")
    transition(marketer, asset["id"], "submit")
    transition(marketer, asset["id"], "approve")
    marketer.patch(f"/v1/assets/{asset['id']}", json={"body": "New words"})
    transition(marketer, asset["id"], "archive")

    log = of_asset(admin, asset["id"])
    rejected = next(e for e in log if e["action"] == "asset.rejected")
    assert rejected["before"] == {"status": "in_review", "review_comment": None}
    assert rejected["after"] == {"status": "draft", "review_comment": "Cite the study"}
    opened = log[-2]
    assert opened["action"] == "revision.opened"
    assert opened["before"] is None
    assert opened["after"] == {"revision_id": opened["after"]["revision_id"], "body": "New words"}
    assert log[-1]["action"] == "asset.archived"
    assert log[-1]["after"] == {"status": "archived"}


def test_an_edit_that_changes_nothing_records_nothing(marketer: Actor, admin: Actor) -> None:
    asset = create(marketer, title="Same", tags=["a"])
    marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Same", "tags": ["a"]})
    assert [e["action"] for e in of_asset(admin, asset["id"])] == ["asset.created"]


def test_a_long_text_is_kept_as_its_start_length_and_digest(marketer: Actor, admin: Actor) -> None:
    body = "word " * 1000
    asset = create(marketer, title="Long", body=body)
    after = of_asset(admin, asset["id"])[0]["after"]["body"]
    assert after["chars"] == len(body)
    assert after["start"] == body[: audit.MAX_TEXT]
    assert len(after["sha256"]) == 64


def test_an_upload_records_the_file(marketer: Actor, admin: Actor) -> None:
    response = upload(marketer, "notes.txt", b"Reefer trucks keep vaccines cold.\n")
    assert response.status_code == 201, response.text
    asset_id = response.json()["id"]
    created, uploaded = of_asset(admin, asset_id)
    assert created["action"] == "asset.created"
    assert uploaded["action"] == "file.uploaded"
    assert uploaded["actor_id"] == marketer.id
    assert uploaded["after"]["filename"] == "notes.txt"
    assert uploaded["after"]["size"] == 34
    assert uploaded["after"]["content_type"].startswith("text/plain")
    assert len(uploaded["after"]["sha256"]) == 64


def test_messaging_rules_synonyms_questions_and_terms(
    marketer: Actor, rep: Actor, admin: Actor
) -> None:
    assert marketer.put("/v1/messaging/rules", json={"rules": [RULE]}).status_code == 200
    # The same rules again change nothing, and record nothing.
    assert marketer.put("/v1/messaging/rules", json={"rules": [RULE]}).status_code == 200
    rules = entries(admin, action="messaging_rules")
    assert len(rules) == 1
    assert rules[0]["action"] == "messaging_rules.replaced"
    assert rules[0]["actor_id"] == marketer.id
    assert rules[0]["before"] == {"rules": []}
    assert rules[0]["after"]["rules"][0]["phrase"] == "guaranteed savings"

    before = marketer.get("/v1/search/synonyms").json()
    changed = {**before, "fleet": ["trucks"]}
    assert marketer.put("/v1/search/synonyms", json=changed).status_code == 200
    (synonyms,) = entries(admin, action="synonyms.changed")
    # Only the terms that changed, not the whole list.
    assert synonyms["before"] == {"synonyms": {}}
    assert synonyms["after"] == {"synonyms": {"fleet": ["trucks"]}}

    question = rep.post("/v1/questions", json={"text": "Does it work offline?"}).json()
    rep.post("/v1/questions", json={"text": "does it work offline"})
    created, asked = entries(admin, subject="question", subject_id=question["id"])[::-1]
    assert (created["action"], created["actor_id"]) == ("question.created", rep.id)
    assert created["after"] == {"text": "Does it work offline?"}
    assert asked["action"] == "question.asked"
    assert (asked["before"], asked["after"]) == ({"asked_count": 1}, {"asked_count": 2})

    made_term = marketer.post("/v1/taxonomy/industries", json={"label": "Cold Storage"})
    assert made_term.status_code == 201
    (made,) = entries(admin, action="term.created")
    assert made["actor_id"] == marketer.id
    assert made["after"] == {"facet": "industries", "slug": "cold-storage", "label": "Cold Storage"}
    # A term an asset names first is created, and recorded, too.
    create(marketer, title="Dock app", products=["Dock Scheduler"])
    named = [e for e in entries(admin, action="term.created") if e["after"]["facet"] == "products"]
    assert [e["after"]["slug"] for e in named] == ["dock-scheduler"]


# --- reading: filters, paging, CSV --------------------------------------------------------


def test_filters_combine_and_the_newest_comes_first(
    client: Any, marketer: Actor, admin: Actor
) -> None:
    other = new_actor(client, "marketer")
    first = create(marketer, title="One")
    second = create(other, title="Two")
    transition(other, second["id"], "submit")

    everything = entries(admin)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    mine = entries(admin, actor=marketer.id)
    assert {e["subject_id"] for e in mine if e["subject"] == "asset"} == {first["id"]}
    assert [e["action"] for e in entries(admin, actor=other.id, action="asset")] == [
        "asset.submitted",
        "asset.created",
    ]
    assert [e["action"] for e in entries(admin, action="asset.created")] == [
        "asset.created",
        "asset.created",
    ]
    assert entries(admin, action="asset.create") == []  # a family is a whole segment
    assert [e["subject_id"] for e in entries(admin, subject_id=second["id"])] == [
        second["id"],
        second["id"],
    ]
    assert entries(admin, subject="synonyms", subject_id=second["id"]) == []

    page = admin.get("/v1/audit", params={"limit": 1, "offset": 1, "action": "asset"}).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 1, 1)
    assert page["items"][0]["action"] == "asset.created"
    assert page["items"][0]["subject_id"] == second["id"]


def test_since_and_until_bound_the_time(marketer: Actor, admin: Actor) -> None:
    create(marketer, title="Early")
    (early,) = entries(admin, action="asset.created")
    create(marketer, title="Late")
    late = next(e for e in entries(admin, action="asset.created") if e["id"] != early["id"])
    at = late["at"]
    assert [e["id"] for e in entries(admin, action="asset", since=at)] == [late["id"]]
    assert [e["id"] for e in entries(admin, action="asset", until=at)] == [early["id"]]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert entries(admin, since=future) == []
    # A bare timestamp is read as UTC.
    naive = datetime.fromisoformat(at).astimezone(UTC).replace(tzinfo=None).isoformat()
    assert [e["id"] for e in entries(admin, action="asset", since=naive)] == [late["id"]]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"until": "2026-13-01T00:00:00Z"},
        {"since": "2026-11-30T12:00:00Z", "until": "2026-11-30T11:00:00Z"},
        {"format": "xml"},
        {"limit": "0"},
    ],
)
def test_bad_filters_are_422_problems(admin: Actor, params: dict[str, str]) -> None:
    body = assert_problem(admin.get("/v1/audit", params=params), 422)
    assert body["detail"]


def test_csv_export_streams_every_matching_entry_safely(
    client: Any, marketer: Actor, admin: Actor
) -> None:
    for number in range(3):
        create(marketer, title=f"Piece {number}")
    # A name a spreadsheet would run as a formula.
    response = client.post(
        "/v1/users",
        json={"email": "-2+3@example.com", "name": "=HYPERLINK()", "role": "marketer"},
        headers={"Authorization": f"Bearer {admin.key}"},
    )
    assert response.status_code == 201, response.text
    sneaky = Actor(
        client, response.json()["api_key"], role="marketer", user_id=response.json()["id"]
    )
    create(sneaky, title="=cmd|' /C calc'!A0")

    exported = admin.get("/v1/audit", params={"format": "csv", "action": "asset", "limit": 1})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == list(formats.COLUMNS)
    assert len(rows) == 1 + 4  # every entry, whatever the page size
    newest = dict(zip(rows[0], rows[1], strict=True))
    assert newest["actor_name"] == "'-2+3@example.com"
    assert newest["action"] == "asset.created"
    assert '"title": "=cmd' in newest["after"]  # inside JSON, a cell starting with {
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_export_of_many_entries_comes_in_order(engine: Engine, admin: Actor) -> None:
    with session_scope(engine) as session:
        for number in range(1234):
            audit.record(
                session,
                actor="tester",
                action="synonyms.changed",
                subject="synonyms",
                after={"n": number},
            )
    exported = admin.get("/v1/audit", params={"format": "csv", "actor": "tester"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1234
    assert [int(r["id"]) for r in rows] == sorted((int(r["id"]) for r in rows), reverse=True)
    assert rows[0]["after"] == '{"n": 1233}'


def test_only_admins_read_the_log(marketer: Actor, rep: Actor, anonymous: Actor) -> None:
    for who in (marketer, rep):
        assert_problem(who.get("/v1/audit"), 403)
        assert_problem(who.get("/v1/audit", params={"format": "csv"}), 403)
        assert_problem(who.get("/v1/audit/1"), 403)
    assert_problem(anonymous.get("/v1/audit"), 401)


def test_an_admin_user_reads_it_too(client: Any, marketer: Actor) -> None:
    someone = new_actor(client, "admin")
    create(marketer, title="Seen")
    items = entries(someone, action="asset.created")
    assert len(items) == 1
    one = someone.get(f"/v1/audit/{items[0]['id']}")
    assert one.status_code == 200
    assert one.json() == items[0]
    assert_problem(someone.get("/v1/audit/999999"), 404)


# --- entries cannot be changed --------------------------------------------------------------


def test_entries_cannot_be_changed_through_the_api(marketer: Actor, admin: Actor) -> None:
    create(marketer, title="Kept")
    (entry,) = entries(admin, action="asset.created")
    for method in ("PUT", "PATCH", "DELETE"):
        for path in ("/v1/audit", f"/v1/audit/{entry['id']}"):
            assert_problem(admin.request(method, path, json={"action": "x"}), 405)
    assert_problem(admin.post("/v1/audit", json={"action": "x"}), 405)
    assert entries(admin, action="asset.created") == [entry]


def test_the_database_refuses_to_change_or_delete_entries(
    engine: Engine, marketer: Actor, admin: Actor
) -> None:
    create(marketer, title="Kept")
    for statement in (
        "UPDATE audit_log SET actor_id = 'someone else'",
        "DELETE FROM audit_log",
    ):
        with pytest.raises(sa.exc.DBAPIError, match="cannot be changed"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    (entry,) = entries(admin, action="asset.created")
    assert entry["actor_id"] == marketer.id


# --- the same transaction as the change ---------------------------------------------------


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_a_change_that_fails_after_its_entry_leaves_neither(engine: Engine) -> None:
    entries_before, assets_before = _count(engine, "audit_log"), _count(engine, "assets")
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        audit.act_as(session, "tester")
        assets.create_asset(
            session,
            MASTER,
            AssetCreate(title="Never", kind="one_pager"),
            now=NOW,
        )
        assert _count_in(session, "audit_log") == entries_before + 1  # written, not committed
        raise RuntimeError("the request failed after the change")
    assert _count(engine, "audit_log") == entries_before
    assert _count(engine, "assets") == assets_before


def test_an_entry_that_cannot_be_written_undoes_the_change(
    engine: Engine, marketer: Actor, admin: Actor
) -> None:
    refusal = {
        "sqlite": [
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is full'); END"
        ],
        "postgresql": [
            "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit log is full'; END; $$",
            "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
        ],
    }[engine.dialect.name]
    asset = create(marketer, title="Before the audit broke")
    with engine.begin() as conn:
        for statement in refusal:
            conn.execute(sa.text(statement))
    assets_before = _count(engine, "assets")

    assert (
        marketer.post("/v1/assets", json={"title": "Lost", "kind": "one_pager"}).status_code >= 500
    )
    assert marketer.patch(f"/v1/assets/{asset['id']}", json={"title": "Lost"}).status_code >= 500
    assert _count(engine, "assets") == assets_before
    assert marketer.get(f"/v1/assets/{asset['id']}").json()["title"] == "Before the audit broke"
    assert [e["action"] for e in of_asset(admin, asset["id"])] == ["asset.created"]


def _count_in(session: Any, table: str) -> int:
    return int(session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


# --- the CLI and the demo ------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BATON_DATABASE_URL", settings.catalogue_url)
    monkeypatch.setenv("BATON_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_an_import_from_the_cli_is_recorded_as_the_cli(
    cli_env: None, tmp_path: Path, admin: Actor
) -> None:
    folder = tmp_path / "collateral"
    folder.mkdir()
    (folder / "fleet.txt").write_text("Fleet idling costs money.\n")
    (folder / "cold.md").write_text("# Cold chain\n\nReefers keep vaccines cold.\n")
    result = CliRunner().invoke(cli, ["ingest", str(folder), "--no-progress", "--approve"])
    assert result.exit_code == 0, result.output

    log = entries(admin, action="asset")
    user = getpass.getuser()
    assert {(e["actor_id"], e["actor_name"]) for e in log} == {
        (f"cli:{user}", f"baton CLI ({user})")
    }
    assert sorted(e["action"] for e in log) == sorted(
        ["asset.created", "asset.submitted", "asset.approved"] * 2
    )
    assert len(entries(admin, action="file.uploaded")) == 2


def test_the_demo_is_recorded_as_the_demo(engine: Engine, settings: Settings, admin: Actor) -> None:
    assert load_if_empty(engine, BlobStore(settings.blob_dir)) is not None
    log = list(audit.each_entry(engine, audit.AuditFilters()))
    actions = {e.action for e in log}
    assert {
        "asset.created",
        "file.uploaded",
        "asset.submitted",
        "asset.approved",
        "asset.rejected",
        "asset.archived",
        "synonyms.changed",
        "messaging_rules.replaced",
        "question.created",
        "term.created",
    } <= actions
    assert {e.actor_id for e in log if not e.action.startswith(("user.", "key."))} == {"demo"}
