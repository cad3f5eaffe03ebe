from tests.catalogue import publish
from tests.conftest import Actor


def test_publish_and_rep_reads(marketer: Actor, rep: Actor) -> None:
    asset = publish(
        marketer, title="ROI of field apps", stages=["decision"], industries=["Construction"]
    )
    r = rep.get(f"/v1/assets/{asset['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["industries"] == ["construction"]
    lst = rep.get("/v1/assets")
    assert lst.json()["total"] == 1
