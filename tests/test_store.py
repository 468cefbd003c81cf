"""The HouseholdStore contract on SQLite: atomic changes, expectations, expiry, erasure,
and two threads and two processes hammering one household."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from skill.core.skill import Skill
from skill.core.turn import Services
from skill.sim.envelope import Device, envelope, intent_request
from skill.store import open_store
from skill.store.base import Change, Conflict, Entry, hash_id
from skill.store.sqlite import SqliteStore
from tests.conftest import Clock, Talk

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
H = "household-hash"


def test_apply_adds_sets_and_returns_the_profile_after(store: SqliteStore) -> None:
    after = store.apply(H, Change(add={"count.win": 1}, set={"name": "x"}), now=NOW)
    assert after.attrs == {"count.win": 1, "name": "x"}
    after = store.apply(H, Change(add={"count.win": 2}, remove=("name",)), now=NOW)
    assert after.attrs == {"count.win": 3}
    assert store.read(H).attrs == {"count.win": 3}


def test_a_failed_expectation_writes_nothing(store: SqliteStore) -> None:
    store.apply(H, Change(set={"streak.last": "2026-11-24"}), now=NOW)
    entry = Entry("win", "a win", NOW, NOW + timedelta(days=1))
    with pytest.raises(Conflict):
        store.apply(
            H,
            Change(add={"count.win": 1}, expect={"streak.last": "2026-11-20"}, entry=entry),
            now=NOW,
        )
    assert store.read(H).attrs == {"streak.last": "2026-11-24"}
    assert store.entries(H, "win", now=NOW, limit=5) == []
    with pytest.raises(Conflict):
        store.apply(H, Change(set={"x": 1}, expect={"streak.last": None}), now=NOW)


def test_entries_newest_first_and_expired_ones_skipped_then_purged(store: SqliteStore) -> None:
    for i in range(5):
        at = NOW + timedelta(minutes=i)
        ttl = timedelta(days=1 if i < 2 else 90)
        store.apply(H, Change(entry=Entry("gratitude", f"g{i}", at, at + ttl)), now=at)
    later = NOW + timedelta(days=2)
    assert [e.text for e in store.entries(H, "gratitude", now=later, limit=10)] == [
        "g4",
        "g3",
        "g2",
    ]
    assert [e.text for e in store.entries(H, "gratitude", now=NOW, limit=2)] == ["g4", "g3"]
    store.apply(H, Change(add={"count.x": 1}), now=later)  # a write purges what expired
    assert store.count_rows(H) == 1 + 3


def test_erase_leaves_nothing_of_the_household_and_everything_of_others(store: SqliteStore) -> None:
    for household in (H, "other"):
        store.apply(
            household,
            Change(add={"count.win": 1}, entry=Entry("win", "w", NOW, NOW + timedelta(days=9))),
            now=NOW,
        )
    store.erase(H)
    assert store.count_rows(H) == 0
    assert store.read(H).attrs == {}
    assert store.count_rows("other") == 2


def test_open_store_urls(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    s.ping()
    s.close()
    with pytest.raises(ValueError, match="unknown store URL"):
        open_store("redis://nope")


def test_no_raw_alexa_id_is_stored(talk: Talk, store: SqliteStore) -> None:
    talk(household="RAWID123", person="VOICE77").say('@GratitudeIntent "gratitude=a quiet walk"')
    raw = store.path.read_bytes() + Path(f"{store.path}-wal").read_bytes()
    assert b"RAWID123" not in raw and b"VOICE77" not in raw
    assert hash_id("amzn1.ask.account.RAWID123", salt="resilient-together").encode() in raw


# --- concurrency ----------------------------------------------------------------------------
WINS_PER_WORKER = 25


def _practise(path: str, worker: int, day_offset: int = 0) -> None:
    """One device celebrating wins through the real ``invoke``."""
    s = SqliteStore(path)
    clock = Clock(NOW)
    skill = Skill(Services(store=s, clock=clock, zone=lambda _e: "UTC"))
    for i in range(WINS_PER_WORKER):
        now = clock.now = NOW + timedelta(days=day_offset, seconds=i)
        slots = {"win": {"name": "win", "value": f"win {worker}-{i}", "confirmationStatus": "NONE"}}
        request = intent_request("CelebrateWinIntent", slots)
        out = skill.invoke(envelope(Device(household="busy"), request, now=now, session=None))
        assert out["response"]["card"]["content"] == f"win {worker}-{i}"
    s.close()


def busy_key() -> str:
    return hash_id("amzn1.ask.account.busy", salt="resilient-together")


def test_two_threads_hammering_one_household_lose_nothing(store: SqliteStore) -> None:
    threads = [threading.Thread(target=_practise, args=(str(store.path), w)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = store.read(busy_key())
    assert snap.int("count.win") == 2 * WINS_PER_WORKER
    assert snap.int(f"day.{date(2026, 11, 25).isoformat()}.win") == 2 * WINS_PER_WORKER
    assert len(store.entries(busy_key(), "win", now=NOW, limit=1000)) == 2 * WINS_PER_WORKER


def test_two_processes_hammering_one_household_lose_nothing(store: SqliteStore) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_practise, args=(str(store.path), w)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    snap = store.read(busy_key())
    assert snap.int("count.win") == 2 * WINS_PER_WORKER
    assert len(store.entries(busy_key(), "win", now=NOW, limit=1000)) == 2 * WINS_PER_WORKER
    assert snap.int("streak.current") == 1 and snap.str("streak.last") == "2026-11-25"


def test_concurrent_first_practices_of_a_new_day_keep_the_streak_right(store: SqliteStore) -> None:
    _practise(str(store.path), 0, day_offset=-1)  # yesterday
    threads = [threading.Thread(target=_practise, args=(str(store.path), w)) for w in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    snap = store.read(busy_key())
    assert snap.int("count.win") == 5 * WINS_PER_WORKER
    assert snap.int("streak.current") == 2 and snap.int("streak.best") == 2
