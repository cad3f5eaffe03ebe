"""A download that races the asset's deletion gets the whole file or a 404, never a 500."""

from __future__ import annotations

import threading

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import Actor
from tests.live import serving

LARGE = b"Talking points on overtime fatigue. " * 100_000  # 3.6 MB of text
# Each round uploads, extracts and indexes LARGE (several seconds on the CI machine).
ROUNDS = 6


def _auth(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.key}"}


@pytest.mark.slow
def test_the_file_being_sent_is_kept_until_it_is_sent(
    marketer: Actor, admin: Actor, app: FastAPI
) -> None:
    uploaded = marketer.post(
        "/v1/assets/upload", files={"file": ("fatigue.txt", LARGE, "text/plain")}
    )
    assert uploaded.status_code == 201, uploaded.text
    asset_id, sha256 = uploaded.json()["id"], uploaded.json()["file"]["sha256"]
    blobs = app.state.blobs
    with serving(app) as port:
        url = f"http://127.0.0.1:{port}/v1/assets/{asset_id}/file"
        with httpx.stream("GET", url, headers=_auth(marketer), timeout=30) as response:
            assert response.status_code == 200
            # The asset and its blob go while the download is under way.
            assert admin.delete(f"/v1/assets/{asset_id}").status_code == 204
            assert not blobs.path_for(sha256).exists()
            assert response.read() == LARGE
    # The private link the download read is gone once it was sent.
    assert not list(blobs.staging_folder().glob("sending-*"))


@pytest.mark.slow
def test_downloads_racing_deletes_never_fail(marketer: Actor, admin: Actor, app: FastAPI) -> None:
    outcomes: list[int] = []
    deleted: list[int] = []
    with serving(app) as port:
        base = f"http://127.0.0.1:{port}"
        for round_ in range(ROUNDS):
            data = LARGE + str(round_).encode()
            uploaded = marketer.post(
                "/v1/assets/upload", files={"file": (f"r{round_}.txt", data, "text/plain")}
            )
            asset_id = uploaded.json()["id"]
            barrier = threading.Barrier(2)

            def download(
                asset_id: str = asset_id, data: bytes = data, barrier: threading.Barrier = barrier
            ) -> None:
                barrier.wait()
                response = httpx.get(
                    f"{base}/v1/assets/{asset_id}/file", headers=_auth(marketer), timeout=30
                )
                outcomes.append(response.status_code)
                if response.status_code == 200:
                    assert response.content == data

            def delete(asset_id: str = asset_id, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                response = httpx.delete(
                    f"{base}/v1/assets/{asset_id}", headers=_auth(admin), timeout=30
                )
                deleted.append(response.status_code)

            threads = [threading.Thread(target=download), threading.Thread(target=delete)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert len(outcomes) == ROUNDS
    assert set(outcomes) <= {200, 404}, outcomes
    assert deleted == [204] * ROUNDS
