"""Reading the request and answering it: the helpers every handler uses."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, IntentRequest, Response, Slot
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from skill.core.ssml import to_plain
from skill.core.turn import Turn

log = logging.getLogger("skill.core")


# States in which a gratitude or win was not asked for: words there that ask for
# something the skill does are that, not a memory to save.
ELSEWHERE = ("breathing", "paused", "crisis", "support", "weary")


OFFERING = ("support", "weary")  # states where a minute of breathing was just offered


UNDO_WINDOW = timedelta(minutes=15)  # "undo that" takes back what was saved this recently


NAMED_UNDO_WINDOW = timedelta(days=1)  # "get rid of that last win": the newest win, a day back


UNDO_SCAN = 10  # entries of a kind looked through for "the coffee one"


Can = Callable[[HandlerInput, Turn], bool]


Do = Callable[[HandlerInput, Turn], Response]


# --- reading the request ------------------------------------------------------------
def turn_of(hi: HandlerInput) -> Turn:
    turn = hi.context
    assert isinstance(turn, Turn), "invoke() passes a Turn as the dispatch context"
    return turn


def request_type(hi: HandlerInput) -> str:
    request = hi.request_envelope.request
    return str(request.object_type) if request is not None else ""


def intent_name(hi: HandlerInput) -> str | None:
    request = hi.request_envelope.request
    if isinstance(request, IntentRequest) and request.intent is not None:
        return str(request.intent.name)
    return None


def slots(hi: HandlerInput) -> dict[str, Slot]:
    request = hi.request_envelope.request
    if isinstance(request, IntentRequest) and request.intent and request.intent.slots:
        return dict(request.intent.slots)
    return {}


def slot_value(hi: HandlerInput, name: str) -> str | None:
    found = slots(hi).get(name)
    value = found.value if found is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def slot_id(hi: HandlerInput, name: str) -> str | None:
    """The canonical id of a custom slot value that entity resolution matched."""
    found = slots(hi).get(name)
    resolutions = found.resolutions if found is not None else None
    for authority in (resolutions.resolutions_per_authority or []) if resolutions else []:
        if authority.status and authority.status.code == StatusCode.ER_SUCCESS_MATCH:
            for value in authority.values or []:
                if value.value and value.value.id:
                    return str(value.value.id)
    return None


def state(turn: Turn) -> str | None:
    value = turn.session.get("state")
    return value if isinstance(value, str) else None


def is_intent(*names: str) -> Can:
    return lambda hi, _turn: intent_name(hi) in names


def is_type(*types: str) -> Can:
    return lambda hi, _turn: request_type(hi) in types


def both(first: Can, second: Can) -> Can:
    return lambda hi, turn: first(hi, turn) and second(hi, turn)


def in_state(*states: str) -> Can:
    return lambda _hi, turn: state(turn) in states


# --- answering ------------------------------------------------------------------------
def reply(
    hi: HandlerInput,
    turn: Turn,
    speech: str,
    *,
    reprompt: str | None = None,
    card: tuple[str, str] | None = None,
    elicit: tuple[str, str] | None = None,
    next_state: str | None = None,
) -> Response:
    """Speak; keep the session open exactly when there is a reprompt."""
    rb = hi.response_builder
    rb.speak(speech)
    if reprompt is not None:
        rb.ask(reprompt)
    else:
        rb.set_should_end_session(True)
    if card is not None:
        rb.set_card(SimpleCard(title=card[0], content=card[1]))
    if elicit is not None:
        intent, slot = elicit
        updated = Intent(
            name=intent,
            slots={slot: Slot(name=slot)},
            confirmation_status=IntentConfirmationStatus.NONE,
        )
        rb.add_directive(ElicitSlotDirective(updated_intent=updated, slot_to_elicit=slot))
    turn.session["state"] = next_state if reprompt is not None else None
    turn.session["last"] = {
        "speech": speech,
        "reprompt": reprompt,
        "elicit": list(elicit) if elicit is not None else None,
        "keys": list(turn.voice.spoken),
    }
    return rb.response


def silent(hi: HandlerInput) -> Response:
    """No speech: for session ends and skill events, which Alexa does not voice."""
    return hi.response_builder.response


def menu_reply(hi: HandlerInput, turn: Turn, speech: str) -> Response:
    # What the menu named, in the order it named them: "the second one" picks from this.
    turn.session["offered"] = list(dict.fromkeys(turn.content.offers_named(to_plain(speech))))
    return reply(hi, turn, speech, reprompt=turn.voice.say("reprompt_menu"), next_state="menu")


def stay(hi: HandlerInput, turn: Turn, speech: str, reprompt_key: str, next_state: str) -> Response:
    """Speak and keep listening in ``next_state``; whatever exercise was running stops."""
    turn.session.pop("breath", None)
    return reply(hi, turn, speech, reprompt=turn.voice.say(reprompt_key), next_state=next_state)


def stay_open(hi: HandlerInput, turn: Turn, speech: str) -> Response:
    """Speak, and keep the session where it was (the menu when nothing was running)."""
    current = state(turn) or "menu"
    reprompt = "reprompt_menu" if current == "menu" else "reprompt_fallback"
    return reply(hi, turn, speech, reprompt=turn.voice.say(reprompt), next_state=current)


def yes_no_unexpected(hi: HandlerInput, turn: Turn) -> Response:
    return menu_reply(hi, turn, turn.voice.say("yes_no_unexpected"))
