"""Every change to people and keys is in the audit log: who, what, before and after; never a
key or its hash."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.catalogue import create
from tests.conftest import Actor, new_actor


def _entries(admin: Actor, **params: str) -> list[dict[str, Any]]:
    response = admin.get("/v1/audit", params={"limit": "100", **params})
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))  # oldest first


def test_people_and_keys_changes_are_audited(admin: Actor, client: TestClient) -> None:
    boss = new_actor(client, "admin", "boss@example.com")
    rep = new_actor(client, "rep", "rae@example.com")
    made = rep.post("/v1/me/keys", json={"name": "CRM extension"}).json()
    assert rep.delete(f"/v1/me/keys/{made['id']}").status_code == 204
    assert rep.delete(f"/v1/me/keys/{made['id']}").status_code == 204  # nothing changes
    assert boss.patch(f"/v1/users/{rep.id}", json={"active": False}).status_code == 200
    assert (
        boss.patch(f"/v1/users/{rep.id}", json={"active": True, "role": "marketer"}).status_code
        == 200
    )
    assert boss.patch(f"/v1/users/{rep.id}", json={"role": "rep"}).status_code == 200

    keys = _entries(admin, subject="api_key")
    mine = [e for e in keys if e["subject_id"] == made["id"]]
    assert [e["action"] for e in mine] == ["key.created", "key.revoked"]
    assert mine[0]["actor_id"] == rep.id
    assert mine[0]["after"]["name"] == "CRM extension"
    assert mine[0]["after"]["user_id"] == rep.id
    assert mine[1]["before"] == {"revoked_at": None}
    assert mine[1]["after"]["revoked_at"] is not None
    text = str(keys)
    assert made["api_key"] not in text and "key_hash" not in text

    people = [e for e in _entries(admin, subject="user") if e["subject_id"] == rep.id]
    assert [e["action"] for e in people] == [
        "user.created",
        "user.disabled",
        "user.enabled",
        "user.updated",
    ]
    assert people[0]["actor_id"] == "admin"
    assert people[0]["after"]["email"] == "rae@example.com"
    assert people[1]["actor_id"] == boss.id
    assert (people[1]["before"], people[1]["after"]) == ({"active": True}, {"active": False})
    assert people[2]["after"] == {"active": True, "role": "marketer"}
    assert (people[3]["before"], people[3]["after"]) == ({"role": "marketer"}, {"role": "rep"})


def test_removing_a_person_is_audited_with_the_reassignment(
    admin: Actor, client: TestClient
) -> None:
    leaver = new_actor(client, "marketer", "leaver@example.com")
    heir = new_actor(client, "marketer")
    asset = create(leaver, title="Handed over")
    assert (
        admin.delete(f"/v1/users/{leaver.id}", params={"reassign_to": heir.id}).status_code == 204
    )

    removed = _entries(admin, action="user.deleted")
    assert len(removed) == 1
    assert removed[0]["subject_id"] == leaver.id
    assert removed[0]["before"]["email"] == "leaver@example.com"
    assert removed[0]["after"] == {"assets_reassigned_to": heir.id, "assets_reassigned": 1}
    moved = _entries(admin, action="asset.reassigned")
    assert [(e["subject_id"], e["before"], e["after"]) for e in moved] == [
        (asset["id"], {"owner_id": leaver.id}, {"owner_id": heir.id})
    ]
    # Their key was revoked with them (the key's entry of creation names its person).
    keys = {k["id"] for k in admin.get(f"/v1/users/{leaver.id}/keys").json()["items"]}
    assert {e["subject_id"] for e in _entries(admin, action="key.revoked")} == keys
