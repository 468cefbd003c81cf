"""A daily reminder the household asked for: set, move, say when, stop; the permission
asked by voice; at most one gentle mention a week. The rules are in
``skill/core/reminders.py``; the API calls go through ``Services.alexa``.

The flow (states in the session):

* "remind us every evening at eight" -> the time said back with the recurrence and a
  question (``Dialog.ConfirmIntent``; state ``reminder_confirm``); no time -> the time is
  asked for (``reminder_time``).
* yes (the intent CONFIRMED) -> set it when the reminders permission is there; else
  ``Connections.SendRequest`` AskFor, with the time in its token, and Alexa asks. Its
  ``Connections.Response``: ACCEPTED sets it; DENIED is respected; NOT_ANSWERED sends
  the consent card when Alexa threw none.
* no (DENIED) -> nothing set, and the time asked for once more; "never mind" ends it.
* "when is our reminder", "stop reminding us": from the store; stopping always works
  here even when Alexa cannot be reached (the token is forgotten and the household is
  told where else to remove it).

Errors of the reminders API each get their own kind words (:class:`AlexaApiError`
``kind``), never the generic apology, and nothing is recorded unless the API said yes.

Never nag (:func:`with_offer`): the reminder is mentioned only when the household asks,
or once in a local week at the end of a saved gratitude or win, on a second day of
practice in that week, never in a session that heard a crisis, support or weariness
answer (whose writes use up the week's mention: ``Turn.quieted``), never when a
reminder is set, and never again once the household stopped one, asked to stop with
none set, or said no to the permission. "Stop reminding us" stops at once, without a question:
stopping must be the easiest thing to say.
"""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, IntentRequest, Response, Slot
from ask_sdk_model.dialog import ConfirmIntentDirective
from ask_sdk_model.interfaces.connections import SendRequestDirective
from ask_sdk_model.ui import AskForPermissionsConsentCard

from skill.core import progress
from skill.core import reminders as rm
from skill.core.handlers.base import log, reply, slot_id, slot_value, state
from skill.core.ssml import to_plain
from skill.core.turn import OFFERED, Turn, utc_stamp
from skill.store.base import Change, Snapshot

INTENT = "SetReminderIntent"
ASKING = ("reminder_time", "reminder_confirm")  # states of the set-up questions
TOKEN_PREFIX = "reminder:"  # noqa: S105 - not a secret: what the AskFor token starts with


# --- reading the request -----------------------------------------------------------------
def confirmation(hi: HandlerInput) -> str:
    request = hi.request_envelope.request
    intent = request.intent if isinstance(request, IntentRequest) else None
    status = getattr(intent, "confirmation_status", None)
    return str(getattr(status, "value", status) or "NONE")


def is_confirmed(hi: HandlerInput, _turn: Turn) -> bool:
    return confirmation(hi) == "CONFIRMED"


def is_denied(hi: HandlerInput, _turn: Turn) -> bool:
    return confirmation(hi) == "DENIED"


def part_said(hi: HandlerInput, turn: Turn) -> str | None:
    """The part of the day in this request, or the one the time question was about
    ("what time in the evening?" answered "eight")."""
    part = rm.part_of(slot_value(hi, "time"), slot_id(hi, "part") or slot_value(hi, "part"))
    if part is None and state(turn) == "reminder_time":
        pending = turn.session.get("pending_part")
        part = pending if isinstance(pending, str) and pending in rm.PARTS else None
    return part


def local_now(turn: Turn) -> rm.Planned:
    local = turn.now.astimezone(turn.zone)
    return rm.Planned(local.hour, local.minute)


def asked_time(hi: HandlerInput, turn: Turn) -> rm.Planned | None:
    """The time in this request, or the one the question before was about."""
    planned = rm.plan(slot_value(hi, "time"), part_said(hi, turn), now=local_now(turn))
    if planned is None:
        pending = turn.session.get("pending")
        planned = rm.Planned.parse(pending if isinstance(pending, str) else None)
    return planned


def said(turn: Turn, daily: rm.Planned) -> str:
    return rm.said_time(daily, turn.content.clock)


# --- the store -------------------------------------------------------------------------------
def reminder_change(snap: Snapshot, token: str | None, daily: rm.Planned | None) -> Change:
    """Keep (or forget) the reminder's alert token and time."""
    if token is None or daily is None:
        return Change(remove=("reminder.token", "reminder.time"))
    return Change(set={"reminder.token": token, "reminder.time": daily.slot})


def declined_change(snap: Snapshot, stamp: str) -> Change:
    """The household stopped a reminder or refused the permission: the skill never
    mentions reminders again unless asked (``reminder.declined``, when it happened)."""
    change = reminder_change(snap, None, None)
    return Change(remove=change.remove, set={"reminder.declined": stamp})


def offered_change(snap: Snapshot, week: str) -> Change:
    return Change(
        set={"reminder.offered": week}, expect={"reminder.offered": snap.str("reminder.offered")}
    )


# --- the handlers ----------------------------------------------------------------------------
def set_reminder(hi: HandlerInput, turn: Turn) -> Response:
    """ "Remind us every evening at eight" / "move our reminder to nine": say it back
    and ask; with no time, ask for one."""
    snap = turn.read()
    was = rm.Planned.parse(snap.str("reminder.time"))
    part = part_said(hi, turn)
    daily = rm.plan(slot_value(hi, "time"), part, was, now=local_now(turn))
    if daily is None:
        return ask_time(hi, turn, part)
    turn.session.pop("pending_part", None)
    if was == daily and snap.str("reminder.token"):
        turn.session.pop("pending", None)
        return reply(hi, turn, turn.voice.say("reminder_same", time=said(turn, daily)))
    if was is not None and was != daily:
        speech = turn.voice.say(
            "reminder_move_confirm", time=said(turn, daily), was=said(turn, was)
        )
    else:
        speech = turn.voice.say("reminder_confirm", time=said(turn, daily))
    return confirm_time(hi, turn, daily, speech)


def confirm_time(hi: HandlerInput, turn: Turn, daily: rm.Planned, speech: str) -> Response:
    """Say the time back and ask (Dialog.ConfirmIntent on SetReminderIntent)."""
    turn.session["pending"] = daily.slot
    out = reply(
        hi,
        turn,
        speech,
        reprompt=turn.voice.say("reprompt_reminder_confirm"),
        next_state="reminder_confirm",
    )
    updated = Intent(
        name=INTENT,
        slots={"time": Slot(name="time", value=daily.slot), "part": Slot(name="part")},
        confirmation_status=IntentConfirmationStatus.NONE,
    )
    hi.response_builder.add_directive(ConfirmIntentDirective(updated_intent=updated))
    return out


def ask_time(hi: HandlerInput, turn: Turn, part: str | None, key: str | None = None) -> Response:
    """Ask what time (``key``, or the question naming the part of the day already
    said); that part is kept for the answer."""
    turn.session.pop("pending", None)
    if part is None:
        turn.session.pop("pending_part", None)
        speech = turn.voice.say(key or "reminder_ask_time")
    else:
        turn.session["pending_part"] = part
        named = str(turn.content.clock.get("part_names", {}).get(part, ""))
        speech = turn.voice.say(key) if key else turn.voice.say("reminder_ask_time_in", part=named)
    return reply(
        hi,
        turn,
        speech,
        reprompt=turn.voice.say("reprompt_reminder_time"),
        elicit=(INTENT, "time"),
        next_state="reminder_time",
    )


def reminder_not_heard(hi: HandlerInput, turn: Turn) -> Response:
    """Words the set-up questions could not read: nothing is set. After the time was
    said back ("um"), the same question again, with its time, so a yes confirms what
    was just heard; after the time was asked, the time is asked for afresh."""
    pending = rm.Planned.parse(str(turn.session.get("pending") or ""))
    if state(turn) == "reminder_confirm" and pending is not None:
        speech = turn.voice.say("reminder_confirm_again", time=said(turn, pending))
        return confirm_time(hi, turn, pending, speech)
    return ask_time(hi, turn, None, "reminder_not_heard")


def reminder_time_again(hi: HandlerInput, turn: Turn) -> Response:
    """ "Yes" to "what time would suit you?": the question again, the part of the day
    already said kept."""
    return ask_time(hi, turn, part_said(hi, turn), "reminder_which_time")


def reminder_yes(hi: HandlerInput, turn: Turn) -> Response:
    """Yes to the time said back: set it, or ask Alexa for the permission first."""
    daily = asked_time(hi, turn)
    turn.session.pop("pending", None)
    if daily is None:
        return set_reminder(hi, turn)
    if not rm.granted(hi.request_envelope):
        return ask_permission(hi, turn, daily)
    return put_reminder(hi, turn, daily)


def reminder_no(hi: HandlerInput, turn: Turn) -> Response:
    """No to the time said back: nothing set; another time may be said, once."""
    turn.session.pop("pending", None)
    return reply(
        hi,
        turn,
        turn.voice.say("reminder_declined"),
        reprompt=turn.voice.say("reprompt_reminder_time"),
        elicit=(INTENT, "time"),
        next_state="reminder_time",
    )


def reminder_dropped(hi: HandlerInput, turn: Turn) -> Response:
    """ "Never mind" while a time was asked for or said back."""
    turn.session.pop("pending", None)
    return reply(hi, turn, turn.voice.say("reminder_dropped"))


def ask_permission(hi: HandlerInput, turn: Turn, daily: rm.Planned) -> Response:
    """Alexa asks for the reminders permission by voice; the time rides in the token."""
    out = reply(hi, turn, turn.voice.say("reminder_permission_ask"))
    hi.response_builder.add_directive(
        SendRequestDirective(
            name="AskFor",
            payload={
                "@type": "AskForPermissionsConsentRequest",
                "@version": "1",
                "permissionScope": rm.SCOPE,
            },
            token=f"{TOKEN_PREFIX}{daily.slot}",
        )
    )
    return out


def permission_answer(hi: HandlerInput, turn: Turn) -> Response:
    """The answer to AskFor: ACCEPTED sets the reminder; DENIED is respected;
    NOT_ANSWERED gets the consent card when Alexa threw none."""
    request = hi.request_envelope.request
    payload = getattr(request, "payload", None) or {}
    token = getattr(request, "token", None)
    status = str(payload.get("status") or "") if isinstance(payload, dict) else ""
    daily = None
    if isinstance(token, str) and token.startswith(TOKEN_PREFIX):
        daily = rm.Planned.parse(token[len(TOKEN_PREFIX) :])
    if status == "ACCEPTED" and daily is not None:
        return put_reminder(hi, turn, daily)
    if status == "DENIED":
        turn.update(lambda s: declined_change(s, utc_stamp(turn.now)))
        return reply(hi, turn, turn.voice.say("reminder_permission_denied"))
    thrown = str(payload.get("isCardThrown") or "").lower() == "true"
    if not thrown:
        hi.response_builder.set_card(AskForPermissionsConsentCard(permissions=[rm.SCOPE]))
    return reply(hi, turn, turn.voice.say("reminder_permission_card"))


def put_reminder(hi: HandlerInput, turn: Turn, daily: rm.Planned) -> Response:
    """Create the daily reminder, or move the one there is; keep its token."""
    snap = turn.read()
    token = snap.str("reminder.token")
    body = rm.request(
        daily,
        now=turn.now,
        zone=turn.zone,
        locale=turn.content.locale,
        text=to_plain(turn.voice.say("reminder_text")),
    )
    alexa = turn.services.alexa
    envelope = hi.request_envelope
    moved = token is not None  # as the household hears it, even when set anew below
    try:
        if token is not None:
            try:
                alexa.update_reminder(envelope, token, body)
            except rm.AlexaApiError as exc:
                if exc.kind != "gone":  # deleted in the Alexa app: set a new one
                    raise
                token = None
        if token is None:
            token = alexa.create_reminder(envelope, body)
    except rm.AlexaApiError as exc:
        log.info("reminder not set status=%s", exc.status)
        return api_trouble(hi, turn, exc)
    turn.update(lambda s: reminder_change(s, token, daily), snap)
    key = "reminder_moved" if moved else "reminder_set"
    return reply(hi, turn, turn.voice.say(key, time=said(turn, daily)))


def api_trouble(hi: HandlerInput, turn: Turn, exc: rm.AlexaApiError) -> Response:
    """A kind answer for each way the reminders API can say no; nothing was set."""
    if exc.kind == "permission":
        hi.response_builder.set_card(AskForPermissionsConsentCard(permissions=[rm.SCOPE]))
        return reply(hi, turn, turn.voice.say("reminder_permission_missing"))
    key = {"forbidden": "reminder_forbidden", "busy": "reminder_busy"}.get(
        exc.kind, "reminder_unavailable"
    )
    return reply(hi, turn, turn.voice.say(key))


def reminder_status(hi: HandlerInput, turn: Turn) -> Response:
    """ "When is our reminder"."""
    snap = turn.read()
    daily = rm.Planned.parse(snap.str("reminder.time"))
    if daily is None:  # no pitch to a household that stopped one or said no
        key = (
            "reminder_status_declined" if snap.str("reminder.declined") else "reminder_status_none"
        )
        return reply(hi, turn, turn.voice.say(key))
    return reply(hi, turn, turn.voice.say("reminder_status", time=said(turn, daily)))


def stop_reminder(hi: HandlerInput, turn: Turn) -> Response:
    """ "Stop reminding us": always works. The reminder is deleted when Alexa can be
    reached; when it cannot, or the permission is gone, the skill forgets it and says
    where to remove it."""
    snap = turn.read()
    token = snap.str("reminder.token")
    if token is None:  # none to stop, but the wish is heard: never brought up again
        if not snap.str("reminder.declined"):
            turn.update(lambda s: declined_change(s, utc_stamp(turn.now)), snap)
        return reply(hi, turn, turn.voice.say("reminder_stop_none"))
    key = "reminder_stopped"
    try:
        turn.services.alexa.delete_reminder(hi.request_envelope, token)
    except rm.AlexaApiError as exc:
        if exc.kind in ("busy", "unavailable"):
            log.info("reminder not deleted status=%s", exc.status)
            return reply(hi, turn, turn.voice.say("reminder_unavailable"))
        if exc.kind != "gone":
            key = "reminder_stop_in_app"
    turn.update(lambda s: declined_change(s, utc_stamp(turn.now)), snap)
    return reply(hi, turn, turn.voice.say(key))


def forget_reminder(turn: Turn) -> None:
    """The reminders permission was taken back: the token is of no use any more."""
    if turn.household and turn.read().str("reminder.token"):
        turn.update(lambda s: reminder_change(s, None, None))
        log.info("reminder forgotten on permission change")


# --- the one gentle mention --------------------------------------------------------------------
def with_offer(turn: Turn, speech: str) -> str:
    """``speech``, and the reminder mentioned once in a local week when it may help
    (see the module's notes); only from what this turn has already read."""
    snap = turn.snap
    if snap is None or turn.session.get("cared") is True or state(turn) in ASKING:
        return speech
    if turn.verdict.crisis or turn.verdict.support or snap.str("reminder.time"):
        return speech
    if snap.str("reminder.declined"):  # they stopped one, or said no: never again
        return speech
    week = progress.week_key(turn.today)
    if snap.str(OFFERED) == week:
        return speech
    if progress.days_practised(snap, turn.today, include_today=True) < 2:
        return speech
    turn.update(lambda s: offered_change(s, week), snap)
    return f"{speech} {turn.voice.say('reminder_offer')}"
