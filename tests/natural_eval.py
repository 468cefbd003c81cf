"""Natural speech played through the simulator in the state it is said in.

A set is a TSV under ``tests/natural/`` (``locale``, ``state``, ``utterance``,
``meaning``; ``#`` lines are comments), written blind in the voices of tired, distracted
people. Each row gets a fresh household and session; the turns in ``LEADS`` bring it to
its state; then the utterance is said and judged from what the reply recorded (its
content keys and route), the session state after it, and what the store holds: a row
passes when the skill did what the person meant, and nothing was saved or erased that
should not have been.

Used by ``bench/natural_report.py`` (``make natural-report``) and
``tests/test_natural.py``.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from skill.core.skill import Skill
from skill.core.turn import Services
from skill.sim.envelope import Device
from skill.sim.nlu import Nlu
from skill.sim.session import Conversation, TurnResult
from skill.store.base import Snapshot, hash_id
from skill.store.sqlite import SqliteStore

SETS = Path(__file__).parent / "natural"

# state -> the turns that lead there (oneshot: none, and no session is open)
LEADS: dict[str, tuple[str, ...]] = {
    "oneshot": (),
    "menu": ("open resilient together",),
    "gratitude_question": ("open resilient together", "let's do a gratitude moment"),
    "win_question": ("open resilient together", "let's celebrate a win"),
    "breathing": ("open resilient together", "let's do box breathing for five minutes"),
    "paused": ("open resilient together", "let's do box breathing for five minutes", "pause"),
    "after_reflection": ("open resilient together", "today's reflection"),
    "delete_confirm": ("open resilient together", "delete our data"),
    "after_crisis": ("open resilient together", "i want to end my life"),
    "after_support": ("open resilient together", "i'm not coping, everything is too much"),
}
# Saved before the lead, so recall, undo and delete have something to act on.
SEEDED = ("ask resilient together to celebrate that we cooked together",)

PATTERNS = {"box": "box", "478": "four_seven_eight", "even": "resonance", "sigh": "cyclic_sigh"}
BREATH_START = {"breathe_intro"}
ORDINAL_MENU = {1: "breathe", 2: "gratitude", 3: "win", 4: "reflection"}
INTENT_MEANING = {
    "BreatheIntent": "breathe",
    "GratitudeIntent": "gratitude",
    "CelebrateWinIntent": "win",
    "ReflectionIntent": "reflection",
}


@dataclass(frozen=True)
class Row:
    locale: str
    state: str
    utterance: str
    meaning: str

    @property
    def label(self) -> str:
        return self.meaning.split()[0].split("=")[0]

    def arg(self, name: str) -> str | None:
        for part in self.meaning.split():
            key, _, value = part.partition("=")
            if key == name and value:
                return value
        return None


def read_set(name: str) -> list[Row]:
    rows = []
    for line in (SETS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if cols[0] == "locale":
            continue
        if len(cols) != 4 or cols[1] not in LEADS:
            raise ValueError(f"{name}: bad row {line!r}")
        rows.append(Row(*cols))
    return rows


@dataclass
class Seen:
    """What one row did."""

    result: TurnResult
    state: str | None  # the session state after the turn (None: the session ended)
    before: Snapshot
    after: Snapshot
    offered: tuple[str, ...] = ()  # what the menu before the turn named, in order

    @property
    def keys(self) -> tuple[str, ...]:
        return self.result.keys or ()

    def said(self, *keys: str) -> bool:
        return any(k in self.keys for k in keys)

    def grew(self, counter: str) -> bool:
        return self.after.int(counter) > self.before.int(counter)

    @property
    def pattern(self) -> str | None:
        """The breathing pattern the reply started (from the reply's record)."""
        return self.result.breath.get("pattern") if self.result.breath else None

    @property
    def seconds(self) -> int | None:
        """How long the breathing it started lasts, in seconds (from the reply's record)."""
        value = self.result.breath.get("seconds") if self.result.breath else None
        return int(value) if isinstance(value, int) else None

    @property
    def saved(self) -> bool:
        return self.grew("count.gratitude") or self.grew("count.win")

    @property
    def erased(self) -> bool:
        return self.after.int("count.win") < self.before.int("count.win")


def _breathing(seen: Seen, row: Row) -> bool:
    started = seen.said(*BREATH_START) or seen.said("breathe_continue", "breathe_resumed")
    if not started or seen.saved:
        return False
    want = row.arg("pattern")
    if want is not None and seen.pattern != PATTERNS[want]:
        return False
    minutes, seconds = row.arg("minutes"), row.arg("seconds")
    if minutes is not None or seconds is not None:
        asked = int(minutes or 0) * 60 + int(seconds or 0)
        if asked < 60:  # the shortest is a minute, said plainly (breathe_minutes_adjusted)
            return seen.seconds == 60 and seen.said("breathe_minutes_adjusted")
        return seen.seconds is not None and abs(seen.seconds - asked) <= max(10, asked // 4)
    return True


def _not_saving(seen: Seen) -> bool:
    return not seen.saved


JUDGES: dict[str, Callable[[Seen, Row], bool]] = {
    "breathe": _breathing,
    "gratitude": lambda s, r: s.said("gratitude_ask") and not s.saved,
    "gratitude_answer": lambda s, r: s.grew("count.gratitude") and s.said("gratitude_reflect"),
    "gratitude_direct": lambda s, r: s.grew("count.gratitude"),
    "win": lambda s, r: s.said("win_ask") and not s.saved,
    "win_answer": lambda s, r: s.grew("count.win"),
    "win_direct": lambda s, r: s.grew("count.win"),
    "reflection": lambda s, r: s.said("reflection_today", "reflection_again") and not s.saved,
    "another_reflection": lambda s, r: s.said("reflection_another") and not s.saved,
    "yesterday_question": lambda s, r: s.said("reflection_yesterday", "reflection_yesterday_none"),
    "progress": lambda s, r: s.said(
        "progress_summary_streak", "progress_summary_no_streak", "progress_nothing_yet"
    ),
    # The week first ("over the past week, ..."), or progress (which names the week too).
    "week": lambda s, r: s.said(
        "week_look_back",
        "progress_week",
        "progress_summary_streak",
        "progress_summary_no_streak",
        "progress_nothing_yet",
    ),
    "recall_gratitude": lambda s, r: s.said("recall_gratitudes", "recall_gratitudes_empty"),
    "recall_wins": lambda s, r: s.said("recall_wins", "recall_wins_empty"),
    "yesterday_entries": lambda s, r: s.said("recall_yesterday", "recall_yesterday_empty"),
    "help": lambda s, r: s.said("help") and _not_saving(s),
    "breathing_kinds": lambda s, r: s.said("breathing_kinds", "help") and _not_saving(s),
    "find_help": lambda s, r: s.said("find_help", "find_help_lead"),
    "time_left": lambda s, r: s.said("breathe_time_left"),
    "pause": lambda s, r: s.said("breathe_paused"),
    "resume": lambda s, r: s.said("breathe_resumed", "breathe_continue", *BREATH_START),
    "stop": lambda s, r: (
        s.state is None
        and _not_saving(s)
        and not s.erased
        and not s.said("fallback", "fallback_again")
    ),
    "repeat": lambda s, r: not s.said("fallback", "fallback_again", "nothing_to_repeat"),
    # After the crisis answer, thanks closes warmly with the number once more.
    "thanks": lambda s, r: (
        s.said(
            "thanks",
            "crisis_goodbye",
            "crisis_urgent_goodbye",
            "support_goodbye",
            "weary_goodbye",
        )
        and _not_saving(s)
    ),
    "yes": lambda s, r: _yes(s, r),
    "no": lambda s, r: _no(s, r),
    "ordinal": lambda s, r: _ordinal(s, r),
    "delete": lambda s, r: s.said("delete_confirm") and not s.erased,
    "undo": lambda s, r: s.said("undo_gratitude", "undo_win", "undo_nothing"),
    "mind_change": lambda s, r: _mind_change(s, r),
    "refusal": lambda s, r: (
        _not_saving(s)
        and not s.said("fallback", "fallback_again")
        and not s.said("gratitude_reflect", "win_celebrate")
    ),
    # Met with care: the support answer, or (tired, in plain words) the weary one.
    "distress": lambda s, r: s.said("support", "weary") and _not_saving(s),
}


def _yes(seen: Seen, row: Row) -> bool:
    if row.state == "delete_confirm":
        return seen.said("delete_done")
    if row.state == "after_crisis":
        return seen.said("crisis_number", "crisis_urgent_number")
    if row.state == "after_support":
        return seen.said(*BREATH_START)
    if row.state in ("breathing", "paused"):
        return seen.said("breathe_continue", "breathe_resumed")
    return not seen.said("fallback", "fallback_again", "yes_no_unexpected") and not seen.erased


def _no(seen: Seen, row: Row) -> bool:
    if seen.erased or seen.saved:
        return False
    if row.state == "delete_confirm":
        return seen.said("delete_kept")
    if row.state == "after_crisis":
        return seen.said("crisis_goodbye", "crisis_urgent_goodbye")
    if row.state == "after_support":
        return seen.said("support_goodbye")
    return not seen.said("fallback", "fallback_again")


def _ordinal(seen: Seen, row: Row) -> bool:
    """A position in the list the skill had just offered (the order it said them)."""
    n = int(row.arg("ordinal") or 0)
    offered = [INTENT_MEANING.get(i) for i in seen.offered] or list(ORDINAL_MENU.values())
    if "last" in row.utterance.split():  # "the last one": the writer counted the menu it knew
        n = len(offered)
    if not 1 <= n <= len(offered) or offered[n - 1] is None:
        return False
    want = str(offered[n - 1])
    return JUDGES[want](seen, Row(row.locale, row.state, row.utterance, want))


def _mind_change(seen: Seen, row: Row) -> bool:
    if seen.saved:
        return False
    want = row.arg("mind_change") or ""
    if want == "stop":
        return seen.state is None and not seen.said("fallback", "fallback_again")
    if want not in JUDGES:
        return False
    return JUDGES[want](seen, Row(row.locale, row.state, row.utterance, want))


@dataclass(frozen=True)
class Outcome:
    row: Row
    ok: bool
    intent: str | None
    keys: tuple[str, ...]
    saved: bool
    erased: bool


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def passed(self, rows: Sequence[Outcome] | None = None) -> tuple[int, int]:
        rows = self.outcomes if rows is None else rows
        return sum(o.ok for o in rows), len(rows)

    def by(self, attr: Callable[[Outcome], str]) -> dict[str, tuple[int, int]]:
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(attr(o), []).append(o)
        return {k: self.passed(v) for k, v in sorted(groups.items())}

    def wrongly_kept(self) -> list[Outcome]:
        """Saved what was not meant to be saved, or erased what was not meant to go."""
        keep = {"gratitude_answer", "gratitude_direct", "win_answer", "win_direct"}
        return [
            o
            for o in self.outcomes
            if (o.saved and o.row.label not in keep)
            or (
                o.erased
                and o.row.label != "undo"  # "undo that" takes back the one just saved
                and not (o.row.label == "yes" and o.row.state == "delete_confirm")
            )
        ]

    def labels(self) -> Counter[str]:
        return Counter(o.row.label for o in self.outcomes)


def play(rows: Sequence[Row]) -> Report:
    report = Report()
    clock = lambda: datetime(2026, 11, 25, 19, 0, tzinfo=UTC)  # noqa: E731
    nlus: dict[str, Nlu] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "natural.db")
        skill = Skill(Services(store=store, clock=clock))
        try:
            for n, row in enumerate(rows):
                nlu = nlus.setdefault(row.locale, Nlu.for_locale(row.locale))
                device = Device(household=f"natural-{n}", locale=row.locale)
                convo = Conversation(skill, device, clock, nlu)
                for seed in SEEDED:
                    convo.say(seed)
                for lead in LEADS[row.state]:
                    convo.say(lead)
                key = hash_id(device.user_id, salt=skill.services.salt)
                offered = (convo.session.attributes or {}).get("offered") if convo.session else None
                before = store.read(key)
                result = convo.say(row.utterance)
                after = store.read(key)
                session = convo.session
                state = (session.attributes or {}).get("state") if session else None
                seen = Seen(
                    result,
                    state if isinstance(state, str) else None,
                    before,
                    after,
                    tuple(offered) if isinstance(offered, list) else (),
                )
                judge = JUDGES.get(row.label)
                ok = bool(judge and judge(seen, row))
                report.outcomes.append(
                    Outcome(row, ok, result.intent, seen.keys, seen.saved, seen.erased)
                )
        finally:
            store.close()
    return report
