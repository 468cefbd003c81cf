"""Offline natural-language understanding for the simulator.

Resolves a spoken utterance to an intent and slots from an ASK interaction model, the way
Alexa would for this skill, closely enough for the command line and for tests:

* text is normalised (case, punctuation, common contractions, spelling variants);
* every sample utterance becomes a pattern in which ``{slot}`` matches one or more words;
* matching is an alignment of the sample against the utterance: literal words matched
  score, extra words in the utterance and sample words left out cost (cheaply for filler
  words such as "please" or "just"), so "can we please do some box breathing" still finds
  "do {pattern} breathing";
* typed slots are parsed (AMAZON.NUMBER "twenty one" -> "21", AMAZON.DURATION "five
  minutes" -> "PT5M", AMAZON.TIME "seven pm" -> "19:00"), custom slot types are open
  and carry entity resolution, AMAZON.SearchQuery takes the words as spoken;
* the built-in intents (help, stop, yes, ...) come from a phrase table in this module;
* an intent whose sample is one custom-typed slot alone (``ListenIntent`` "{said}") is a
  catch-all: it takes, with the words as spoken, what no other intent matches, as
  Alexa does for such an intent (so the skill's safety screen hears those words);
* nothing that matches well enough gives AMAZON.FallbackIntent, never an exception.

No I/O except reading the interaction model file.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill.constants import MODELS_DIR, SIM_SKILL_ID

__all__ = [
    "BUILTIN_PHRASES",
    "DEFAULT_SKILL_ID",
    "ER_MATCH",
    "ER_NO_MATCH",
    "FALLBACK_INTENT",
    "Candidate",
    "Nlu",
    "Parse",
    "Resolution",
    "SlotFill",
    "normalize",
    "parse_duration",
    "parse_number",
    "parse_time",
    "split_invocation",
]

DEFAULT_SKILL_ID = SIM_SKILL_ID
ER_MATCH = "ER_SUCCESS_MATCH"
ER_NO_MATCH = "ER_SUCCESS_NO_MATCH"
FALLBACK_INTENT = "AMAZON.FallbackIntent"
CRISIS_INTENT = "CrisisIntent"

SEARCH_QUERY = "AMAZON.SearchQuery"
NUMBER = "AMAZON.NUMBER"
DURATION = "AMAZON.DURATION"
TIME = "AMAZON.TIME"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Resolution:
    """Entity resolution for one slot value of a custom slot type."""

    status: str  # ER_MATCH | ER_NO_MATCH
    authority: str  # "amzn1.er-authority.echo-sdk.<skill-id>.<SlotType>"
    value_id: str | None
    value_name: str | None


@dataclass(frozen=True)
class SlotFill:
    name: str
    value: str | None  # the spoken words; digits for AMAZON.NUMBER, ISO forms for dates
    resolution: Resolution | None  # only for custom slot types


@dataclass(frozen=True)
class Candidate:
    intent: str
    slots: dict[str, SlotFill]
    score: float
    sample: str | None  # the sample utterance that matched (None for fallback)


@dataclass(frozen=True)
class Parse:
    intent: str
    slots: dict[str, SlotFill]  # every slot of the intent, value None when unfilled
    considered: list[Candidate]  # ranked, best first


# --------------------------------------------------------------------------- built-ins

#: Usual phrases of the built-in intents (Alexa trains these itself; the simulator needs
#: a table). Keep them free of the custom intents' samples.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    "AMAZON.HelpIntent": (
        "help",
        "help me",
        "help us",
        "what can i do",
        "what can we do",
        "what can i say",
        "what can we say",
        "what can you do",
        "what do i do",
        "what do i say",
        "how does this work",
        "how do i use this",
        "what are my options",
        "i'm confused",
        "i don't understand",
        "help me out",
        "what can i ask",
        "what can you help me with",
        "how does it work",
    ),
    "AMAZON.StopIntent": (
        "stop",
        "stop it",
        "quit",
        "exit",
        "off",
        "shut up",
        "be quiet",
        "goodbye",
        "bye",
        "bye bye",
        "that's enough",
        "enough",
        "i'm done",
        "we're done",
        "that's all",
        "that's it",
        "end",
    ),
    "AMAZON.CancelIntent": (
        "cancel",
        "cancel that",
        "never mind",
        "nevermind",
        "forget it",
        "forget about it",
        "scratch that",
    ),
    "AMAZON.NavigateHomeIntent": (
        "go home",
        "home",
        "go back home",
        "go to the home screen",
    ),
    "AMAZON.YesIntent": (
        "yes",
        "yeah",
        "yep",
        "yup",
        "sure",
        "okay",
        "alright",
        "all right",
        "yes please",
        "of course",
        "absolutely",
        "sounds good",
        "let's do it",
        "do it",
        "go ahead",
        "please do",
        "why not",
        "correct",
        "that's right",
        "definitely",
        "let's do that",
    ),
    "AMAZON.NoIntent": (
        "no",
        "nope",
        "nah",
        "no thanks",
        "no thank you",
        "not now",
        "not really",
        "not today",
        "i don't think so",
        "don't",
        "no way",
        "not right now",
        "not at all",
    ),
    "AMAZON.RepeatIntent": (
        "repeat",
        "repeat that",
        "say that again",
        "say it again",
        "again",
        "what did you say",
        "come again",
        "pardon",
        "one more time",
        "what was that",
    ),
    "AMAZON.StartOverIntent": (
        "start over",
        "restart",
        "start again",
        "begin again",
        "from the top",
        "start from the beginning",
    ),
    "AMAZON.PauseIntent": (
        "pause",
        "pause that",
        "hold on",
        "hang on",
        "wait",
        "give me a moment",
        "give us a moment",
    ),
    "AMAZON.ResumeIntent": (
        "resume",
        "continue",
        "keep going",
        "carry on",
        "go on",
        "unpause",
        "pick up where we left off",
    ),
}

#: What an answer to a slot elicitation may still be, instead of the slot's value.
_ELICIT_ESCAPES = frozenset(
    {
        "AMAZON.StopIntent",
        "AMAZON.CancelIntent",
        "AMAZON.HelpIntent",
        "AMAZON.NavigateHomeIntent",
        "AMAZON.StartOverIntent",
        "AMAZON.RepeatIntent",
    }
)

# --------------------------------------------------------------------------- normalising

_CONTRACTIONS: dict[str, str] = {
    "i'm": "i am",
    "im": "i am",
    "we're": "we are",
    "you're": "you are",
    "they're": "they are",
    "let's": "let us",
    "lets": "let us",
    "don't": "do not",
    "dont": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "can't": "can not",
    "cant": "can not",
    "cannot": "can not",
    "won't": "will not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "weren't": "were not",
    "haven't": "have not",
    "hasn't": "has not",
    "shouldn't": "should not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "i've": "i have",
    "we've": "we have",
    "you've": "you have",
    "i'll": "i will",
    "we'll": "we will",
    "you'll": "you will",
    "i'd": "i would",
    "we'd": "we would",
    "you'd": "you would",
    "what's": "what is",
    "how's": "how is",
    "where's": "where is",
    "who's": "who is",
    "that's": "that is",
    "it's": "it is",
    "there's": "there is",
    "here's": "here is",
    "he's": "he is",
    "she's": "she is",
    "wanna": "want to",
    "gonna": "going to",
    "gotta": "got to",
    "gimme": "give me",
}

#: Spelling variants folded to one form (exact equivalents).
_SPELLING: dict[str, str] = {
    "ok": "okay",
    "practise": "practice",
    "practised": "practiced",
    "practising": "practicing",
    "counsellor": "counselor",
    "counsellors": "counselors",
    "counselling": "counseling",
    "favourite": "favorite",
    "realise": "realize",
    "realised": "realized",
}

#: Words that often differ between how people speak and the samples without changing the
#: request: a match counts a little less than an exact one.
_SOFT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("i", "we"),
    ("me", "us"),
    ("my", "our"),
    ("myself", "ourselves"),
    ("am", "are", "is"),
    ("he", "she", "they"),
    ("him", "her", "them"),
    ("his", "their"),
    ("himself", "herself", "themselves", "themself"),
    ("about", "of"),
    ("was", "were"),
    ("grateful", "thankful"),
    ("minute", "minutes"),
    ("breath", "breaths"),
    ("breathe", "breathing"),
    ("win", "wins"),
    ("therapist", "therapists", "counselor", "counselors"),
    ("counseling", "therapy"),
    ("kids", "children"),
    # the people of a household: "my son says he wants to ..." ~ "my partner wants to ..."
    (
        "partner",
        "husband",
        "wife",
        "boyfriend",
        "girlfriend",
        "spouse",
        "son",
        "daughter",
        "child",
        "kid",
        "brother",
        "sister",
        "mum",
        "mom",
        "mother",
        "dad",
        "father",
        "friend",
    ),
    ("scared", "afraid", "worried"),
    ("practice", "practiced", "practicing"),
    ("celebrate", "celebrated"),
    ("give", "tell"),
    ("no", "nah", "nope"),
    ("delete", "erase", "wipe", "remove"),
)
_SOFT_CLASS: dict[str, str] = {w: group[0] for group in _SOFT_GROUPS for w in group}
_SOFT_GAIN = 0.75

#: Words people add around a request; an extra one of these costs little.
_FILLERS = frozenset(
    [
        "um",
        "uh",
        "er",
        "erm",
        "hmm",
        "ah",
        "oh",
        "hey",
        "alexa",
        "please",
        "okay",
        "so",
        "well",
        "now",
        "just",
        "actually",
        "really",
        "like",
        "and",
        "then",
        "maybe",
        "some",
        "a",
        "an",
        "the",
        "right",
        "very",
        "truly",
        "also",
        "quick",
        "quickly",
        "little",
        "bit",
        "can",
        "could",
        "would",
        "will",
        "you",
        "let",
        "us",
        "me",
        "i",
        "we",
        "want",
        "to",
        "go",
        "ahead",
        "together",
        "today",
        "tonight",
        "kind",
        "of",
        "sort",
        "for",
        "us",
        "me",
        "mine",
        "our",
        "my",
        "lot",
        "lots",
        "something",
        "thing",
        "things",
        "yes",
        "yeah",
        "yep",
        "hi",
        "hello",
    ]
)

#: Words said around a built-in request ("hang on a sec", "no thanks mate", "stop it
#: now please") that change nothing about it.
_COURTESY = frozenset(
    [
        "please",
        "sorry",
        "thanks",
        "thank",
        "you",
        "then",
        "now",
        "right",
        "mate",
        "eh",
        "a",
        "one",
        "second",
        "sec",
        "moment",
        "minute",
        "tick",
        "just",
        "oh",
        "ooh",
        "well",
        "so",
        "alexa",
        "okay",
        "for",
        "here",
    ]
)

#: Words too common to carry a request on their own.
_STOPWORDS = frozenset(
    [
        "i",
        "we",
        "me",
        "us",
        "my",
        "our",
        "you",
        "your",
        "the",
        "a",
        "an",
        "to",
        "of",
        "for",
        "and",
        "or",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "do",
        "did",
        "does",
        "have",
        "has",
        "had",
        "it",
        "its",
        "that",
        "this",
        "these",
        "those",
        "what",
        "how",
        "can",
        "could",
        "would",
        "will",
        "want",
        "let",
        "in",
        "on",
        "at",
        "with",
        "some",
        "so",
        "just",
        "please",
        "not",
        "one",
        "get",
        "got",
        "go",
    ]
)

#: Words a sample may never lose in a loose match.
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody", "without", "isn't"})

#: The share of a sample's words a loose match must earn (soft matches earn less,
#: left-out words take away).
_COVERAGE = 0.5

_INS_FILLER = 0.2
_INS_OTHER = 0.6
_DELETE_FILLER = 0.4
_DELETE = 1.0


_KEPT = frozenset("0123456789'")


def _clean(text: str) -> list[str]:
    """Lower-case words as spoken: punctuation dropped, apostrophes kept inside words."""
    t = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    # abbreviations with periods ("p.m.", "t.v.") lose their periods
    t = unicodedata.normalize("NFC", t)
    t = re.sub(r"\b(?:[^\W\d_]\.){2,}", lambda m: m.group(0).replace(".", ""), t)
    # Letters of any language are kept ("música", "niño"), digits 0-9 and apostrophes;
    # everything else is a space.
    t = "".join(c if c.isalpha() or c in _KEPT else " " for c in t)
    return [w.strip("'") for w in t.split() if w.strip("'")]


@dataclass(frozen=True)
class _Tokens:
    words: tuple[str, ...]  # normalised words used for matching
    src: tuple[int, ...]  # for each word, the index of the spoken word it came from
    spoken: tuple[str, ...]  # the words as spoken (lower-cased)

    def span_text(self, start: int, end: int) -> str:
        """The spoken words behind normalised words [start, end)."""
        if start >= end:
            return ""
        return " ".join(self.spoken[self.src[start] : self.src[end - 1] + 1])


def _tokens(text: str) -> _Tokens:
    spoken = _clean(text)
    words: list[str] = []
    src: list[int] = []
    for i, w in enumerate(spoken):
        if w == "more" and words and words[-1] == "any":  # "any more" is "anymore"
            words[-1] = "anymore"
            continue
        expanded = _CONTRACTIONS.get(w, _SPELLING.get(w, w))
        for part in expanded.split():
            words.append(part)
            src.append(i)
    return _Tokens(tuple(words), tuple(src), tuple(spoken))


def normalize(text: str) -> str:
    """The normalised form used for matching: lower case, no punctuation, contractions
    expanded ("What's our streak?" -> "what is our streak")."""
    return " ".join(_tokens(text).words)


# --------------------------------------------------------------------------- numbers

_UNITS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
_TEENS: dict[str, int] = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES: dict[str, int] = {"thousand": 1000, "million": 1_000_000}
_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def parse_number(words: Sequence[str]) -> int | None:
    """Cardinal number words (or one digit string) to an int: "twenty one" -> 21,
    "a hundred and five" -> 105, "12" -> 12. None when the words are not one number."""
    ws = list(words)
    if not ws:
        return None
    if len(ws) == 1:
        if ws[0].isdigit():
            return int(ws[0])
        if ws[0] == "zero":
            return 0
    if ws[0] in ("a", "an"):
        if len(ws) < 2 or ws[1] not in ("hundred", *_SCALES):
            return None
        ws[0] = "one"
    total = 0
    current = 0
    last: str | None = None
    for w in ws:
        if w in _UNITS:
            if last not in (None, "ten", "hundred", "scale", "and"):
                return None
            current += _UNITS[w]
            last = "unit"
        elif w in _TEENS:
            if last not in (None, "hundred", "scale", "and"):
                return None
            current += _TEENS[w]
            last = "teen"
        elif w in _TENS:
            if last not in (None, "hundred", "scale", "and"):
                return None
            current += _TENS[w]
            last = "ten"
        elif w == "hundred":
            if last not in ("unit", "teen") or (current % 100 == 0 and current):
                return None
            current *= 100
            last = "hundred"
        elif w in _SCALES:
            if last not in ("unit", "teen", "ten", "hundred"):
                return None
            total += current * _SCALES[w]
            current = 0
            last = "scale"
        elif w == "and":
            if last not in ("hundred", "scale"):
                return None
            last = "and"
        else:
            return None
    if last == "and":
        return None
    return total + current


def _number_at(words: Sequence[str]) -> tuple[int, int] | None:
    """The longest number at the start of words: (value, words used)."""
    for end in range(min(len(words), 7), 0, -1):
        value = parse_number(words[:end])
        if value is not None:
            return value, end
    return None


# --------------------------------------------------------------------------- durations

_DURATION_UNITS: dict[str, str] = {
    "second": "S",
    "seconds": "S",
    "minute": "MI",
    "minutes": "MI",
    "hour": "H",
    "hours": "H",
    "day": "D",
    "days": "D",
    "week": "W",
    "weeks": "W",
    "month": "MO",
    "months": "MO",
    "year": "Y",
    "years": "Y",
}


def parse_duration(words: Sequence[str]) -> str | None:
    """Duration words to ISO 8601: "five minutes" -> "PT5M", "an hour and a half" ->
    "PT1H30M", "half an hour" -> "PT30M", "two weeks" -> "P2W". None if not a duration."""
    ws = [w for w in words if w != "and"]
    if not ws:
        return None
    parts: dict[str, float] = {}
    i = 0
    while i < len(ws):
        if ws[i] == "half" and i + 2 < len(ws) and ws[i + 1] in ("an", "a"):
            unit = _DURATION_UNITS.get(ws[i + 2])
            if unit is None:
                return None
            parts[unit] = parts.get(unit, 0) + 0.5
            i += 3
            continue
        if ws[i] in ("a", "an") and i + 1 < len(ws) and ws[i + 1] == "half":
            if not parts:
                return None
            last_unit = list(parts)[-1]
            parts[last_unit] += 0.5
            i += 2
            continue
        found = (1, 1) if ws[i] in ("a", "an") else _number_at(ws[i:])
        if found is None:
            return None
        value, used = found
        i += used
        if i >= len(ws) or ws[i] not in _DURATION_UNITS:
            return None
        unit = _DURATION_UNITS[ws[i]]
        parts[unit] = parts.get(unit, 0) + value
        i += 1
    # carry halves down: 1.5 hours -> 1 hour 30 minutes
    carry = {"H": ("MI", 60), "MI": ("S", 60), "D": ("H", 24), "W": ("D", 7)}
    for unit, (lower, factor) in carry.items():
        if unit in parts and parts[unit] != int(parts[unit]):
            whole = int(parts[unit])
            parts[lower] = parts.get(lower, 0) + (parts[unit] - whole) * factor
            parts[unit] = whole
    date = "".join(
        f"{int(parts[u])}{code}"
        for u, code in (("Y", "Y"), ("MO", "M"), ("W", "W"), ("D", "D"))
        if parts.get(u)
    )
    time = "".join(
        f"{int(parts[u])}{code}"
        for u, code in (("H", "H"), ("MI", "M"), ("S", "S"))
        if parts.get(u)
    )
    if not date and not time:
        return None
    return "P" + date + ("T" + time if time else "")


# --------------------------------------------------------------------------- times

_TIME_PERIODS: dict[str, str] = {
    "morning": "MO",
    "afternoon": "AF",
    "evening": "EV",
    "night": "NI",
    "tonight": "NI",
}


def parse_time(words: Sequence[str]) -> str | None:
    """Time words to Alexa's AMAZON.TIME value: "seven pm" -> "19:00", "seven thirty" ->
    "07:30", "half past six in the evening" -> "18:30", "noon" -> "12:00",
    "evening" -> "EV". None if not a time."""
    ws = [w for w in words if w not in ("at", "o'clock", "oclock")]
    if len(ws) == 1 and ws[0] in _TIME_PERIODS:
        return _TIME_PERIODS[ws[0]]
    if ws in (["noon"], ["midday"]):
        return "12:00"
    if ws == ["midnight"]:
        return "00:00"
    if not ws:
        return None
    # trailing meridiem or period of day
    pm: bool | None = None
    tail = " ".join(ws[-3:])
    for suffix, is_pm in (
        ("in the morning", False),
        ("in the afternoon", True),
        ("in the evening", True),
        ("at night", True),
    ):
        if tail.endswith(suffix):
            pm = is_pm
            ws = ws[: -len(suffix.split())]
            break
    else:
        if ws[-2:] in (["p", "m"], ["a", "m"]):
            pm = ws[-2] == "p"
            ws = ws[:-2]
        elif ws[-1] in ("pm", "am"):
            pm = ws[-1] == "pm"
            ws = ws[:-1]
    if ws and ws[0] == "at":
        ws = ws[1:]
    hour: int | None = None
    minute = 0
    if len(ws) >= 3 and ws[1] in ("past", "after", "to", "before"):
        offsets = {"half": 30, "quarter": 15}
        off = offsets.get(ws[0])
        rest = ws[2:]
        if off is None:
            found = _number_at(ws[:1])
            off = found[0] if found else None
            rest = ws[2:]
        h = parse_number(rest)
        if off is None or h is None or not 1 <= h <= 12 or off >= 60:
            return None
        if ws[1] in ("past", "after"):
            hour, minute = h, off
        else:
            hour, minute = (h - 1) % 12 or 12, 60 - off
    else:
        if len(ws) == 1 and ws[0].isdigit() and len(ws[0]) in (3, 4):
            hour, minute = int(ws[0][:-2]), int(ws[0][-2:])
        else:
            found = _number_at(ws)
            if found is None:
                return None
            hour, used = found
            rest = ws[used:]
            if rest and rest[0] in ("oh", "o") and len(rest) == 2:
                m = parse_number(rest[1:])
                if m is None or m > 9:
                    return None
                minute = m
            elif rest:
                m = parse_number(rest)
                if m is None or m > 59:
                    return None
                minute = m
            if hour > 23 and not rest and 100 <= hour <= 2359:
                hour, minute = divmod(hour, 100)
    if hour is None or hour > 23 or minute > 59:
        return None
    if pm is True and hour < 12:
        hour += 12
    elif pm is False and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}"


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class _Elem:
    literal: str | None  # a normalised word, or None for a slot
    slot: str | None


@dataclass(frozen=True)
class _Sample:
    intent: str
    text: str  # as written in the model
    elems: tuple[_Elem, ...]
    literal_count: int
    literal_classes: frozenset[str]

    has_content: bool

    @property
    def slot_names(self) -> tuple[str, ...]:
        return tuple(e.slot for e in self.elems if e.slot is not None)


_SLOT_REF = re.compile(r"(\{[A-Za-z_][A-Za-z0-9_]*\})")


def _compile(intent: str, text: str) -> _Sample:
    elems: list[_Elem] = []
    for part in _SLOT_REF.split(text):
        if not part:
            continue
        if _SLOT_REF.fullmatch(part):
            elems.append(_Elem(None, part[1:-1]))
        else:
            elems.extend(_Elem(w, None) for w in _tokens(part).words)
    lits = [e.literal for e in elems if e.literal is not None]
    return _Sample(
        intent,
        text,
        tuple(elems),
        len(lits),
        frozenset(_SOFT_CLASS.get(w, w) for w in lits),
        any(w not in _STOPWORDS for w in lits) or any(e.slot for e in elems),
    )


@dataclass(frozen=True)
class _TypeValue:
    value_id: str
    name: str


@dataclass
class _Path:
    """The best alignment of one sample with one utterance."""

    score: float
    matched: int = 0  # literal words matched, exactly or softly
    gained: float = 0.0  # what the literal words matched earned, less deletions
    soft: int = 0
    content_exact: int = 0  # uncommon words matched exactly, and parsed/resolved slots
    ins_filler: int = 0
    ins_other: int = 0
    deleted: int = 0
    deleted_filler: int = 0
    skipped: int = 0  # leading or trailing clauses passed over
    skipped_words: int = 0  # the words in them
    open_misses: int = 0  # custom-type slot values that did not resolve
    owner_swapped: bool = False  # "our"/"my" left out for "the <something else>"
    slots: tuple[tuple[str, int, int], ...] = ()

    @property
    def loose(self) -> bool:
        return bool(
            self.soft
            or self.ins_filler
            or self.ins_other
            or self.deleted
            or self.deleted_filler
            or self.skipped
        )


@cache
def _stem(word: str) -> str:
    """A light suffix strip for loose matching: "ending" ~ "end", "wants" ~ "want"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@cache
def _gain(literal: str, word: str) -> float:
    if literal == word:
        return 1.0
    if _SOFT_CLASS.get(literal, literal) == _SOFT_CLASS.get(word, word):
        return _SOFT_GAIN
    if literal not in _NEGATIONS and _stem(literal) == _stem(word):
        return _SOFT_GAIN
    if word.endswith("'s") and _gain(literal, word[:-2]) > 0:  # "my partner's ..."
        return _SOFT_GAIN
    return 0.0


def _ins_cost(word: str) -> float:
    return _INS_FILLER if word in _FILLERS else _INS_OTHER


def _skip_cost(words: int) -> float:
    """Passing over a whole leading or trailing clause of the utterance."""
    return 0.7 + 0.05 * words


class Nlu:
    """Utterance -> intent resolver over one interaction model."""

    def __init__(self, model: Mapping[str, Any], skill_id: str = DEFAULT_SKILL_ID) -> None:
        root: Mapping[str, Any] = model.get("interactionModel", model)
        lm: Mapping[str, Any] = root["languageModel"]
        self.skill_id = skill_id
        self.invocation_name: str = str(lm.get("invocationName", ""))
        self._samples: dict[str, list[str]] = {}
        self._slot_types: dict[str, dict[str, str]] = {}
        self._slot_samples: dict[tuple[str, str], list[_Sample]] = {}
        self._intent_order: dict[str, int] = {}
        compiled: list[_Sample] = []
        self.catch_all: tuple[str, str] | None = None
        custom = {str(t["name"]) for t in lm.get("types", []) or []}
        for intent in lm.get("intents", []):
            name = str(intent["name"])
            self._intent_order[name] = len(self._intent_order)
            samples = [str(s) for s in intent.get("samples", [])]
            self._samples[name] = samples
            slots: dict[str, str] = {}
            for slot in intent.get("slots", []) or []:
                slots[str(slot["name"])] = str(slot["type"])
            for sample in samples:
                alone = _SLOT_REF.fullmatch(sample.strip())
                if alone and slots.get(sample.strip()[1:-1]) in custom:
                    self.catch_all = (name, sample.strip()[1:-1])
                else:
                    compiled.append(_compile(name, sample))
            for slot in intent.get("slots", []) or []:
                ss = [str(s) for s in slot.get("samples", []) or []]
                self._slot_samples[(name, str(slot["name"]))] = [_compile(name, s) for s in ss]
            self._slot_types[name] = slots
        for name, phrases in BUILTIN_PHRASES.items():
            if name not in self._intent_order:
                self._intent_order[name] = len(self._intent_order)
                self._slot_types.setdefault(name, {})
            compiled.extend(_compile(name, p) for p in phrases)
        self._compiled = compiled
        self._memo: dict[tuple[str, tuple[str, str] | None], Parse] = {}
        # whole phrases of the built-in intents (the table and the model's own samples)
        self._builtin_phrases: dict[tuple[str, ...], str] = {}
        for built in compiled:
            if built.intent.startswith("AMAZON.") and not built.slot_names:
                words = tuple(e.literal or "" for e in built.elems)
                self._builtin_phrases.setdefault(words, built.intent)
        # custom slot types: normalised value/synonym -> canonical value
        self._types: dict[str, dict[str, _TypeValue]] = {}
        for t in lm.get("types", []) or []:
            table: dict[str, _TypeValue] = {}
            for v in t.get("values", []):
                name_obj = v["name"]
                canonical = str(name_obj["value"])
                tv = _TypeValue(str(v.get("id") or canonical), canonical)
                for phrase in [canonical, *name_obj.get("synonyms", [])]:
                    table.setdefault(self._er_key(str(phrase)), tv)
            self._types[str(t["name"])] = table

    # ----------------------------------------------------------------- construction

    @classmethod
    def for_locale(cls, locale: str, models_dir: Path | None = None) -> Nlu:
        """The model for locale (interaction_models/<locale>.json), or en-US's when the
        locale has none."""
        directory = models_dir or MODELS_DIR
        path = directory / f"{locale}.json"
        if not path.is_file():
            path = directory / "en-US.json"
        with path.open(encoding="utf-8") as fh:
            model: dict[str, Any] = json.load(fh)
        return cls(model)

    # ----------------------------------------------------------------- introspection

    def samples(self) -> dict[str, list[str]]:
        """Sample utterances per intent as written in the model."""
        return {k: list(v) for k, v in self._samples.items()}

    def slot_samples(self, intent: str, slot: str) -> list[str]:
        """The dialog (slot elicitation) samples of one slot."""
        return [s.text for s in self._slot_samples.get((intent, slot), [])]

    def intents(self) -> list[str]:
        """Every intent the resolver knows: the model's plus the built-in table's."""
        return sorted(self._intent_order, key=self._intent_order.__getitem__)

    def slots_of(self, intent: str) -> dict[str, str]:
        """Slot name -> slot type of an intent (empty for unknown intents)."""
        return dict(self._slot_types.get(intent, {}))

    def resolve_value(self, slot_type: str, spoken: str) -> Resolution | None:
        """Entity resolution of a spoken value for a custom slot type (None for built-in
        types)."""
        table = self._types.get(slot_type)
        if table is None:
            return None
        authority = f"amzn1.er-authority.echo-sdk.{self.skill_id}.{slot_type}"
        hit = self._lookup(table, spoken)
        if hit is None:
            return Resolution(ER_NO_MATCH, authority, None, None)
        return Resolution(ER_MATCH, authority, hit.value_id, hit.name)

    # ----------------------------------------------------------------- resolving

    def resolve(self, utterance: str, *, elicit: tuple[str, str] | None = None) -> Parse:
        """The intent and slots Alexa would send for utterance (remembered: a model's
        answer to the same words in the same state does not change)."""
        key = (utterance, elicit)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._resolve(utterance, elicit=elicit)
            if len(self._memo) < 4096:
                self._memo[key] = hit
        return hit

    def _resolve(self, utterance: str, *, elicit: tuple[str, str] | None = None) -> Parse:
        """The intent and slots Alexa would send for utterance.

        elicit=(intent, slot) means the previous response elicited that slot: the reply
        is matched against the slot's dialog samples first (an AMAZON.SearchQuery slot
        takes the whole reply) unless it is plainly stop/cancel/help/home or a crisis."""
        tokens = _tokens(utterance)
        if not tokens.words:
            return self._fallback([])
        if elicit is not None:
            parse = self._resolve_elicited(tokens, elicit)
            if parse is not None:
                return parse
        ranked = self._rank(tokens, self._compiled)
        compound = self._builtin_compound(tokens.words)
        if compound is not None and all(c.intent != CRISIS_INTENT for c in ranked):
            cand = Candidate(compound, {}, float(len(tokens.words)), None)
            return Parse(compound, {}, [cand, *(c for c in ranked if c.intent != compound)])
        if not ranked:
            near = self._rank(tokens, self._compiled, accept_all=True)[:3]
            if self.catch_all is not None:
                return self._caught(tokens, near)
            return self._fallback(near)
        best = ranked[0]
        return Parse(best.intent, self._full_slots(best.intent, best.slots), ranked)

    def _builtin_compound(self, words: Sequence[str]) -> str | None:
        """A built-in intent said in pieces: "never mind, forget it", "no thanks, not right
        now", "hang on a sec", "stop please". The words, less courtesy words, are one
        built-in phrase, or two phrases of the same built-in intent."""
        whole = self._builtin_phrase(tuple(words))
        if whole is not None:
            return whole
        for k in range(1, len(words)):
            left = self._builtin_phrase(tuple(words[:k]))
            if left is not None and left == self._builtin_phrase(tuple(words[k:])):
                return left
        return None

    def _builtin_phrase(self, words: tuple[str, ...]) -> str | None:
        """The built-in intent whose phrase words are, as said or less courtesy words."""
        start, end = 0, len(words)
        while start < end and words[start] in _COURTESY:
            start += 1
        while end > start and words[end - 1] in _COURTESY:
            end -= 1
        forms = (
            words,
            words[start:],
            words[:end],
            words[start:end],
            tuple(w for w in words if w not in _COURTESY),
        )
        for form in forms:
            hit = self._builtin_phrases.get(form) if form else None
            if hit is not None:
                return hit
        return None

    def _resolve_elicited(self, tokens: _Tokens, elicit: tuple[str, str]) -> Parse | None:
        intent, slot = elicit
        escapes = [
            s for s in self._compiled if s.intent in _ELICIT_ESCAPES or s.intent == CRISIS_INTENT
        ]
        for cand in self._rank(tokens, escapes, strict_builtins=True):
            return Parse(cand.intent, self._full_slots(cand.intent, cand.slots), [cand])
        slot_type = self._slot_types.get(intent, {}).get(slot)
        if slot_type is None:
            return None
        samples = self._slot_samples.get((intent, slot)) or [_compile(intent, "{" + slot + "}")]
        ranked = self._rank(tokens, samples, exact_only=True)
        if not ranked:
            return None
        best = ranked[0]
        others = [c for c in self._rank(tokens, self._compiled) if c.intent != intent]
        return Parse(intent, self._full_slots(intent, best.slots), [best, *others])

    def _caught(self, tokens: _Tokens, near: list[Candidate]) -> Parse:
        """What no other intent matched, to the catch-all intent with the words as said."""
        assert self.catch_all is not None
        intent, slot = self.catch_all
        fill = self._fill(intent, slot, tokens, 0, len(tokens.words))
        cand = Candidate(intent, {slot: fill}, 0.0, "{" + slot + "}")
        return Parse(intent, self._full_slots(intent, {slot: fill}), [cand, *near])

    def _fallback(self, near: list[Candidate]) -> Parse:
        fallback = Candidate(FALLBACK_INTENT, {}, 0.0, None)
        return Parse(FALLBACK_INTENT, {}, [fallback, *near])

    def _full_slots(self, intent: str, filled: Mapping[str, SlotFill]) -> dict[str, SlotFill]:
        out: dict[str, SlotFill] = {}
        for name in self._slot_types.get(intent, {}):
            out[name] = filled.get(name) or SlotFill(name, None, None)
        return out

    def _rank(
        self,
        tokens: _Tokens,
        samples: Iterable[_Sample],
        *,
        exact_only: bool = False,
        strict_builtins: bool = False,
        accept_all: bool = False,
    ) -> list[Candidate]:
        """Best candidate per intent, best first."""
        classes = {_SOFT_CLASS.get(w, w) for w in tokens.words}
        best: dict[str, tuple[tuple[float, int, int], Candidate]] = {}
        for sample in samples:
            needed = len(sample.literal_classes) - sample.literal_count // 2
            if not accept_all and len(sample.literal_classes & classes) < needed:
                continue
            path = self._align(tokens, sample, exact_only=exact_only)
            if path is None:
                continue
            if not accept_all and not self._acceptable(path, sample, strict_builtins):
                continue
            if not accept_all and self._drops_words(path, sample):
                continue
            slot_words = sum(end - start for _, start, end in path.slots)
            key = (
                round(path.score, 6),
                1 if sample.intent == CRISIS_INTENT else 0,
                -slot_words,
            )
            prev = best.get(sample.intent)
            if prev is None or key > prev[0]:
                fills = {
                    name: self._fill(sample.intent, name, tokens, start, end)
                    for name, start, end in path.slots
                }
                cand = Candidate(sample.intent, fills, round(path.score, 3), sample.text)
                best[sample.intent] = (key, cand)
        order = sorted(
            best.values(),
            key=lambda kv: (
                -kv[0][0],
                -kv[0][1],
                -kv[0][2],
                self._intent_order.get(kv[1].intent, 1_000),
            ),
        )
        return [cand for _, cand in order]

    def _drops_words(self, path: _Path, sample: _Sample) -> bool:
        """A short slotless sample of an intent that has slots ("a win", "breathing")
        matched by passing over a whole clause: the words passed over could have been
        that intent's slot, and the safety screen would never hear them ("a win... maybe
        not waking up tomorrow"). A longer one too when it explains less than half of
        what was said ("i'm stressed" inside eleven words about hurting oneself)."""
        return (
            bool(self._slot_types.get(sample.intent))
            and not sample.slot_names
            and path.skipped > 0
            and (sample.literal_count <= 2 or path.skipped_words > sample.literal_count + 2)
        )

    @staticmethod
    def _acceptable(path: _Path, sample: _Sample, strict_builtins: bool) -> bool:
        """Whether an alignment is close enough to count as saying the sample."""
        lits = sample.literal_count
        if lits == 0:  # a bare "{slot}" (slot elicitation samples only)
            return True
        if path.matched == 0 or path.score <= 0:
            return False
        builtin = sample.intent.startswith("AMAZON.")
        deletions = path.deleted + path.deleted_filler
        if path.deleted > lits // 3 or deletions > lits // 2 or (builtin and deletions):
            return False
        if not path.loose:
            return True
        if strict_builtins and builtin:
            return False
        if path.open_misses:
            return False
        # "what's the cricket score" is not "what's our score"
        if path.owner_swapped:
            return False
        if path.gained < _COVERAGE * (lits + len(sample.slot_names)):
            return False
        if builtin and (path.skipped or path.ins_other > 1):
            return False
        # a sample of common words alone ("let's do it") may only gain fillers
        if path.content_exact == 0 and (
            sample.has_content or deletions or path.ins_other or path.soft or path.skipped
        ):
            return False
        if path.ins_other > max(2, path.matched // 2):
            return False
        if path.ins_filler + path.ins_other > path.matched + 3:
            return False
        return not (path.skipped and (path.deleted or path.matched < 2))

    # ----------------------------------------------------------------- alignment

    def _align(self, tokens: _Tokens, sample: _Sample, *, exact_only: bool) -> _Path | None:
        """Highest-scoring alignment of sample with the whole utterance (dynamic
        programming over (sample position, utterance position))."""
        words = tokens.words
        elems = sample.elems
        n, m = len(words), len(elems)
        slot_types = self._slot_types.get(sample.intent, {})
        neg = float("-inf")
        loose = not exact_only
        # best[i][j]: score of matching elems[i:] against words[j:]
        best = [[neg] * (n + 1) for _ in range(m + 1)]
        step: list[list[tuple[str, int] | None]] = [[None] * (n + 1) for _ in range(m + 1)]
        slot_scores: dict[tuple[int, int, int], float] = {}
        best[m][n] = 0.0
        if loose:
            for j in range(n - 1, -1, -1):
                best[m][j] = best[m][j + 1] - _ins_cost(words[j])
                step[m][j] = ("ins", j + 1)
                if -_skip_cost(n - j) > best[m][j]:  # a trailing clause: "... before bed"
                    best[m][j] = -_skip_cost(n - j)
                    step[m][j] = ("skip", n)
        for i in range(m - 1, -1, -1):
            elem = elems[i]
            for j in range(n, -1, -1):
                top = neg
                choice: tuple[str, int] | None = None
                if loose and j < n and best[i][j + 1] > neg:
                    top = best[i][j + 1] - _ins_cost(words[j])
                    choice = ("ins", j + 1)
                if elem.literal is not None:
                    if j < n and best[i + 1][j + 1] > neg:
                        g = _gain(elem.literal, words[j])
                        if (g == 1.0 or (g > 0 and loose)) and best[i + 1][j + 1] + g > top:
                            top = best[i + 1][j + 1] + g
                            choice = ("lit", j + 1)
                    cost = _DELETE_FILLER if elem.literal in _FILLERS else _DELETE
                    if (
                        loose
                        and elem.literal not in _NEGATIONS  # "not safe" never means "safe"
                        and best[i + 1][j] > neg
                        and best[i + 1][j] - cost > top
                    ):
                        top = best[i + 1][j] - cost
                        choice = ("del", j)
                else:
                    slot_type = slot_types.get(elem.slot or "", SEARCH_QUERY)
                    for k in range(j + 1, min(n, j + self._max_slot_words(slot_type, n)) + 1):
                        if best[i + 1][k] == neg:
                            continue
                        s = self._slot_score(slot_type, words[j:k])
                        if s is None:
                            continue
                        slot_scores[(i, j, k)] = s
                        if best[i + 1][k] + s > top:
                            top = best[i + 1][k] + s
                            choice = ("slot", k)
                best[i][j] = top
                step[i][j] = choice
        # a leading clause may be skipped whole: "we had a rough day but ..."
        start, total = 0, best[0][0]
        if loose:
            for j in range(2, n):
                if best[0][j] > neg and best[0][j] - _skip_cost(j) > total:
                    start, total = j, best[0][j] - _skip_cost(j)
        if total == neg:
            return None
        path = _Path(total)
        if start:
            path.skipped += 1
            path.skipped_words += start
        slots: list[tuple[str, int, int]] = []
        i, j = 0, start
        said_other_thing = False  # "the" followed by an extra word, or a clause passed over
        left_out_owner = False
        last_ins = ""
        while i < m or j < n:
            move = step[i][j]
            if move is None:  # pragma: no cover - unreachable for a finite score
                return None
            kind, nj = move
            if kind == "ins":
                if last_ins == "the" and words[j] not in _FILLERS:
                    said_other_thing = True
                if words[j] in _FILLERS:
                    path.ins_filler += 1
                else:
                    path.ins_other += 1
            elif kind == "skip":
                path.skipped += 1
                path.skipped_words += nj - j
                said_other_thing = said_other_thing or "the" in words[j:nj]
            elif kind == "lit":
                literal = elems[i].literal or ""
                g = _gain(literal, words[j])
                path.gained += g
                path.matched += 1
                if g < 1.0:
                    path.soft += 1
                elif literal not in _STOPWORDS:
                    path.content_exact += 1
                i += 1
            elif kind == "del":
                literal = elems[i].literal or ""
                left_out_owner = left_out_owner or literal in ("our", "my")
                if literal in _FILLERS:
                    path.deleted_filler += 1
                    path.gained -= _DELETE_FILLER
                else:
                    path.deleted += 1
                    path.gained -= _DELETE
                i += 1
            else:
                name = elems[i].slot or ""
                slots.append((name, j, nj))
                score = slot_scores[(i, j, nj)]
                if score > 0:  # a resolved or parsed value carries meaning
                    path.content_exact += 1
                    path.gained += 1.0
                elif slot_types.get(name, SEARCH_QUERY) == SEARCH_QUERY:
                    path.gained += 1.0
                elif slot_types.get(name, SEARCH_QUERY) in self._types:
                    path.open_misses += 1
                i += 1
            last_ins = words[j] if kind == "ins" else ""
            j = nj
        path.slots = tuple(slots)
        path.owner_swapped = said_other_thing and left_out_owner
        return path

    @staticmethod
    def _max_slot_words(slot_type: str, n: int) -> int:
        if slot_type == SEARCH_QUERY:
            return n
        if slot_type in (NUMBER, TIME):
            return 7
        if slot_type == DURATION:
            return 10
        return 5

    def _slot_score(self, slot_type: str, words: Sequence[str]) -> float | None:
        size = len(words)
        if slot_type == SEARCH_QUERY:
            return -0.01 * size
        if slot_type == NUMBER:
            value = parse_number(words)
            if value is None:
                return None
            return 0.3 - 0.01 * size
        if slot_type == DURATION:
            return None if parse_duration(words) is None else 0.3 - 0.01 * size
        if slot_type == TIME:
            return None if parse_time(words) is None else 0.3 - 0.01 * size
        table = self._types.get(slot_type)
        if table is None:  # another built-in list type: any short phrase
            return -0.1 * size
        key = self._er_key(" ".join(words))
        if key in table:
            return 1.0 - 0.01 * size
        if self._lookup(table, key) is not None:  # matched after trimming "the", "breathing"
            return 0.4 - 0.01 * size
        return -0.3 * size

    def _fill(self, intent: str, name: str, tokens: _Tokens, start: int, end: int) -> SlotFill:
        slot_type = self._slot_types.get(intent, {}).get(name, SEARCH_QUERY)
        spoken = tokens.span_text(start, end)
        words = tokens.words[start:end]
        value: str | None = spoken
        if slot_type == NUMBER:
            number = parse_number(words)
            value = None if number is None else str(number)
        elif slot_type == DURATION:
            value = parse_duration(words)
        elif slot_type == TIME:
            value = parse_time(words)
        return SlotFill(name, value, self.resolve_value(slot_type, spoken))

    # ----------------------------------------------------------------- entity resolution

    @staticmethod
    @cache
    def _er_key(text: str) -> str:
        out: list[str] = []
        for w in _tokens(text).words:
            if w.isdigit():
                out.extend(_DIGIT_WORDS[int(d)] for d in w)
            else:
                out.append(w)
        return " ".join(out)

    _ER_TRIM_HEAD = ("the", "a", "an", "some", "that", "this")
    _ER_TRIM_TAIL = ("breathing", "breath", "breaths", "pattern", "method", "technique")

    def _lookup(self, table: Mapping[str, _TypeValue], spoken: str) -> _TypeValue | None:
        key = self._er_key(spoken)
        if key in table:
            return table[key]
        words = key.split()
        while words and words[0] in self._ER_TRIM_HEAD:
            words = words[1:]
        if " ".join(words) in table:
            return table[" ".join(words)]
        while words and words[-1] in self._ER_TRIM_TAIL:
            words = words[:-1]
        trimmed = " ".join(words)
        if trimmed in table:
            return table[trimmed]
        if trimmed.endswith("s") and trimmed[:-1] in table:
            return table[trimmed[:-1]]
        return None


# --------------------------------------------------------------------------- invocation

_LAUNCH_VERBS: tuple[tuple[str, ...], ...] = (
    ("open",),
    ("open", "up"),
    ("start",),
    ("launch",),
    ("begin",),
    ("load",),
    ("run",),
    ("play",),
    ("use",),
    ("talk", "to"),
    ("speak", "to"),
    ("go", "to"),
)
_ONESHOT_VERBS: tuple[tuple[str, ...], ...] = (("ask",), ("tell",))
_CONNECTORS = frozenset({"to", "for", "that", "about", "if", "whether", "and"})
_TRAILING = frozenset({"using", "with", "from", "on", "in", "via"})


def split_invocation(utterance: str, invocation_name: str) -> tuple[str, str | None]:
    """Split what a person says to Alexa into how the skill is reached.

    ("launch", None) for "open resilient together", "start ...", "launch ...",
    "talk to ..."; ("oneshot", rest) for "ask resilient together to breathe",
    "tell resilient together that we had a win", "open resilient together and ...",
    "start breathing with resilient together" (rest: the request after the connecting
    word to/for/that/about/if/whether/and, if any); ("utterance", text) otherwise.
    A leading "alexa", punctuation and case are ignored."""
    words = _clean(utterance)
    # a leading wake word, but never the whole answer ("okay" to "shall we breathe?")
    while len(words) > 1 and words[0] in ("alexa", "hey", "ok", "okay", "echo"):
        words = words[1:]
    name = _clean(invocation_name)
    at = _find(words, name) if name else -1
    if at < 0:
        return "utterance", " ".join(words)
    prefix, suffix = words[:at], words[at + len(name) :]
    if not prefix and not suffix:
        return "launch", None
    if tuple(prefix) in _ONESHOT_VERBS or tuple(prefix) in _LAUNCH_VERBS:
        if not suffix:
            return "launch", None
        if suffix[0] in _CONNECTORS:
            suffix = suffix[1:]
        if suffix and suffix[0] == "please":
            suffix = suffix[1:]
        return ("oneshot", " ".join(suffix)) if suffix else ("launch", None)
    if not suffix and len(prefix) >= 2 and prefix[-1] in _TRAILING:
        return "oneshot", " ".join(prefix[:-1])
    return "utterance", " ".join(words)


def _find(words: Sequence[str], name: Sequence[str]) -> int:
    for i in range(len(words) - len(name) + 1):
        if list(words[i : i + len(name)]) == list(name):
            return i
    return -1
