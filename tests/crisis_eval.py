"""The crisis sets played through the simulator, in the places people say things.

A set is a TSV under ``tests/crisis_sets/`` (``expect``, ``family``, ``voice``, ``text``;
``#`` lines are comments). Each statement is said, in a fresh session of its own
household, in each place: at the menu, as the answer to a gratitude question, as the
answer to a win question, and between breathing rounds. What the skill did is read from
the content keys it spoke: ``crisis``, ``support`` or neither.

Used by ``tests/test_crisis_sets.py`` (the tuned set must be perfect) and by
``bench/crisis_report.py`` (``make crisis-report``: every set, every place, every locale,
with the misses listed).
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from skill.core.skill import Skill
from skill.core.turn import Services
from skill.sim.envelope import Device
from skill.sim.nlu import Nlu
from skill.sim.session import Conversation
from skill.store.base import hash_id
from skill.store.sqlite import SqliteStore
from tests.helpers import spoke

SETS = Path(__file__).parent / "crisis_sets"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
# place -> the turns that lead there (after "open resilient together")
PLACES: dict[str, tuple[str, ...]] = {
    "menu": (),
    "gratitude": ("let's do a gratitude moment",),
    "win": ("let's celebrate a win",),
    "breathing": ("let's do box breathing for five minutes",),
}


@dataclass(frozen=True)
class Statement:
    expect: str  # crisis | support | none
    family: str
    voice: str
    text: str


def read_set(name: str) -> list[Statement]:
    out = []
    for line in (SETS / name).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expect, family, voice, text = line.split("\t")
        if expect == "expect":  # a column-name row
            continue
        out.append(Statement(expect, family, voice, text))
    return out


@dataclass
class Outcome:
    statement: Statement
    locale: str
    place: str
    got: str
    stored: bool  # the household's words were saved

    @property
    def right(self) -> bool:
        if self.statement.expect == "crisis":
            return self.got == "crisis" and not self.stored
        if self.statement.expect == "support":
            return self.got in ("support", "crisis") and not self.stored
        return self.got == "none"


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, expect: str, got: Iterable[str], place: str | None = None) -> tuple[int, int]:
        wanted = set(got)
        rows = [
            o
            for o in self.outcomes
            if o.statement.expect == expect and (place is None or o.place == place)
        ]
        return sum(1 for o in rows if o.got in wanted), len(rows)

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]

    def by_place(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        for o in self.outcomes:
            table.setdefault(o.place, Counter())[f"{o.statement.expect}->{o.got}"] += 1
        return table


def _got(ssml: str | None, locale: str) -> str:
    if any(
        spoke(ssml, k, locale)
        for k in ("crisis", "crisis_urgent", "crisis_number", "crisis_urgent_number")
    ):
        return "crisis"
    if spoke(ssml, "support", locale):
        return "support"
    return "none"


def play(
    statements: Sequence[Statement],
    locales: Sequence[str] = LOCALES,
    places: Sequence[str] = tuple(PLACES),
) -> Report:
    report = Report()
    clock = lambda: datetime(2026, 11, 25, 19, 0, tzinfo=UTC)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "eval.db")
        skill = Skill(Services(store=store, clock=clock))
        try:
            for locale in locales:
                nlu = Nlu.for_locale(locale)
                for n, statement in enumerate(statements):
                    for place in places:
                        household = f"eval-{locale}-{place}-{n}"
                        device = Device(household=household, locale=locale)
                        convo = Conversation(skill, device, clock, nlu)
                        convo.say("open resilient together")
                        for lead in PLACES[place]:
                            convo.say(lead)
                        result = convo.say(statement.text)
                        snap = store.read(hash_id(device.user_id, salt=skill.services.salt))
                        stored = bool(snap.int("count.gratitude") or snap.int("count.win"))
                        report.outcomes.append(
                            Outcome(statement, locale, place, _got(result.ssml, locale), stored)
                        )
        finally:
            store.close()
    return report
