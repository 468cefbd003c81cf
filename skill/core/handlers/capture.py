"""Asking for a gratitude or a win, and saving it."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core import practices
from skill.core.handlers.base import OFFERING, reply, state
from skill.core.handlers.crisis import crisis_goodbye, support_goodbye
from skill.core.handlers.reminders import with_offer
from skill.core.ssml import Markup
from skill.core.turn import Turn

# --- gratitude and wins -----------------------------------------------------------------------
# What each free-text practice elicits: (intent, slot, reprompt key). The session state
# while a question waits for its answer is the practice's kind.
CAPTURES = {
    "gratitude": ("GratitudeIntent", "gratitude", "reprompt_gratitude_ask"),
    "win": ("CelebrateWinIntent", "win", "reprompt_win_ask"),
}


def ask_for(hi: HandlerInput, turn: Turn, kind: str, speech: str) -> Response:
    """Ask for a gratitude or a win, eliciting the slot that will hold the answer."""
    intent, slot, reprompt = CAPTURES[kind]
    return reply(
        hi,
        turn,
        speech,
        reprompt=turn.voice.say(reprompt),
        elicit=(intent, slot),
        next_state=kind,
    )


def gratitude_question(hi: HandlerInput, turn: Turn) -> Response:
    """Ask one of the gratitude questions (not the one asked last)."""
    questions = turn.content.gratitude_questions
    last = turn.session.get("question")
    question = turn.rng.choice([q for q in questions if q.id != last] or list(questions))
    turn.session["question"] = question.id
    speech = turn.voice.say("gratitude_ask", question=Markup(question.text))
    return ask_for(hi, turn, "gratitude", speech)


def thanked(hi: HandlerInput, turn: Turn) -> Response:
    """Thanks: after the crisis or support answer, the warm goodbye that names the line."""
    if state(turn) == "crisis":
        return crisis_goodbye(hi, turn)
    if state(turn) in OFFERING:
        return support_goodbye(hi, turn)
    turn.session.pop("breath", None)  # "that was lovely, ta" at the end of a round: done
    return reply(hi, turn, turn.voice.say("thanks"))


def celebrate(hi: HandlerInput, turn: Turn, said: str) -> Response:
    """Save a win and celebrate it, said back to the household."""
    done = practices.save_win(turn, said)
    return reply(hi, turn, with_offer(turn, done.speech), card=done.card)
