"""What the household's words mean: the catch-all's words, the answers to a question,
and the fallback."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core import breathing as br
from skill.core import practices
from skill.core.handlers.base import (
    ELSEWHERE,
    OFFERING,
    Do,
    menu_reply,
    reply,
    slot_value,
    state,
    stay,
)
from skill.core.handlers.breathing import (
    breathe_continue,
    breathing_kinds,
    current_plan,
    pause,
    resume,
    start_breathing,
    time_left,
)
from skill.core.handlers.capture import (
    CAPTURES,
    ask_for,
    celebrate,
    gratitude_question,
    thanked,
)
from skill.core.handlers.crisis import support_breathe, support_goodbye, weary
from skill.core.handlers.looking_back import (
    another_reflection,
    heard_reflection,
    progress_,
    recall,
    reflection,
    undo,
    yesterday_entries,
    yesterday_question,
)
from skill.core.handlers.reminders import with_offer
from skill.core.handlers.session import delete_ask, delete_yes, find_help, help_, repeat, stop
from skill.core.handlers.week import how_was_our_week
from skill.core.turn import Turn


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
        # a win told in one go, in words of its own ("erm. win. we went for a walk")
        return celebrate(hi, turn, content.without_offer_lead(said, "CelebrateWinIntent"))
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
    return reply(hi, turn, with_offer(turn, practices.save_gratitude(turn, said).speech))


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


# In a gratitude or win question, replies that are not the answer however they are worded.
IN_QUESTION = ("thanks", "help", "yes", "repeat", "hold")

# What a household asked for in its own words (capture.toml [asks] and [senses]) -> what
# answers it. SENSED: the senses listened for outside a question, in this order ("scratch
# that last entry" is an undo before it is a delete).
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
    "week": lambda hi, turn: how_was_our_week(hi, turn),
    "breathing_kinds": breathing_kinds,
    "undo": undo,
    "find_help": lambda hi, turn: find_help(hi, turn),
    "help": lambda hi, turn: help_(hi, turn),
}
