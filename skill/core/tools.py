"""The practices as tools, for Alexa+ (and any MCP host): each tool's rules over a turn.

No I/O and no MCP here: ``skill/mcp_server`` reads the arguments, builds the turn (who,
the locale, the clock) and renders the :class:`~skill.core.practices.Said` as plain
text. Every tool calls the same practice functions as the Alexa handlers.

Safety first, as on classic Alexa: every text argument goes through the locale's
crisis screen before anything else. A crisis gets the crisis answer with the line
(nothing is stored, nothing else is done); distress that is not a crisis gets the
support answer (nothing stored either).
"""

from __future__ import annotations

from skill.core import breathing as br
from skill.core import practices
from skill.core.practices import Said
from skill.core.ssml import Markup
from skill.core.turn import Turn

#: The tools, in the order ``tools/list`` gives them.
TOOLS = (
    "breathe",
    "share_gratitude",
    "celebrate_win",
    "todays_reflection",
    "another_reflection",
    "progress",
    "recall",
    "find_help",
    "delete_household_data",
    "check_in",
)

#: Tools that change nothing (annotated read-only for the host).
READ_ONLY = frozenset({"progress", "recall", "find_help", "check_in"})


def screened(turn: Turn, *texts: str | None) -> Said | None:
    """The crisis or support answer when any of ``texts`` needs it; else None."""
    said = [t for t in texts if isinstance(t, str) and t.strip()]
    if not said:
        return None
    verdict = turn.content.screen.check_all(said)
    if verdict.crisis:
        return practices.crisis_answer(turn, emergency=verdict.urgent)
    if verdict.support:
        return practices.support_answer(turn)
    return None


def breathe(turn: Turn, pattern: str | None = None, minutes: float | None = None) -> Said:
    """The whole exercise: the pattern asked for (by id, name or description; the
    default otherwise, and said so when it was not one the skill knows), for the minutes
    asked (kept within the content's range, and said so when changed; none, zero or
    less: the default length)."""
    answered = screened(turn, pattern)
    if answered is not None:
        return answered
    breathing = turn.content.breathing
    named = _pattern(turn, pattern) if pattern and pattern.strip() else None
    unknown = bool(pattern and pattern.strip()) and named is None
    chosen = named or breathing.default
    asked = round(minutes * 60) if minutes is not None and 0 < minutes < 10_000 else None
    seconds = br.clamp_seconds(breathing, asked)
    lead = turn.voice.say("breathe_pattern_unknown") if unknown else None
    done = practices.whole_exercise(turn, chosen, seconds, asked)
    if lead is None:
        return done
    return Said(f"{lead} {done.speech}", done.card, {**done.data, "pattern_known": False})


def _pattern(turn: Turn, text: str) -> str | None:
    """The pattern ``text`` names: its id, its name, or one of its descriptions."""
    breathing = turn.content.breathing
    if text in breathing.patterns:
        return text
    spoken = text.strip().lower()
    for found in breathing.patterns.values():
        if spoken in (found.id.replace("_", " "), found.name.lower()):
            return found.id
    return br.pattern_named_in(breathing, text)


# Replies to a gratitude or win question that are not the answer however they are
# worded (as on classic Alexa): thanks, help, yes, "say that again", "hang on", and
# "don't save that".
NOT_ANSWERS = ("thanks", "help", "yes", "repeat", "hold", "undo")


# What a mind change asked for instead, as the tool that gives it.
INSTEAD = {
    "BreatheIntent": "breathe",
    "GratitudeIntent": "share_gratitude",
    "CelebrateWinIntent": "celebrate_win",
    "ReflectionIntent": "todays_reflection",
}


def _changed(turn: Turn, text: str | None) -> Said | None:
    """ "a gratitude, wait no, can we do a win instead", "he slept, wait, no, forget it":
    the question taken back, as on classic Alexa; nothing saved, and what they asked
    for instead (a tool to call), when they named one."""
    said = (text or "").strip()
    if not said or not turn.content.is_mind_change(said):
        return None
    wanted = INSTEAD.get(turn.content.offered_in(said) or "")
    data: dict[str, object] = {"saved": False}
    if wanted:
        data["instead"] = wanted
    return Said(turn.voice.say("capture_changed"), data=data)


def _words(turn: Turn, text: str | None) -> str | None:
    """The household's words as they meant them ("the... no, actually, the nurse" is
    the nurse); None when they are only filler or empty."""
    said = (text or "").strip()
    if not said:
        return None
    said = turn.content.corrected(said).strip()
    if not said or turn.content.is_filler(said) or turn.content.says_nothing(said):
        return None
    return said


def _declined(turn: Turn, said: str) -> bool:
    """ "nope", "nothing today", "dunno, nothing springs to mind", "don't save that":
    nothing to save, and no question pressed on them."""
    content = turn.content
    return content.is_refusal(said) or content.sense(said, NOT_ANSWERS) is not None


def share_gratitude(turn: Turn, text: str | None = None) -> Said:
    answered = screened(turn, text) or _changed(turn, text)
    if answered is not None:
        return answered
    said = _words(turn, text)
    if said is None:  # nothing to save: the question to ask them
        question = turn.rng.choice(list(turn.content.gratitude_questions))
        speech = turn.voice.say("gratitude_ask", question=Markup(question.text))
        return Said(speech, data={"saved": False, "question": question.id})
    if _declined(turn, said):
        return Said(turn.voice.say("capture_declined"), data={"saved": False})
    return practices.save_gratitude(turn, said)


def celebrate_win(turn: Turn, text: str | None = None) -> Said:
    answered = screened(turn, text) or _changed(turn, text)
    if answered is not None:
        return answered
    said = _words(turn, text)
    if said is None:
        return Said(turn.voice.say("win_ask"), data={"saved": False})
    if _declined(turn, said):
        return Said(turn.voice.say("capture_declined"), data={"saved": False})
    return practices.save_win(turn, said)


def todays_reflection(turn: Turn) -> Said:
    return practices.todays_reflection(turn)


def another_reflection(turn: Turn) -> Said:
    return practices.another_reflection(turn)


def progress(turn: Turn) -> Said:
    return practices.progress_said(turn)


def recall(turn: Turn, kind: str | None = None) -> Said:
    return practices.recall_said(turn, kind)


def find_help(turn: Turn) -> Said:
    return practices.find_help(turn)


def check_in(turn: Turn, text: str | None = None) -> Said:
    """How someone is, in their words, when it is not a practice ("I'm not coping", "long
    day", "he hasn't spoken in days"): on Alexa+ the assistant decides what to call, so
    words like these need a tool to reach the screen. A crisis gets the line; distress,
    care and a minute of breathing offered; tiredness, a kind word and the same offer;
    anything else, thanks and the practices. Nothing is stored."""
    answered = screened(turn, text)
    if answered is not None:
        return answered
    said = (text or "").strip()
    if said and turn.content.sense(said, ("weary",)) is not None:
        return Said(turn.voice.say("weary"), data={"weary": True})
    return Said(turn.voice.say("check_in_heard"), data={})


def delete_household_data(turn: Turn, confirm: object = False) -> Said:
    """Erases only with ``confirm`` exactly true (the JSON boolean); anything else
    ("yes", 1, "true") gets the question to ask, and nothing is erased."""
    if confirm is True:
        return practices.erase_household(turn)
    return practices.delete_question(turn)
