"""Streaks over simulated days and time zones; the reflection deck's rotation."""

from __future__ import annotations

import itertools
import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from skill.content import load
from skill.core import progress
from skill.store.base import Snapshot, merged
from skill.store.sqlite import SqliteStore
from tests.conftest import Clock, Talk, Zone
from tests.helpers import household_key


def practise_on(talk: Talk, clock: Clock, iso: str) -> None:
    clock.set(iso)
    talk().say('@GratitudeIntent "gratitude=each other"')


def test_streak_grows_on_consecutive_days_breaks_after_a_gap_and_keeps_the_best(
    talk: Talk, clock: Clock, store: SqliteStore
) -> None:
    for iso in (
        "2026-11-01T15:00:00+00:00",
        "2026-11-02T15:00:00+00:00",
        "2026-11-02T20:00:00+00:00",  # twice in a day counts once for the streak
        "2026-11-03T15:00:00+00:00",
    ):
        practise_on(talk, clock, iso)
    snap = store.read(household_key())
    assert (snap.int("streak.current"), snap.int("streak.best")) == (3, 3)
    assert progress.current_streak(snap, date(2026, 11, 4)) == 3  # alive until tonight
    assert progress.current_streak(snap, date(2026, 11, 5)) == 0  # a day missed

    practise_on(talk, clock, "2026-11-06T15:00:00+00:00")
    snap = store.read(household_key())
    assert (snap.int("streak.current"), snap.int("streak.best")) == (1, 3)
    assert snap.int("count.gratitude") == 5


def test_a_practice_at_2330_local_counts_for_that_local_day(
    talk: Talk, clock: Clock, zone: Zone, store: SqliteStore
) -> None:
    zone.name = "America/Los_Angeles"
    practise_on(talk, clock, "2026-11-24T07:30:00-08:00")  # Tue morning in LA
    practise_on(talk, clock, "2026-11-25T23:30:00-08:00")  # Wed 23:30 in LA = Thu UTC
    snap = store.read(household_key())
    assert snap.str("streak.last") == "2026-11-25"
    assert snap.int("streak.current") == 2
    assert snap.int("day.2026-11-25.gratitude") == 1


def test_the_same_instant_is_a_different_day_in_another_zone(
    talk: Talk, clock: Clock, zone: Zone, store: SqliteStore
) -> None:
    zone.name = "Asia/Kolkata"
    practise_on(talk, clock, "2026-11-25T20:00:00+00:00")  # already the 26th in India
    assert store.read(household_key()).str("streak.last") == "2026-11-26"


def test_without_a_device_zone_the_locale_zone_is_used(
    talk: Talk, clock: Clock, zone: Zone, store: SqliteStore
) -> None:
    zone.name = None
    clock.set("2026-11-25T20:00:00+00:00")
    talk(locale="en-IN").say('@GratitudeIntent "gratitude=chai"')
    assert store.read(household_key()).str("streak.last") == "2026-11-26"  # Asia/Kolkata


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=40))
def test_streak_rule_matches_a_direct_count(day_offsets: list[int]) -> None:
    """Practising on any sequence of days: the rule's streak equals the longest run."""
    start = date(2026, 1, 1)
    attrs: dict[str, int | str] = {}
    days = sorted(set(day_offsets))
    for offset in sorted(day_offsets):
        change = progress.practice_change(
            Snapshot(attrs), "win", start.fromordinal(start.toordinal() + offset)
        )
        attrs = merged(attrs, change)
    best = run = 1
    for a, b in itertools.pairwise(days):
        run = run + 1 if b == a + 1 else 1
        best = max(best, run)
    assert Snapshot(attrs).int("streak.best") == best
    assert Snapshot(attrs).int("count.win") == len(day_offsets)
    assert len([k for k in attrs if k.startswith("day.")]) <= progress.DAYS_KEPT


def test_the_whole_deck_comes_before_any_repeat_and_never_twice_in_a_row() -> None:
    deck = [p.id for p in load("en-US").reflections]
    assert len(deck) >= 60
    attrs: dict[str, int | str] = {}
    rng = random.Random(7)
    seen: list[str] = []
    for n in range(len(deck) * 2 + 5):
        day = date.fromordinal(date(2026, 1, 1).toordinal() + n)
        pick, change = progress.todays_prompt(Snapshot(attrs), deck, day, rng)
        assert change is not None
        attrs = merged(attrs, change)
        again, none = progress.todays_prompt(Snapshot(attrs), deck, day, rng)
        assert (again, none) == (pick, None)  # same prompt all day, nothing to write
        seen.append(pick)
    first, second = seen[: len(deck)], seen[len(deck) : 2 * len(deck)]
    assert sorted(first) == sorted(deck) and sorted(second) == sorted(deck)
    assert all(a != b for a, b in itertools.pairwise(seen))


def test_rotation_through_the_skill_over_days(talk: Talk, clock: Clock) -> None:
    deck_size = len(load("en-US").reflections)
    prompts = []
    for _ in range(deck_size):
        result = talk().say("ask resilient together for today's reflection")
        assert result.card is not None
        prompts.append(result.card["content"])
        clock.advance(days=1)
    assert len(set(prompts)) == deck_size


def test_milestones() -> None:
    assert [n for n in range(1, 120) if progress.is_milestone(n)] == [1, 5, 10, 25, 50, 100]


def test_the_week_look_back_is_due_once_a_local_week_after_a_week_with_practice() -> None:
    monday, sunday = date(2026, 11, 30), date(2026, 11, 29)
    assert progress.week_key(monday) == "2026-W49" and progress.week_key(sunday) == "2026-W48"
    snap = Snapshot(
        {"day.2026-11-27.gratitude": 1, "day.2026-11-29.win": 1, "day.2026-11-20.win": 1}
    )
    assert progress.days_practised(snap, monday, include_today=False) == 2  # 23-29 November
    assert progress.look_back_due(snap, monday)
    told = Snapshot({**snap.attrs, "week.told": "2026-W49"})
    assert not progress.look_back_due(told, monday)  # heard already this week
    quiet = Snapshot({"day.2026-11-20.win": 1, "week.told": "2026-W48"})
    assert not progress.look_back_due(quiet, monday)  # nothing in the seven days before
    today_only = Snapshot({"day.2026-11-30.win": 1})
    assert progress.days_practised(today_only, monday) == 1
    assert progress.days_practised(today_only, monday, include_today=False) == 0
