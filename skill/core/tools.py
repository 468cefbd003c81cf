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
)

#: Tools that change nothing (annotated read-only for the host).
READ_ONLY = frozenset({"progress", "recall", "find_help"})


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


def breathe(turn: Turn, pattern: str | None = None, minutes: int | None = None) -> Said:
    """The whole exercise: the pattern asked for (by id, name or description; the
    default otherwise), for the minutes asked (kept within the content's range, and
    said so when changed)."""
    answered = screened(turn, pattern)
    if answered is not None:
        return answered
    breathing = turn.content.breathing
    chosen = br.choose_pattern(breathing, pattern, pattern)
    if pattern and chosen == breathing.default:
        chosen = br.pattern_named_in(breathing, pattern) or chosen
    asked = minutes * 60 if minutes is not None else None
    seconds = br.clamp_minutes(breathing, minutes) * 60
    return practices.whole_exercise(turn, chosen, seconds, asked)


def _words(turn: Turn, text: str | None) -> str | None:
    """The household's words as they meant them ("the... no, actually, the nurse" is
    the nurse); None when they are only filler or empty."""
    said = (text or "").strip()
    if not said:
        return None
    said = turn.content.corrected(said).strip()
    if not said or turn.content.is_filler(said):
        return None
    return said


def share_gratitude(turn: Turn, text: str | None = None) -> Said:
    answered = screened(turn, text)
    if answered is not None:
        return answered
    said = _words(turn, text)
    if said is None:  # nothing to save: the question to ask them
        question = turn.rng.choice(list(turn.content.gratitude_questions))
        speech = turn.voice.say("gratitude_ask", question=Markup(question.text))
        return Said(speech, data={"saved": False, "question": question.id})
    return practices.save_gratitude(turn, said)


def celebrate_win(turn: Turn, text: str | None = None) -> Said:
    answered = screened(turn, text)
    if answered is not None:
        return answered
    said = _words(turn, text)
    if said is None:
        return Said(turn.voice.say("win_ask"), data={"saved": False})
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


def delete_household_data(turn: Turn, confirm: bool = False) -> Said:
    """Erases only with ``confirm`` exactly true; otherwise the question to ask."""
    if confirm is True:
        return practices.erase_household(turn)
    return practices.delete_question(turn)
