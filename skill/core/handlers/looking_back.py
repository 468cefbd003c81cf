"""Reflection prompts, progress and the week, reading back, yesterday, undo."""

from __future__ import annotations

from datetime import timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.content import Prompt, plain_words
from skill.core import display, practices, progress
from skill.core.echo import echo, words_of
from skill.core.handlers.base import (
    NAMED_UNDO_WINDOW,
    UNDO_SCAN,
    UNDO_WINDOW,
    reply,
    slot_id,
    stay_open,
)
from skill.core.handlers.capture import CAPTURES
from skill.core.practices import RECALL_KINDS, RECALL_LIMIT, lower_first, read_back
from skill.core.ssml import Markup, clip_text, escape, spoken_list, to_plain
from skill.core.turn import Turn
from skill.store.base import Conflict, Entry


def heard_reflection(turn: Turn) -> bool:
    """Today's reflection was the last thing heard (this session), or has been heard
    today: "another one" then means another prompt."""
    last = turn.session.get("last")
    keys = last.get("keys") if isinstance(last, dict) else None
    if isinstance(keys, list) and any(str(k).startswith("reflection_") for k in keys):
        return True
    return turn.read().str("prompt.day") == turn.today.isoformat()


def another_reflection(hi: HandlerInput, turn: Turn) -> Response:
    """A different prompt, from the deck's rotation, at most MORE_PROMPTS times a day."""
    return said_reflection(hi, turn, practices.another_reflection(turn))


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


# --- reflection, progress, recall, help ---------------------------------------------------------
def reflection(hi: HandlerInput, turn: Turn) -> Response:
    return said_reflection(hi, turn, practices.todays_reflection(turn))


def say_reflection(hi: HandlerInput, turn: Turn, key: str, prompt: Prompt) -> Response:
    return said_reflection(hi, turn, practices.reflection_said(turn, key, prompt))


def said_reflection(hi: HandlerInput, turn: Turn, said: practices.Said) -> Response:
    if display.supports_apl(hi.request_envelope):  # an Echo Show: the prompt, to read
        assert said.card is not None
        title, text = said.card
        hi.response_builder.add_directive(
            display.reflection_directive(to_plain(title), to_plain(text))
        )
        turn.record["screen"] = display.REFLECTION_TOKEN
    return reply(hi, turn, said.speech, card=said.card)


def progress_(hi: HandlerInput, turn: Turn, *, week_first: bool = False) -> Response:
    """How the household is doing; ``week_first`` ("how was our week") leads with the
    past seven days."""
    return reply(hi, turn, practices.progress_said(turn, week_first=week_first).speech)


MINE_SCAN = 20  # newest entries of a kind looked through for one voice's own


def recall_mine(hi: HandlerInput, turn: Turn) -> Response:
    """ "What did I share": the recognised voice's own recent gratitudes or wins; with no
    voice profile, the household's, said as such."""
    if turn.person is None:
        lead = turn.voice.say("recall_mine_household")
        return recall(hi, turn, lead=lead)
    wanted = RECALL_KINDS.get(slot_id(hi, "kind") or "")
    parts = []
    for kind, key in [wanted] if wanted else RECALL_KINDS.values():
        found = turn.services.store.entries(
            turn.household or "", kind, now=turn.now, limit=MINE_SCAN
        )
        mine = [e for e in found if e.person == turn.person][:RECALL_LIMIT]
        if mine:
            parts.append(read_back(turn, key, mine))
    if not parts:
        return reply(hi, turn, turn.voice.say("recall_mine_none"))
    return reply(hi, turn, " ".join(parts))


def recall(
    hi: HandlerInput, turn: Turn, kind: str | None = None, *, lead: str | None = None
) -> Response:
    """The last few gratitudes or wins, newest first; both when the kind was not resolved."""
    said = practices.recall_said(turn, kind or slot_id(hi, "kind"), lead=lead)
    return reply(hi, turn, said.speech)
