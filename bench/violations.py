"""How long re-checking live content against new messaging rules takes: 10,000 live
assets of about 300 words against 50 rules, on a migrated SQLite catalogue.

Not a test. Run `python -m bench.violations [--assets N]`; it prints the figures and writes
bench/results/violations.json. Two figures:
- list: `live_violations` as GET /v1/messaging/violations runs it;
- notify pass: `rules_violated`, the claimed background pass of the notifications worker
  (check, claim, one outbox event per violating asset), which is why PUT
  /v1/messaging/rules itself does not check the catalogue.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from api import migrations
from api.assets.models import Asset
from api.db import make_engine, session_scope
from api.messaging import service
from api.messaging.schemas import RuleIn
from api.messaging.violations import live_violations, rules_violated
from api.paging import PageRequest

WORDS = "crew site shift safety audit crane harbour tablet schedule overtime offline".split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrations.upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            for i in range(args.assets):
                body = " ".join(rng.choice(WORDS) + str(rng.randrange(400)) for _ in range(300))
                if i % 100 == 0:
                    body += " The paperless crew."
                session.add(
                    Asset(
                        title=f"Asset {i}",
                        kind="one_pager",
                        body=body,
                        status="approved",
                        approved_at=now,
                    )
                )
        rules = [
            RuleIn(type="banned", phrase=f"forbidden{i}", severity="warning")
            for i in range(args.rules - 1)
        ]
        rules.append(
            RuleIn(type="deprecated", phrase="paperless", replacement="digital", severity="warning")
        )
        with session_scope(engine) as session:
            service.replace_rules(session, rules)
        with session_scope(engine) as session:
            started = time.perf_counter()
            _, _, violating = live_violations(session, now=now, page=PageRequest())
            listed = time.perf_counter() - started
        with session_scope(engine) as session:
            started = time.perf_counter()
            raised = rules_violated(session, now)
            passed = time.perf_counter() - started
        engine.dispose()
    figures = {
        "assets": args.assets,
        "rules": args.rules,
        "violating": violating,
        "list_seconds": round(listed, 3),
        "notify_pass_seconds": round(passed, 3),
        "notified": raised,
    }
    print(json.dumps(figures, indent=2))
    out = Path(__file__).parent / "results" / "violations.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
