"""Request handlers: one small rule per intent or request. No I/O of their own.

Order matters (ask-sdk-core takes the first ``can_handle`` that says yes): crisis first,
then skill events and session end, then whatever the conversation is in the middle of
(a delete confirmation, a breathing exercise, an elicited answer), then the intents.

Conversation state lives in the session attributes:

* ``state``: ``menu`` | ``breathing`` | ``paused`` | ``delete_confirm`` | ``gratitude`` |
  ``win`` (a question was asked and the answer is being elicited) | ``crisis`` (the crisis
  answer was given: the number can be heard again) | ``support`` (the support answer
  offered a minute of breathing);
* ``misses``: fallbacks in a row (the second one says how to ask for help);
* ``breath``: the breathing plan (pattern, total cycles, cycles done);
* ``last``: the last speech and reprompt, for Repeat;
* ``recent``: the variant last spoken per key, so nothing repeats back to back.

Decisions written down here:

* A breathing exercise counts as a practice when its first round has been spoken:
  starting is the hard part, so stopping partway still counts, once.
* Today's reflection counts as a practice the first time it is heard that local day.
* The first-visit welcome (what the skill is, not medical advice) is spoken at the first
  launch, even when the household has used one-shots before: it is heard once.
* Gratitude, a win, a reflection, progress, recall and find-help close the session
  when they are done: the household talks to each other, not to Alexa, afterwards.
* Safety comes before everything (``skill/core/screen.py``): CrisisIntent, or crisis
  words in any slot, stops whatever is running and gives the crisis answer; the session
  stays open so "what's the number", "repeat" or "yes" hear the number again, and "stop"
  ends warmly with the number once more. Nothing of the words is stored or logged.
* Distress that is not a crisis (words the screen calls distress: said to ListenIntent,
  the catch-all that carries what no other intent matched, or as a captured answer; and
  a negated crisis, a negated crisis such as "I'm not suicidal, just exhausted") gets
  care, the line if anyone is in danger, and the offer of one minute of breathing; the
  answer is not saved as a gratitude or a win.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Intent, IntentConfirmationStatus, IntentRequest, Response, Slot
from ask_sdk_model.dialog import ElicitSlotDirective
from ask_sdk_model.slu.entityresolution import StatusCode
from ask_sdk_model.ui import SimpleCard

from skill.content import Prompt, plain_words
from skill.core import breathing as br
from skill.core import progress
from skill.core.echo import echo, words_of
from skill.core.routes import Route, check_routes, handled_intents, route
from skill.core.ssml import Markup, breaks, clip_text, escape, spoken_list, to_plain
from skill.core.turn import Turn, utc_stamp
from skill.store.base import Change, Conflict, Entry, Snapshot, StoreError

log = logging.getLogger("skill.core")

RECALL_LIMIT = 3
# States in which a gratitude or win was not asked for: words there that ask for
# something the skill does are that, not a memory to save.
ELSEWHERE = ("breathing", "paused", "crisis", "support", "weary")
OFFERING = ("support", "weary")  # states where a minute of breathing was just offered
MORE_PROMPTS = 2  # different reflection prompts a household may ask for in one day
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


def lower_first(turn: Turn, text: str) -> str:
    """An echo inside a list ("..., you got through a bad day and ..."): not capitalised
    when its first word is one of the language's ([echo] lower_first); a name keeps its
    capital."""
    first = text.split(" ", 1)[0]
    if first in turn.content.echo_lower_first:
        return text[:1].lower() + text[1:]
    return text


def amount(turn: Turn, key: str, count: int) -> str:
    return f"{count} {turn.content.word(key, count)}"


# --- crisis, events, session end ---------------------------------------------------------
def crisis_can(hi: HandlerInput, turn: Turn) -> bool:
    return intent_name(hi) in ("CrisisIntent", "EmergencyIntent") or turn.verdict.crisis


def helpline(turn: Turn) -> Markup:
    return Markup(turn.content.helpline_speech)


def crisis(hi: HandlerInput, turn: Turn) -> Response:
    turn.session.pop("breath", None)  # whatever was running stops
    if turn.verdict.urgent or intent_name(hi) == "EmergencyIntent":  # danger now
        turn.session["urgent"] = True  # the emergency number stays first after this
    speech = say_crisis(turn, "crisis", "crisis_urgent")
    title = turn.voice.say("card_crisis_title")
    written = Markup(turn.content.helpline_text)
    if turn.session.get("urgent") is True:  # danger now: the emergency number first
        emergency = turn.content.emergency_text
        body = turn.voice.say("card_crisis_urgent_body", helpline=written, emergency=emergency)
    else:
        body = turn.voice.say("card_crisis_body", helpline=written)
    return reply(
        hi,
        turn,
        speech,
        reprompt=turn.voice.say("reprompt_crisis"),
        card=(title, body),
        next_state="crisis",
    )


def stay(hi: HandlerInput, turn: Turn, speech: str, reprompt_key: str, next_state: str) -> Response:
    """Speak and keep listening in ``next_state``; whatever exercise was running stops."""
    turn.session.pop("breath", None)
    return reply(hi, turn, speech, reprompt=turn.voice.say(reprompt_key), next_state=next_state)


def say_crisis(turn: Turn, key: str, urgent_key: str) -> str:
    """``key`` with the line; ``urgent_key`` (the emergency number first, then the line)
    once this session has heard of danger now."""
    if turn.session.get("urgent") is True:
        emergency = Markup(turn.content.emergency_speech)
        return turn.voice.say(urgent_key, helpline=helpline(turn), emergency=emergency)
    return turn.voice.say(key, helpline=helpline(turn))


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
    speech = turn.voice.say("support", helpline=helpline(turn))
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
    return stay(hi, turn, turn.voice.say("weary"), "reprompt_support", "weary")


def skill_event(hi: HandlerInput, turn: Turn) -> Response:
    if request_type(hi) == "AlexaSkillEvent.SkillDisabled" and turn.household:
        turn.services.store.erase(turn.household)
        log.info("household erased on SkillDisabled")
    return silent(hi)


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
        turn.update(lambda s: progress.first_visit_change(s, utc_stamp(turn.now)), snap)
        return menu_reply(hi, turn, turn.voice.say("launch_first"))
    streak = progress.current_streak(snap, turn.today)
    if streak >= 2:
        return menu_reply(hi, turn, turn.voice.say("launch_return_streak", streak=streak))
    return menu_reply(hi, turn, turn.voice.say("launch_return"))


def pattern_names(turn: Turn) -> Markup:
    names = [escape(p.name) for p in turn.content.breathing.patterns.values()]
    return Markup(spoken_list(names, turn.content.and_word))


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


def heard(hi: HandlerInput, turn: Turn) -> Response | None:
    """What the words Alexa's catch-all heard mean, outside a question: a practice the
    skill offers (the last one named, so "a win, wait no, the reflection" is the
    reflection), a breathing pattern by name or description ("the square one"), a
    position in the list just offered ("the second one"), thanks, or a goodbye. None
    when they mean none of these."""
    said = slot_value(hi, "said")
    return heard_text(hi, turn, said) if said is not None else None


def heard_text(hi: HandlerInput, turn: Turn, said: str) -> Response | None:
    """:func:`heard` for words from any slot."""
    content = turn.content
    current = state(turn)
    if content.is_repeat_request(said):
        return repeat(hi, turn)
    if current in ("breathing", "paused"):
        during = content.asks_for(said, ("time_left", "pause", "resume", "yes"))
        during = during or content.sense(
            said, ("time_left", "pause", "resume", "stop", "yes"), current
        )
        if during == "time_left":
            return time_left(hi, turn)
        if during == "pause" and current == "breathing":
            return pause(hi, turn)
        if during == "yes" and current == "breathing":
            return breathe_continue(hi, turn)  # "aye" to "keep going?"
        if during in ("resume", "yes"):
            return resume(hi, turn)
        if during == "stop":
            return stop(hi, turn)
        running = current_plan(turn)
        if running is not None and content.sense(said, ("shorter",)):
            # "heaps shorter mate": the same pattern, the shortest length
            minutes = content.breathing.min_minutes
            return start_breathing(hi, turn, running.pattern, minutes, None)
    if current in OFFERING:
        if content.asks_for(said, ("yes",)) or content.sense(said, ("yes",)):
            return support_breathe(hi, turn)
        if content.is_goodbye(said) or content.sense(said, ("not_now", "goodbye")):
            return support_goodbye(hi, turn)
    asked = content.asks_for(
        said,
        (
            "undo",
            "yesterday_question",
            "yesterday_entries",
            "another_reflection",
            "week",
            "breathing_kinds",
            "find_help",
            "help",
            "time_left",
        ),
    )
    if asked is not None and content.vetoed(said, asked):
        asked = None  # "don't delete that", "undo that, no, keep it": not an undo
    if asked is None and content.asks_for(said, ("another_one",)) and heard_reflection(turn):
        asked = "another_reflection"
    if asked is None:
        asked = content.sense(said, SENSED, current)
        if asked == "another_reflection" and not heard_reflection(turn):
            asked = None
    if asked == "undo":
        return undo(hi, turn, said)
    if asked is not None:
        return ASKED[asked](hi, turn)
    if content.is_thanks(said) or content.sense(said, ("thanks",)):
        return thanked(hi, turn)
    if content.is_goodbye(said) or content.sense(said, ("goodbye", "stop"), current):
        return stop(hi, turn)
    wanted = content.offered_in(said)
    position = content.ordinal_in(said)
    offered = turn.session.get("offered")
    if wanted is None and position is not None and isinstance(offered, list) and offered:
        index = position - 1 if position > 0 else len(offered) + position
        if 0 <= index < len(offered) and isinstance(offered[index], str):
            wanted = offered[index]
    pattern = br.pattern_named_in(content.breathing, said)
    if wanted is None and pattern is not None:
        wanted = "BreatheIntent"
    if current in (None, "menu") and content.tells_win(said):
        return celebrate(hi, turn, said)  # a win told in one go, in words of its own
    if wanted is not None:
        return go_to(hi, turn, wanted, said)
    if current in (None, "menu"):
        if content.sense(said, ("weary",)):
            return weary(hi, turn)  # "sorry, i'm just really tired today"
        if content.sense(said, ("greeting",)):
            return menu_reply(hi, turn, turn.voice.say("greeting"))
    return None


def go_to(hi: HandlerInput, turn: Turn, wanted: str | None, said: str) -> Response | None:
    """Start what the household asked for in their own words (an offer's intent)."""
    if wanted == "BreatheIntent":
        breathing = turn.content.breathing
        pattern = br.pattern_named_in(breathing, said) or breathing.default
        short = turn.content.sense(said, ("shorter",)) is not None  # "breathing, the short one"
        minutes = breathing.min_minutes if short else breathing.default_minutes
        return start_breathing(hi, turn, pattern, minutes, None)
    if wanted == "GratitudeIntent":
        return gratitude_question(hi, turn)
    if wanted == "CelebrateWinIntent":
        return ask_for(hi, turn, "win", turn.voice.say("win_ask"))
    if wanted == "ReflectionIntent":
        return reflection(hi, turn)
    if wanted == "ProgressIntent":
        return progress_(hi, turn)
    if wanted == "RecallIntent":
        return recall(hi, turn)
    if wanted == "FindHelpIntent":
        return find_help(hi, turn)
    if wanted == "DeleteDataIntent":
        return delete_ask(hi, turn)
    return None


def heard_reflection(turn: Turn) -> bool:
    """Today's reflection was the last thing heard (this session), or has been heard
    today: "another one" then means another prompt."""
    last = turn.session.get("last")
    keys = last.get("keys") if isinstance(last, dict) else None
    if isinstance(keys, list) and any(str(k).startswith("reflection_") for k in keys):
        return True
    return turn.read().str("prompt.day") == turn.today.isoformat()


def time_left(hi: HandlerInput, turn: Turn) -> Response:
    plan = current_plan(turn)
    if plan is None:
        return menu_reply(hi, turn, turn.voice.say("time_left_nothing"))
    left = amount(turn, "minute", br.minutes_left(turn.content.breathing, plan))
    current = state(turn) or "breathing"
    reprompt = "reprompt_breathe_paused" if current == "paused" else "reprompt_breathe_continue"
    speech = turn.voice.say("breathe_time_left", minutes_left=left)
    return reply(hi, turn, speech, reprompt=turn.voice.say(reprompt), next_state=current)


def another_reflection(hi: HandlerInput, turn: Turn) -> Response:
    """A different prompt, from the deck's rotation, at most MORE_PROMPTS times a day."""
    deck = [p.id for p in turn.content.reflections]
    chosen: dict[str, Any] = {}

    def build(snap: Snapshot) -> Change | None:
        first = snap.str("prompt.day") != turn.today.isoformat()
        pick, change = progress.another_prompt(snap, deck, turn.today, turn.rng, MORE_PROMPTS)
        chosen["id"], chosen["key"] = (
            pick,
            (
                "reflection_today"
                if first
                else "reflection_another"
                if change
                else "reflection_enough"
            ),
        )
        if change is None or not first:
            return change
        counted = progress.practice_change(snap, "reflection", turn.today, person=turn.person)
        return progress.combine(change, counted)

    turn.update(build)
    return say_prompt(hi, turn, chosen["key"], chosen["id"])


def yesterday_question(hi: HandlerInput, turn: Turn) -> Response:
    prompt = turn.content.prompt(progress.yesterdays_prompt(turn.read(), turn.today) or "")
    if prompt is None:
        return stay_open(hi, turn, turn.voice.say("reflection_yesterday_none"))
    return say_reflection(hi, turn, "reflection_yesterday", prompt)


def yesterday_entries(hi: HandlerInput, turn: Turn) -> Response:
    """What the household saved yesterday (their local day), gratitudes then wins."""
    yesterday = turn.today - timedelta(days=1)
    said: list[str] = []
    for kind in ("gratitude", "win"):
        entries = (
            turn.services.store.entries(turn.household, kind, now=turn.now, limit=RECALL_LIMIT)
            if turn.household
            else []
        )
        said += [
            escape(lower_first(turn, echo(clip_text(e.text), words_of(turn.content))))
            for e in entries
            if turn.local_date(e.at) == yesterday
        ]
    if not said:
        return stay_open(hi, turn, turn.voice.say("recall_yesterday_empty"))
    items = Markup(spoken_list(said, turn.content.and_word))
    return reply(hi, turn, turn.voice.say("recall_yesterday", items=items, count=len(said)))


def undo(hi: HandlerInput, turn: Turn, said: str | None = None) -> Response:
    """ "Undo that": the entry the household saved last, if within UNDO_WINDOW, is
    removed with its counts, and said back so they know which one went. Naming the kind
    ("get rid of that last win") reaches back further (NAMED_UNDO_WINDOW)."""
    content = turn.content
    kind = content.sense(said or "", ("undo_win", "undo_gratitude"))
    named = [kind.removeprefix("undo_")] if kind else []
    described = content.undo_described(said or "")  # "the coffee one from this morning"
    window = NAMED_UNDO_WINDOW if named or described else UNDO_WINDOW
    recent: list[Entry] = []
    if turn.household:
        for each in named or list(CAPTURES):
            recent += turn.services.store.entries(
                turn.household, each, now=turn.now, limit=UNDO_SCAN
            )
    recent = sorted(
        (e for e in recent if turn.now - e.at <= window), key=lambda e: e.at, reverse=True
    )
    if described:  # only an entry with those words: never something else instead
        recent = [e for e in recent if described & set(plain_words(e.text).split())]
    if not recent:
        return stay_open(hi, turn, turn.voice.say("undo_nothing"))
    entry = recent[0]
    try:
        turn.update(
            lambda s: progress.undo_change(s, entry, turn.local_date(entry.at), entry.person)
        )
    except Conflict:  # already taken back (a second "undo", a replay)
        return stay_open(hi, turn, turn.voice.say("undo_nothing"))
    back = Markup(escape(lower_first(turn, echo(clip_text(entry.text), words_of(turn.content)))))
    return stay_open(hi, turn, turn.voice.say(f"undo_{entry.kind}", what=back))


def breathing_kinds(hi: HandlerInput, turn: Turn) -> Response:
    return menu_reply(hi, turn, turn.voice.say("breathing_kinds", patterns=pattern_names(turn)))


def stay_open(hi: HandlerInput, turn: Turn, speech: str) -> Response:
    """Speak, and keep the session where it was (the menu when nothing was running)."""
    current = state(turn) or "menu"
    reprompt = "reprompt_menu" if current == "menu" else "reprompt_fallback"
    return reply(hi, turn, speech, reprompt=turn.voice.say(reprompt), next_state=current)


def fallback(hi: HandlerInput, turn: Turn) -> Response:
    current = state(turn)
    if current not in CAPTURES and current not in ("delete_confirm", "crisis"):
        understood = heard(hi, turn)
        if understood is not None:
            return understood
    said = slot_value(hi, "said")
    if current in (None, "menu") and said is not None and turn.content.is_filler(said):
        return menu_reply(hi, turn, turn.voice.say("reprompt_menu"))  # "um": no rush
    turn.session["misses"] = int(turn.session.get("misses", 0)) + 1  # typed by the reader
    if current == "breathing":  # "mum! mum!": the breathing waits, it is not the menu
        return pause(hi, turn)
    if current in CAPTURES:
        assert current is not None
        return ask_for(hi, turn, current, turn.voice.say(f"{current}_empty"))
    if current == "delete_confirm":
        # A confirmation is answered by the very next turn or not at all: a "yes" later
        # must never erase a household (it may answer something else entirely). A plain
        # yes in other words ("yes, delete it", "i'm sure") is that answer.
        said = slot_value(hi, "said")
        if said is not None and (
            turn.content.asks_for(said, ("yes",)) or turn.content.sense(said, ("yes",))
        ):
            return delete_yes(hi, turn)
        if said is not None and turn.content.sense(said, ("delete_what",)):
            # "what does that delete exactly?": what goes, and the question again
            speech = turn.voice.say("delete_explain")
            return stay(hi, turn, speech, "reprompt_delete_confirm", "delete_confirm")
        return menu_reply(hi, turn, turn.voice.say("delete_kept"))
    if current in OFFERING:  # after the support answer: offer again, never a menu
        return stay(hi, turn, turn.voice.say("reprompt_support"), "reprompt_support", current)
    # The second miss in a row never gets a bare menu: it says how to ask for help.
    key = "fallback_again" if turn.session["misses"] >= 2 else "fallback"
    return reply(
        hi,
        turn,
        turn.voice.say(key),
        reprompt=turn.voice.say("reprompt_fallback"),
        next_state=state(turn),
    )


def yes_in_menu(hi: HandlerInput, turn: Turn) -> Response:
    return menu_reply(hi, turn, turn.voice.say("menu"))


def no_in_menu(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, turn.voice.say("goodbye"))


def yes_no_unexpected(hi: HandlerInput, turn: Turn) -> Response:
    return menu_reply(hi, turn, turn.voice.say("yes_no_unexpected"))


# --- breathing -----------------------------------------------------------------------------
def breathe(hi: HandlerInput, turn: Turn) -> Response:
    breathing = turn.content.breathing
    pattern_id = br.choose_pattern(breathing, slot_id(hi, "pattern"), slot_value(hi, "pattern"))
    running = current_plan(turn)
    if running is not None and slot_value(hi, "pattern") is None:
        pattern_id = running.pattern  # "just one minute" mid-way: the same pattern, shorter
    asked_seconds = br.parse_seconds(slot_value(hi, "length"))
    if asked_seconds is not None:
        seconds = br.clamp_seconds(breathing, asked_seconds)
        return start_breathing_for(hi, turn, pattern_id, seconds, asked_seconds)
    asked = br.parse_minutes(slot_value(hi, "minutes"))
    return start_breathing(hi, turn, pattern_id, br.clamp_minutes(breathing, asked), asked)


def start_breathing(
    hi: HandlerInput, turn: Turn, pattern_id: str, minutes: int, asked: int | None
) -> Response:
    return start_breathing_for(
        hi, turn, pattern_id, minutes * 60, asked * 60 if asked is not None else None
    )


def length_words(turn: Turn, seconds: int) -> str:
    """ "2 minutes", "90 seconds": how long, the way it is said."""
    if seconds % 60 == 0:
        return amount(turn, "minute", seconds // 60)
    return amount(turn, "second", seconds)


def start_breathing_for(
    hi: HandlerInput, turn: Turn, pattern_id: str, seconds: int, asked: int | None
) -> Response:
    breathing = turn.content.breathing
    lead = []
    if asked is not None and asked != seconds:
        lead.append(
            turn.voice.say(
                "breathe_minutes_adjusted",
                asked=length_words(turn, asked),
                used=length_words(turn, seconds),
                low=breathing.min_minutes,
                high=breathing.max_minutes,
            )
        )
    pattern = breathing.patterns[pattern_id]
    lead.append(
        turn.voice.say("breathe_intro", pattern=pattern.name, minutes=length_words(turn, seconds))
    )
    lead.append(Markup(pattern.how) + breaks(1.5))
    plan = br.plan_for(breathing, pattern_id, seconds)
    turn.record["breath"] = {"pattern": pattern_id, "seconds": seconds}
    if not turn.session.get("breath_counted"):  # switching pattern mid-way is one practice
        turn.update(
            lambda s: progress.practice_change(s, "breathe", turn.today, person=turn.person)
        )
        turn.session["breath_counted"] = True
    return breathe_round(hi, turn, plan, " ".join(lead))


def breathe_round(hi: HandlerInput, turn: Turn, plan: br.Plan, lead: str) -> Response:
    breathing = turn.content.breathing
    body, after = br.round_ssml(turn.voice, breathing, plan)
    speech = f"{lead} {body}".strip()
    if after.done >= after.total:
        turn.session.pop("breath", None)
        return reply(hi, turn, f"{speech} {turn.voice.say('breathe_done')}")
    turn.session["breath"] = after.to_session()
    left = amount(turn, "minute", br.minutes_left(breathing, after))
    question = turn.voice.say("breathe_continue", minutes_left=left)
    return reply(
        hi,
        turn,
        f"{speech} {question}",
        reprompt=turn.voice.say("reprompt_breathe_continue"),
        next_state="breathing",
    )


def current_plan(turn: Turn) -> br.Plan | None:
    return br.Plan.from_session(turn.session.get("breath"), turn.content.breathing)


def breathe_continue(hi: HandlerInput, turn: Turn) -> Response:
    """Yes (or resume) between rounds; after a pause the round starts with "resumed"."""
    plan = current_plan(turn)
    if plan is None:
        return yes_no_unexpected(hi, turn)
    return next_round(hi, turn, plan, resumed=state(turn) == "paused")


def next_round(hi: HandlerInput, turn: Turn, plan: br.Plan, *, resumed: bool) -> Response:
    return breathe_round(hi, turn, plan, turn.voice.say("breathe_resumed") if resumed else "")


def breathe_decline(hi: HandlerInput, turn: Turn) -> Response:
    turn.session.pop("breath", None)
    return reply(hi, turn, turn.voice.say("breathe_stopped"))


def pause(hi: HandlerInput, turn: Turn) -> Response:
    if current_plan(turn) is None:
        return menu_reply(hi, turn, turn.voice.say("pause_nothing"))
    return reply(
        hi,
        turn,
        turn.voice.say("breathe_paused"),
        reprompt=turn.voice.say("reprompt_breathe_paused"),
        next_state="paused",
    )


def resume(hi: HandlerInput, turn: Turn) -> Response:
    plan = current_plan(turn)
    if plan is None:
        return menu_reply(hi, turn, turn.voice.say("resume_nothing"))
    return next_round(hi, turn, plan, resumed=True)


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


def not_an_answer(turn: Turn, said: str) -> bool:
    content = turn.content
    return (
        content.says_nothing(said)  # "him" (from "good on him"), "it"
        or content.sense(said, IN_QUESTION) is not None  # "yes please", "thanks"
        or content.is_refusal(said)
        or content.is_mind_change(said)
        or content.is_repeat_request(said)
        or content.asks_for(said, ("another_reflection", "another_one")) is not None
        or says_goodbye(turn, said)
    )


def says_goodbye(turn: Turn, said: str) -> bool:
    """In a question, a goodbye only as the whole reply, after "actually ...", or with
    no word of the household's own ("let's not bother, goodbye"): "a good night's
    sleep" is an answer."""
    content = turn.content
    return content.is_goodbye(said, whole=not content.starts_changing(said)) or (
        content.sense(said, ("goodbye",)) is not None
    )


def not_answered(hi: HandlerInput, turn: Turn, said: str) -> Response:
    """A declined question is let go; "sorry, what?" hears the question again; a mind
    change goes where it asked ("actually no, let's do breathing instead"), or hears
    the offer again. None of them is saved."""
    if turn.content.is_repeat_request(said):
        return repeat(hi, turn)
    current = state(turn)
    kind = current if current in CAPTURES else None
    sensed = turn.content.sense(said, IN_QUESTION)
    if sensed == "repeat":  # "sorry, what was the question", "what's a win again"
        return repeat(hi, turn)
    waits = sensed == "hold" and turn.content.offered_in(said) is None
    if waits and kind is not None:  # "hang on, bub's crying": the question waits
        return ask_for(hi, turn, kind, turn.voice.say("hold_on"))
    if sensed == "thanks":
        return reply(hi, turn, turn.voice.say("thanks"))
    if sensed == "help":
        return help_(hi, turn)
    if kind is not None and (sensed == "yes" or turn.content.says_nothing(said)):
        return ask_for(hi, turn, kind, turn.voice.say(f"{kind}_empty"))  # "yes please": and it is?
    if turn.content.asks_for(said, ("another_reflection", "another_one")):
        # "can i have a different question": another question of the same practice
        if state(turn) == "win":
            return ask_for(hi, turn, "win", turn.voice.say("win_ask"))
        return gratitude_question(hi, turn)
    if turn.content.is_refusal(said):
        return reply(hi, turn, turn.voice.say("capture_declined"))
    if says_goodbye(turn, said) or turn.content.sense(said, ("stop",)):
        return stop(hi, turn)  # "let's not bother, goodbye", "forget it, stop"
    went = go_to(hi, turn, turn.content.offered_in(said), said)
    return went or menu_reply(hi, turn, turn.voice.say("capture_changed"))


def record_entry(turn: Turn, kind: str, said: str) -> int:
    """Store the household's words as a practice of ``kind``; the count of that kind after."""
    entry = Entry(kind, clip_text(said), turn.now, turn.expires_at, turn.person)
    after = turn.update(
        lambda s: progress.practice_change(s, kind, turn.today, person=turn.person, entry=entry)
    )
    return after.int(f"count.{kind}")


def gratitude_question(hi: HandlerInput, turn: Turn) -> Response:
    """Ask one of the gratitude questions (not the one asked last)."""
    questions = turn.content.gratitude_questions
    last = turn.session.get("question")
    question = turn.rng.choice([q for q in questions if q.id != last] or list(questions))
    turn.session["question"] = question.id
    speech = turn.voice.say("gratitude_ask", question=Markup(question.text))
    return ask_for(hi, turn, "gratitude", speech)


def gratitude(hi: HandlerInput, turn: Turn) -> Response:
    said = slot_value(hi, "gratitude")
    if said is not None and not not_an_answer(turn, said):
        said = turn.content.corrected(said)  # "the... no actually, the nurse at the clinic"
    if said is None or (state(turn) not in CAPTURES and turn.content.is_filler(said)):
        return gratitude_question(hi, turn)  # "a gratitude i guess": the question, not "sorry"
    if turn.content.is_filler(said):
        return ask_for(hi, turn, "gratitude", turn.voice.say("gratitude_empty"))
    if state(turn) not in CAPTURES and turn.content.says_nothing(said):
        if turn.content.sense(said, ("asks_for_it",)):
            return gratitude_question(hi, turn)  # "a gratitude instead then"
        return thanked(hi, turn)  # "i appreciate it", "cheers for that": thanks, not a gratitude
    if not_an_answer(turn, said):
        return not_answered(hi, turn, said)
    understood = elsewhere(hi, turn, said)
    if understood is not None:
        return understood
    count = record_entry(turn, "gratitude", said)
    back = echo(said, words_of(turn.content))
    return reply(hi, turn, turn.voice.say("gratitude_reflect", gratitude=back, count=count))


def win(hi: HandlerInput, turn: Turn) -> Response:
    said = slot_value(hi, "win")
    if said is not None and not not_an_answer(turn, said):
        said = turn.content.corrected(said)  # "the... no actually, the nurse at the clinic"
    if said is None or (state(turn) not in CAPTURES and turn.content.is_filler(said)):
        return ask_for(hi, turn, "win", turn.voice.say("win_ask"))  # "a win i guess"
    if turn.content.is_filler(said):
        return ask_for(hi, turn, "win", turn.voice.say("win_empty"))
    if state(turn) not in CAPTURES and turn.content.says_nothing(said):
        return ask_for(hi, turn, "win", turn.voice.say("win_ask"))
    if not_an_answer(turn, said):
        return not_answered(hi, turn, said)
    understood = elsewhere(hi, turn, said)
    if understood is not None:
        return understood
    return celebrate(hi, turn, said)


def elsewhere(hi: HandlerInput, turn: Turn, said: str) -> Response | None:
    """Words an intent took as a gratitude or a win outside its question that ask for
    something else: mid-breathing, "are we nearly done" is not a win; at the menu, "i'd
    like to ... remove all our info" is a delete (only when the words start with it:
    "thankful we got rid of all the junk" is a gratitude)."""
    current = state(turn)
    if current in ELSEWHERE:
        return heard_text(hi, turn, said)
    asks = ("undo", "delete")
    if current not in CAPTURES:
        wanted = turn.content.changes_to(said) or turn.content.offer_only(said)
        if wanted is not None:
            return go_to(hi, turn, wanted, said)
    if current not in CAPTURES and turn.content.starts_asking(said, asks):
        return heard_text(hi, turn, said) if turn.content.sense(said, asks, current) else None
    return None


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
    count = record_entry(turn, "win", said)
    back = echo(said, words_of(turn.content))
    if count == 1:
        speech = turn.voice.say("win_milestone_first", win=back)
    elif progress.is_milestone(count):
        speech = turn.voice.say("win_milestone", win=back, count=count)
    else:
        speech = turn.voice.say("win_celebrate", win=back)
    return reply(hi, turn, speech, card=(turn.voice.say("card_win_title"), back))


# --- reflection, progress, recall, help ---------------------------------------------------------
def reflection(hi: HandlerInput, turn: Turn) -> Response:
    deck = [p.id for p in turn.content.reflections]
    chosen: dict[str, Any] = {}

    def build(snap: Snapshot) -> Change | None:
        pick, change = progress.todays_prompt(snap, deck, turn.today, turn.rng)
        chosen["id"], chosen["new"] = pick, change is not None
        if change is None:
            return None
        counted = progress.practice_change(snap, "reflection", turn.today, person=turn.person)
        return progress.combine(change, counted)

    turn.update(build)
    return say_prompt(
        hi, turn, "reflection_today" if chosen["new"] else "reflection_again", chosen["id"]
    )


def say_prompt(hi: HandlerInput, turn: Turn, key: str, prompt_id: str) -> Response:
    """Say the deck's prompt ``prompt_id`` with ``key`` (the id the store just chose)."""
    prompt = turn.content.prompt(prompt_id)
    assert prompt is not None
    return say_reflection(hi, turn, key, prompt)


def say_reflection(hi: HandlerInput, turn: Turn, key: str, prompt: Prompt) -> Response:
    speech = turn.voice.say(key, prompt=Markup(prompt.text))
    return reply(hi, turn, speech, card=(turn.voice.say("card_reflection_title"), prompt.text))


def progress_(hi: HandlerInput, turn: Turn, *, week_first: bool = False) -> Response:
    """How the household is doing; ``week_first`` ("how was our week") leads with the
    past seven days."""
    summary = progress.summary(turn.read(), turn.today)
    if summary.total == 0:
        return reply(hi, turn, turn.voice.say("progress_nothing_yet"))
    and_word = turn.content.and_word
    counts = spoken_list([amount(turn, k, n) for k, n in summary.counts.items() if n], and_word)
    week_items = [amount(turn, k, n) for k, n in summary.week.items() if n]
    week = spoken_list(week_items, and_word) if week_items else turn.voice.say("progress_week_none")
    if week_first:
        speech = turn.voice.say("progress_week", week=Markup(week))
    elif summary.streak >= 2:
        speech = turn.voice.say(
            "progress_summary_streak",
            streak=summary.streak,
            best=summary.best,
            counts=Markup(counts),
            week=Markup(week),
        )
    else:
        speech = turn.voice.say(
            "progress_summary_no_streak",
            best=summary.best,
            counts=Markup(counts),
            week=Markup(week),
        )
    return reply(hi, turn, speech)


# RecallKind value id (entity resolution) -> the entry kind and its speech key.
RECALL_KINDS = {"gratitudes": ("gratitude", "recall_gratitudes"), "wins": ("win", "recall_wins")}


def recall(hi: HandlerInput, turn: Turn, kind: str | None = None) -> Response:
    """The last few gratitudes or wins, newest first; both when the kind was not resolved."""
    wanted = RECALL_KINDS.get(kind or slot_id(hi, "kind") or "")
    parts = []
    for kind, key in [wanted] if wanted else RECALL_KINDS.values():
        entries = (
            turn.services.store.entries(turn.household, kind, now=turn.now, limit=RECALL_LIMIT)
            if turn.household
            else []
        )
        if entries:
            words = words_of(turn.content)
            said = [escape(lower_first(turn, echo(clip_text(e.text), words))) for e in entries]
            items = spoken_list(said, turn.content.and_word)
            parts.append(turn.voice.say(key, items=Markup(items), count=len(entries)))
        else:
            parts.append(turn.voice.say(f"{key}_empty"))
    return reply(hi, turn, " ".join(parts))


def find_help(hi: HandlerInput, turn: Turn) -> Response:
    speech = f"{turn.voice.say('find_help_lead')} {turn.voice.say('find_help')}"
    return reply(hi, turn, speech)


# --- delete ---------------------------------------------------------------------------------------
def delete_ask(hi: HandlerInput, turn: Turn) -> Response:
    turn.session.pop("breath", None)
    return reply(
        hi,
        turn,
        turn.voice.say("delete_confirm"),
        reprompt=turn.voice.say("reprompt_delete_confirm"),
        next_state="delete_confirm",
    )


def delete_yes(hi: HandlerInput, turn: Turn) -> Response:
    if turn.household:
        turn.services.store.erase(turn.household)
    log.info("household erased on request")
    return reply(hi, turn, turn.voice.say("delete_done"))


def delete_no(hi: HandlerInput, turn: Turn) -> Response:
    return reply(hi, turn, turn.voice.say("delete_kept"))


# --- the table ------------------------------------------------------------------------------------
def _any(_hi: HandlerInput, _turn: Turn) -> bool:
    return True


# What a household asked for in its own words (capture.toml [asks] and [senses]) -> what
# answers it. SENSED: the senses listened for outside a question, in this order ("scratch
# that last entry" is an undo before it is a delete).
# In a gratitude or win question, replies that are not the answer however they are worded.
IN_QUESTION = ("thanks", "help", "yes", "repeat", "hold")
SENSED = (
    "help",
    "help_about",
    "recall_gratitude",
    "recall_wins",
    "recall",
    "recall_saved",
    "undo",
    "delete",
    "yesterday_question",
    "yesterday_entries",
    "week",
    "another_reflection",
    "progress",
    "find_help",
    "repeat",
)
ASKED: dict[str, Do] = {
    "help_about": lambda hi, turn: help_(hi, turn),
    "recall_gratitude": lambda hi, turn: recall(hi, turn, "gratitudes"),
    "recall_wins": lambda hi, turn: recall(hi, turn, "wins"),
    "recall": lambda hi, turn: recall(hi, turn),
    "recall_saved": lambda hi, turn: recall(hi, turn),
    "delete": lambda hi, turn: delete_ask(hi, turn),
    "progress": lambda hi, turn: progress_(hi, turn),
    "repeat": lambda hi, turn: repeat(hi, turn),
    "time_left": time_left,
    "another_reflection": another_reflection,
    "yesterday_question": yesterday_question,
    "yesterday_entries": yesterday_entries,
    "week": lambda hi, turn: progress_(hi, turn, week_first=True),
    "breathing_kinds": breathing_kinds,
    "undo": undo,
    "find_help": lambda hi, turn: find_help(hi, turn),
    "help": lambda hi, turn: help_(hi, turn),
}

SKILL_EVENT = "AlexaSkillEvent."
CRISIS = ("crisis",)
BREATHING = ("breathing", "paused")
YES_AGAIN = ("AMAZON.YesIntent", "AMAZON.ResumeIntent")
NO_STOP = ("AMAZON.NoIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent")

ROUTES: list[Route] = [
    route("crisis", crisis, when=crisis_can),
    route("skill_event", skill_event, when=lambda hi, _t: request_type(hi).startswith(SKILL_EVENT)),
    route("session_ended", session_ended, types=("SessionEndedRequest",)),
    route("launch", launch, types=("LaunchRequest",)),
    # After the crisis answer, "I don't mean I'm going to do anything, it's just grim":
    # heard, and met with care (which names the line still), not the same answer again.
    # ... and "i'm safe, i'm just having a hard time": distress, met with care too.
    route(
        "crisis_taken_back",
        support,
        states=CRISIS,
        when=lambda _hi, t: t.verdict.negated or t.verdict.support,
    ),
    # After the crisis answer, asking to breathe together (when no one is in danger now).
    route("crisis_breathe", breathe_after_crisis, states=CRISIS, when=asks_to_breathe),
    # After the crisis answer: the number again, or a warm goodbye; never the menu.
    route(
        "crisis_number",
        crisis_number,
        states=CRISIS,
        intents=(
            "AMAZON.YesIntent",
            "AMAZON.RepeatIntent",
            "AMAZON.FallbackIntent",
            "AMAZON.HelpIntent",
            "ListenIntent",
        ),
    ),
    route("crisis_goodbye", crisis_goodbye, states=CRISIS, intents=NO_STOP),
    route("helpline", crisis_number, intents=("HelplineIntent",)),
    route("support", support, when=support_can),
    route("support_breathe", support_breathe, states=OFFERING, intents=YES_AGAIN),
    route("support_goodbye", support_goodbye, states=OFFERING, intents=NO_STOP),
    # In the middle of something: the answer belongs to the question just asked. "Yes,
    # delete everything" answering "are you sure?" is a yes.
    route(
        "delete_yes",
        delete_yes,
        states=("delete_confirm",),
        intents=("AMAZON.YesIntent", "DeleteDataIntent"),
    ),
    route(
        "delete_no",
        delete_no,
        states=("delete_confirm",),
        intents=("AMAZON.NoIntent", "AMAZON.CancelIntent"),
    ),
    route("breathe_continue", breathe_continue, states=BREATHING, intents=YES_AGAIN),
    route("breathe_decline", breathe_decline, states=BREATHING, intents=("AMAZON.NoIntent",)),
    route("pause", pause, intents=("AMAZON.PauseIntent",)),
    route("resume", resume, intents=("AMAZON.ResumeIntent",)),
    route("yes_menu", yes_in_menu, states=("menu",), intents=("AMAZON.YesIntent",)),
    route("no_menu", no_in_menu, states=("menu",), intents=("AMAZON.NoIntent",)),
    # Intents.
    route("breathe", breathe, intents=("BreatheIntent",)),
    route("gratitude", gratitude, intents=("GratitudeIntent",)),
    route("win", win, intents=("CelebrateWinIntent",)),
    route("reflection", reflection, intents=("ReflectionIntent",)),
    route("another_reflection", another_reflection, intents=("AnotherReflectionIntent",)),
    route("progress", progress_, intents=("ProgressIntent",)),
    route("recall", recall, intents=("RecallIntent",)),
    route("find_help", find_help, intents=("FindHelpIntent",)),
    route("delete", delete_ask, intents=("DeleteDataIntent",)),
    route("help", help_, intents=("AMAZON.HelpIntent",)),
    route("stop", stop, intents=("AMAZON.StopIntent", "AMAZON.CancelIntent")),
    route("navigate_home", navigate_home, intents=("AMAZON.NavigateHomeIntent",)),
    route("repeat", repeat, intents=("AMAZON.RepeatIntent",)),
    route("start_over", start_over, intents=("AMAZON.StartOverIntent",)),
    route("yes_no", yes_no_unexpected, intents=("AMAZON.YesIntent", "AMAZON.NoIntent")),
    # Whatever nothing else took: the catch-all's words, Alexa's fallback, and the crisis
    # intents when the screen heard no danger in them.
    route(
        "fallback",
        fallback,
        takes=("ListenIntent", "AMAZON.FallbackIntent", "CrisisIntent", "EmergencyIntent"),
    ),
]
check_routes(ROUTES)

# Intents some route answers, from the table: the linter and tests check the models.
HANDLED_INTENTS = handled_intents(ROUTES)


class RouteHandler(AbstractRequestHandler):
    def __init__(self, declared: Route) -> None:
        self.route = declared
        self.name = declared.name

    def can_handle(self, handler_input: HandlerInput) -> bool:
        turn = turn_of(handler_input)
        kind = request_type(handler_input)
        return self.route.can(handler_input, turn, kind, intent_name(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        turn.route = self.name
        if self.name != "fallback":
            turn.session.pop("misses", None)
        return self.route.do(handler_input, turn)


class ApologyHandler(AbstractExceptionHandler):
    """The one catch-all: any failure is spoken as an apology, never a 500."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        turn = turn_of(handler_input)
        key = "store_error" if isinstance(exception, StoreError) else "error"
        log.error(
            "turn failed route=%s error=%s", getattr(turn, "route", None), type(exception).__name__
        )
        # Start from a clean response: a handler may have half-built one.
        rb = handler_input.response_builder
        rb.response.directives = None
        rb.response.card = None
        rb.response.reprompt = None
        return reply(handler_input, turn, turn.voice.say(key))


def route_handlers() -> list[RouteHandler]:
    check_routes(ROUTES)
    return [RouteHandler(r) for r in ROUTES]
