"""Progress rules: streaks, counts, milestones, prompt rotation. Pure functions, no I/O.

Attribute names used in the profile (see ``skill.store.base``):

* ``count.<kind>``: practices of a kind ever (kinds: breathe, gratitude, win, reflection)
* ``person.<hash>.count.<kind>``: the same per recognised voice
* ``day.<YYYY-MM-DD>.<kind>``: practices on a local day, kept for the last 14 days
* ``day.<YYYY-MM-DD>.<kind>.by.<hash>``: the same per recognised voice (kept as long)
* ``streak.last`` / ``streak.current`` / ``streak.best``: the run of consecutive local
  days with at least one practice
* ``prompt.day`` / ``prompt.id`` / ``prompt.used``: today's reflection and the ids the
  household has had since the deck last went round
* ``seen.first``: when the household first opened the skill
* ``week.told``: the local week (ISO "2026-W49") whose first visit heard the look back
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from skill.store.base import Change, Entry, Snapshot, Value

KINDS = ("breathe", "gratitude", "win", "reflection")
MILESTONES = (1, 5, 10, 25, 50, 100, 150, 200, 250, 365, 500, 1000)
DAYS_KEPT = 14
WEEK = 7


def is_milestone(count: int) -> bool:
    return count in MILESTONES or (count > 1000 and count % 500 == 0)


def _day_key(day: date, kind: str, person: str | None = None) -> str:
    key = f"day.{day.isoformat()}.{kind}"
    return f"{key}.by.{person}" if person else key


def practice_change(
    snap: Snapshot,
    kind: str,
    today: date,
    *,
    person: str | None = None,
    entry: Entry | None = None,
) -> Change:
    """The change recording one practice of ``kind`` on the local day ``today``."""
    add = {f"count.{kind}": 1, _day_key(today, kind): 1}
    if person:
        add[f"person.{person}.count.{kind}"] = 1
        add[_day_key(today, kind, person)] = 1
    last_text = snap.str("streak.last")
    last = date.fromisoformat(last_text) if last_text else None
    if last is not None and last >= today:
        # Already counted today (or a clock from an earlier zone): the streak stands.
        return Change(add=add, entry=entry)
    current = snap.int("streak.current") + 1 if last == today - timedelta(days=1) else 1
    best = max(snap.int("streak.best"), current)
    sets: dict[str, Value] = {
        "streak.last": today.isoformat(),
        "streak.current": current,
        "streak.best": best,
    }
    oldest = (today - timedelta(days=DAYS_KEPT - 1)).isoformat()
    stale = tuple(name for name in snap.attrs if name.startswith("day.") and name[4:14] < oldest)
    return Change(
        add=add,
        set=sets,
        remove=stale,
        expect={"streak.last": last_text},
        entry=entry,
    )


def undo_change(snap: Snapshot, entry: Entry, day: date, person: str | None) -> Change:
    """The change taking back one saved entry (on its local ``day``): the entry and the
    counts it added. When it was the day's only practice and the streak ends that day,
    the day leaves the streak too (it runs to the day before, or ends). The longest run
    is left as it was."""
    add = {f"count.{entry.kind}": -1, _day_key(day, entry.kind): -1}
    if person:
        add[f"person.{person}.count.{entry.kind}"] = -1
        if snap.int(_day_key(day, entry.kind, person)) > 0:
            add[_day_key(day, entry.kind, person)] = -1
    left_that_day = sum(snap.int(_day_key(day, k)) for k in KINDS) - 1
    last_text = snap.str("streak.last")
    if left_that_day > 0 or last_text != day.isoformat():
        return Change(add=add, drop=entry)
    current = snap.int("streak.current") - 1
    if current > 0:
        sets: dict[str, Value] = {
            "streak.last": (day - timedelta(days=1)).isoformat(),
            "streak.current": current,
        }
        return Change(add=add, set=sets, expect={"streak.last": last_text}, drop=entry)
    return Change(
        add=add,
        set={"streak.current": 0},
        remove=("streak.last",),
        expect={"streak.last": last_text},
        drop=entry,
    )


def current_streak(snap: Snapshot, today: date) -> int:
    """The running streak: alive while the last practice was today or yesterday."""
    last_text = snap.str("streak.last")
    if not last_text:
        return 0
    last = date.fromisoformat(last_text)
    if last >= today - timedelta(days=1):
        return snap.int("streak.current")
    return 0


@dataclass(frozen=True)
class Summary:
    streak: int
    best: int
    counts: dict[str, int]
    week: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def summary(snap: Snapshot, today: date) -> Summary:
    """Streaks, counts per kind, and the past seven local days (today included)."""
    return Summary(
        streak=current_streak(snap, today),
        best=snap.int("streak.best"),
        counts={kind: snap.int(f"count.{kind}") for kind in KINDS},
        week=week_counts(snap, today),
    )


def person_week(snap: Snapshot, today: date, person: str) -> dict[str, int]:
    """One recognised voice's practices of each kind in the past seven local days."""
    return week_counts(snap, today, person)


def week_counts(snap: Snapshot, today: date, person: str | None = None) -> dict[str, int]:
    """Practices of each kind in the past seven local days (today included): the
    household's, or one recognised voice's."""
    week_days = {(today - timedelta(days=i)).isoformat() for i in range(WEEK)}
    week = dict.fromkeys(KINDS, 0)
    tail = f".by.{person}" if person else ""
    for name, value in snap.attrs.items():
        if not (name.startswith("day.") and isinstance(value, int)):
            continue
        if tail and not name.endswith(tail):
            continue
        day, _, kind = name[4 : len(name) - len(tail)].partition(".")
        if day in week_days and kind in week:  # a voice's own key has kind "x.by.p"
            week[kind] += value
    return week


def todays_prompt(
    snap: Snapshot, deck: Sequence[str], today: date, rng: random.Random
) -> tuple[str, Change | None]:
    """Today's prompt id, and the change that records it (None when already chosen).

    One prompt per household per local day; no prompt comes again until every prompt
    in the deck has been used; then the deck goes round again (never starting with the
    prompt just heard).
    """
    chosen = snap.str("prompt.id")
    if snap.str("prompt.day") == today.isoformat() and chosen in deck:
        assert chosen is not None
        return chosen, None
    used_text = snap.str("prompt.used") or ""
    used = [pid for pid in used_text.split(",") if pid in deck]
    remaining = [pid for pid in deck if pid not in set(used)]
    if not remaining:
        used = []
        remaining = [pid for pid in deck if pid != chosen] or list(deck)
    pick = rng.choice(remaining)
    used.append(pick)
    fields: dict[str, str | int] = {
        "prompt.day": today.isoformat(),
        "prompt.id": pick,
        "prompt.used": ",".join(used),
        "prompt.more": 0,
    }
    if chosen is not None and snap.str("prompt.day"):  # kept for "yesterday's question"
        fields["prompt.prev"] = chosen
        fields["prompt.prev_day"] = str(snap.str("prompt.day"))
    change = Change(set=fields, expect={"prompt.day": snap.str("prompt.day")})
    return pick, change


def another_prompt(
    snap: Snapshot, deck: Sequence[str], today: date, rng: random.Random, most: int
) -> tuple[str, Change | None]:
    """A different prompt for today, from the deck's rotation (so no prompt comes
    round sooner than it would have), at most ``most`` times a day; None as the change
    when the household has had that many already (today's stays)."""
    current, change = todays_prompt(snap, deck, today, rng)
    if change is not None:  # nothing heard yet today: today's prompt is the answer
        return current, change
    if snap.int("prompt.more") >= most:
        return current, None
    used = [pid for pid in (snap.str("prompt.used") or "").split(",") if pid in deck]
    remaining = [pid for pid in deck if pid not in set(used)] or [
        pid for pid in deck if pid != current
    ]
    if not remaining:
        return current, None
    pick = rng.choice(remaining)
    if pick not in used:
        used.append(pick)
    return pick, Change(
        set={"prompt.id": pick, "prompt.used": ",".join(used)},
        add={"prompt.more": 1},
        expect={"prompt.id": current},
    )


def yesterdays_prompt(snap: Snapshot, today: date) -> str | None:
    """The prompt heard on the household's previous day, when that day was yesterday."""
    if snap.str("prompt.day") == (today - timedelta(days=1)).isoformat():
        return snap.str("prompt.id")
    if snap.str("prompt.prev_day") == (today - timedelta(days=1)).isoformat():
        return snap.str("prompt.prev")
    return None


def first_visit_change(snap: Snapshot, stamp: str, today: date | None = None) -> Change | None:
    """Mark the household as welcomed, once (and its first week as told: the look back
    comes at the first visit of the next local week)."""
    if snap.str("seen.first"):
        return None
    sets: dict[str, Value] = {"seen.first": stamp}
    if today is not None:
        sets["week.told"] = week_key(today)
    return Change(set=sets, expect={"seen.first": None})


def combine(first: Change, second: Change) -> Change:
    """Two changes as one atomic change (their attributes must not overlap)."""
    if first.entry is not None and second.entry is not None:
        raise ValueError("one entry per change")
    return Change(
        add={**first.add, **second.add},
        set={**first.set, **second.set},
        remove=first.remove + second.remove,
        expect={**first.expect, **second.expect},
        entry=first.entry or second.entry,
        drop=first.drop or second.drop,
    )


def week_key(today: date) -> str:
    """The local week ``today`` falls in, as ISO year and week ("2026-W49")."""
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


def days_practised(snap: Snapshot, today: date, *, include_today: bool = True) -> int:
    """Local days of the past week with any practice: the seven days up to today, or the
    seven before it."""
    first = 0 if include_today else 1
    days = {(today - timedelta(days=i)).isoformat() for i in range(first, first + WEEK)}
    practised = set()
    for name, value in snap.attrs.items():
        if name.startswith("day.") and isinstance(value, int) and value > 0:
            day = name[4:14]
            if day in days:
                practised.add(day)
    return len(practised)


def practised_on(snap: Snapshot, day: date) -> bool:
    """Anything was practised on the local ``day``."""
    prefix = f"day.{day.isoformat()}."
    return any(
        name.startswith(prefix) and isinstance(value, int) and value > 0
        for name, value in snap.attrs.items()
    )


def look_back_due(snap: Snapshot, today: date) -> bool:
    """The first visit of a new local week, after a week with something to say."""
    told = snap.str("week.told")
    return told != week_key(today) and days_practised(snap, today, include_today=False) > 0


def week_told_change(snap: Snapshot, today: date) -> Change:
    """Record that this local week's look back was heard (once, however many launches)."""
    return Change(set={"week.told": week_key(today)}, expect={"week.told": snap.str("week.told")})
