"""A look back at the week: "how was our week", and once a week at launch (the first
visit of a new local week). Short and warm: the days practised, one gratitude and one win
from those days said back to the household, and the streak. Said only when there is
something to say."""

from __future__ import annotations

from datetime import timedelta

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core import progress
from skill.core.echo import echo, words_of
from skill.core.handlers.base import reply
from skill.core.handlers.looking_back import progress_
from skill.core.ssml import Markup, clip_text, escape
from skill.core.turn import Turn
from skill.store.base import Entry, Snapshot

WEEK_SCAN = 20  # newest entries of a kind looked through for one from the week


def look_back(turn: Turn, snap: Snapshot, *, include_today: bool) -> str | None:
    """The look back at the past seven days (or the seven before today), or None when
    nothing was practised in them."""
    today = turn.today
    days = progress.days_practised(snap, today, include_today=include_today)
    if days == 0:
        return None
    parts = [turn.voice.say("week_look_back", days=days)]
    for kind, key in (("gratitude", "week_look_back_gratitude"), ("win", "week_look_back_win")):
        entry = _one_from_the_week(turn, kind, include_today=include_today)
        if entry is not None:
            said = Markup(escape(echo(clip_text(entry.text), words_of(turn.content))))
            parts.append(turn.voice.say(key, **{kind: said}))
    streak = progress.current_streak(snap, today)
    if streak >= 2:
        parts.append(turn.voice.say("week_look_back_streak", streak=streak))
    return " ".join(parts)


def _one_from_the_week(turn: Turn, kind: str, *, include_today: bool) -> Entry | None:
    if not turn.household:
        return None
    last = turn.today if include_today else turn.today - timedelta(days=1)
    first = last - timedelta(days=progress.WEEK - 1)
    entries = turn.services.store.entries(turn.household, kind, now=turn.now, limit=WEEK_SCAN)
    week = [e for e in entries if first <= turn.local_date(e.at) <= last]
    return turn.rng.choice(week) if week else None


def launch_look_back(turn: Turn, snap: Snapshot) -> str | None:
    """At launch, once a local week: the look back at the seven days before today (and
    the week is marked as told), or None."""
    if not progress.look_back_due(snap, turn.today):
        return None
    said = look_back(turn, snap, include_today=False)
    if said is not None:
        turn.update(lambda s: progress.week_told_change(s, turn.today), snap)
    return said


def how_was_our_week(hi: HandlerInput, turn: Turn) -> Response:
    """ "How was our week": the look back at the last seven days, today included; the
    progress answer (which names the week too) when there is nothing in them."""
    snap = turn.read()
    # Today counts once something was practised today; before that, the same seven days
    # as the launch's look back, so the two never disagree in one evening.
    today_done = progress.practised_on(snap, turn.today)
    said = look_back(turn, snap, include_today=today_done)
    if said is None:
        return progress_(hi, turn, week_first=True)
    return reply(hi, turn, said)
