"""``make bench``: the served skill against a bare ask-sdk-core skill, one table.

Every figure comes from the same run on the same machine:

* ``POST /alexa`` under gunicorn (the same options for every app: ``gthread``, the
  ``together serve`` defaults for workers and threads), load from ``wrk`` (one thread,
  8 connections, pre-signed requests, each sent once) for ``DURATION_S`` seconds after
  a short warm-up:

  - baseline: a minimal ask-sdk-core skill, one handler, no store, no verification;
  - the skill, verification on (a test CA the verifier trusts, the chain cached, every
    request signed), SQLite store: the realistic mix (launch, breathing, gratitude,
    win, progress, reflection) over 1,000 households; then the same mix on one
    household (every write on one row: the worst case);
  - the same mix on DynamoDB (a loopback moto server that serialises requests);
* the store calls per turn by type, counted with botocore ``before-call`` hooks;
* cold import (median of fresh processes) of the WSGI app and of the Lambda handlers
  against ``import flask, ask_sdk_core, boto3``;
* peak RSS of each gunicorn worker after the load.

Targets print as met / not met; the exit status is 0 either way (CI does not gate on a
shared machine's timing). See docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ is on the path first and "bench" would be this file.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from cryptography.hazmat.primitives.serialization import Encoding

from bench.apps import bench_clock
from skill.sim.envelope import Device, SessionState, envelope, intent_request, launch_request
from skill.web import server
from tests.certs import GOOD_URL, SKILL_ID, TestPKI
from tests.helpers import free_port

DURATION_S = int(os.environ.get("BENCH_DURATION", "8"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "2"))
WARMUP_S = 2
CONNECTIONS = 8
HOUSEHOLDS = 1000
SALT = "bench-salt-0123456789abcdef"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
WRK_LUA = ROOT / "bench" / "wrk.lua"
# The checkout whose skill is served and imported (another one to measure a "before").
APP_ROOT = Path(os.environ.get("BENCH_APP_ROOT", ROOT))
RSS_TARGET_MIB = 80.0
# The gunicorn options every app is served with (together serve's defaults unless set).
WORKERS = int(os.environ.get("BENCH_WORKERS") or server.DEFAULT_WORKERS)
THREADS = int(os.environ.get("BENCH_THREADS") or server.DEFAULT_THREADS)

GRATITUDES = ["the way you made me laugh", "a quiet walk together", "the soup you brought"]
WINS = ["we sorted out the budget", "we talked it through calmly", "we both slept well"]


# --- the requests -----------------------------------------------------------------------
def _slot(name: str, value: str) -> dict[str, dict[str, Any]]:
    return {name: {"name": name, "value": value, "confirmationStatus": "NONE"}}


MIX: list[tuple[str, Callable[[random.Random], dict[str, Any]], int]] = [
    ("launch", lambda _r: launch_request(), 20),
    ("breathe", lambda _r: intent_request("BreatheIntent", _slot("minutes", "1")), 15),
    ("gratitude", lambda r: intent_request("GratitudeIntent",
                                           _slot("gratitude", r.choice(GRATITUDES))), 20),
    ("win", lambda r: intent_request("CelebrateWinIntent", _slot("win", r.choice(WINS))), 15),
    ("progress", lambda _r: intent_request("ProgressIntent"), 15),
    ("reflection", lambda _r: intent_request("ReflectionIntent"), 15),
]  # fmt: skip


def turns(n: int, households: int, seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    rng = random.Random(seed)
    names = [name for name, _build, weight in MIX for _ in range(weight)]
    builders = {name: build for name, build, _weight in MIX}
    for _ in range(n):
        name = rng.choice(names)
        device = Device(household=f"bench-{rng.randrange(households)}")
        env = envelope(device, builders[name](rng), now=bench_clock(), session=SessionState())
        yield name, env


def write_requests(path: Path, pki: TestPKI, n: int, households: int, seed: int) -> None:
    with path.open("w") as out:
        for _name, env in turns(n, households, seed):
            body = json.dumps(env, separators=(",", ":"))
            out.write(f"{pki.sign(body.encode())}\t{body}\n")


# --- gunicorn and wrk --------------------------------------------------------------------
@contextmanager
def gunicorn(app: str, env: dict[str, str]) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = free_port()
    proc = subprocess.Popen(
        [GUNICORN, "--workers", str(WORKERS), "--threads", str(THREADS),
         "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         app],
        cwd=APP_ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read() if proc.stderr else b""
                raise RuntimeError(f"gunicorn did not start: {err!r}") from None
            time.sleep(0.2)
    try:
        yield port, proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    rss_mib: float
    cpu_us: float  # the workers' CPU (user + system) per request


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def wrk(port: int, requests: Path, duration: float) -> tuple[float, float, float, int, int]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{int(duration)}s", "--latency", "-s", str(WRK_LUA),
         f"http://127.0.0.1:{port}/alexa", "--", str(requests)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    try:
        return _parse_wrk(out)
    except (AttributeError, KeyError) as exc:
        raise RuntimeError(f"could not read wrk's output:\n{out}") from exc


def _parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return rps, p50, p99, errors, total


def workers(master: int) -> list[str]:
    return Path(f"/proc/{master}/task/{master}/children").read_text().split()


def workers_cpu_s(master: int) -> float:
    """User + system CPU seconds the workers have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in workers(master):
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def worker_peak_rss_mib(master: int) -> float:
    children = workers(master)
    peaks = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)  # type: ignore[union-attr]
    return max(peaks)


def best(runs: list[Load]) -> Load:
    """The best of interleaved runs: the machine is shared, and interference only ever
    slows a run down."""
    return max(runs, key=lambda run: run.rps)


def load(app: str, env: dict[str, str], pki: TestPKI, households: int, seed: int) -> Load:
    tmp = Path(env["BENCH_TMP"])
    warm, main = tmp / f"warm-{seed}.txt", tmp / f"main-{seed}.txt"
    write_requests(warm, pki, 600, households, seed + 1)
    write_requests(main, pki, int(DURATION_S * 3500), households, seed)
    with gunicorn(app, env) as (port, proc):
        wrk(port, warm, WARMUP_S)
        cpu_before = workers_cpu_s(proc.pid)
        rps, p50, p99, errors, total = wrk(port, main, DURATION_S)
        cpu = (workers_cpu_s(proc.pid) - cpu_before) / max(total, 1) * 1e6
        rss = worker_peak_rss_mib(proc.pid)
    return Load(rps, p50, p99, errors, total, rss, cpu)


# --- store calls per turn (DynamoDB) -------------------------------------------------------------
def calls_per_turn(endpoint: str, table: str) -> dict[str, Counter[str]]:
    """Each turn type through the skill on DynamoDB, the calls counted by botocore hooks."""
    from skill.core.skill import Skill
    from skill.core.turn import NoAlexaServices, Services
    from skill.store.dynamodb import DynamoStore, make_client

    store = DynamoStore(table, make_client(endpoint_url=endpoint))
    seen: list[str] = []
    store.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: seen.append(model.name)
    )
    skill = Skill(Services(store=store, clock=bench_clock, alexa=NoAlexaServices(), salt=SALT))
    counts: dict[str, Counter[str]] = {}
    rng = random.Random(7)
    household = 0
    for name, build, _weight in MIX:
        for first in (True, False):
            household += 1
            device = Device(household=f"calls-{household}")
            if not first:  # a returning household: one turn of each kind before
                for _n, other, _w in MIX:
                    skill.invoke(envelope(device, other(rng), now=bench_clock(), session=None))
            seen.clear()
            skill.invoke(envelope(device, build(rng), now=bench_clock(), session=None))
            counts[f"{name} ({'first' if first else 'returning'})"] = Counter(seen)
    store.close()
    return counts


READS = {"GetItem", "Query"}
WRITES = {"UpdateItem", "TransactWriteItems", "PutItem", "BatchWriteItem"}


# --- cold import ------------------------------------------------------------------------------
def cold_import(statement: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [PYTHON, "-c", code], cwd=APP_ROOT, capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip()) * 1000)
    return statistics.median(times)


# --- the envelope decoder ------------------------------------------------------------------------
def decoder_speedup() -> float:
    """How many times faster skill.core.request reads an envelope than ask-sdk's own
    DefaultSerializer (best of five runs of 200 each)."""
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_model import RequestEnvelope

    from skill.core.request import Serializer
    from tests.conftest import fixture_envelope

    envelope = fixture_envelope("intent-entity-resolution.json")
    ours, theirs = Serializer(), DefaultSerializer()
    text = json.dumps(envelope)

    def best(fn: Callable[[], object]) -> float:
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(200):
                fn()
            runs.append(time.perf_counter() - started)
        return min(runs)

    mine = best(lambda: ours.from_dict(envelope, RequestEnvelope))
    return best(lambda: theirs.deserialize(text, RequestEnvelope)) / mine


# --- the table -----------------------------------------------------------------------------------
class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, what: str, value: str, target: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else ("met" if met else "NOT MET")
        self.rows.append((what, value, target, verdict))

    def print(self) -> None:
        head = ("what", "value", "target", "")
        widths = [max(len(r[i]) for r in [*self.rows, head]) for i in range(4)]
        for row in [head, tuple("-" * w for w in widths), *self.rows]:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main() -> int:
    if shutil.which("wrk") is None:
        print("make bench needs wrk (Debian: apt-get install wrk); `make bench` installs it")
        return 2
    os.environ["BENCH_T0"] = str(time.time())
    pki = TestPKI()
    tmp = Path(tempfile.mkdtemp(prefix="together-bench-"))
    (tmp / "root.pem").write_bytes(pki.root.public_bytes(Encoding.PEM))
    (tmp / "chain.pem").write_bytes(pki.documents[GOOD_URL])
    env = {
        "BENCH_PKI": str(tmp),
        "BENCH_TMP": str(tmp),
        "BENCH_T0": os.environ["BENCH_T0"],
        "TOGETHER_SKILL_ID": SKILL_ID,
        "TOGETHER_ID_SALT": SALT,
        # Alexa+ configured, as in production: /mcp is mounted beside /alexa (McpRoute),
        # so the Alexa figures are measured with it in the path.
        "TOGETHER_MCP_ISSUER": "https://issuer.invalid",
        "TOGETHER_MCP_AUDIENCE": "bench",
        "TOGETHER_MCP_RESOURCE": "https://bench.invalid/mcp",
    }
    table = Table()
    print(f"workers={WORKERS} threads={THREADS} connections={CONNECTIONS} "
          f"duration={DURATION_S:g}s, wrk -t1", flush=True)  # fmt: skip

    sqlite_env = {**env, "TOGETHER_STORE": f"sqlite:///{tmp / 'mix.db'}"}
    if os.environ.get("BENCH_ONLY") == "mix":  # for choosing workers and threads
        mix = load("bench.apps:skill_app()", sqlite_env, pki, HOUSEHOLDS, 2)
        print(f"mix: {mix}", flush=True)
        return 0
    one_env = {**env, "TOGETHER_STORE": f"sqlite:///{tmp / 'one.db'}"}
    runs: dict[str, list[Load]] = {"baseline": [], "mix": [], "one": []}
    for round_ in range(REPEATS):  # interleaved, so a busy spell hits all three alike
        seed = 10 * round_
        runs["baseline"].append(load("bench.apps:baseline_app()", env, pki, HOUSEHOLDS, seed + 1))
        runs["mix"].append(load("bench.apps:skill_app()", sqlite_env, pki, HOUSEHOLDS, seed + 2))
        runs["one"].append(load("bench.apps:skill_app()", one_env, pki, 1, seed + 3))
        print(
            {k: f"{v[-1].rps:.0f}/s p99 {v[-1].p99_ms:.1f} ms" for k, v in runs.items()}, flush=True
        )
    base, mix, one = best(runs["baseline"]), best(runs["mix"]), best(runs["one"])
    # CPU per turn hardly moves when another program takes the cores: the least of the runs.
    base_cpu = min(run.cpu_us for run in runs["baseline"])
    mix_cpu = min(run.cpu_us for run in runs["mix"])

    from skill.store.dynamodb import create_table, make_client
    from skill.store.moto_server import SerialisedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto = SerialisedMotoServer()
    moto.start()
    host, port = moto.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    create_table(make_client(endpoint_url=endpoint), "bench")
    create_table(make_client(endpoint_url=endpoint), "calls")
    dynamo_env = {
        **env,
        "TOGETHER_STORE": "dynamodb://bench",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    dynamo = load("bench.apps:skill_app()", dynamo_env, pki, HOUSEHOLDS, 4)
    print(f"dynamodb: {dynamo}", flush=True)
    calls = calls_per_turn(endpoint, "calls")
    moto.stop()

    bare = cold_import("import flask, ask_sdk_core, boto3")
    wsgi_module = cold_import("import skill.web.server")
    wsgi = cold_import("import skill.web.app")
    lambda_http = cold_import("import skill.web.lambda_http")
    lambda_alexa = cold_import("import skill.lambda_handler")

    table.add("baseline (bare ask-sdk-core) throughput", f"{base.rps:.0f} turns/s")
    table.add("baseline p50 / p99", f"{base.p50_ms:.1f} / {base.p99_ms:.1f} ms")
    table.add("baseline: workers' CPU per turn", f"{base_cpu:.0f} us")
    for label, run in (("mix, 1,000 households, SQLite", mix), ("mix, one household, SQLite", one),
                       ("mix, 1,000 households, DynamoDB (moto server)", dynamo)):  # fmt: skip
        ratio = run.rps / base.rps
        table.add(f"{label}: throughput", f"{run.rps:.0f} turns/s ({ratio:.2f}x)")
        table.add(f"{label}: p50 / p99", f"{run.p50_ms:.1f} / {run.p99_ms:.1f} ms")
        table.add(f"{label}: workers' CPU per turn", f"{run.cpu_us:.0f} us")
        table.add(f"{label}: non-2xx or socket errors", f"{run.errors} of {run.requests}", "0",
                  run.errors == 0)  # fmt: skip
    table.add("mix vs baseline throughput", f"{mix.rps / base.rps:.2f}x", ">= 1.0x",
              mix.rps >= base.rps)  # fmt: skip
    table.add("mix vs baseline, capacity from CPU per turn (robust to a busy machine)",
              f"{base_cpu / mix_cpu:.2f}x", ">= 1.0x", base_cpu >= mix_cpu)  # fmt: skip
    table.add("one household vs baseline throughput", f"{one.rps / base.rps:.2f}x", ">= 0.7x",
              one.rps >= 0.7 * base.rps)  # fmt: skip
    table.add("mix p99 vs baseline p99", f"{mix.p99_ms / base.p99_ms:.2f}x", "<= 2x",
              mix.p99_ms <= 2 * base.p99_ms)  # fmt: skip
    worst_read = worst_write = read_only_writes = 0
    for name, counter in calls.items():
        reads = sum(n for op, n in counter.items() if op in READS)
        writes = sum(n for op, n in counter.items() if op in WRITES)
        worst_read, worst_write = max(worst_read, reads), max(worst_write, writes)
        ops = ", ".join(f"{op} {n}" for op, n in sorted(counter.items())) or "none"
        table.add(f"DynamoDB calls: {name}", ops)
        if name in ("progress (first)", "progress (returning)", "launch (returning)",
                    "reflection (returning)"):  # fmt: skip
            read_only_writes += writes
    table.add("DynamoDB calls per turn (worst)", f"{worst_read} read, {worst_write} write",
              "<= 1 read, <= 1 write", worst_read <= 1 and worst_write <= 1)  # fmt: skip
    table.add("DynamoDB writes on read-only turns", str(read_only_writes), "0",
              read_only_writes == 0)  # fmt: skip
    table.add("cold import: flask, ask_sdk_core, boto3", f"{bare:.0f} ms")
    for label, value in (("WSGI module gunicorn names (skill.web.server)", wsgi_module),
                         ("WSGI app and all it imports (skill.web.app)", wsgi),
                         ("Lambda HTTP (skill.web.lambda_http)", lambda_http),
                         ("Lambda Alexa (skill.lambda_handler)", lambda_alexa)):  # fmt: skip
        table.add(f"cold import: {label}", f"{value:.0f} ms ({value / bare:.2f}x)", "<= 1.0x",
                  value <= bare)  # fmt: skip
    speedup = decoder_speedup()
    table.add("envelope decoder vs ask-sdk's DefaultSerializer", f"{speedup:.1f}x faster",
              ">= 1.5x", speedup >= 1.5)  # fmt: skip
    peak = max(mix.rss_mib, one.rss_mib, dynamo.rss_mib)
    rss = (f"{peak:.1f} MiB (SQLite {mix.rss_mib:.0f}, DynamoDB {dynamo.rss_mib:.0f}, "
           f"baseline {base.rss_mib:.0f})")  # fmt: skip
    table.add("peak RSS per worker after the load", rss, f"<= {RSS_TARGET_MIB:.0f} MiB",
              peak <= RSS_TARGET_MIB)  # fmt: skip
    print()
    table.print()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
