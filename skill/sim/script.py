"""Dialog scripts: small readable YAML transcripts run through the simulator.

A script is a conversation with what each turn must do::

    name: gratitude asked then answered
    locale: [en-US, en-GB]          # a list runs the same script once per locale
    turns:
      - say: open resilient together
        expect: {key: launch_first, open: true}
      - say: let's do a gratitude moment
        expect: {intent: GratitudeIntent, key: gratitude_ask, state: gratitude}

See ``docs/dialog-scripts.md`` for the whole format. :func:`load_script` reads a file
(one or more YAML documents, each a script or a list of scripts) into :class:`Script`
objects, one per locale; :func:`run_script` plays one against a skill built by a
factory and raises :class:`ScriptFailure`, naming the file, the turn, the utterance,
what was expected and what was actually said, when a turn does not do what it should.
Nothing here depends on pytest.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from skill.constants import DEV_SALT
from skill.content import load
from skill.core.skill import Skill
from skill.sim.envelope import Device
from skill.sim.session import Conversation, TurnResult
from skill.store.base import Snapshot, hash_id

DEFAULT_NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
DEFAULT_HOUSEHOLD = "test"
SALT = DEV_SALT
ENTRY_LIMIT = 100

EXPECT_KEYS = frozenset(
    {
        "intent",
        "slots",
        "key",
        "not_key",
        "says",
        "not_says",
        "matches",
        "open",
        "reprompt",
        "card",
        "directive",
        "state",
        "stored",
        "entries",
        "silent",
        "same_card_as",
        "different_card_from",
        "breath",
        "reminders",
    }
)
TURN_KEYS = frozenset({"say", "expect", "at", "advance", "person", "household", "new_session"})
SCRIPT_KEYS = frozenset(
    {"name", "locale", "household", "person", "now", "timezone", "device", "setup", "turns"}
)


class ScriptError(ValueError):
    """A script file that cannot be read: bad YAML, an unknown field, a wrong type."""


class ScriptFailure(AssertionError):
    """A turn did not do what the script expected."""


@dataclass(frozen=True)
class ScriptTurn:
    say: str
    expect: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None
    advance: Mapping[str, float] = field(default_factory=dict)
    person: str | None = None
    household: str | None = None  # another household from here on (a fresh conversation)
    new_session: bool = False


@dataclass(frozen=True)
class Script:
    name: str
    locale: str
    path: Path
    turns: tuple[ScriptTurn, ...]
    setup: tuple[ScriptTurn, ...] = ()
    household: str = DEFAULT_HOUSEHOLD
    person: str | None = None
    now: datetime = DEFAULT_NOW
    timezone: str | None = None
    screen: bool = False  # device: screen (an Echo Show: APL supported)

    @property
    def id(self) -> str:
        """A short unique label: file stem, name and locale."""
        return f"{self.path.stem}: {self.name} [{self.locale}]"


@dataclass
class TurnOutcome:
    """One checked turn: its number (from 1), the script turn and what happened."""

    number: int
    turn: ScriptTurn
    result: TurnResult


# Builds the skill for one run: given the script's clock and time zone (None: the
# locale's fallback zone), a Skill whose services hold a fresh store.
SkillFactory = Callable[[Callable[[], datetime], str | None], Skill]


# --- loading -------------------------------------------------------------------------
def _time(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ScriptError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    else:
        raise ScriptError(f"{where}: {value!r} is not a time")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _utterance(value: Any, where: str) -> str:
    # YAML 1.1 reads a bare yes / no as a boolean: take it as the word that was said.
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str | int | float) and str(value).strip():
        return str(value)
    raise ScriptError(f"{where}: `say` must be the words said, got {value!r}")


_SLOT_ARG = re.compile(r"(?:^|\s)([A-Za-z_][\w.]*)=")


def _by_type(text: str) -> str:
    """``@Intent win=we went for a walk`` as the simulator reads it (values quoted).

    Unquoted, a value runs to the next ``slot=``; text that already has quotes is left
    as it is.
    """
    if not text.startswith("@") or '"' in text or "'" in text:
        return text
    head, _, rest = text.partition(" ")
    found = list(_SLOT_ARG.finditer(rest))
    if not found or found[0].start() != 0:
        return text
    args = []
    for n, match in enumerate(found):
        end = found[n + 1].start() if n + 1 < len(found) else len(rest)
        args.append(f"{match.group(1)}={rest[match.end() : end].strip()}")
    return " ".join([head, *(shlex.quote(a) for a in args)])


def _turn(raw: Any, where: str, *, checked: bool) -> ScriptTurn:
    if not isinstance(raw, dict):
        return ScriptTurn(say=_by_type(_utterance(raw, where)))
    unknown = set(raw) - TURN_KEYS
    if unknown:
        raise ScriptError(f"{where}: unknown field(s) {sorted(unknown)}")
    if "say" not in raw:
        raise ScriptError(f"{where}: a turn needs `say`")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict):
        raise ScriptError(f"{where}: `expect` must be a mapping")
    if expect and not checked:
        raise ScriptError(f"{where}: setup turns are not checked; remove `expect`")
    unknown = set(expect) - EXPECT_KEYS
    if unknown:
        raise ScriptError(f"{where}: unknown expectation(s) {sorted(unknown)}")
    advance = raw.get("advance") or {}
    if not isinstance(advance, dict) or not all(
        isinstance(v, int | float) for v in advance.values()
    ):
        raise ScriptError(f"{where}: `advance` must map timedelta fields to numbers")
    try:
        timedelta(**advance)
    except TypeError as exc:
        raise ScriptError(f"{where}: `advance`: {exc}") from exc
    person = raw.get("person")
    household = raw.get("household")
    return ScriptTurn(
        say=_by_type(_utterance(raw["say"], where)),
        expect=expect,
        at=_time(raw["at"], f"{where}: at") if raw.get("at") is not None else None,
        advance=advance,
        person=str(person) if person is not None else None,
        household=str(household) if household else None,
        new_session=bool(raw.get("new_session", False)),
    )


def _scripts_of(raw: Any, path: Path, where: str) -> list[Script]:
    if not isinstance(raw, dict):
        raise ScriptError(f"{where}: a script is a mapping with `name` and `turns`")
    unknown = set(raw) - SCRIPT_KEYS
    if unknown:
        raise ScriptError(f"{where}: unknown field(s) {sorted(unknown)}")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ScriptError(f"{where}: a script needs a `name`")
    where = f"{path} ({name})"
    locales = raw.get("locale", "en-US")
    locales = [locales] if isinstance(locales, str) else locales
    if not isinstance(locales, list) or not locales or not all(isinstance(x, str) for x in locales):
        raise ScriptError(f"{where}: `locale` must be a locale or a list of locales")
    turns_raw = raw.get("turns")
    if not isinstance(turns_raw, list) or not turns_raw:
        raise ScriptError(f"{where}: a script needs a non-empty list of `turns`")
    setup_raw = raw.get("setup") or []
    if not isinstance(setup_raw, list):
        raise ScriptError(f"{where}: `setup` must be a list of turns")
    setup = tuple(_turn(t, f"{where} setup {i}", checked=False) for i, t in enumerate(setup_raw, 1))
    turns = tuple(_turn(t, f"{where} turn {i}", checked=True) for i, t in enumerate(turns_raw, 1))
    person = raw.get("person")
    timezone = raw.get("timezone")
    device = raw.get("device", "voice")
    if device not in ("voice", "screen"):
        raise ScriptError(f"{where}: `device` is voice or screen, not {device!r}")
    return [
        Script(
            name=name,
            locale=locale,
            path=path,
            turns=turns,
            setup=setup,
            household=str(raw.get("household") or DEFAULT_HOUSEHOLD),
            person=str(person) if person is not None else None,
            now=_time(raw["now"], f"{where}: now") if raw.get("now") is not None else DEFAULT_NOW,
            timezone=str(timezone) if timezone is not None else None,
            screen=device == "screen",
        )
        for locale in locales
    ]


def load_script(path: Path | str) -> list[Script]:
    """Every script in the file, one per locale (a locale list is expanded)."""
    path = Path(path)
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise ScriptError(f"{path}: not valid YAML: {exc}") from exc
    scripts: list[Script] = []
    for n, doc in enumerate(d for d in documents if d is not None):
        items = doc if isinstance(doc, list) else [doc]
        for m, item in enumerate(items):
            scripts.extend(_scripts_of(item, path, f"{path} (document {n + 1}, script {m + 1})"))
    if not scripts:
        raise ScriptError(f"{path}: no scripts")
    return scripts


# --- running ---------------------------------------------------------------------------
class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@cache
def _key_pattern(key: str, locale: str) -> re.Pattern[str]:
    try:
        variants = load(locale).variants(key)
    except KeyError as exc:
        raise ScriptError(f"unknown content key {key!r}") from exc
    alternatives = []
    for variant in variants:
        parts = re.split(r"\{[a-z_]+\}", variant)
        alternatives.append(".+?".join(re.escape(p) for p in parts))
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL)


def spoke(ssml: str | None, key: str, locale: str) -> bool:
    """True when ``ssml`` contains one of the variants of content key ``key``."""
    return bool(ssml) and _key_pattern(key, locale).search(ssml or "") is not None


_PERSON = re.compile(r"\{person:([^}]+)\}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _norm(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


def _same(actual: Any, expected: Any) -> bool:
    if expected is None:
        return actual is None
    if actual is None:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return bool(actual == expected)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return bool(actual == expected)
    return _norm(actual) == _norm(expected)


class _Checker:
    """Checks one turn's expectations, collecting every mismatch."""

    def __init__(
        self,
        script: Script,
        result: TurnResult,
        store_read: Callable[[], Snapshot],
        earlier: Mapping[int, TurnResult],
        reminders: Callable[[], list[str] | None] = lambda: None,
    ) -> None:
        self.script = script
        self.result = result
        self.store_read = store_read
        self.earlier = earlier
        self.reminders = reminders
        self.problems: list[str] = []

    def fail(self, expected: str, actual: str) -> None:
        self.problems.append(f"expected {expected}; got {actual}")

    def check(self, expect: Mapping[str, Any], entries: Callable[[str], list[str]]) -> None:
        for name, want in expect.items():
            if name == "entries":
                self._entries(want, entries)
            else:
                getattr(self, f"_{name}")(want, self.result)

    # each expectation --------------------------------------------------------------
    def _intent(self, want: Any, r: TurnResult) -> None:
        if r.intent != want:
            self.fail(f"intent {want}", f"{r.intent}")

    def _slots(self, want: Any, r: TurnResult) -> None:
        for slot, value in dict(want).items():
            if not _same(r.slots.get(slot), value):
                self.fail(f"slot {slot}={value!r}", f"{slot}={r.slots.get(slot)!r}")

    def _said(self, r: TurnResult, key: str) -> bool:
        """From the reply's record of its keys; over HTTP, from the words."""
        if r.keys is not None:
            return key in r.keys
        return spoke(r.ssml, key, self.script.locale)

    def _key(self, want: Any, r: TurnResult) -> None:
        for key in _as_list(want):
            if not self._said(r, str(key)):
                self.fail(f"content key {key!r} spoken", f"it was not (spoke {r.keys})")

    def _not_key(self, want: Any, r: TurnResult) -> None:
        for key in _as_list(want):
            if self._said(r, str(key)):
                self.fail(f"content key {key!r} not spoken", "it was")

    def _says(self, want: Any, r: TurnResult) -> None:
        for text in _as_list(want):
            if _norm(text) not in _norm(r.speech):
                self.fail(f"speech containing {str(text)!r}", "it did not")

    def _not_says(self, want: Any, r: TurnResult) -> None:
        for text in _as_list(want):
            if _norm(text) in _norm(r.speech):
                self.fail(f"speech without {str(text)!r}", "it was said")

    def _matches(self, want: Any, r: TurnResult) -> None:
        for pattern in _as_list(want):
            if re.search(str(pattern), r.speech, re.IGNORECASE | re.DOTALL) is None:
                self.fail(f"speech matching /{pattern}/", "no match")

    def _breath(self, want: Any, r: TurnResult) -> None:
        """Breathing started with these (the reply's record): pattern, seconds."""
        got = r.breath
        if got is None:
            self.fail(f"breathing started with {want}", "none started (or not in-process)")
            return
        for name, value in dict(want).items():
            if not _same(got.get(name), value):
                self.fail(f"breath {name}={value!r}", f"{name}={got.get(name)!r}")

    def _open(self, want: Any, r: TurnResult) -> None:
        is_open = r.end_session is False
        if bool(want) != is_open:
            self.fail(
                "the session to stay open" if want else "the session to close",
                f"shouldEndSession={r.end_session}",
            )
        if want and not r.reprompt:
            self.fail("a reprompt with the open session", "none")

    def _reprompt(self, want: Any, r: TurnResult) -> None:
        if isinstance(want, bool):
            if bool(r.reprompt) != want:
                self.fail("a reprompt" if want else "no reprompt", f"{r.reprompt!r}")
        elif want is None:
            if r.reprompt:
                self.fail("no reprompt", f"{r.reprompt!r}")
        elif _norm(want) not in _norm(r.reprompt or ""):
            self.fail(f"a reprompt containing {want!r}", f"{r.reprompt!r}")

    def _card(self, want: Any, r: TurnResult) -> None:
        if want is None or want is False:
            if r.card is not None:
                self.fail("no card", f"{r.card}")
            return
        if r.card is None:
            self.fail("a card", "none")
            return
        if isinstance(want, dict):
            for part in ("title", "content"):
                if part in want and _norm(want[part]) not in _norm(r.card.get(part) or ""):
                    self.fail(f"card {part} containing {want[part]!r}", f"{r.card.get(part)!r}")

    def _earlier_card(self, number: Any) -> dict[str, Any] | None:
        if not isinstance(number, int) or number not in self.earlier:
            raise ScriptError(f"turn {number!r} is not an earlier checked turn")
        return self.earlier[number].card

    def _same_card_as(self, want: Any, r: TurnResult) -> None:
        card = self._earlier_card(want)
        if card is None or r.card != card:
            self.fail(f"the same card as turn {want} ({card})", f"{r.card}")

    def _different_card_from(self, want: Any, r: TurnResult) -> None:
        card = self._earlier_card(want)
        if r.card is None or r.card == card:
            self.fail(f"a card other than turn {want}'s ({card})", f"{r.card}")

    def _directive(self, want: Any, r: TurnResult) -> None:
        types = [d.get("type") for d in r.directives]
        if want is None:
            if types:
                self.fail("no directives", f"{types}")
            return
        for kind in _as_list(want):
            if kind not in types:
                self.fail(f"directive {kind}", f"{types}")

    def _state(self, want: Any, r: TurnResult) -> None:
        attrs = r.response.get("sessionAttributes") or {}
        actual = attrs.get("state") if isinstance(attrs, dict) else None
        if actual != want:
            self.fail(f"session state {want!r}", f"{actual!r}")

    def _silent(self, want: Any, r: TurnResult) -> None:
        if bool(want) != (r.ssml is None):
            self.fail("no speech" if want else "speech", f"{r.speech!r}")

    def _stored(self, want: Any, _r: TurnResult) -> None:
        attrs = self.store_read().attrs
        for name, value in dict(want).items():
            attr = _PERSON.sub(
                lambda m: hash_id(f"amzn1.ask.person.{m.group(1)}", salt=SALT), str(name)
            )
            actual = attrs.get(attr)
            if not _same(actual, value):
                self.fail(f"stored {attr}={value!r}", f"{attr}={actual!r}")

    def _reminders(self, want: Any, _r: TurnResult) -> None:
        actual = self.reminders()
        if actual is None:
            self.fail("the simulator's reminders service", "a skill without one")
            return
        expected = sorted(str(t) for t in _as_list(want or []))
        if actual != expected:
            self.fail(f"daily reminders at {expected}", f"{actual}")

    def _entries(self, want: Any, entries: Callable[[str], list[str]]) -> None:
        for kind, texts in dict(want).items():
            actual = entries(str(kind))
            expected = [str(t) for t in _as_list(texts or [])]
            if [_norm(t) for t in actual] != [_norm(t) for t in expected]:
                self.fail(f"{kind} entries {expected} (newest first)", f"{actual}")


def _describe(
    script: Script, number: int, turn: ScriptTurn, r: TurnResult, problems: list[str]
) -> str:
    considered = (
        ", ".join(f"{c.get('intent')} {c.get('score')}" for c in r.considered[:5]) or "(none)"
    )
    slots = ", ".join(f"{k}={v!r}" for k, v in r.slots.items() if v is not None)
    lines = [
        f"{script.path}: script {script.name!r} [{script.locale}], turn {number}",
        f"  said:       {turn.say!r}",
        f"  resolved:   {r.intent or '(request by type)'}" + (f" ({slots})" if slots else ""),
        f"  considered: {considered}",
        *(f"  - {p}" for p in problems),
        f"  Alexa said: {r.speech or '(nothing)'}",
        f"  reprompt:   {r.reprompt or '(none)'}; shouldEndSession={r.end_session}",
    ]
    if r.card is not None:
        lines.append(f"  card:       {r.card.get('title')!r}: {r.card.get('content')!r}")
    if r.directives:
        lines.append(f"  directives: {[d.get('type') for d in r.directives]}")
    return "\n".join(lines)


def run_script(script: Script, skill_factory: SkillFactory) -> list[TurnOutcome]:
    """Play ``script`` on a skill from ``skill_factory``; raise ScriptFailure on a miss."""
    clock = _Clock(script.now)
    skill = skill_factory(clock, script.timezone)
    store = skill.services.store
    device = Device(
        household=script.household,
        locale=script.locale,
        person=script.person,
        screen=script.screen,
    )
    convo = Conversation(skill, device, clock)

    def household() -> str:
        return hash_id(device.user_id, salt=SALT)

    def entries(kind: str) -> list[str]:
        found = store.entries(household(), kind, now=clock(), limit=ENTRY_LIMIT)
        return [e.text for e in found]

    def reminders() -> list[str] | None:
        daily_times = getattr(skill.services.alexa, "daily_times", None)
        return daily_times() if callable(daily_times) else None

    outcomes: list[TurnOutcome] = []
    steps = [(0, t) for t in script.setup] + [(i, t) for i, t in enumerate(script.turns, 1)]
    for number, turn in steps:
        if turn.at is not None:
            clock.now = turn.at
        if turn.advance:
            clock.now += timedelta(**turn.advance)
        if turn.person is not None:
            device.person = turn.person or None
        if turn.household is not None and turn.household != device.household:
            device.household = turn.household
            convo = Conversation(skill, device, clock)
        if turn.new_session:
            convo = Conversation(skill, device, clock)
        result = convo.say(turn.say)
        if number == 0:
            continue
        earlier = {o.number: o.result for o in outcomes}
        checker = _Checker(script, result, lambda: store.read(household()), earlier, reminders)
        checker.check(turn.expect, entries)
        if checker.problems:
            raise ScriptFailure(_describe(script, number, turn, result, checker.problems))
        outcomes.append(TurnOutcome(number, turn, result))
    return outcomes


def find_scripts(root: Path | str) -> list[Path]:
    """Every ``*.yaml`` / ``*.yml`` under ``root``, sorted."""
    base = Path(root)
    return sorted([*base.rglob("*.yaml"), *base.rglob("*.yml")])
