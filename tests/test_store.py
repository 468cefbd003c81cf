"""The HouseholdStore contract on every backend (SQLite, DynamoDB on moto in-process and
through a loopback moto server): atomic changes, expectations, expiry, erasure, and
threads and processes hammering one household."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from moto import mock_aws

from skill.core.skill import Skill
from skill.core.turn import NoAlexaServices, Services
from skill.sim.envelope import Device, envelope, intent_request
from skill.store import open_store
from skill.store.base import Change, Conflict, Entry, HouseholdStore, StoreError
from skill.store.dynamodb import DynamoStore, create_table, make_client
from tests.backends import (
    BACKENDS,
    Spec,
    count_rows,
    open_spec,
    raw_contents,
)
from tests.conftest import Clock, Talk
from tests.helpers import household_key

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
H = "household-hash"


@pytest.fixture
def store(spec: Spec) -> Iterator[HouseholdStore]:
    """Overrides conftest's SQLite store: every test here runs on every backend."""
    s = spec.open()
    yield s
    s.close()


def test_apply_adds_sets_and_returns_the_profile_after(store: HouseholdStore) -> None:
    after = store.apply(H, Change(add={"count.win": 1}, set={"name": "x"}), now=NOW)
    assert after.attrs == {"count.win": 1, "name": "x"}
    after = store.apply(H, Change(add={"count.win": 2}, remove=("name",)), now=NOW)
    assert after.attrs == {"count.win": 3}
    assert store.read(H).attrs == {"count.win": 3}


def test_a_failed_expectation_writes_nothing(store: HouseholdStore) -> None:
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


def test_entries_newest_first_and_expired_ones_skipped_then_purged(store: HouseholdStore) -> None:
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
    assert count_rows(store, H, live_at=later) == 1 + 3


def test_erase_leaves_nothing_of_the_household_and_everything_of_others(
    store: HouseholdStore,
) -> None:
    for household in (H, "other"):
        store.apply(
            household,
            Change(add={"count.win": 1}, entry=Entry("win", "w", NOW, NOW + timedelta(days=9))),
            now=NOW,
        )
    store.erase(H)
    assert count_rows(store, H) == 0
    assert store.read(H).attrs == {}
    assert count_rows(store, "other") == 2


def test_open_store_urls(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'a' / 'b.db'}")
    s.ping()
    s.close()
    with pytest.raises(ValueError, match="unknown store URL"):
        open_store("redis://nope")
    with pytest.raises(ValueError, match="table name"):
        open_store("dynamodb://")


def test_open_store_dynamodb_url_uses_the_environment_endpoint(
    moto_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """boto3 itself reads AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL (how make moto works)."""
    create_table(make_client(endpoint_url=moto_server), "from-env")
    for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
        monkeypatch.setenv(variable, moto_server)
        s = open_store("dynamodb://from-env")
        assert isinstance(s, DynamoStore) and s.table == "from-env"
        assert s.client.meta.endpoint_url == moto_server
        s.ping()
        s.close()
    with pytest.raises(StoreError):
        missing = open_store("dynamodb://no-such-table")
        missing.ping()


def test_open_store_dynamodb_under_mock_aws() -> None:
    with mock_aws():
        create_table(make_client(), "together")
        s = open_store("dynamodb://together")
        s.ping()
        after = s.apply(H, Change(add={"count.win": 1}), now=NOW)
        assert after.attrs == {"count.win": 1}
        s.close()


def test_entries_round_trip_exactly_and_per_kind(store: HouseholdStore) -> None:
    at = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)
    win = Entry("win", "we fixed the sink", at, at + timedelta(days=90, microseconds=7), "p1")
    grat = Entry("gratitude", "tea in bed", at + timedelta(seconds=1), at + timedelta(days=9))
    store.apply(H, Change(add={"count.win": 1}, entry=win), now=at)
    store.apply(H, Change(add={"count.gratitude": 1}, entry=grat), now=at)
    assert store.entries(H, "win", now=at, limit=5) == [win]
    assert store.entries(H, "gratitude", now=at, limit=5) == [grat]
    assert store.entries(H, "win", now=at, limit=0) == []
    assert store.entries("someone-else", "win", now=at, limit=5) == []
    # Expired to the microsecond, on every backend.
    assert store.entries(H, "win", now=win.expires_at, limit=5) == []
    just_before = win.expires_at - timedelta(microseconds=1)
    assert store.entries(H, "win", now=just_before, limit=5) == [win]


def test_a_dropped_entry_goes_with_its_count_and_only_it(store: HouseholdStore) -> None:
    at = datetime(2026, 11, 25, 12, 0, 0, 654321, tzinfo=UTC)
    keep = Entry("win", "we fixed the sink", at, at + timedelta(days=90))
    oops = Entry("win", "can i have a different question", at, at + timedelta(days=90))
    store.apply(H, Change(add={"count.win": 1}, entry=keep), now=at)
    store.apply(H, Change(add={"count.win": 1}, entry=oops), now=at)
    after = store.apply(H, Change(add={"count.win": -1}, drop=oops), now=at, base=store.read(H))
    assert after.int("count.win") == 1 == store.read(H).int("count.win")
    assert store.entries(H, "win", now=at, limit=5) == [keep]
    # Gone already (a second undo, a replay): a Conflict, and nothing written.
    with pytest.raises(Conflict):
        store.apply(H, Change(add={"count.win": -1}, drop=oops), now=at, base=store.read(H))
    assert store.read(H).int("count.win") == 1
    assert store.entries(H, "win", now=at, limit=5) == [keep]


def test_apply_with_an_entry_answers_the_profile_after(store: HouseholdStore) -> None:
    entry = Entry("win", "w", NOW, NOW + timedelta(days=1))
    base = store.read(H)
    after = store.apply(
        H, Change(add={"count.win": 1}, set={"streak.last": "x"}, entry=entry), now=NOW, base=base
    )
    assert after.attrs == {"count.win": 1, "streak.last": "x"}
    after = store.apply(
        H, Change(add={"count.win": 1}, remove=("streak.last",), entry=entry), now=NOW
    )
    assert after.attrs == {"count.win": 2}
    assert store.read(H).attrs == {"count.win": 2}


def test_expectations_on_values_and_absence(store: HouseholdStore) -> None:
    store.apply(H, Change(set={"a": "x", "n": 3}, expect={"a": None}), now=NOW)
    store.apply(H, Change(set={"a": "y"}, expect={"a": "x", "n": 3}), now=NOW)
    with pytest.raises(Conflict):
        store.apply(H, Change(set={"a": "z"}, expect={"n": 4}), now=NOW)
    with pytest.raises(Conflict):
        entry = Entry("win", "w", NOW, NOW + timedelta(days=1))
        store.apply(H, Change(add={"count.win": 1}, expect={"a": None}, entry=entry), now=NOW)
    assert store.read(H).attrs == {"a": "y", "n": 3}
    assert store.entries(H, "win", now=NOW, limit=5) == []


def test_no_raw_alexa_id_is_stored(talk: Talk, store: HouseholdStore) -> None:
    talk(household="RAWID123", person="VOICE77").say('@GratitudeIntent "gratitude=a quiet walk"')
    raw = raw_contents(store)
    assert b"RAWID123" not in raw and b"VOICE77" not in raw
    assert household_key("RAWID123").encode() in raw


# --- concurrency ----------------------------------------------------------------------------
WINS_PER_WORKER = 25


def _practise(spec: Spec, worker: int, day_offset: int = 0) -> None:
    """One device (its own store and connection) celebrating wins through ``invoke``."""
    s = spec.open()
    clock = Clock(NOW)
    skill = Skill(Services(store=s, clock=clock, alexa=NoAlexaServices("UTC")))
    for i in range(WINS_PER_WORKER):
        now = clock.now = NOW + timedelta(days=day_offset, seconds=i)
        slots = {"win": {"name": "win", "value": f"win {worker}-{i}", "confirmationStatus": "NONE"}}
        request = intent_request("CelebrateWinIntent", slots)
        out = skill.invoke(envelope(Device(household="busy"), request, now=now, session=None))
        assert out["response"]["card"]["content"] == f"Win {worker}-{i}"  # said back, capitalised
    s.close()


def _run_threads(spec: Spec, workers: range) -> None:
    failures: list[BaseException] = []

    def run(worker: int) -> None:
        try:
            _practise(spec, worker)
        except BaseException as exc:  # a thread's failure must fail the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def busy_key() -> str:
    return household_key("busy")


def test_two_threads_hammering_one_household_lose_nothing(
    spec: Spec, store: HouseholdStore
) -> None:
    _run_threads(spec, range(2))
    snap = store.read(busy_key())
    assert snap.int("count.win") == 2 * WINS_PER_WORKER
    assert snap.int(f"day.{date(2026, 11, 25).isoformat()}.win") == 2 * WINS_PER_WORKER
    assert len(store.entries(busy_key(), "win", now=NOW, limit=1000)) == 2 * WINS_PER_WORKER


@pytest.mark.parametrize("backend", ["sqlite", "moto-server"])
def test_two_processes_hammering_one_household_lose_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """moto in-process lives in one process; the loopback server is shared."""
    for process_spec in open_spec(backend, tmp_path, request):
        store = process_spec.open()
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_practise, args=(process_spec, w)) for w in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
            assert p.exitcode == 0
        snap = store.read(busy_key())
        assert snap.int("count.win") == 2 * WINS_PER_WORKER
        assert len(store.entries(busy_key(), "win", now=NOW, limit=1000)) == 2 * WINS_PER_WORKER
        assert snap.int("streak.current") == 1 and snap.str("streak.last") == "2026-11-25"
        store.close()


def test_concurrent_first_practices_of_a_new_day_keep_the_streak_right(
    spec: Spec, store: HouseholdStore
) -> None:
    _practise(spec, 0, day_offset=-1)  # yesterday
    _run_threads(spec, range(1, 5))
    snap = store.read(busy_key())
    assert snap.int("count.win") == 5 * WINS_PER_WORKER
    assert snap.int("streak.current") == 2 and snap.int("streak.best") == 2


def test_backends_listed() -> None:
    assert BACKENDS == ("sqlite", "moto", "moto-server")
