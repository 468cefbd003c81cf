"""Each turn is applied exactly once, keyed by the Alexa request id, on every backend:
a replayed signed request, a write whose answer is lost and that botocore retries, the
same ``once`` key applied twice through the store contract."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from skill.core.skill import Skill
from skill.core.turn import NoAlexaServices, Services
from skill.runtime import Settings
from skill.sim.envelope import Device, envelope, intent_request
from skill.store.base import ONCE_KEEP_MAX, ONCE_KEEP_S, Change, Entry, hash_id
from skill.store.dynamodb import READ_TIMEOUT_S, DynamoStore, create_table, make_client
from skill.store.moto_server import SerialisedMotoServer
from skill.store.sqlite import SqliteStore
from skill.web.app import create_app
from tests.backends import Spec, start_moto_server
from tests.certs import NOW, SKILL_ID, TestPKI
from tests.conftest import PROD_SALT, Clock
from tests.helpers import household_key, spoke

H = "h" * 32


def win_envelope(text: str, household: str = "fam") -> dict[str, Any]:
    slots = {"win": {"name": "win", "value": text, "confirmationStatus": "NONE"}}
    return envelope(
        Device(household=household),
        intent_request("CelebrateWinIntent", slots),
        now=NOW,
        session=None,
    )


# --- the store contract ------------------------------------------------------------------------
def test_the_same_once_key_is_applied_once(spec: Spec) -> None:
    store = spec.open()
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    change = Change(add={"count.win": 1}, set={"streak.last": "2026-11-25"})
    first = store.apply(H, change, now=now, once="req-1#0")
    again = store.apply(H, change, now=now, once="req-1#0", base=first)
    assert first.attrs == again.attrs == {"count.win": 1, "streak.last": "2026-11-25"}
    # Another key is another write.
    other = store.apply(H, change, now=now, once="req-2#0", base=again)
    assert other.int("count.win") == 2
    # A replay is recognised before its expectation is checked: it is not a conflict.
    guarded = Change(add={"count.win": 1}, expect={"streak.last": None})
    assert store.apply(H, guarded, now=now, once="req-2#0").int("count.win") == 2
    assert store.read(H).int("count.win") == 2
    store.close()


def test_an_entry_written_once_per_key(spec: Spec) -> None:
    store = spec.open()
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    entry = Entry("win", "we fixed the shelf", now, now + timedelta(days=90))
    change = Change(add={"count.win": 1}, entry=entry)
    base = store.read(H)
    after = store.apply(H, change, now=now, base=base, once="req-9#0")
    replay = store.apply(H, change, now=now, base=base, once="req-9#0")
    assert after.int("count.win") == replay.int("count.win") == 1
    assert [e.text for e in store.entries(H, "win", now=now, limit=10)] == ["we fixed the shelf"]
    assert store.read(H).attrs == {"count.win": 1}  # markers never show in the profile
    store.close()


def test_old_markers_are_forgotten_and_the_profile_stays_small(spec: Spec) -> None:
    store = spec.open()
    start = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
    snap = store.read(H)
    for i in range(ONCE_KEEP_MAX + 10):
        now = start + timedelta(seconds=i)
        snap = store.apply(H, Change(add={"count.win": 1}), now=now, base=snap, once=f"r{i}")
    assert store.read(H).int("count.win") == ONCE_KEEP_MAX + 10
    if isinstance(store, DynamoStore):
        assert len(store.read(H).markers) <= ONCE_KEEP_MAX
    # The newest key is still remembered; one older than the window is not.
    late = start + timedelta(seconds=ONCE_KEEP_MAX + 10)
    newest = f"r{ONCE_KEEP_MAX + 9}"
    assert store.apply(H, Change(add={"count.win": 1}), now=late, once=newest).int("count.win") == (
        ONCE_KEEP_MAX + 10
    )
    much_later = late + timedelta(seconds=ONCE_KEEP_S + 60)
    snap = store.apply(H, Change(add={"count.x": 1}), now=much_later, base=store.read(H), once="z")
    if isinstance(store, DynamoStore):
        assert len(snap.markers) <= 1
    else:  # SQLite bounds its markers by age: only "z" is left
        assert isinstance(store, SqliteStore)
        assert store.count_rows(H) == 1 + 1  # the profile row and one marker
    # A key older than the window is forgotten on every backend: applied again.
    again = store.apply(H, Change(add={"count.win": 1}), now=much_later, once="r0")
    assert again.int("count.win") == ONCE_KEEP_MAX + 11
    store.close()


# --- a replayed signed request through Flask ------------------------------------------------
def test_a_replayed_signed_request_is_stored_once_and_answered_each_time(tmp_path: Path) -> None:
    pki = TestPKI()
    store = SqliteStore(tmp_path / "prod.db")
    salt = PROD_SALT
    skill = Skill(Services(store=store, clock=Clock(NOW), alexa=NoAlexaServices("UTC"), salt=salt))
    app = create_app(
        Settings(store_url="unused", skill_id=SKILL_ID, salt=salt),
        skill=skill,
        verifier=pki.verifier(),
    )
    client = app.test_client()
    headers, body = pki.signed_request(win_envelope("we painted the kitchen together"))
    answers = []
    for _ in range(3):  # Alexa's retry, or someone replaying a captured request
        response = client.post("/alexa", data=body, headers=headers)
        assert response.status_code == 200
        answers.append(response.get_json()["response"])
    for answer in answers:
        assert spoke(answer["outputSpeech"]["ssml"], "win_milestone_first")
        assert answer["card"]["content"] == "You painted the kitchen together"  # said back
    household = hash_id("amzn1.ask.account.fam", salt=salt)
    assert store.read(household).int("count.win") == 1
    assert len(store.entries(household, "win", now=NOW, limit=10)) == 1
    store.close()


# --- a DynamoDB write answered late and retried by botocore -------------------------------------
@pytest.fixture
def slow_server() -> Iterator[tuple[SerialisedMotoServer, str]]:
    server, url = start_moto_server()
    yield server, url
    server.stop()


@pytest.mark.parametrize(
    ("operation", "request_"),
    [
        ("TransactWriteItems", win_envelope("we finally sorted out the budget")),
        (
            "UpdateItem",
            envelope(
                Device(household="fam"),
                intent_request("BreatheIntent", {}),
                now=NOW,
                session=None,
            ),
        ),
    ],
    ids=["win-transaction", "breathe-update"],
)
def test_a_write_answered_late_and_retried_by_botocore_counts_once(
    slow_server: tuple[SerialisedMotoServer, str], operation: str, request_: dict[str, Any]
) -> None:
    server, url = slow_server
    table = f"slow-{operation}"
    create_table(make_client(endpoint_url=url), table)
    store = DynamoStore(table, make_client(endpoint_url=url))
    attempts: list[str] = []
    store.client.meta.events.register(
        "before-send.dynamodb.*", lambda request, **_: attempts.append(request.url)
    )
    skill = Skill(Services(store=store, clock=Clock(NOW), alexa=NoAlexaServices("UTC")))
    # The first write is applied, then its answer comes after the client's read timeout.
    server.delay(operation, READ_TIMEOUT_S + 0.5)
    out = skill.invoke(request_)
    speech = out["response"]["outputSpeech"]["ssml"]
    assert not spoke(speech, "store_error"), speech
    assert server.seen[operation] == 2  # botocore did retry the write
    kind = "win" if operation == "TransactWriteItems" else "breathe"
    assert store.read(household_key("fam")).int(f"count.{kind}") == 1
    if kind == "win":
        assert len(store.entries(household_key("fam"), "win", now=NOW, limit=10)) == 1
    store.close()


def test_concurrent_replays_of_one_request_store_once(spec: Spec) -> None:
    store = spec.open()
    skill = Skill(Services(store=store, clock=Clock(NOW), alexa=NoAlexaServices("UTC")))
    request = win_envelope("we laughed at dinner")
    outs: list[dict[str, Any]] = []

    def post() -> None:
        outs.append(skill.invoke(request))

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outs) == 6
    for out in outs:
        assert out["response"]["card"]["content"] == "You laughed at dinner"  # said back
    assert store.read(household_key("fam")).int("count.win") == 1
    assert len(store.entries(household_key("fam"), "win", now=NOW, limit=10)) == 1
    store.close()


# --- health proves a write ----------------------------------------------------------------------
def test_ping_writes_on_every_backend(spec: Spec) -> None:
    """/healthz's probe is a write: on DynamoDB an UpdateItem of the health item."""
    store = spec.open()
    store.ping()
    store.ping()
    if isinstance(store, DynamoStore):
        item = store.client.get_item(
            TableName=store.table, Key={"pk": {"S": "HEALTH"}, "sk": {"S": "PROBE"}}
        )["Item"]
        assert item["probes"] == {"N": "2"}
    else:
        assert isinstance(store, SqliteStore)
        import sqlite3

        (rows,) = sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM health").fetchone()
        assert rows == 1
    store.close()
