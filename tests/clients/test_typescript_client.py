"""TypeScript types generated from the live description (openapi-typescript): tsc type-checks
smoke.ts, which types every response it reads by the status and media type the description
declares (a 409 upload's `asset_id`, a 422's `errors` and `findings`, a 401), and node runs
it against a live Baton, whose answers must be what the types promised."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.clients.conftest import HERE, NODE_BIN
from tests.conftest import Actor

pytestmark = pytest.mark.slow

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "commonjs",
        "lib": ["ES2022", "DOM"],
        "strict": True,
        "noUncheckedIndexedAccess": True,
        "skipLibCheck": False,
        "types": [],
        "outDir": "out",
    },
    "files": ["smoke.ts", "schema.d.ts"],
}


@pytest.fixture(scope="session")
def compiled_smoke(typescript_types: Path) -> Path:
    """smoke.ts compiled by tsc against the generated types (it fails on any type error)."""
    work = typescript_types.parent / "ts"
    work.mkdir(exist_ok=True)
    shutil.copyfile(typescript_types, work / "schema.d.ts")
    shutil.copyfile(HERE / "smoke.ts", work / "smoke.ts")
    (work / "tsconfig.json").write_text(json.dumps(TSCONFIG))
    done = subprocess.run(
        [str(NODE_BIN / "tsc"), "-p", str(work)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return work / "out" / "smoke.js"


def test_typed_calls_get_what_the_types_promise(
    compiled_smoke: Path, base_url: str, marketer: Actor
) -> None:
    node = shutil.which("node")
    assert node is not None, "node is not installed"
    done = subprocess.run(
        [node, str(compiled_smoke), base_url, str(marketer.key)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["upload"] == {"status": 201, "title": "Working offline"}
    assert summary["duplicate"]["status"] == 409
    assert summary["duplicate"]["type"] == "application/problem+json"
    assert summary["duplicate"]["matches"] is True
    assert summary["list"]["status"] == 200 and summary["list"]["total"] == 1
    assert summary["download"]["same"] is True
    assert summary["download"]["type"].startswith("text/markdown")
    assert summary["invalid"] == {"status": 422, "loc": [["body", "title"]]}
    assert summary["submit"] == {"status": "in_review", "findings": 1}
    assert summary["refused"] == {"status": 422, "phrases": ["guaranteed savings"]}
    assert summary["unauthorized"] == {
        "status": 401,
        "problem": 401,
        "type": "/problems/unauthorized",
    }
