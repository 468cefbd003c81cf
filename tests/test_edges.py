"""Malformed input never gets a 500 or the generic apology: bad session attributes, null
slots, empty ids, lone surrogates, unreadable bodies; captured text is clipped and every
answer stays under Alexa's 8,000 characters of SSML, even for entries stored long ago."""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from skill.constants import MAX_CAPTURED_CHARS, MAX_SLOT_SSML_CHARS, MAX_SSML_CHARS
from skill.core.skill import Skill
from skill.core.ssml import clip_text
from skill.runtime import Settings
from skill.sim.envelope import Device, SessionState, envelope, intent_request, launch_request
from skill.store.base import Change, Entry
from skill.store.sqlite import SqliteStore
from skill.web.app import create_app
from tests.conftest import Clock
from tests.helpers import household_key, spoke
from tests.test_web import table_rows

APOLOGIES = ("error", "store_error")
BAD_VALUES: list[Any] = [None, [], ["x"], 3, 2.5, True, "text", {"x": "y"}]
SESSION_NAMES = ("recent", "state", "breath", "last", "question")
INTENTS = (
    "AMAZON.RepeatIntent",
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.ResumeIntent",
    "AMAZON.PauseIntent",
    "GratitudeIntent",
    "CelebrateWinIntent",
    "AMAZON.FallbackIntent",
)


@pytest.fixture
def client(skill: Skill) -> FlaskClient:
    return create_app(Settings(store_url="unused", dev=True), skill=skill).test_client()


def post(client: FlaskClient, env: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/alexa", data=json.dumps(env), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def speech(out: dict[str, Any]) -> str:
    return str(out["response"]["outputSpeech"]["ssml"])


def in_session(request: dict[str, Any], clock: Clock, attributes: dict[str, Any]) -> dict[str, Any]:
    state = SessionState(new=False, attributes=attributes)
    return envelope(Device(household="edge"), request, now=clock.now, session=state)


@pytest.mark.parametrize("name", SESSION_NAMES)
@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_session_attributes_of_any_type_get_a_proper_answer(
    client: FlaskClient, clock: Clock, name: str, value: Any
) -> None:
    for intent in INTENTS:
        attributes = {name: value, "state": "breathing"} if name != "state" else {name: value}
        out = post(client, in_session(intent_request(intent, {}), clock, attributes))
        said = speech(out)
        assert not any(spoke(said, key) for key in APOLOGIES), (intent, said)
        assert isinstance(out["sessionAttributes"].get("recent", {}), dict)


@pytest.mark.parametrize(
    "last",
    [{"speech": 3}, {"speech": "hi", "elicit": "ab"}, {"speech": "hi", "elicit": [1, 2]},
     {"speech": "hi", "reprompt": 5}, {"speech": "hi", "elicit": ["A", "b", "c"]}],
)  # fmt: skip
def test_a_malformed_last_answer_is_not_repeated(
    client: FlaskClient, clock: Clock, last: dict[str, Any]
) -> None:
    out = post(client, in_session(intent_request("AMAZON.RepeatIntent"), clock, {"last": last}))
    assert not any(spoke(speech(out), key) for key in APOLOGIES)
    assert spoke(speech(out), "nothing_to_repeat") and not re.search(r"\bhi\b", speech(out))


@pytest.mark.parametrize(
    "slots",
    [{"win": None}, {"win": {"name": "win", "value": None}}, {"win": {"name": "win", "value": 7}},
     {"win": "text"}, {"win": []}],
    ids=["null-slot", "null-value", "number-value", "string-slot", "list-slot"],
)  # fmt: skip
def test_null_and_malformed_slots_are_asked_again(
    client: FlaskClient, clock: Clock, slots: dict[str, Any]
) -> None:
    request = intent_request("CelebrateWinIntent")
    request["intent"]["slots"] = slots
    out = post(client, envelope(Device(household="edge"), request, now=clock.now, session=None))
    said = speech(out)
    assert not any(spoke(said, key) for key in APOLOGIES), said
    assert any(spoke(said, key) for key in ("win_ask", "win_empty"))


def test_a_lone_surrogate_in_a_slot_is_stored_as_a_replacement_character(
    client: FlaskClient, clock: Clock, store: SqliteStore
) -> None:
    body = json.dumps(
        envelope(
            Device(household="edge"),
            intent_request("CelebrateWinIntent", {"win": {"name": "win", "value": "a\ud800b"}}),
            now=clock.now,
            session=None,
        )
    )
    assert "\\ud800" in body  # JSON escapes it; UTF-8 could not carry it
    response = client.post("/alexa", data=body, content_type="application/json")
    assert response.status_code == 200
    assert spoke(speech(response.get_json()), "win_milestone_first")
    household = household_key("edge")
    assert [e.text for e in store.entries(household, "win", now=clock.now, limit=5)] == ["a\ufffdb"]


@pytest.mark.parametrize(
    "request_",
    [launch_request(), intent_request("ProgressIntent"), intent_request("RecallIntent"),
     intent_request("CelebrateWinIntent", {"win": {"name": "win", "value": "we did it"}}),
     intent_request("BreatheIntent")],
    ids=["launch", "progress", "recall", "win", "breathe"],
)  # fmt: skip
def test_an_empty_user_id_is_answered_and_nothing_is_stored(
    client: FlaskClient, clock: Clock, store: SqliteStore, request_: dict[str, Any]
) -> None:
    env = in_session(request_, clock, {})
    env["context"]["System"]["user"]["userId"] = ""
    env["session"]["user"]["userId"] = ""
    out = post(client, env)
    assert not any(spoke(speech(out), key) for key in APOLOGIES)
    assert table_rows(store.path) == 0  # no profile and no entry, under any key


# --- length ---------------------------------------------------------------------------------
def test_a_ten_thousand_character_win_is_clipped_and_the_answer_stays_short(
    client: FlaskClient, clock: Clock, store: SqliteStore
) -> None:
    text = "we did it " * 1000
    request = intent_request("CelebrateWinIntent", {"win": {"name": "win", "value": text}})
    out = post(client, envelope(Device(household="edge"), request, now=clock.now, session=None))
    assert spoke(speech(out), "win_milestone_first")
    assert len(speech(out)) < 2 * MAX_SLOT_SSML_CHARS  # the echo is clipped to the slot limit
    household = household_key("edge")
    (stored,) = store.entries(household, "win", now=clock.now, limit=5)
    assert len(stored.text) <= MAX_CAPTURED_CHARS and text.startswith(stored.text)
    assert stored.text.endswith("it")  # cut at a word


def test_crisis_words_past_the_capture_limit_are_still_heard(
    client: FlaskClient, clock: Clock, store: SqliteStore
) -> None:
    """A long typed answer (the Alexa app takes text) is screened whole, not clipped to
    what is stored: the crisis answer, and nothing stored."""
    text = "we had a long day and " * 15 + "I want to kill myself"
    assert len(text) > MAX_CAPTURED_CHARS
    request = intent_request("GratitudeIntent", {"gratitude": {"name": "gratitude", "value": text}})
    out = post(client, envelope(Device(household="edge"), request, now=clock.now, session=None))
    assert spoke(speech(out), "crisis")
    assert store.count_rows(household_key("edge")) == 0


def test_recall_of_old_long_entries_stays_under_the_ssml_limit(
    client: FlaskClient, clock: Clock, store: SqliteStore
) -> None:
    """Entries stored before the limit existed (10,000 characters, the worst case for
    escaping) are read back clipped: recall of both kinds is under 8,000 characters."""
    household = household_key("edge")
    for i, kind in enumerate(["gratitude", "win"] * 3):
        at = clock.now - timedelta(minutes=10 - i)
        long_text = ("it's <ours> & 'yours' " * 500)[:10_000]
        entry = Entry(kind, long_text, at, at + timedelta(days=90))
        store.apply(household, Change(add={f"count.{kind}": 1}, entry=entry), now=at)
    out = post(client, envelope(Device(household="edge"), intent_request("RecallIntent"),
                                now=clock.now, session=None))  # fmt: skip
    said = speech(out)
    assert len(said) <= MAX_SSML_CHARS
    assert spoke(said, "recall_gratitudes") and spoke(said, "recall_wins")


def test_a_response_over_the_limit_is_replaced_by_the_apology(
    skill: Skill, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runtime guard itself: a turn whose speech would be over the limit (here a
    route made to say too much) is answered with the short apology, not refused by Alexa."""
    from skill.core import handlers

    def too_long(hi: Any, turn: Any) -> Any:
        return handlers.reply(hi, turn, "x " * MAX_SSML_CHARS)

    routes = [replace(r, do=too_long) if r.name == "find_help" else r for r in handlers.ROUTES]
    monkeypatch.setattr(handlers, "ROUTES", routes)
    long_skill = Skill(skill.services)
    env = envelope(Device(household="edge"), intent_request("FindHelpIntent"), now=clock.now,
                   session=None)  # fmt: skip
    out = long_skill.invoke(env)
    assert spoke(speech(out), "error") and len(speech(out)) < 500


@pytest.mark.parametrize(
    "text",
    ["plain", "x" * 300, "'" * 300, "& " * 200, "word " * 80, "a\ufffdb", ""],
    ids=["plain", "long", "apostrophes", "ampersands", "words", "replacement", "empty"],
)
def test_clip_text_bounds_raw_and_escaped_length(text: str) -> None:
    from skill.core.ssml import escape

    clipped = clip_text(text)
    assert len(clipped) <= MAX_CAPTURED_CHARS and len(escape(clipped)) <= 500
    assert text.startswith(clipped)
    if len(text) <= MAX_CAPTURED_CHARS and len(escape(text)) <= 500:
        assert clipped == text


# --- HTTP ------------------------------------------------------------------------------------
class Broken(io.RawIOBase):
    """A request body that fails while being read, as gunicorn's chunked reader does on
    a malformed chunk (gunicorn.http.errors.InvalidChunkSize is a plain Exception)."""

    def readable(self) -> bool:
        return True

    def readinto(self, _buffer: Any) -> int:
        raise ValueError("Invalid chunk size")


def test_an_unreadable_chunked_body_is_400_not_500(
    skill: Skill, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the WSGI interface, as gunicorn calls it: the body stream raises."""
    from werkzeug.test import EnvironBuilder

    app = create_app(Settings(store_url="unused", dev=True), skill=skill)
    environ = EnvironBuilder(
        method="POST", path="/alexa", headers=[("Transfer-Encoding", "chunked")]
    ).get_environ()
    environ["wsgi.input"] = io.BufferedReader(Broken())
    environ["wsgi.input_terminated"] = True
    environ.pop("CONTENT_LENGTH", None)
    seen: list[str] = []

    def start_response(status: str, _headers: Any, _exc: Any = None) -> Any:
        seen.append(status)
        return lambda _data: None

    chunks = app(environ, start_response)
    body = json.loads(b"".join(chunks))
    assert seen == ["400 BAD REQUEST"] and body["error"] == "body_unreadable"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
