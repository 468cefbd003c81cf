"""Opening, the built-ins (help, stop, repeat, start over), skill events and the delete question."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core import practices, progress
from skill.core.handlers.base import log, menu_reply, reply, request_type, silent, state, stay
from skill.core.handlers.breathing import pattern_names
from skill.core.handlers.looking_back import say_reflection
from skill.core.handlers.reminders import forget_reminder
from skill.core.handlers.week import launch_look_back
from skill.core.reminders import SCOPE
from skill.core.ssml import person_name
from skill.core.turn import Turn, utc_stamp


def skill_event(hi: HandlerInput, turn: Turn) -> Response:
    """SkillEnabled records nothing; SkillDisabled erases the household (the reminder's
    token with it); SkillPermissionChanged without the reminders scope forgets the
    reminder (Alexa no longer lets the skill touch it)."""
    kind = request_type(hi)
    if kind == "AlexaSkillEvent.SkillDisabled" and turn.household:
        turn.services.store.erase(turn.household)
        log.info("household erased on SkillDisabled")
    elif kind == "AlexaSkillEvent.SkillPermissionChanged" and not reminders_accepted(hi):
        forget_reminder(turn)
    return silent(hi)


def reminders_accepted(hi: HandlerInput) -> bool:
    """The reminders scope is among a permission event's accepted permissions."""
    body = getattr(hi.request_envelope.request, "body", None)
    accepted = getattr(body, "accepted_permissions", None) or []
    return any(getattr(p, "scope", None) == SCOPE for p in accepted)


def session_ended(hi: HandlerInput, turn: Turn) -> Response:
    request = hi.request_envelope.request
    reason = getattr(request, "reason", None)
    log.info("session ended reason=%s", getattr(reason, "value", reason))
    return silent(hi)


# --- opening, menu, built-ins ------------------------------------------------------------
def launch(hi: HandlerInput, turn: Turn) -> Response:
    turn.session.pop("breath", None)
    snap = turn.read()
    if not snap.str("seen.first"):
        turn.update(lambda s: progress.first_visit_change(s, utc_stamp(turn.now), turn.today), snap)
        return menu_reply(hi, turn, turn.voice.say("launch_first"))
    # A recognised voice is greeted by name (Alexa says it; the skill never knows it).
    name = person_name(turn.person_id) if turn.person_id else None
    looked_back = launch_look_back(turn, snap)  # the first visit of a new local week
    if looked_back is not None:
        greet = turn.voice.say("launch_greet_person", name=name) + " " if name else ""
        after = turn.voice.say("launch_after_look_back")
        return menu_reply(hi, turn, f"{greet}{looked_back} {after}")
    streak = progress.current_streak(snap, turn.today)
    if streak >= 2:
        if name:
            key = "launch_return_streak_person"
            return menu_reply(hi, turn, turn.voice.say(key, name=name, streak=streak))
        return menu_reply(hi, turn, turn.voice.say("launch_return_streak", streak=streak))
    if name:
        return menu_reply(hi, turn, turn.voice.say("launch_return_person", name=name))
    return menu_reply(hi, turn, turn.voice.say("launch_return"))


def help_(hi: HandlerInput, turn: Turn) -> Response:
    return reply(
        hi,
        turn,
        turn.voice.say("help", patterns=pattern_names(turn)),
        reprompt=turn.voice.say("reprompt_help"),
        next_state="menu",
    )


def start_over(hi: HandlerInput, turn: Turn) -> Response:
    turn.session.pop("breath", None)
    return menu_reply(hi, turn, turn.voice.say("menu"))


def stop(hi: HandlerInput, turn: Turn) -> Response:
    if state(turn) in ("breathing", "paused"):
        turn.session.pop("breath", None)
        return reply(hi, turn, turn.voice.say("breathe_stopped"))
    return reply(hi, turn, turn.voice.say("goodbye"))


def navigate_home(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, turn.voice.say("navigate_home"))


def repeat(hi: HandlerInput, turn: Turn) -> Response:
    last = turn.session.get("last")
    if isinstance(last, dict) and isinstance(last.get("speech"), str):
        reprompt = last.get("reprompt")
        elicit = last.get("elicit")
        keys = last.get("keys")
        if isinstance(keys, list):  # the record says the same keys were said again
            turn.voice.spoken.extend(k for k in keys if isinstance(k, str))
        return reply(
            hi,
            turn,
            str(last["speech"]),
            reprompt=reprompt if isinstance(reprompt, str) else None,
            # A repeated question still waits for its answer in the same slot.
            elicit=(str(elicit[0]), str(elicit[1])) if isinstance(elicit, list) else None,
            next_state=state(turn),
        )
    # A new session ("Alexa, ask resilient together to repeat that"): today's reflection
    # is what a household most often wants again, so it is repeated when there is one.
    snap = turn.read()
    prompt = turn.content.prompt(snap.str("prompt.id") or "")
    if prompt is not None and snap.str("prompt.day") == turn.today.isoformat():
        return say_reflection(hi, turn, "reflection_again", prompt)
    return menu_reply(hi, turn, turn.voice.say("nothing_to_repeat"))


def yes_in_menu(hi: HandlerInput, turn: Turn) -> Response:
    return menu_reply(hi, turn, turn.voice.say("menu"))


def no_in_menu(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, turn.voice.say("goodbye"))


def find_help(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, practices.find_help(turn).speech)


# --- delete ---------------------------------------------------------------------------------------
def delete_ask(hi: HandlerInput, turn: Turn) -> Response:
    speech = practices.delete_question(turn).speech
    return stay(hi, turn, speech, "reprompt_delete_confirm", "delete_confirm")


def delete_yes(hi: HandlerInput, turn: Turn) -> Response:
    done = practices.erase_household(turn)
    log.info("household erased on request")
    return reply(hi, turn, done.speech)


def delete_no(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, turn.voice.say("delete_kept"))
