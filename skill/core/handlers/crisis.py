"""The crisis answer, the support answer and the weary one: safety before everything."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core import practices
from skill.core.handlers.base import intent_name, reply, slot_value, state, stay
from skill.core.handlers.breathing import start_breathing
from skill.core.practices import helpline, say_crisis
from skill.core.turn import Turn


# --- crisis, support, tiredness ---------------------------------------------------------
def crisis_can(hi: HandlerInput, turn: Turn) -> bool:
    return intent_name(hi) in ("CrisisIntent", "EmergencyIntent") or turn.verdict.crisis


def crisis(hi: HandlerInput, turn: Turn) -> Response:
    said = practices.crisis_answer(turn, emergency=intent_name(hi) == "EmergencyIntent")
    return reply(
        hi,
        turn,
        said.speech,
        reprompt=turn.voice.say("reprompt_crisis"),
        card=said.card,
        next_state="crisis",
    )


def crisis_number(hi: HandlerInput, turn: Turn) -> Response:
    """The number again: after the crisis answer, or whenever someone asks for it. After
    an urgent answer the emergency number comes first again. A reply that closes ("okay
    thanks", "I'll call them") gets the goodbye instead."""
    said = slot_value(hi, "said")
    if said is not None and (
        turn.content.is_closing(said) or turn.content.sense(said, ("thanks", "goodbye"))
    ):
        return crisis_goodbye(hi, turn)
    speech = say_crisis(turn, "crisis_number", "crisis_urgent_number")
    if said is not None and turn.content.sense(said, ("find_help",)):
        # "is there a therapist i could book": where help is, and the line again
        speech = f"{turn.voice.say('find_help')} {speech}"
    return stay(hi, turn, speech, "reprompt_crisis", "crisis")


def asks_to_breathe(hi: HandlerInput, turn: Turn) -> bool:
    said = slot_value(hi, "said")
    if said is None or turn.session.get("urgent") is True:
        return False
    return turn.content.offered_in(said) == "BreatheIntent"


def breathe_after_crisis(hi: HandlerInput, turn: Turn) -> Response:
    breathing = turn.content.breathing
    return start_breathing(hi, turn, breathing.default, breathing.min_minutes, None)


def crisis_goodbye(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, say_crisis(turn, "crisis_goodbye", "crisis_urgent_goodbye"))


def support_can(_hi: HandlerInput, turn: Turn) -> bool:
    return turn.verdict.support


def support(hi: HandlerInput, turn: Turn) -> Response:
    speech = practices.support_answer(turn).speech
    return stay(hi, turn, speech, "reprompt_support", "support")


def support_breathe(hi: HandlerInput, turn: Turn) -> Response:
    """Yes to the minute of breathing the support answer offered."""
    breathing = turn.content.breathing
    return start_breathing(hi, turn, breathing.default, breathing.min_minutes, None)


def support_goodbye(hi: HandlerInput, turn: Turn) -> Response:
    if state(turn) == "weary":  # nobody said anything heavy: no helpline in the goodbye
        return reply(hi, turn, turn.voice.say("weary_goodbye"))
    return reply(hi, turn, turn.voice.say("support_goodbye", helpline=helpline(turn)))


def weary(hi: HandlerInput, turn: Turn) -> Response:
    """Tired, not in danger: a kind word and one slow minute of breathing offered."""
    turn.session["cared"] = True
    return stay(hi, turn, turn.voice.say("weary"), "reprompt_support", "weary")
