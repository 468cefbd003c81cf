"""``make bench``: how fast a turn is, how fast verification is, how much memory it takes.

Prints figures and checks them against targets (exit status 1 when one is missed).
Targets come from Alexa's budget: a response within 8 s, so a turn's own work should
be a rounding error of that even on this 2-core machine.
"""

from __future__ import annotations

import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from skill.core.skill import Skill
from skill.core.turn import Services
from skill.runtime import Settings
from skill.sim.envelope import Device, envelope, intent_request, launch_request
from skill.store.sqlite import SqliteStore
from skill.web.app import create_app
from tests.certs import TestPKI, make_envelope

TARGETS_MS = {"turn p95": 50.0, "http turn p95": 60.0, "verify warm p95": 5.0}
TARGET_RSS_MB = 250.0


def timed(fn: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, samples: list[float]) -> float:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    worst = samples[-1]
    print(f"{name:<22} n={len(samples):<5} p50={p50:7.2f} p95={p95:7.2f} max={worst:7.2f} (ms)")
    return p95


def main() -> int:
    results: dict[str, float] = {}
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    clock = {"now": now}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.db")
        skill = Skill(Services(store=store, clock=lambda: clock["now"], zone=lambda _e: "UTC"))
        counter = iter(range(10**9))

        def win_turn() -> None:
            n = next(counter)
            clock["now"] = now + timedelta(minutes=n)
            slots = {
                "win": {"name": "win", "value": f"win number {n}", "confirmationStatus": "NONE"}
            }
            skill.invoke(
                envelope(
                    Device(household=f"h{n % 50}"),
                    intent_request("CelebrateWinIntent", slots),
                    now=clock["now"],
                    session=None,
                )
            )

        def launch_turn() -> None:
            skill.invoke(
                envelope(Device(household="reader"), launch_request(), now=now, session=None)
            )

        for _ in range(20):
            win_turn()
        results["turn p95"] = max(
            report("turn: celebrate a win", timed(win_turn, 1000)),
            report("turn: launch", timed(launch_turn, 1000)),
        )

        app = create_app(Settings(store_url="unused", dev=True), skill=skill)
        client = app.test_client()
        body = envelope(Device(household="web"), launch_request(), now=now, session=None)

        def http_turn() -> None:
            response = client.post("/alexa", json=body)
            assert response.status_code == 200

        results["http turn p95"] = report("http: POST /alexa", timed(http_turn, 1000))

        pki = TestPKI()
        headers, raw = pki.signed_request(make_envelope())
        cold = []
        for _ in range(20):
            verifier = pki.verifier()
            start = time.perf_counter()
            verifier.verify(headers, raw)
            cold.append((time.perf_counter() - start) * 1000)
        report("verify: cold chain", cold)
        verifier = pki.verifier()
        verifier.verify(headers, raw)
        results["verify warm p95"] = report(
            "verify: cached chain", timed(lambda: verifier.verify(headers, raw), 1000)
        )
        store.close()

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak RSS':<22} {rss_mb:.1f} MB")
    missed = [
        f"{k} {v:.2f} ms > {TARGETS_MS[k]} ms" for k, v in results.items() if v > TARGETS_MS[k]
    ]
    if rss_mb > TARGET_RSS_MB:
        missed.append(f"peak RSS {rss_mb:.1f} MB > {TARGET_RSS_MB} MB")
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
