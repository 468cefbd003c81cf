"""The practices, once: what each one does to the household's store and what it says.

Both shells of the core call these: the Alexa handlers (``skill/core/handlers/``) wrap
a :class:`Said` in a response (a reprompt, a directive, the session's next state), and
the Alexa+ tools (``skill/mcp_server/``) render it as plain text with its structured
data. Nothing here knows which one asked; no I/O beyond the turn's store.

A practice returns the SSML fragment it spoke (content keys recorded by the turn's
voice, as every reply is), an optional card, and ``data``: the same facts as values
(the count saved, the prompt's id, the breathing phases with their seconds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from skill.content import Prompt
from skill.core import breathing as br
from skill.core import display, progress
from skill.core.echo import echo, words_of
from skill.core.ssml import Markup, breaks, clip_text, escape, spoken_list, to_plain
from skill.core.turn import Turn
from skill.store.base import Change, Entry, Snapshot

RECALL_LIMIT = 3  # entries of a kind said back by recall

MORE_PROMPTS = 2  # different reflection prompts a household may ask for in one day

# RecallKind value id (entity resolution, and the tool's argument) -> the entry kind
# and its speech key.
RECALL_KINDS = {"gratitudes": ("gratitude", "recall_gratitudes"), "wins": ("win", "recall_wins")}


@dataclass(frozen=True)
class Said:
    """What a practice said (an SSML fragment, no ``<speak>``), its card, and its facts."""

    speech: str
    card: tuple[str, str] | None = None
    data: dict[str, Any] = field(default_factory=dict)


def amount(turn: Turn, key: str, count: int) -> str:
    return f"{count} {turn.content.word(key, count)}"


def lower_first(turn: Turn, text: str) -> str:
    """An echo inside a list ("..., you got through a bad day and ..."): not capitalised
    when its first word is one of the language's ([echo] lower_first); a name keeps its
    capital."""
    first = text.split(" ", 1)[0]
    if first in turn.content.echo_lower_first:
        return text[:1].lower() + text[1:]
    return text


# --- gratitude and wins ---------------------------------------------------------------------
def record_entry(turn: Turn, kind: str, said: str) -> int:
    """Store the household's words as a practice of ``kind``; the count of that kind after."""
    entry = Entry(kind, clip_text(said), turn.now, turn.expires_at, turn.person)
    after = turn.update(
        lambda s: progress.practice_change(s, kind, turn.today, person=turn.person, entry=entry)
    )
    return after.int(f"count.{kind}")


def save_gratitude(turn: Turn, said: str) -> Said:
    """Save a gratitude and reflect it back, with the household's count."""
    count = record_entry(turn, "gratitude", said)
    back = echo(said, words_of(turn.content))
    speech = turn.voice.say("gratitude_reflect", gratitude=back, count=count)
    return Said(speech, data={"kind": "gratitude", "count": count, "saved": to_plain(back)})


def save_win(turn: Turn, said: str) -> Said:
    """Save a win and celebrate it, said back to the household (a first, a milestone)."""
    count = record_entry(turn, "win", said)
    back = echo(said, words_of(turn.content))
    if count == 1:
        speech = turn.voice.say("win_milestone_first", win=back)
    elif progress.is_milestone(count):
        speech = turn.voice.say("win_milestone", win=back, count=count)
    else:
        speech = turn.voice.say("win_celebrate", win=back)
    card = (turn.voice.say("card_win_title"), back)
    return Said(speech, card, {"kind": "win", "count": count, "saved": to_plain(back)})


# --- reflection ---------------------------------------------------------------------------
def todays_reflection(turn: Turn) -> Said:
    """Today's prompt from the deck's rotation (the same one all day; counted once)."""
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
    key = "reflection_today" if chosen["new"] else "reflection_again"
    return reflection_said(turn, key, deck_prompt(turn, chosen["id"]))


def another_reflection(turn: Turn) -> Said:
    """A different prompt, from the deck's rotation, at most MORE_PROMPTS times a day."""
    deck = [p.id for p in turn.content.reflections]
    chosen: dict[str, Any] = {}

    def build(snap: Snapshot) -> Change | None:
        first = snap.str("prompt.day") != turn.today.isoformat()
        pick, change = progress.another_prompt(snap, deck, turn.today, turn.rng, MORE_PROMPTS)
        chosen["id"] = pick
        if first:
            chosen["key"] = "reflection_today"
        else:
            chosen["key"] = "reflection_another" if change else "reflection_enough"
        if change is None or not first:
            return change
        counted = progress.practice_change(snap, "reflection", turn.today, person=turn.person)
        return progress.combine(change, counted)

    turn.update(build)
    return reflection_said(turn, chosen["key"], deck_prompt(turn, chosen["id"]))


def deck_prompt(turn: Turn, prompt_id: str) -> Prompt:
    prompt = turn.content.prompt(prompt_id)
    assert prompt is not None, "the store chose a prompt of the deck"
    return prompt


def reflection_said(turn: Turn, key: str, prompt: Prompt) -> Said:
    speech = turn.voice.say(key, prompt=Markup(prompt.text))
    title = turn.voice.say("card_reflection_title")
    data = {"prompt": prompt.id, "theme": prompt.theme, "text": to_plain(prompt.text)}
    return Said(speech, (title, prompt.text), data)


# --- progress and recall ----------------------------------------------------------------
def progress_said(turn: Turn, *, week_first: bool = False) -> Said:
    """How the household is doing; ``week_first`` ("how was our week") leads with the
    past seven days."""
    snap = turn.read()
    summary = progress.summary(snap, turn.today)
    data: dict[str, Any] = {
        "streak": summary.streak,
        "best_streak": summary.best,
        "counts": dict(summary.counts),
        "week": dict(summary.week),
    }
    if summary.total == 0:
        return Said(turn.voice.say("progress_nothing_yet"), data=data)
    and_word = turn.content.and_word
    counts = spoken_list([amount(turn, k, n) for k, n in summary.counts.items() if n], and_word)
    week_items = [amount(turn, k, n) for k, n in summary.week.items() if n]
    week = spoken_list(week_items, and_word) if week_items else turn.voice.say("progress_week_none")
    mine = progress.person_week(snap, turn.today, turn.person) if turn.person else {}
    mine_items = [amount(turn, k, n) for k, n in mine.items() if n > 0]
    if mine_items and week_items:  # who did what, in one sentence
        speech = turn.voice.say(
            "progress_person_week",
            mine=Markup(spoken_list(mine_items, and_word)),
            together=Markup(week),
        )
        if summary.streak >= 2:
            speech += " " + turn.voice.say("week_look_back_streak", streak=summary.streak)
    elif week_first:
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
    return Said(speech, data=data)


def read_back(turn: Turn, key: str, entries: list[Entry]) -> str:
    words = words_of(turn.content)
    said = [escape(lower_first(turn, echo(clip_text(e.text), words))) for e in entries]
    items = spoken_list(said, turn.content.and_word)
    return turn.voice.say(key, items=Markup(items), count=len(entries))


def recall_said(turn: Turn, kind: str | None = None, *, lead: str | None = None) -> Said:
    """The last few gratitudes or wins (``kind``: "gratitudes" or "wins"), newest first;
    both when the kind is not one of them."""
    wanted = RECALL_KINDS.get(kind or "")
    parts = []
    found: dict[str, list[str]] = {}
    for entry_kind, key in [wanted] if wanted else RECALL_KINDS.values():
        entries = (
            turn.services.store.entries(
                turn.household, entry_kind, now=turn.now, limit=RECALL_LIMIT
            )
            if turn.household
            else []
        )
        found[entry_kind] = [clip_text(e.text) for e in entries]
        if entries:
            parts.append(read_back(turn, key, entries))
        else:
            parts.append(turn.voice.say(f"{key}_empty"))
    return Said(" ".join([lead, *parts] if lead else parts), data={"entries": found})


# --- help and erasing ---------------------------------------------------------------------
def find_help(turn: Turn) -> Said:
    """Where professional help is, after saying the skill gives no medical advice."""
    speech = f"{turn.voice.say('find_help_lead')} {turn.voice.say('find_help')}"
    return Said(speech, data={"helpline": turn.content.helpline_text})


def erase_household(turn: Turn) -> Said:
    """Everything the household saved, gone (after they said yes to the question)."""
    if turn.household:
        turn.services.store.erase(turn.household)
    return Said(turn.voice.say("delete_done"), data={"erased": turn.household is not None})


def delete_question(turn: Turn) -> Said:
    """The question before erasing: what goes, and that it cannot be undone."""
    return Said(turn.voice.say("delete_confirm"), data={"erased": False})


# --- crisis and support -------------------------------------------------------------------
def helpline(turn: Turn) -> Markup:
    return Markup(turn.content.helpline_speech)


def crisis_answer(turn: Turn, *, emergency: bool = False) -> Said:
    """The crisis answer with the locale's line (the emergency number first when there
    is danger now, for the rest of the session); whatever exercise was running stops,
    and no reminder is mentioned in this session after it."""
    turn.session.pop("breath", None)
    turn.session["cared"] = True
    if turn.verdict.urgent or emergency:
        turn.session["urgent"] = True
    speech = say_crisis(turn, "crisis", "crisis_urgent")
    title = turn.voice.say("card_crisis_title")
    written = Markup(turn.content.helpline_text)
    if turn.session.get("urgent") is True:
        emergency_text = turn.content.emergency_text
        body = turn.voice.say("card_crisis_urgent_body", helpline=written, emergency=emergency_text)
    else:
        body = turn.voice.say("card_crisis_body", helpline=written)
    data = {
        "crisis": True,
        "helpline": turn.content.helpline_text,
        "emergency": turn.content.emergency_text,
        "saved": False,
    }
    return Said(speech, (title, body), data)


def say_crisis(turn: Turn, key: str, urgent_key: str) -> str:
    """``key`` with the line; ``urgent_key`` (the emergency number first, then the line)
    once this session has heard of danger now."""
    if turn.session.get("urgent") is True:
        emergency = Markup(turn.content.emergency_speech)
        return turn.voice.say(urgent_key, helpline=helpline(turn), emergency=emergency)
    return turn.voice.say(key, helpline=helpline(turn))


def support_answer(turn: Turn) -> Said:
    """Distress that is not a crisis: care, the line, and a minute of breathing offered."""
    turn.session["cared"] = True
    speech = turn.voice.say("support", helpline=helpline(turn))
    return Said(speech, data={"support": True, "helpline": turn.content.helpline_text})


# --- breathing ----------------------------------------------------------------------------
def length_words(turn: Turn, seconds: int) -> str:
    """ "2 minutes", "90 seconds": how long, the way it is said."""
    if seconds % 60 == 0:
        return amount(turn, "minute", seconds // 60)
    return amount(turn, "second", seconds)


def begin_breathing(
    turn: Turn, pattern_id: str, seconds: int, asked: int | None
) -> tuple[str, br.Plan]:
    """Start an exercise: the words before the first cue (a length adjusted, the
    pattern and how it goes) and its plan. Counted once a session, however many times
    the pattern changes."""
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
    if not turn.session.get("breath_counted"):
        turn.update(
            lambda s: progress.practice_change(s, "breathe", turn.today, person=turn.person)
        )
        turn.session["breath_counted"] = True
    return " ".join(lead), plan


def whole_exercise(turn: Turn, pattern_id: str, seconds: int, asked: int | None) -> Said:
    """The whole exercise at once, for a host that paces it itself (Alexa+): the lead,
    every round's cues with their pauses, the closing words; and as data the phases with
    their seconds, the cue spoken for each and the circle's scale at its end (what a
    screen shows), and the number of cycles."""
    breathing = turn.content.breathing
    lead, plan = begin_breathing(turn, pattern_id, seconds, asked)
    # One round of every cycle: one wording per cue for the whole exercise.
    whole = replace(
        breathing,
        round_seconds=math.ceil(plan.total * breathing.patterns[pattern_id].cycle_seconds),
    )
    body, plan, cues, _cycles = br.round_parts(turn.voice, whole, plan)
    parts = [lead, body, turn.voice.say("breathe_done")]
    pattern = breathing.patterns[pattern_id]
    phases = []
    scale = display.REST[0]
    for phase, phase_seconds in pattern.phases:
        shape = display.PHASE_SHAPES.get(phase)
        scale = shape[0] if shape is not None else scale
        cue = to_plain(cues[phase])
        phases.append({"phase": phase, "seconds": phase_seconds, "cue": cue, "scale": scale})
    data = {
        "pattern": pattern_id,
        "name": pattern.name,
        "seconds": seconds,
        "cycles": plan.total,
        "phases": phases,
        "rest_scale": display.REST[0],
    }
    return Said(" ".join(parts), data=data)
