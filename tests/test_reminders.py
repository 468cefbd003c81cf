"""The daily reminder against a fake Alexa API on 127.0.0.1: the exact REST calls and
bodies, the permission asked by voice, every error answered kindly, the skill events,
and the one gentle mention a week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from skill.core import reminders as rm
from skill.core.skill import Skill
from skill.core.turn import Services
from skill.runtime import AlexaApiServices, TimeoutApiClient
from skill.sim.envelope import Device
from skill.sim.session import Conversation, TurnResult
from skill.store.sqlite import SqliteStore
from tests.conftest import Clock
from tests.fake_alexa import REMINDERS, FakeAlexaApi
from tests.helpers import household_key, spoke

SCOPE = rm.SCOPE


@pytest.fixture
def api() -> Iterator[FakeAlexaApi]:
    fake = FakeAlexaApi().start()
    yield fake
    fake.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 1, 18, 0, tzinfo=UTC))


@pytest.fixture
def served(store: SqliteStore, clock: Clock) -> Skill:
    alexa = AlexaApiServices(
        TimeoutApiClient(loopback_http=True),
        TimeoutApiClient(0.5, loopback_http=True),
    )
    return Skill(Services(store=store, clock=clock, alexa=alexa))


def talk(
    skill: Skill, api: FakeAlexaApi, clock: Clock, *, granted: bool = True, locale: str = "en-GB"
) -> Conversation:
    device = Device(
        household="test", locale=locale, api_endpoint=api.url, granted={SCOPE} if granted else set()
    )
    return Conversation(skill, device, clock)


def keys(result: TurnResult) -> tuple[str, ...]:
    assert result.keys is not None
    return result.keys


def stored(store: SqliteStore) -> dict[str, Any]:
    return dict(store.read(household_key()).attrs)


def ask_at_eight(convo: Conversation) -> TurnResult:
    """Open the skill and ask for a reminder at eight in the evening: it is said back."""
    convo.say("open resilient together")
    asked = convo.say("remind us every evening at eight")
    assert "reminder_confirm" in keys(asked)
    return asked


def set_at_eight(convo: Conversation) -> TurnResult:
    ask_at_eight(convo)
    return convo.say("yes")


# --- setting it ------------------------------------------------------------------------------
def test_a_reminder_is_said_back_then_set_with_the_exact_rest_call(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    convo = talk(served, api, clock)
    convo.say("open resilient together")
    asked = convo.say("remind us every evening at eight")
    assert "reminder_confirm" in keys(asked)
    assert "8 in the evening" in asked.speech  # the time and "every day" said back
    assert [d["type"] for d in asked.directives] == ["Dialog.ConfirmIntent"]
    assert not api.reminder_calls()  # nothing is set before the yes
    done = convo.say("yes")
    assert "reminder_set" in keys(done)
    [call] = api.reminder_calls()
    assert (call.method, call.path) == ("POST", REMINDERS)
    assert call.authorization == "Bearer SIMULATED_API_ACCESS_TOKEN"
    trigger = call.body["trigger"]
    assert trigger["type"] == "SCHEDULED_ABSOLUTE"
    assert trigger["timeZoneId"] == "Europe/London"  # the device's zone, from the settings API
    assert trigger["scheduledTime"] == "2026-12-01T20:00:00"  # the next 8 pm, local
    assert trigger["recurrence"]["recurrenceRules"] == [
        "FREQ=DAILY;BYHOUR=20;BYMINUTE=0;BYSECOND=0;INTERVAL=1"
    ]
    [spoken] = call.body["alertInfo"]["spokenInfo"]["content"]
    assert spoken["locale"] == "en-GB" and "Resilient Together" in spoken["text"]
    assert call.body["pushNotification"] == {"status": "ENABLED"}
    attrs = stored(store)
    assert attrs["reminder.token"] == "token-1" and attrs["reminder.time"] == "20:00"


def test_no_time_asks_for_one_then_says_it_back(
    served: Skill, api: FakeAlexaApi, clock: Clock
) -> None:
    convo = talk(served, api, clock)
    asked = convo.say("ask resilient together to set a daily reminder")
    assert "reminder_ask_time" in keys(asked)
    assert asked.directives[0]["type"] == "Dialog.ElicitSlot"
    back = convo.say("half past seven in the evening")
    assert "reminder_confirm" in keys(back) and "7:30 in the evening" in back.speech
    assert "reminder_set" in keys(convo.say("yes"))
    assert api.reminders["token-1"]["trigger"]["recurrence"]["recurrenceRules"] == [
        "FREQ=DAILY;BYHOUR=19;BYMINUTE=30;BYSECOND=0;INTERVAL=1"
    ]


def test_no_to_the_time_sets_nothing_and_never_mind_ends_it(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    convo = talk(served, api, clock)
    ask_at_eight(convo)
    declined = convo.say("no")
    assert "reminder_declined" in keys(declined) and declined.end_session is False
    assert "reminder_dropped" in keys(convo.say("never mind"))
    assert not api.reminder_calls()
    assert "reminder.token" not in stored(store)


# --- the permission, by voice ------------------------------------------------------------------
def test_without_the_permission_alexa_asks_and_accepted_sets_it(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    convo = talk(served, api, clock, granted=False)
    asked = set_at_eight(convo)
    assert "reminder_permission_ask" in keys(asked)
    [directive] = asked.directives
    assert directive == {
        "type": "Connections.SendRequest",
        "name": "AskFor",
        "payload": {
            "@type": "AskForPermissionsConsentRequest",
            "@version": "1",
            "permissionScope": SCOPE,
        },
        "token": "reminder:20:00",
    }
    assert not api.reminder_calls()
    done = convo.say("yes")  # to Alexa's own question: a Connections.Response ACCEPTED
    assert done.request["request"]["type"] == "Connections.Response"
    assert "reminder_set" in keys(done)
    assert [c.method for c in api.reminder_calls()] == ["POST"]
    assert stored(store)["reminder.time"] == "20:00"


def test_denied_is_respected(served: Skill, api: FakeAlexaApi, clock: Clock) -> None:
    convo = talk(served, api, clock, granted=False)
    set_at_eight(convo)
    denied = convo.say("no")
    assert "reminder_permission_denied" in keys(denied) and denied.card is None
    assert not api.reminder_calls()


def test_not_answered_sends_the_consent_card_when_alexa_threw_none(
    served: Skill, api: FakeAlexaApi, clock: Clock
) -> None:
    convo = talk(served, api, clock, granted=False)
    set_at_eight(convo)
    unanswered = convo.say("what")
    assert unanswered.request["request"]["payload"]["status"] == "NOT_ANSWERED"
    assert "reminder_permission_card" in keys(unanswered)
    assert unanswered.card == {"type": "AskForPermissionsConsent", "permissions": [SCOPE]}


def test_not_answered_with_a_card_thrown_sends_no_second_card(
    served: Skill, api: FakeAlexaApi, clock: Clock
) -> None:
    convo = talk(served, api, clock, granted=False)
    convo.say("open resilient together")
    result = served.invoke_recorded(
        _connections_response(
            api, {"permissionScope": SCOPE, "status": "NOT_ANSWERED", "isCardThrown": "true"}
        )
    )
    assert "reminder_permission_card" in result.keys
    assert result.response["response"].get("card") is None


def _connections_response(api: FakeAlexaApi, payload: dict[str, Any]) -> dict[str, Any]:
    device = Device(household="test", locale="en-GB", api_endpoint=api.url)
    from skill.sim import envelope as env

    request = env.connections_response("AskFor", payload, "reminder:20:00")
    return env.envelope(device, request, now=datetime(2026, 12, 1, 18, tzinfo=UTC), session=None)


# --- every error a kind answer, nothing recorded ---------------------------------------------
@pytest.mark.parametrize(
    ("status", "key"),
    [
        (401, "reminder_permission_missing"),
        (403, "reminder_forbidden"),
        (429, "reminder_busy"),
        (500, "reminder_unavailable"),
        (503, "reminder_unavailable"),
    ],
)
def test_api_errors_on_create_get_their_own_kind_answer(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore, status: int, key: str
) -> None:
    api.fail(status)
    result = set_at_eight(talk(served, api, clock))
    assert key in keys(result)
    assert "error" not in keys(result) and "store_error" not in keys(result)
    assert "reminder.token" not in stored(store)
    if status == 401:  # the way to allow it, on the phone
        assert result.card == {"type": "AskForPermissionsConsent", "permissions": [SCOPE]}


def test_a_stalled_api_is_answered_within_the_timeout(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    convo = talk(served, api, clock)
    ask_at_eight(convo)
    api.delay = 1.5  # the reminders client gives up after 0.5 s
    result = convo.say("yes")
    api.delay = 0
    assert "reminder_unavailable" in keys(result)
    assert "reminder.token" not in stored(store)


def test_the_web_shell_answers_200_when_the_api_fails(
    store: SqliteStore, clock: Clock, api: FakeAlexaApi
) -> None:
    from skill.runtime import Settings
    from skill.web.app import create_app

    alexa = AlexaApiServices(
        TimeoutApiClient(loopback_http=True), TimeoutApiClient(0.5, loopback_http=True)
    )
    skill = Skill(Services(store=store, clock=clock, alexa=alexa))
    app = create_app(Settings(store_url="sqlite:///unused", dev=True), skill=skill)
    convo = talk(skill, api, clock)
    ask_at_eight(convo)
    yes = convo.nlu.resolve("yes")
    assert yes.intent == "AMAZON.YesIntent"
    api.fail(500)
    confirmed = {
        "type": "IntentRequest",
        "intent": {
            "name": "SetReminderIntent",
            "confirmationStatus": "CONFIRMED",
            "slots": {"time": {"name": "time", "value": "20:00"}},
        },
    }
    from skill.sim import envelope as env

    body = env.envelope(convo.device, confirmed, now=clock(), session=convo.session)
    answer = app.test_client().post("/alexa", json=body)
    assert answer.status_code == 200
    ssml = answer.get_json()["response"]["outputSpeech"]["ssml"]
    assert spoke(ssml, "reminder_unavailable", "en-GB")


# --- moving, asking when, stopping --------------------------------------------------------------
def test_move_updates_the_same_reminder(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    set_at_eight(talk(served, api, clock))
    convo = talk(served, api, clock)
    asked = convo.say("ask resilient together to move our reminder to nine at night")
    assert "reminder_move_confirm" in keys(asked)
    assert "8 in the evening" in asked.speech and "9 in the evening" in asked.speech
    moved = convo.say("yes")
    assert "reminder_moved" in keys(moved)
    put = api.reminder_calls()[-1]
    assert (put.method, put.path) == ("PUT", f"{REMINDERS}/token-1")
    assert put.body["trigger"]["recurrence"]["recurrenceRules"][0].startswith(
        "FREQ=DAILY;BYHOUR=21;BYMINUTE=0"
    )
    assert stored(store)["reminder.time"] == "21:00"
    assert len(api.reminders) == 1


def test_move_after_it_was_deleted_in_the_app_sets_a_new_one(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    set_at_eight(talk(served, api, clock))
    api.reminders.clear()  # deleted in the Alexa app
    convo = talk(served, api, clock)
    convo.say("ask resilient together to change our reminder to nine pm")
    result = convo.say("yes")
    assert "reminder_moved" in keys(result)  # as the household hears it
    assert [c.method for c in api.reminder_calls()] == ["POST", "PUT", "POST"]
    assert stored(store)["reminder.token"] == "token-2"


def test_when_is_our_reminder_reads_the_store(
    served: Skill, api: FakeAlexaApi, clock: Clock
) -> None:
    none = talk(served, api, clock).say("ask resilient together when is our reminder")
    assert "reminder_status_none" in keys(none)
    set_at_eight(talk(served, api, clock))
    calls = len(api.calls)
    said = talk(served, api, clock).say("ask resilient together when is our reminder")
    assert "reminder_status" in keys(said) and "8 in the evening" in said.speech
    assert len(api.calls) == calls  # no API call to answer it


def test_stop_deletes_it(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    set_at_eight(talk(served, api, clock))
    result = talk(served, api, clock).say("ask resilient together to stop reminding us")
    assert "reminder_stopped" in keys(result)
    delete = api.reminder_calls()[-1]
    assert (delete.method, delete.path) == ("DELETE", f"{REMINDERS}/token-1")
    assert "reminder.token" not in stored(store) and not api.reminders
    again = talk(served, api, clock).say("ask resilient together to stop reminding us")
    assert "reminder_stop_none" in keys(again)


@pytest.mark.parametrize(
    ("status", "key", "kept"),
    [
        (404, "reminder_stopped", False),  # already gone: stopped
        (401, "reminder_stop_in_app", False),  # permission gone: forgotten, told where
        (403, "reminder_stop_in_app", False),
        (429, "reminder_unavailable", True),  # not reached: kept, to try again
        (500, "reminder_unavailable", True),
    ],
)
def test_stop_always_gets_a_kind_answer(
    served: Skill,
    api: FakeAlexaApi,
    clock: Clock,
    store: SqliteStore,
    status: int,
    key: str,
    kept: bool,
) -> None:
    set_at_eight(talk(served, api, clock))
    api.fail(status)
    result = talk(served, api, clock).say("ask resilient together to stop reminding us")
    assert key in keys(result)
    assert ("reminder.token" in stored(store)) is kept


# --- skill events ------------------------------------------------------------------------------
def test_permission_changed_without_reminders_forgets_it(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    set_at_eight(talk(served, api, clock))
    kept = talk(served, api, clock).say("@SkillPermissionChanged reminders")
    assert kept.ssml is None and stored(store)["reminder.token"] == "token-1"
    revoked = talk(served, api, clock).say("@SkillPermissionChanged")
    assert revoked.ssml is None
    attrs = stored(store)
    assert "reminder.token" not in attrs and "reminder.time" not in attrs
    assert attrs.get("count.gratitude") is None  # nothing else is touched
    assert "seen.first" in attrs


def test_skill_enabled_records_nothing_and_disabled_erases_the_token(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    talk(served, api, clock).say("@SkillEnabled")
    assert stored(store) == {}
    set_at_eight(talk(served, api, clock))
    talk(served, api, clock).say("@SkillDisabled")
    assert stored(store) == {}


# --- never nag ----------------------------------------------------------------------------------
def test_one_gentle_mention_a_week_on_a_second_day_never_after_care(
    served: Skill, api: FakeAlexaApi, clock: Clock, store: SqliteStore
) -> None:
    def win(words: str) -> tuple[str, ...]:
        return keys(
            talk(served, api, clock).say(f"ask resilient together to celebrate that {words}")
        )

    assert "reminder_offer" not in win("we went for a walk")  # the first day: no mention
    clock.advance(days=1)
    assert "reminder_offer" in win("we cooked together")  # a second day: once
    assert "reminder_offer" not in win("we laughed")  # once a week
    clock.advance(days=7)  # a new week, and its first day of practice: no mention yet
    cared = talk(served, api, clock)
    cared.say("open resilient together")
    cared.say("i'm exhausted and everything feels too much")
    cared.say("gratitude")
    assert "reminder_offer" not in keys(cared.say("my sister rang"))  # never after care
    clock.advance(days=1, minutes=2)
    assert "reminder_offer" not in win("we tidied up")  # the care quieted this week
    clock.advance(days=7)
    win("we slept")
    clock.advance(days=1)
    assert "reminder_offer" in win("we swam")  # the next week, on its second day
    set_at_eight(talk(served, api, clock))
    clock.advance(days=8)
    win("we read")
    clock.advance(days=1)
    assert "reminder_offer" not in win("we sang")  # a reminder is set: never


# --- the pure rules -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "part", "want"),
    [
        ("20:00", None, "20:00"),
        ("08:00", "evening", "20:00"),
        ("09:00", "night", "21:00"),
        ("07:30", "morning", "07:30"),
        ("12:00", "morning", "00:00"),
        ("03:00", None, "15:00"),  # a bare "three": the afternoon
        ("07:00", None, "07:00"),
        ("EV", None, None),  # a part of the day alone is asked about, never guessed
        ("NI", None, None),
        (None, "morning", None),
        ("08:00", "EV", "20:00"),  # AMAZON.TIME's own part code in the part slot
        ("nonsense", None, None),
        (None, None, None),
    ],
)
def test_plan(value: str | None, part: str | None, want: str | None) -> None:
    planned = rm.plan(value, part)
    assert (planned.slot if planned else None) == want


@pytest.mark.parametrize(
    ("value", "near", "want"),
    [("08:00", "21:00", "20:00"), ("07:00", "08:00", "07:00"), ("10:00", "23:00", "22:00")],
)
def test_moving_keeps_to_the_nearer_half_of_the_day(value: str, near: str, want: str) -> None:
    planned = rm.plan(value, None, rm.Planned.parse(near))
    assert planned is not None and planned.slot == want


@pytest.mark.parametrize(
    ("value", "now", "want"),
    [("09:00", "18:30", "21:00"), ("08:00", "09:00", "20:00"), ("07:00", "06:00", "07:00")],
)
def test_a_bare_hour_is_the_reading_that_comes_round_next(value: str, now: str, want: str) -> None:
    planned = rm.plan(value, None, now=rm.Planned.parse(now))
    assert planned is not None and planned.slot == want


def test_the_reminder_starts_tomorrow_when_the_time_has_passed_today() -> None:
    from zoneinfo import ZoneInfo

    now = datetime(2026, 12, 1, 21, 30, tzinfo=UTC)
    body = rm.request(
        rm.Planned(20, 0), now=now, zone=ZoneInfo("Europe/London"), locale="en-GB", text="x"
    )
    assert body.trigger is not None
    assert body.trigger.scheduled_time == datetime(2026, 12, 2, 20, 0)


def test_the_fake_api_is_loopback_only() -> None:
    from ask_sdk_model.services import ApiClientRequest

    client = TimeoutApiClient(loopback_http=True)
    request = ApiClientRequest(url="http://example.com/v1/alerts/reminders", method="GET")
    with pytest.raises(ValueError, match="only https"):
        client.invoke(request)
