"""Every word the skill speaks, loaded from data files and validated at load.

Layout: ``skill/content/<lang>/`` holds the language base (``en``) and
``skill/content/<locale>/`` per-locale overrides (``en-GB`` ...). A locale's content is
its language base with the locale's tables merged over it key by key. A locale we do
not know falls back to its language (``en-NZ`` -> ``en``), and anything else to en-US.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from skill.content.keys import SPEECH_KEYS, WORD_KEYS
from skill.content.senses import Senses
from skill.core import screen as sc
from skill.errors import TogetherError

CONTENT_DIR = Path(__file__).resolve().parent
THEMES = ("empathy", "communication", "support", "selfcare", "help", "progress")
PHASES = ("in", "in_top_up", "hold", "hold_empty", "out", "out_long")
DEFAULT_LOCALE = "en-US"

# The only markup a content string may carry.
_ALLOWED_TAG = re.compile(
    r'<break time="(\d+(?:\.\d+)?)(s|ms)"/>'
    r'|<say-as interpret-as="(?:digits|telephone|cardinal|ordinal)">[^<>]*</say-as>'
)


class ContentError(TogetherError, ValueError):
    """A content file breaks the contract (missing key, unknown slot, bad markup)."""


@dataclass(frozen=True)
class Prompt:
    id: str
    theme: str
    text: str


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    how: str
    phases: tuple[tuple[str, float], ...]
    also: tuple[str, ...] = ()  # other names and descriptions, as plain words

    @property
    def cycle_seconds(self) -> float:
        return sum(seconds for _, seconds in self.phases)


@dataclass(frozen=True)
class Breathing:
    default: str
    default_minutes: int
    min_minutes: int
    max_minutes: int
    round_seconds: int
    patterns: dict[str, Pattern]


@dataclass(frozen=True)
class Content:
    locale: str
    speech: dict[str, tuple[str, ...]]
    words: dict[str, tuple[str, str]]
    and_word: str
    helpline_speech: str
    helpline_text: str
    reflections: tuple[Prompt, ...]
    gratitude_questions: tuple[Prompt, ...]
    breathing: Breathing
    screen: sc.Screen
    near_misses: tuple[sc.Example, ...]
    default_zone: str
    # The locale's emergency number as speech ([helpline] emergency in speech.toml).
    emergency_speech: str
    # ... and written, for the card ([helpline] emergency_text).
    emergency_text: str = ""
    fillers: frozenset[str] = frozenset()
    refusals: frozenset[str] = frozenset()
    non_answers: frozenset[str] = frozenset()
    # What the skill offers, said back (``<lang>/offers.toml``): phrase -> intent,
    # longest phrase first.
    offers: tuple[tuple[str, str], ...] = ()
    mind_changes: tuple[str, ...] = ()
    instead: tuple[str, ...] = ()
    instead_endings: tuple[str, ...] = ()
    closings: tuple[str, ...] = ()
    # What words mean outside a question (capture.toml): see heard_* below.
    refusal_words: frozenset[str] = frozenset()
    refusal_cues: frozenset[str] = frozenset()
    repeat_requests: frozenset[str] = frozenset()
    offer_openers: tuple[str, ...] = ()
    thanks: frozenset[str] = frozenset()
    goodbyes: frozenset[str] = frozenset()
    goodbye_endings: tuple[str, ...] = ()
    # [asks] in capture.toml: action -> phrases (plain words), longest first.
    asks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # [echo] in capture.toml: how the household's words are said back.
    echo_carriers: tuple[str, ...] = ()
    echo_flips: tuple[tuple[str, str], ...] = ()
    echo_agree: tuple[tuple[str, str], ...] = ()
    echo_second_person: frozenset[str] = frozenset()
    echo_capitals: tuple[tuple[str, str], ...] = ()
    echo_lower_first: frozenset[str] = frozenset()
    echo_noise: frozenset[str] = frozenset()
    echo_keep_at_end: frozenset[str] = frozenset()
    echo_asides: tuple[str, ...] = ()  # longest first
    # [statements]: an offer said with at least min_words other words is the thing itself.
    statement_min_words: int = 3
    win_words: tuple[str, ...] = ()
    corrections: tuple[str, ...] = ()  # longest first
    bare_corrections: frozenset[str] = frozenset()  # one-word markers, only before a restart
    restarts: frozenset[str] = frozenset()
    echo_endings: tuple[str, ...] = ()  # longest first
    ordinals: tuple[tuple[str, int], ...] = ()  # phrase -> position (-1: the last), longest first
    ordinal_tails: tuple[str, ...] = ()  # words after a position ("the second one please")
    # [senses]: what a reply means by its kinds of words (skill.content.senses).
    senses: Senses = field(default_factory=Senses)
    # [clock] in speech.toml: how a reminder's daily time is said (skill.core.reminders).
    clock: dict[str, Any] = field(default_factory=dict, compare=False)
    # The crisis language pack as read (the model generator expands its samples).
    crisis_pack: dict[str, Any] = field(default_factory=dict, compare=False)

    def is_filler(self, text: str) -> bool:
        """True when a captured answer is only a filler ("um", "I don't know")."""
        return plain_words(text) in self.fillers

    def is_refusal(self, text: str) -> bool:
        """True when a captured answer declines the question ("pass", "not now"), is
        made only of words that give nothing ("yeah nah nothing today"), or only of those
        and a few more with a refusal cue in them ("i'm drawing a blank", "no wins today")."""
        plain = plain_words(text)
        words = plain.split()
        if not words:
            return False
        if self.offered_in(plain) is not None:
            return False  # "a win, wait no, gratitude" names what they want: a mind change
        if plain in self.refusals or all(w in self.non_answers for w in words):
            return True
        if self._answer_clause(words):
            return False  # "that we don't have to do it again": an answer, however plain
        allowed = self.non_answers | self.refusal_words | self.fillers
        if all(w in allowed for w in words) and any(w in self.refusal_cues for w in words):
            return True
        # In other plain words ("i'd rather not say", "give it a miss"), with a cue that
        # only refuses ("we don't have to do it again" is an answer).
        refusing = self.senses.table.get("refusal")
        return refusing is not None and refusing.heard(words, self.senses.function | allowed)

    def _answer_clause(self, words: Sequence[str]) -> bool:
        """The reply opens an answer ("that we ...", "how he ..."): [senses] answer_openers
        followed by a subject."""
        opener = self.senses.table.get("answer_clause")
        return opener is not None and len(words) > 2 and opener.heard(words[:2], frozenset())

    def corrected(self, text: str) -> str:
        """The answer after the person's last self-correction ("the... no actually, the
        nurse at the clinic" -> "the nurse at the clinic"), when at least two words follow
        and they ask for nothing the skill offers; else ``text``."""
        words = text.split()
        plain = [plain_words(w) for w in words]
        cut = None
        for marker in self.corrections:
            size = len(marker.split())
            for start in range(len(plain) - size + 1):
                if " ".join(plain[start : start + size]) == marker:
                    end = start + size
                    bare = marker in self.bare_corrections
                    if bare and (end >= len(plain) or plain[end] not in self.restarts):
                        continue  # "we actually talked tonight": no correction
                    if cut is None or end > cut:
                        cut = end
        if cut is None:
            return text
        rest = " ".join(words[cut:]).strip(" ,.;:")
        if len(rest.split()) < 3 or self.offered_in(rest) is not None:
            return text  # "... I mean I slept" keeps the whole answer
        return rest

    def _unfilled(self, text: str) -> str:
        words = plain_words(text).split()
        while words and words[0] in self.fillers:
            words.pop(0)
        while words and words[-1] in self.fillers and words[-1] not in self.senses.function:
            words.pop()  # "um" at the end goes; "that" stays ("don't save that")
        return " ".join(words)

    def is_repeat_request(self, text: str) -> bool:
        """True when the whole reply asks to hear the question again ("sorry, what?")."""
        return self._unfilled(text) in self.repeat_requests

    def is_thanks(self, text: str) -> bool:
        return self._unfilled(text) in self.thanks

    def asks_for(self, text: str, actions: Sequence[str]) -> str | None:
        """The first of ``actions`` one of whose [asks] phrases the reply says (as whole
        words; ``yes`` and ``another_one`` only as the whole reply: "another" inside a
        gratitude is part of it)."""
        plain = self._unfilled(text)
        padded = f" {plain} "
        for action in actions:
            phrases = self.asks.get(action, ())
            if action in WHOLE_REPLY_ASKS:
                if plain in phrases:
                    return action
            elif any(f" {p} " in padded for p in phrases):
                return action
        return None

    def is_statement(self, text: str) -> bool:
        """More than an offer: an offer phrase said with at least ``statement_min_words``
        other words that are not fillers ("we got the whole family to the beach, that's
        a win"), or a win in words of its own ("we got through a bad day")."""
        words = [w for w in plain_words(text).split() if w not in self.fillers]
        padded = f" {' '.join(words)} "
        if any(f" {w} " in padded for w in self.win_words) and len(words) >= 3:
            return True
        for phrase, _intent in self.offers:
            if f" {phrase} " in padded:
                padded = padded.replace(f" {phrase} ", " ")
        if self.sense(text, ("asks_to",)):
            return False  # "yes, my husband wants to tell a win": a request, not the win
        rest = [w for w in padded.split() if w not in self.non_answers]
        return len(rest) >= self.statement_min_words

    def without_offer_lead(self, text: str, intent: str) -> str:
        """A statement told in one go with the offer's name in front ("erm. win. we went
        for a walk"), without it ("we went for a walk"): the words that are the entry.
        The text as it was when nothing but fillers and the name lead it, or when
        fewer than ``statement_min_words`` words would be left."""
        words = text.split()
        at = 0
        while at < len(words) and plain_words(words[at]) in self.fillers:
            at += 1
        for phrase, wanted in self.offers:
            size = len(phrase.split())
            if wanted == intent and plain_words(" ".join(words[at : at + size])) == phrase:
                rest = words[at + size :]
                if len(rest) >= self.statement_min_words:
                    return " ".join(rest).lstrip(".,;:!?- ")
                break
        return text

    def tells_win(self, text: str) -> bool:
        """A win told in one go: more than an offer ("we got the whole family to the
        beach, that's a win"), or a statement in win words of its own ("we got through
        a bad day")."""
        wanted = self.offered_in(text)
        padded = f" {plain_words(text)} "
        told = wanted == "CelebrateWinIntent" or (
            wanted is None and any(f" {w} " in padded for w in self.win_words)
        )
        return told and self.is_statement(text)

    def is_goodbye(self, text: str, *, whole: bool = False) -> bool:
        """The household is done for now: a goodbye, or (unless ``whole``) a short reply
        ending with one ("nah all good see ya") that asks for nothing the skill offers."""
        plain = self._unfilled(text)
        if plain in self.goodbyes:
            return True
        if whole:
            return False
        short = len(plain.split()) <= 8 and self.offered_in(plain) is None
        return short and any(plain == e or plain.endswith(" " + e) for e in self.goodbye_endings)

    def ordinal_in(self, text: str) -> int | None:
        """The position a reply picks from a list ("the second one" -> 2, "the last one"
        -> -1), when the reply is only that (and fillers, "please", "one")."""
        plain = self._unfilled(text)
        for word in self.ordinal_tails:
            tail = f" {word}"
            if plain.endswith(tail) and plain[: -len(tail)] in dict(self.ordinals):
                plain = plain[: -len(tail)]
        return dict(self.ordinals).get(plain)

    def offers_named(self, text: str) -> list[str]:
        """The intents of the offered phrases in ``text``, in the order they are said
        (longest phrase first where two overlap); a phrase right after "not" is left out."""
        words = plain_words(text).split()
        taken = [False] * len(words)
        found: list[tuple[int, str]] = []
        for phrase, intent in self.offers:  # longest first
            size = len(phrase.split())
            for start in range(len(words) - size + 1):
                if any(taken[start : start + size]):
                    continue
                if " ".join(words[start : start + size]) == phrase:
                    taken[start : start + size] = [True] * size
                    if start == 0 or words[start - 1] != "not":
                        found.append((start, intent))
        return [intent for _, intent in sorted(found)]

    def offered_in(self, text: str) -> str | None:
        """The intent of the last offered phrase in ``text`` ("a win, wait no, the
        reflection" -> ReflectionIntent), as whole words; None when there is none."""
        named = self.offers_named(text)
        return named[-1] if named else None

    def is_closing(self, text: str) -> bool:
        """True when a reply after the crisis answer closes the conversation."""
        return _starts_with(plain_words(text), self.closings)

    def starts_changing(self, text: str) -> bool:
        """The reply starts by taking the question back ("actually", "never mind")."""
        return _starts_with(self._unfilled(text), self.mind_changes)

    def is_mind_change(self, text: str) -> bool:
        """True when a captured answer takes the question back ("actually no, let's do
        breathing instead"): it starts with a mind change or asks for something instead."""
        words = plain_words(text).split()
        while words and words[0] in self.fillers:  # "erm, actually ..."
            words.pop(0)
        plain = " ".join(words)
        if _starts_with(plain, self.mind_changes):
            return True
        if _starts_with(plain, self.offer_openers) and self.offered_in(plain) is not None:
            return True  # "no i meant a gratitude", "change it to breathing"
        padded = f" {plain} "
        if self.offered_in(plain) is not None and any(f" {c} " in padded for c in self.corrections):
            return True  # "a win, wait no, gratitude": what they want is what they named last
        if any(plain.endswith(" " + e) for e in self.instead_endings):
            return True
        if any(f" {w} " in f" {plain} " for w in self.instead):
            return True
        return self.changes_to(text) is not None

    def changes_to(self, text: str, current: str | None = None) -> str | None:
        """The practice a reply turns to instead of answering ("wrong one, i wanted to log
        a win", "nah forget it just give us the question of the day"): an offer named
        after a mind-change word, with no words of the household's own before it (so "my
        son wanted to do breathing with me" is an answer). None otherwise, and when the
        offer is ``current`` (the practice being asked about)."""
        words = plain_words(text).split()
        if not words or self._answer_clause(words):
            return None
        cue = self.senses.table.get("mind_change")
        named = self.offers_named(text)
        if cue is None or not named or named[-1] == current:
            return None
        first = self._first_offer_at(words)
        if first is None or first == 0:
            return None
        before = words[:first]
        if not cue.heard(before, self.senses.function | self.fillers):
            return None
        return named[-1]

    def _first_offer_at(self, words: Sequence[str]) -> int | None:
        """Where the first offered phrase in ``words`` starts."""
        starts = [
            start
            for phrase, _intent in self.offers
            for start in range(len(words) - len(phrase.split()) + 1)
            if " ".join(words[start : start + len(phrase.split())]) == phrase
        ]
        return min(starts) if starts else None

    def sense(self, text: str, names: Sequence[str], state: str | None = None) -> str | None:
        """The first of ``names`` ([senses]) the reply means, listened for in ``state``."""
        return self.senses.heard(plain_words(text), names, state)

    def starts_asking(self, text: str, names: Sequence[str]) -> bool:
        """The reply starts with a word of the first group of one of ``names``' senses
        ("remove all our info", not "we got rid of all the junk")."""
        words = self._unfilled(text).split()
        for name in names:
            sense = self.senses.table.get(name)
            if sense and words and any(p[0] == words[0] for p in sense.groups[0]):
                return True
        return False

    def vetoed(self, text: str, name: str) -> bool:
        """The reply says one of the ``unless`` words of sense ``name`` ("don't delete
        that" for undo), so a phrase table's match of ``name`` does not count."""
        sense = self.senses.table.get(name)
        return sense is not None and sense.vetoes and sense.vetoed(plain_words(text).split())

    def offer_only(self, text: str) -> str | None:
        """The offer a reply is made of, and nothing else ("a win"): its intent."""
        words = [w for w in plain_words(text).split() if w not in self.senses.empty]
        named = self.offers_named(" ".join(words))
        if len(named) == 1 and " ".join(words) in dict(self.offers):
            return named[0]
        return None

    def undo_described(self, text: str) -> frozenset[str]:
        """The words of an undo that describe the entry ("the coffee one from this
        morning" -> {"coffee"}): none of the undo sense's own, kind or function words."""
        sense = self.senses.table.get("undo")
        if sense is None:
            return frozenset()
        own = {w for group in sense.groups for phrase in group for w in phrase} | sense.also
        for name in ("undo_win", "undo_gratitude"):
            kinds = self.senses.table.get(name)
            if kinds is not None:
                own |= {w for group in kinds.groups for phrase in group for w in phrase}
        return frozenset(self.senses.content_words(plain_words(text), own, self.fillers))

    def says_nothing(self, text: str) -> bool:
        """The words hold nothing of the household's own ("it", "him", "for that"): only
        ``[senses] empty`` words and fillers ("we did it" is a win)."""
        words = plain_words(text).split()
        return all(w in self.senses.empty or w in self.fillers for w in words)

    def variants(self, key: str) -> tuple[str, ...]:
        return self.speech[key]

    def word(self, key: str, count: int) -> str:
        one, many = self.words[key]
        return one if count == 1 else many

    def prompt(self, prompt_id: str) -> Prompt | None:
        for prompt in self.reflections:
            if prompt.id == prompt_id:
                return prompt
        return None


# [asks] actions matched only as the whole reply (after fillers), never inside one.
WHOLE_REPLY_ASKS = frozenset({"yes", "another_one"})


def plain_words(text: str) -> str:
    """Lower case, punctuation as spaces (apostrophes kept), spaces collapsed."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower().replace("\u2019", "'")).split())


def _offers(locale: str) -> tuple[tuple[str, str], ...]:
    """The language's offers.toml as (phrase, intent), longest phrase first: what the
    skill offers, and ([heard]) other words the household names those offers with."""
    path = CONTENT_DIR / locale.split("-")[0] / "offers.toml"
    data = _load_toml(path)
    table = {**data.get("offers", {}), **data.get("heard", {})}
    pairs = [(plain_words(str(k)), str(v)) for k, v in table.items()]
    return tuple(sorted(pairs, key=lambda kv: -len(kv[0])))


def _senses(capture: dict[str, Any], where: str) -> Senses:
    try:
        return Senses.read(capture.get("senses", {}), where)
    except ValueError as exc:
        raise ContentError(str(exc)) from exc


def _starts_with(plain: str, phrases: tuple[str, ...]) -> bool:
    """True when ``plain`` is one of ``phrases`` or starts with one, as whole words."""
    return any(plain == p or plain.startswith(p + " ") for p in phrases)


def _load_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ContentError(f"{path}: {exc}") from exc


def _layered(name: str, locale: str) -> tuple[dict[str, Any], list[Path]]:
    """The language file with the locale's file merged over it, table by table."""
    lang = locale.split("-")[0]
    merged: dict[str, Any] = {}
    paths = []
    for folder in (lang, locale):
        path = CONTENT_DIR / folder / name
        data = _load_toml(path)
        if data:
            paths.append(path)
        for table, value in data.items():
            if isinstance(value, dict) and isinstance(merged.get(table), dict):
                merged[table] = {**merged[table], **value}
            else:
                merged[table] = value
    return merged, paths


def check_markup(text: str, where: str) -> None:
    """Refuse anything but the allowed tags, and raw ``&``, ``<`` or ``>``."""
    for match in _ALLOWED_TAG.finditer(text):
        if match.group(1) is not None:
            seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
            if seconds > 10:
                raise ContentError(f"{where}: break over 10 s in {text!r}")
    rest = _ALLOWED_TAG.sub("", text)
    for bad in ("<", ">", "&"):
        if bad in rest:
            raise ContentError(f"{where}: {bad!r} outside allowed markup in {text!r}")


def slots_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_speech(speech: dict[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, spec in SPEECH_KEYS.items():
        variants = speech.get(key)
        if isinstance(variants, str):
            variants = [variants]
        if not variants or not all(isinstance(v, str) and v.strip() for v in variants):
            raise ContentError(f"{where}: speech key {key!r} needs one or more variants")
        for text in variants:
            try:
                used = slots_of(text)
            except ValueError as exc:
                raise ContentError(f"{where}: {key}: {exc} in {text!r}") from exc
            if used - spec.allowed:
                raise ContentError(f"{where}: {key}: unknown slot(s) {sorted(used - spec.allowed)}")
            if spec.required - used:
                raise ContentError(
                    f"{where}: {key}: missing slot(s) {sorted(spec.required - used)}"
                )
            check_markup(text, f"{where}: {key}")
        out[key] = tuple(variants)
    unknown = set(speech) - set(SPEECH_KEYS)
    if unknown:
        raise ContentError(f"{where}: unknown speech keys {sorted(unknown)}")
    return out


def _prompts(data: dict[str, Any], table: str, where: str) -> tuple[Prompt, ...]:
    items = data.get(table, [])
    prompts = tuple(Prompt(str(i["id"]), str(i["theme"]), str(i["text"])) for i in items)
    ids = [p.id for p in prompts]
    if len(ids) != len(set(ids)):
        raise ContentError(f"{where}: duplicate ids in {table}")
    for p in prompts:
        if p.theme not in THEMES:
            raise ContentError(f"{where}: {p.id}: unknown theme {p.theme!r}")
        check_markup(p.text, f"{where}: {p.id}")
        if slots_of(p.text):
            raise ContentError(f"{where}: {p.id}: prompts take no slots")
    return prompts


def _breathing(data: dict[str, Any], where: str) -> Breathing:
    try:
        patterns = {
            pid: Pattern(
                pid,
                str(p["name"]),
                str(p["how"]),
                tuple((str(name), float(secs)) for name, secs in p["phases"]),
                tuple(plain_words(str(a)) for a in p.get("also", [])),
            )
            for pid, p in data["patterns"].items()
        }
        breathing = Breathing(
            default=str(data["default"]),
            default_minutes=int(data["default_minutes"]),
            min_minutes=int(data["min_minutes"]),
            max_minutes=int(data["max_minutes"]),
            round_seconds=int(data["round_seconds"]),
            patterns=patterns,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ContentError(f"{where}: breathing: {exc!r}") from exc
    if breathing.default not in patterns:
        raise ContentError(f"{where}: default pattern {breathing.default!r} is not defined")
    for pattern in patterns.values():
        for phase, seconds in pattern.phases:
            if phase not in PHASES or not 0.5 <= seconds <= 30:
                raise ContentError(f"{where}: {pattern.id}: bad phase {phase!r} {seconds}")
        check_markup(pattern.how, f"{where}: {pattern.id}")
    return breathing


@cache
def apl_document(name: str) -> dict[str, Any]:
    """An APL document for screens, ``apl/<name>.json`` (read once; no words in it:
    what it shows comes in its datasources)."""
    data = json.loads((CONTENT_DIR / "apl" / f"{name}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ContentError(f"apl/{name}.json is not an APL document")
    return data


@cache
def app_view(name: str) -> str:
    """An MCP App view for screens on Alexa+, ``apps/<name>.html`` (read once; no words
    in it: what it shows comes in the tool's structured content)."""
    return (CONTENT_DIR / "apps" / f"{name}.html").read_text(encoding="utf-8")


@dataclass(frozen=True)
class ToolText:
    """What one Alexa+ tool says about itself ("<lang>/tools.toml"), for the assistant's
    model to choose it well: a title, a description, and one line per argument."""

    title: str
    description: str
    args: dict[str, str]


@dataclass(frozen=True)
class ToolTexts:
    title: str
    instructions: str
    tools: dict[str, ToolText]


@cache
def tool_texts(locale: str | None = DEFAULT_LOCALE) -> ToolTexts:
    """The tools' descriptions in the locale's language (validated: every tool has a
    title and a description, every argument a line)."""
    lang = content_locale(locale).split("-")[0]
    path = CONTENT_DIR / lang / "tools.toml"
    data = _load_toml(path)
    try:
        server = data["server"]
        tools = {
            str(name): ToolText(
                title=str(entry["title"]).strip(),
                description=str(entry["description"]).strip(),
                args={str(k): str(v).strip() for k, v in entry.get("args", {}).items()},
            )
            for name, entry in data["tools"].items()
        }
        texts = ToolTexts(str(server["title"]), str(server["instructions"]).strip(), tools)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ContentError(f"{lang}/tools.toml: {exc!r}") from exc
    for name, tool in tools.items():
        if not tool.title or not tool.description or not all(tool.args.values()):
            raise ContentError(f"{lang}/tools.toml: {name} needs a title, description, args")
    return texts


def apl_documents() -> list[str]:
    """The names of every APL document the skill can send."""
    return sorted(p.stem for p in (CONTENT_DIR / "apl").glob("*.json"))


def supported_locales() -> tuple[str, ...]:
    data = _load_toml(CONTENT_DIR / "locales.toml")
    return tuple(data["supported"]["locales"])


def content_locale(locale: str | None) -> str:
    """The locale whose content we speak for a request's locale."""
    if not locale:
        return DEFAULT_LOCALE
    if locale in supported_locales():
        return locale
    lang = locale.split("-")[0]
    return locale if (CONTENT_DIR / lang).is_dir() else DEFAULT_LOCALE


@cache
def load(locale: str | None = DEFAULT_LOCALE) -> Content:
    """The validated content for a locale (cached)."""
    locale = content_locale(locale)
    speech_data, paths = _layered("speech.toml", locale)
    where = " + ".join(str(p.relative_to(CONTENT_DIR)) for p in paths) or locale
    speech = _check_speech(speech_data.get("speech", {}), where)
    words_raw = speech_data.get("words", {})
    words: dict[str, tuple[str, str]] = {}
    for key in WORD_KEYS:
        pair = words_raw.get(key)
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ContentError(f"{where}: words.{key} needs [singular, plural]")
        words[key] = (str(pair[0]), str(pair[1]))
    helpline = speech_data.get("helpline", {})
    if not helpline.get("speech") or not helpline.get("text"):
        raise ContentError(f"{where}: [helpline] needs speech and text")
    check_markup(helpline["speech"], f"{where}: helpline")
    if not helpline.get("emergency"):
        raise ContentError(f"{where}: [helpline] needs emergency (the emergency number)")
    check_markup(helpline["emergency"], f"{where}: helpline emergency")

    decks, deck_paths = _layered("reflections.toml", locale)
    questions, _ = _layered("gratitude.toml", locale)
    breathing, _ = _layered("breathing.toml", locale)
    crisis, _ = _layered("crisis.toml", locale)
    capture, _ = _layered("capture.toml", locale)
    zones = _load_toml(CONTENT_DIR / "locales.toml").get("zones", {})
    deck_where = ", ".join(str(p.relative_to(CONTENT_DIR)) for p in deck_paths)
    try:
        screen = sc.build(crisis)
    except (sc.TemplateError, KeyError, TypeError, ValueError) as exc:
        raise ContentError(f"{locale}: crisis.toml: {exc}") from exc
    clock = dict(speech_data.get("clock", {}))
    for name in ("on_the_hour", "with_minutes", "noon", "midnight", "parts"):
        if name not in clock:
            raise ContentError(f"{where}: [clock] needs {name}")
    return Content(
        locale=locale,
        clock=clock,
        speech=speech,
        words=words,
        and_word=str(words_raw.get("and", "and")),
        helpline_speech=str(helpline["speech"]),
        helpline_text=str(helpline["text"]),
        reflections=_prompts(decks, "prompt", deck_where),
        gratitude_questions=_prompts(questions, "question", f"{locale} gratitude"),
        breathing=_breathing(breathing, f"{locale} breathing"),
        screen=screen,
        near_misses=sc.near_misses(crisis),
        default_zone=str(zones.get(locale, "UTC")),
        fillers=frozenset(str(f).lower() for f in capture.get("fillers", [])),
        refusals=frozenset(plain_words(str(f)) for f in capture.get("refusals", [])),
        non_answers=frozenset(plain_words(str(f)) for f in capture.get("non_answer_words", [])),
        offers=_offers(locale),
        mind_changes=tuple(plain_words(str(f)) for f in capture.get("mind_changes", [])),
        instead=tuple(plain_words(str(f)) for f in capture.get("instead", [])),
        instead_endings=tuple(plain_words(str(f)) for f in capture.get("instead_endings", [])),
        closings=tuple(plain_words(str(f)) for f in capture.get("closings", [])),
        refusal_words=frozenset(plain_words(str(f)) for f in capture.get("refusal_words", [])),
        refusal_cues=frozenset(plain_words(str(f)) for f in capture.get("refusal_cues", [])),
        repeat_requests=frozenset(plain_words(str(f)) for f in capture.get("repeat_requests", [])),
        offer_openers=tuple(plain_words(str(f)) for f in capture.get("offer_openers", [])),
        thanks=frozenset(plain_words(str(f)) for f in capture.get("thanks", [])),
        goodbyes=frozenset(plain_words(str(f)) for f in capture.get("goodbyes", [])),
        goodbye_endings=tuple(plain_words(str(f)) for f in capture.get("goodbye_endings", [])),
        corrections=tuple(
            sorted((plain_words(str(c)) for c in capture.get("corrections", [])), key=len)[::-1]
        ),
        bare_corrections=frozenset(
            plain_words(str(c)) for c in capture.get("bare_corrections", [])
        ),
        restarts=frozenset(plain_words(str(c)) for c in capture.get("restarts", [])),
        echo_endings=tuple(
            sorted(
                (plain_words(str(c)) for c in capture.get("echo", {}).get("endings", [])),
                key=len,
            )[::-1]
        ),
        echo_carriers=tuple(
            sorted(
                (plain_words(str(c)) for c in capture.get("echo", {}).get("carriers", [])),
                key=lambda c: -len(c.split()),
            )
        ),
        echo_flips=tuple(
            (str(k), str(v)) for k, v in capture.get("echo", {}).get("flips", {}).items()
        ),
        echo_agree=tuple(
            (str(k), str(v)) for k, v in capture.get("echo", {}).get("agree", {}).items()
        ),
        echo_lower_first=frozenset(str(w) for w in capture.get("echo", {}).get("lower_first", [])),
        echo_noise=frozenset(plain_words(str(w)) for w in capture.get("echo", {}).get("noise", [])),
        echo_asides=tuple(
            sorted(
                (plain_words(str(w)) for w in capture.get("echo", {}).get("asides", [])),
                key=lambda a: -len(a.split()),
            )
        ),
        echo_keep_at_end=frozenset(
            plain_words(str(w)) for w in capture.get("echo", {}).get("keep_at_end", [])
        ),
        echo_capitals=tuple(
            (str(k), str(v)) for k, v in capture.get("echo", {}).get("capitals", {}).items()
        ),
        echo_second_person=frozenset(
            str(w) for w in capture.get("echo", {}).get("second_person", [])
        ),
        statement_min_words=int(capture.get("statements", {}).get("min_words", 3)),
        win_words=tuple(
            plain_words(str(w)) for w in capture.get("statements", {}).get("win_words", [])
        ),
        asks={
            str(action): tuple(sorted((plain_words(str(p)) for p in phrases), key=len)[::-1])
            for action, phrases in capture.get("asks", {}).items()
        },
        ordinals=tuple(
            sorted(
                ((plain_words(str(k)), int(v)) for k, v in capture.get("ordinals", {}).items()),
                key=lambda kv: -len(kv[0]),
            )
        ),
        ordinal_tails=tuple(plain_words(str(w)) for w in capture.get("ordinal_tails", [])),
        senses=_senses(capture, f"{locale} capture.toml"),
        crisis_pack=crisis,
        emergency_speech=str(helpline["emergency"]),
        emergency_text=str(helpline["emergency_text"]),
    )
