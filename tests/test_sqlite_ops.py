"""The SQLite store in operation: many processes starting on a new file at once, writers
queued without sleeping, recovery after a read-only spell, and a health check that
proves a write."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from skill.core.skill import Skill
from skill.core.turn import NoAlexaServices, Services
from skill.runtime import Settings
from skill.store import sqlite as sqlite_module
from skill.store.base import Change, StoreError
from skill.store.sqlite import SqliteStore
from skill.web.app import create_app
from tests.conftest import Clock

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
H = "h" * 32
STARTERS = 16


def _start(path: str, barrier: Any, results: Any, index: int) -> None:
    barrier.wait()
    try:
        store = SqliteStore(path)
        store.apply(H, Change(add={"count.start": 1}), now=NOW, once=f"start-{index}")
        store.close()
        results.put("ok")
    except Exception as exc:  # reported to the test, which fails on it
        results.put(f"{type(exc).__name__}: {exc}")


def _context() -> Any:
    """Forked from a clean server process (no threads of the test's), imports preloaded,
    so the starters really start together."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["skill.store.sqlite", "tests.test_sqlite_ops"])
    return ctx


def test_many_processes_starting_at_once_on_a_new_file_all_boot(tmp_path: Path) -> None:
    """Before: 14 of 960 processes starting 16 at a time on a new file failed with
    'database is locked' while setting WAL mode and creating the schema (and 1 of 12
    fresh `together serve` starts died of it). Now none."""
    ctx = _context()
    for attempt in range(20):
        path = str(tmp_path / f"fresh-{attempt}.db")
        barrier = ctx.Barrier(STARTERS)
        results = ctx.Queue()
        procs = [
            ctx.Process(target=_start, args=(path, barrier, results, i)) for i in range(STARTERS)
        ]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert outcomes == ["ok"] * STARTERS
        store = SqliteStore(path)
        assert store.read(H).int("count.start") == STARTERS
        (mode,) = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()
        assert mode == "wal"
        store.close()


def test_writers_in_one_process_queue_on_a_lock_not_the_busy_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the busy timeout at zero, any writer that met SQLite's lock would fail at
    once ('database is locked'): 8 threads x 50 writes all succeed, so none did."""
    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_S", 0.0)
    store = SqliteStore(tmp_path / "queue.db")
    errors: list[str] = []

    def writer(n: int) -> None:
        for i in range(50):
            try:
                store.apply(H, Change(add={"count.win": 1}), now=NOW, once=f"{n}-{i}")
            except StoreError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert errors == []
    assert store.read(H).int("count.win") == 400
    assert elapsed < 10
    store.close()


def _write_forever(path: str, started: Any, stop: Any, errors: Any) -> None:
    sqlite_module.BUSY_TIMEOUT_S = 0.0
    store = SqliteStore(path)
    while not stop.is_set():
        try:
            store.apply(H, Change(add={"count.other": 1}), now=NOW)
        except StoreError as exc:
            errors.put(str(exc))
        started.set()  # the other process is writing: the parent's writes now contend
    store.close()


def test_writers_in_two_processes_queue_on_the_file_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Across processes the flock queues writers: with SQLite's busy timeout at zero in
    both, neither ever sees 'database is locked'."""
    path = str(tmp_path / "two.db")
    SqliteStore(path).close()
    ctx = _context()
    started, stop, errors = ctx.Event(), ctx.Event(), ctx.Queue()
    monkeypatch.setattr(sqlite_module, "BUSY_TIMEOUT_S", 0.0)
    other = ctx.Process(target=_write_forever, args=(path, started, stop, errors))
    other.start()
    assert started.wait(timeout=30), "the other writer never started"
    store = SqliteStore(path)
    mine: list[str] = []
    for _ in range(300):
        try:
            store.apply(H, Change(add={"count.mine": 1}), now=NOW)
        except StoreError as exc:
            mine.append(str(exc))
    stop.set()
    other.join(timeout=30)
    assert mine == [] and errors.empty()
    after = store.read(H)
    assert after.int("count.mine") == 300
    assert after.int("count.other") > 0  # both processes wrote
    store.close()


# --- recovery and health --------------------------------------------------------------------
REAL_CONNECT = sqlite3.connect


def read_only(database: Any, timeout: float = 5.0, **kwargs: Any) -> sqlite3.Connection:
    """sqlite3.connect as it behaves when the file is not writable: read-only."""
    return REAL_CONNECT(
        f"file:{database}?mode=ro",
        timeout,
        isolation_level=kwargs.get("isolation_level"),
        check_same_thread=False,
        uri=True,
    )


def test_the_store_reconnects_after_a_read_only_spell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection opened while the file could not be written is read-only for ever
    (SQLite silently falls back to read-only): after an error it is dropped and the next
    call opens a fresh one. The spell is a connect that opens read-only, as SQLite does
    when the file is not writable."""
    path = tmp_path / "spell.db"
    store = SqliteStore(path)
    store.close()
    monkeypatch.setattr(sqlite3, "connect", read_only)
    with pytest.raises(StoreError):
        store.apply(H, Change(add={"count.win": 1}), now=NOW)
    with pytest.raises(StoreError):
        store.ping()
    monkeypatch.setattr(sqlite3, "connect", REAL_CONNECT)
    assert store.apply(H, Change(add={"count.win": 1}), now=NOW).int("count.win") == 1
    store.ping()
    store.close()


def test_health_says_unhealthy_when_the_store_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SqliteStore(tmp_path / "health.db")
    skill = Skill(Services(store=store, clock=Clock(NOW), alexa=NoAlexaServices("UTC")))
    client = create_app(Settings(store_url="unused", dev=True), skill=skill).test_client()
    assert client.get("/healthz").status_code == 200
    store.close()
    monkeypatch.setattr(sqlite3, "connect", read_only)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json() == {"status": "store unavailable"}
    monkeypatch.setattr(sqlite3, "connect", REAL_CONNECT)
    assert client.get("/healthz").status_code == 200
    store.close()


def test_health_says_unhealthy_on_a_corrupted_file(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    store = SqliteStore(path)
    store.apply(H, Change(add={"count.win": 1}), now=NOW)
    skill = Skill(Services(store=store, clock=Clock(NOW), alexa=NoAlexaServices("UTC")))
    client = create_app(Settings(store_url="unused", dev=True), skill=skill).test_client()
    assert client.get("/healthz").status_code == 200
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database, it was overwritten" * 200)
    assert client.get("/healthz").status_code == 503
