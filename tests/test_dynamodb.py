"""The DynamoDB store beyond the shared contract: many devices through the web shell, the
calls a turn costs, faults spoken as an apology in time, TTL and the client's set-up.

No test talks to AWS: moto in-process (``mock_aws``) or a loopback moto server, fake
credentials from tests/conftest.py.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.stub import Stubber
from moto import mock_aws

from skill.core.skill import Skill
from skill.core.turn import MAX_CONFLICT_RETRIES, NoAlexaServices, Services
from skill.runtime import Settings
from skill.sim.envelope import Device, envelope, intent_request, launch_request
from skill.store.base import Change, Entry, HouseholdStore, StoreError
from skill.store.dynamodb import (
    CONNECT_TIMEOUT_S,
    PK,
    READ_TIMEOUT_S,
    SK,
    TTL_ATTRIBUTE,
    DynamoStore,
    create_table,
    household_pk,
    make_client,
)
from skill.web.app import create_app
from tests.backends import DYNAMO_BACKENDS, Spec, count_rows, open_spec
from tests.conftest import Clock
from tests.helpers import household_key, spoke

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
APOLOGY_WITHIN_S = 3.0


@pytest.fixture(params=DYNAMO_BACKENDS)
def dynamo_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Spec]:
    yield from open_spec(request.param, tmp_path, request)


@pytest.fixture
def dynamo(dynamo_spec: Spec) -> Iterator[DynamoStore]:
    s = dynamo_spec.open()
    assert isinstance(s, DynamoStore)
    yield s
    s.close()


def win_request(text: str) -> dict[str, Any]:
    slots = {"win": {"name": "win", "value": text, "confirmationStatus": "NONE"}}
    return intent_request("CelebrateWinIntent", slots)


class Device_:
    """One device talking to the skill directly (``invoke``), with a settable clock."""

    def __init__(self, store: HouseholdStore, household: str = "fam") -> None:
        self.clock = Clock(NOW)
        self.skill = Skill(Services(store=store, clock=self.clock, alexa=NoAlexaServices("UTC")))
        self.device = Device(household=household)

    def say(self, request: dict[str, Any]) -> dict[str, Any]:
        env = envelope(self.device, request, now=self.clock.now, session=None)
        return self.skill.invoke(env)


def ssml(out: dict[str, Any]) -> str:
    return str(out["response"]["outputSpeech"]["ssml"])


# --- many devices through the web shell --------------------------------------------------------
THREADS = 8
WINS_EACH = 25


def test_eight_devices_celebrating_at_once_through_flask_lose_nothing(spec: Spec) -> None:
    store = spec.open()
    clock = Clock(NOW)
    skill = Skill(Services(store=store, clock=clock, alexa=NoAlexaServices("UTC")))
    app = create_app(Settings(store_url="unused", dev=True), skill=skill)
    failures: list[str] = []

    def device(worker: int) -> None:
        client = app.test_client()
        for i in range(WINS_EACH):
            text = f"win {worker}-{i}"
            env = envelope(Device(household="busy"), win_request(text), now=NOW, session=None)
            response = client.post("/alexa", json=env)
            body = response.get_json()
            said_back = text[:1].upper() + text[1:]  # the card says it back, capitalised
            if response.status_code != 200 or body["response"].get("card", {}).get("content") != (
                said_back
            ):
                failures.append(f"{text}: {response.status_code} {body}")

    started = time.monotonic()
    threads = [threading.Thread(target=device, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert failures == []
    busy = household_key("busy")
    total = THREADS * WINS_EACH
    assert store.read(busy).int("count.win") == total
    assert store.read(busy).int("day.2026-11-25.win") == total
    texts = {e.text for e in store.entries(busy, "win", now=NOW, limit=1000)}
    assert texts == {f"win {w}-{i}" for w in range(THREADS) for i in range(WINS_EACH)}
    print(f"{spec.backend}: {total} turns in {elapsed:.2f}s")
    store.close()


# --- calls per turn --------------------------------------------------------------------------
READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
WRITES = {"UpdateItem", "PutItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class Calls:
    """Every DynamoDB API call the client makes (botocore ``before-call`` events)."""

    def __init__(self, store: DynamoStore) -> None:
        self.ops: list[str] = []
        store.client.meta.events.register("before-call.dynamodb.*", self._seen)

    def _seen(self, model: Any, **_kwargs: Any) -> None:
        self.ops.append(model.name)

    def take(self) -> tuple[int, int, list[str]]:
        ops, self.ops = self.ops, []
        return (sum(op in READS for op in ops), sum(op in WRITES for op in ops), ops)


def test_a_turn_costs_at_most_one_read_and_one_write(dynamo: DynamoStore) -> None:
    calls = Calls(dynamo)
    d = Device_(dynamo)
    seen: dict[str, tuple[int, int, list[str]]] = {}

    def turn(name: str, request: dict[str, Any]) -> None:
        d.say(request)
        seen[name] = calls.take()

    turn("first launch", launch_request())
    turn("win", win_request("we cooked together"))
    turn("gratitude", intent_request("GratitudeIntent", {"gratitude": {"value": "tea"}}))
    turn("breathe", intent_request("BreatheIntent"))
    turn("reflection", intent_request("ReflectionIntent"))
    turn("second reflection", intent_request("ReflectionIntent"))
    turn("progress", intent_request("ProgressIntent"))
    turn("returning launch", launch_request())
    # As Alexa sends a custom slot: the value with its entity resolution.
    resolved = {
        "resolutionsPerAuthority": [
            {
                "authority": "amzn1.er-authority.echo-sdk.skill.RecallKind",
                "status": {"code": "ER_SUCCESS_MATCH"},
                "values": [{"value": {"name": "wins", "id": "wins"}}],
            }
        ]
    }
    kind = {"name": "kind", "value": "wins", "resolutions": resolved}
    turn("recall wins", intent_request("RecallIntent", {"kind": kind}))
    print({name: ops for name, (_r, _w, ops) in seen.items()})
    for name, (reads, writes, ops) in seen.items():
        assert reads <= 1 and writes <= 1, (name, ops)
    assert seen["first launch"][2] == ["GetItem", "UpdateItem"]
    assert seen["win"][2] == ["GetItem", "TransactWriteItems"]
    assert seen["gratitude"][2] == ["GetItem", "TransactWriteItems"]
    for read_only in ("second reflection", "progress", "returning launch"):
        assert seen[read_only][2] == ["GetItem"], read_only
    assert seen["recall wins"][2] == ["Query"]
    snap = dynamo.read(household_key("fam"))
    assert snap.int("count.win") == 1 and snap.int("count.gratitude") == 1
    assert snap.int("count.reflection") == 1


# --- faults: an apology, in time, nothing half-written -------------------------------------------
def client_error(code: str, operation: str, message: str = "injected") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class Fault:
    """Raise ``make()`` on every call of the given operations (before anything is sent)."""

    def __init__(self, store: DynamoStore, operations: set[str], make: Any) -> None:
        self.operations, self.make, self.hits = operations, make, 0
        store.client.meta.events.register("before-call.dynamodb.*", self._call)

    def _call(self, model: Any, **_kwargs: Any) -> None:
        if model.name in self.operations:
            self.hits += 1
            raise self.make(model.name)


def state(store: DynamoStore, household: str) -> tuple[dict[str, Any], list[str], int]:
    snap = store.read(household)
    entries = [e.text for e in store.entries(household, "win", now=NOW, limit=100)]
    return dict(snap.attrs), entries, count_rows(store, household)


def apologise_in_time(d: Device_, request: dict[str, Any]) -> float:
    started = time.monotonic()
    out = d.say(request)
    elapsed = time.monotonic() - started
    assert spoke(ssml(out), "store_error"), ssml(out)
    assert elapsed < APOLOGY_WITHIN_S, elapsed
    return elapsed


FAULTS: dict[str, tuple[set[str], Any]] = {
    "read throttled": (
        {"GetItem"},
        lambda op: client_error("ProvisionedThroughputExceededException", op),
    ),
    "write throttled": ({"TransactWriteItems"}, lambda op: client_error("ThrottlingException", op)),
    "read timeout": ({"GetItem"}, lambda _op: ReadTimeoutError(endpoint_url="http://x")),
    "write timeout": (
        {"TransactWriteItems"},
        lambda _op: ReadTimeoutError(endpoint_url="http://x"),
    ),
    "connect timeout": ({"GetItem"}, lambda _op: ConnectTimeoutError(endpoint_url="http://x")),
    "transaction cancelled": (
        {"TransactWriteItems"},
        lambda op: client_error("TransactionCanceledException", op, "[None, ValidationError]"),
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failing_store_is_spoken_as_an_apology_in_time(dynamo: DynamoStore, fault: str) -> None:
    d = Device_(dynamo)
    d.say(win_request("the first one"))
    before = state(dynamo, household_key("fam"))
    operations, make = FAULTS[fault]
    injected = Fault(dynamo, operations, make)
    elapsed = apologise_in_time(d, win_request("the second one"))
    assert injected.hits == 1
    print(f"{fault}: apology in {elapsed * 1000:.1f} ms")
    injected.operations = set()
    assert state(dynamo, household_key("fam")) == before


def test_a_storm_of_conflicts_gives_up_after_the_retries(dynamo: DynamoStore) -> None:
    d = Device_(dynamo)
    d.say(win_request("the first one"))
    before = state(dynamo, household_key("fam"))
    calls = Calls(dynamo)

    def cancelled(op: str) -> ClientError:
        error = client_error("TransactionCanceledException", op, "[ConditionalCheckFailed, None]")
        error.response["CancellationReasons"] = [
            {"Code": "ConditionalCheckFailed"},
            {"Code": "None"},
        ]
        return error

    injected = Fault(dynamo, {"TransactWriteItems"}, cancelled)
    elapsed = apologise_in_time(d, win_request("the second one"))
    assert injected.hits == MAX_CONFLICT_RETRIES
    reads, writes, _ops = calls.take()
    assert (reads, writes) == (1 + MAX_CONFLICT_RETRIES, MAX_CONFLICT_RETRIES)
    print(f"conflict storm: apology in {elapsed * 1000:.1f} ms")
    injected.operations = set()
    assert state(dynamo, household_key("fam")) == before


def test_update_item_condition_failures_are_conflicts_too(dynamo: DynamoStore) -> None:
    d = Device_(dynamo)
    injected = Fault(
        dynamo, {"UpdateItem"}, lambda op: client_error("ConditionalCheckFailedException", op)
    )
    apologise_in_time(d, launch_request())
    assert injected.hits == MAX_CONFLICT_RETRIES
    injected.operations = set()
    assert dynamo.read(household_key("fam")).attrs == {}


def test_throttling_with_a_stubbed_client(dynamo: DynamoStore) -> None:
    """botocore's Stubber: the throttled read never reaches a store at all."""
    d = Device_(dynamo)
    with Stubber(dynamo.client) as stub:
        stub.add_client_error(
            "get_item", "ProvisionedThroughputExceededException", http_status_code=400
        )
        apologise_in_time(d, win_request("we went for a walk"))
        stub.assert_no_pending_responses()
    assert dynamo.read(household_key("fam")).attrs == {}


def test_timeouts_are_retried_then_apologised_for(dynamo: DynamoStore) -> None:
    """Through botocore's own retry loop (standard mode, 2 attempts, jittered backoff)."""
    attempts = Counter[str]()

    def timeout(model: Any = None, **kwargs: Any) -> None:
        attempts["send"] += 1
        raise ReadTimeoutError(endpoint_url="http://x")

    dynamo.client.meta.events.register("before-send.dynamodb.GetItem", timeout)
    started = time.monotonic()
    out = Device_(dynamo).say(win_request("we went for a walk"))
    elapsed = time.monotonic() - started
    assert spoke(ssml(out), "store_error")
    assert attempts["send"] == 2
    # Backoff: random() * 1 s.
    assert elapsed < 3.0, elapsed
    print(f"2 timed-out attempts: apology in {elapsed:.2f}s")


def test_an_unreachable_endpoint_is_a_store_error_quickly() -> None:
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = DynamoStore("together", make_client(endpoint_url=f"http://127.0.0.1:{port}"))
    started = time.monotonic()
    with pytest.raises(StoreError) as caught:
        store.ping()
    elapsed = time.monotonic() - started
    assert caught.value.__cause__ is not None
    assert elapsed < 3.5, elapsed
    store.close()


def test_a_table_that_never_answers_gets_an_apology_in_time() -> None:
    """A loopback socket that accepts connections and never replies: the worst case."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)  # held open, never answered
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    store = DynamoStore("together", make_client(endpoint_url=f"http://127.0.0.1:{port}"))
    try:
        started = time.monotonic()
        out = Device_(store).say(win_request("we went for a walk"))
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        server.close()
        store.close()
    assert spoke(ssml(out), "store_error")
    assert elapsed < 4.0, elapsed  # well inside Alexa's ~8 s
    print(f"silent table: apology in {elapsed:.2f}s")


def test_a_missing_table_is_a_store_error(dynamo: DynamoStore) -> None:
    gone = DynamoStore("no-such-table", dynamo.client)
    for call in (
        gone.ping,
        lambda: gone.read("h"),
        lambda: gone.apply("h", Change(add={"count.win": 1}), now=NOW),
        lambda: gone.entries("h", "win", now=NOW, limit=3),
        lambda: gone.erase("h"),
    ):
        with pytest.raises(StoreError) as caught:
            call()
        assert isinstance(caught.value.__cause__, ClientError)


# --- TTL ------------------------------------------------------------------------------------
def test_expired_entries_are_skipped_before_dynamodb_deletes_them(dynamo: DynamoStore) -> None:
    h = "ttl-household"
    short = Entry("win", "short-lived", NOW, NOW + timedelta(days=1, microseconds=500))
    long = Entry("win", "long-lived", NOW - timedelta(seconds=1), NOW + timedelta(days=90))
    dynamo.apply(h, Change(add={"count.win": 1}, entry=short), now=NOW)
    dynamo.apply(h, Change(add={"count.win": 1}, entry=long), now=NOW)
    later = NOW + timedelta(days=2)
    dynamo.apply(h, Change(add={"count.win": 1}), now=later)  # a write does not purge here
    assert count_rows(dynamo, h) == 3  # still in the table...
    assert [e.text for e in dynamo.entries(h, "win", now=later, limit=10)] == ["long-lived"]
    assert count_rows(dynamo, h, live_at=later) == 2  # ...but not for long
    items = dynamo.client.query(
        TableName=dynamo.table,
        KeyConditionExpression="#pk = :pk AND begins_with(#sk, :e)",
        ExpressionAttributeNames={"#pk": PK, "#sk": SK},
        ExpressionAttributeValues={":pk": {"S": household_pk(h)}, ":e": {"S": "E#win#"}},
    )["Items"]
    ttls = sorted(int(item[TTL_ATTRIBUTE]["N"]) for item in items)
    # Epoch seconds (a Number), rounded up so TTL never deletes an entry early.
    assert ttls == [int(short.expires_at.timestamp()) + 1, int(long.expires_at.timestamp())]
    assert all(set(item[TTL_ATTRIBUTE]) == {"N"} for item in items)


def test_entries_paginate_past_expired_ones(dynamo: DynamoStore) -> None:
    h = "many"
    for i in range(12):
        at = NOW + timedelta(minutes=i)
        ttl = timedelta(days=90) if i < 3 else timedelta(hours=1)  # the newest 9 expire
        dynamo.apply(h, Change(entry=Entry("gratitude", f"g{i}", at, at + ttl)), now=at)
    later = NOW + timedelta(days=1)
    calls = Calls(dynamo)
    found = dynamo.entries(h, "gratitude", now=later, limit=2)
    assert [e.text for e in found] == ["g2", "g1"]
    assert calls.take()[2].count("Query") > 1  # Limit counts before the filter


def test_the_table_has_ttl_on_expires_at(dynamo: DynamoStore) -> None:
    ttl = dynamo.client.describe_time_to_live(TableName=dynamo.table)
    spec = ttl["TimeToLiveDescription"]
    assert spec.get("TimeToLiveStatus") == "ENABLED"
    assert spec.get("AttributeName") == TTL_ATTRIBUTE
    table = dynamo.client.describe_table(TableName=dynamo.table)["Table"]
    assert table.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST"
    assert {k["AttributeName"]: k["KeyType"] for k in table.get("KeySchema", [])} == {
        PK: "HASH",
        SK: "RANGE",
    }


# --- the items themselves -------------------------------------------------------------------
def test_the_profile_is_one_item_with_flat_dotted_attributes(dynamo: DynamoStore) -> None:
    h = "flat"
    dynamo.apply(h, Change(add={"count.win": 2, "day.2026-11-25.win": 1}), now=NOW)
    dynamo.apply(
        h, Change(set={"streak.last": "2026-11-25"}, expect={"streak.last": None}), now=NOW
    )
    item = dynamo.client.get_item(
        TableName=dynamo.table, Key={PK: {"S": household_pk(h)}, SK: {"S": "PROFILE"}}
    )["Item"]
    assert item["count.win"] == {"N": "2"}
    assert item["day.2026-11-25.win"] == {"N": "1"}
    assert item["streak.last"] == {"S": "2026-11-25"}
    assert item["version"] == {"N": "2"}
    assert dynamo.read(h).attrs == {
        "count.win": 2,
        "day.2026-11-25.win": 1,
        "streak.last": "2026-11-25",
    }


def test_erase_handles_many_items_and_unprocessed_ones(dynamo: DynamoStore) -> None:
    h = "big"
    for i in range(60):
        at = NOW + timedelta(seconds=i)
        dynamo.apply(h, Change(entry=Entry("win", f"w{i}", at, at + timedelta(days=9))), now=at)
    assert count_rows(dynamo, h) == 61
    original = dynamo.client.batch_write_item
    handed_back = Counter[str]()

    def flaky(**kwargs: Any) -> Any:
        requests = kwargs["RequestItems"][dynamo.table]
        if not handed_back["done"] and len(requests) > 1:  # the first batch: half left over
            handed_back["done"] += 1
            kept = requests[: len(requests) // 2]
            original(RequestItems={dynamo.table: kept})
            return {"UnprocessedItems": {dynamo.table: requests[len(requests) // 2 :]}}
        return original(**kwargs)

    dynamo.client.batch_write_item = flaky  # type: ignore[method-assign]
    dynamo.erase(h)
    assert count_rows(dynamo, h) == 0


def test_reserved_attribute_names_are_refused(dynamo: DynamoStore) -> None:
    for name in (PK, SK, "version"):
        with pytest.raises(ValueError, match="reserved"):
            dynamo.apply("h", Change(set={name: 1}), now=NOW)


# --- the client ------------------------------------------------------------------------------
def test_make_client_has_short_timeouts_and_bounded_retries() -> None:
    client = make_client()
    config: Any = client.meta.config
    assert config.connect_timeout == CONNECT_TIMEOUT_S == 1
    assert config.read_timeout == READ_TIMEOUT_S == 1
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}
    assert client.meta.region_name == "us-east-1"  # from the environment (conftest)
    client.close()


def test_make_client_without_a_region_is_a_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(StoreError, match="NoRegionError"):
        make_client()


def test_create_table_twice_is_a_client_error() -> None:
    with mock_aws():
        client = make_client()
        create_table(client, "t")
        with pytest.raises(ClientError):
            create_table(client, "t")
