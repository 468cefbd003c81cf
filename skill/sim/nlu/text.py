"""Words as spoken, normalised for matching: case, punctuation, contractions, spellings;
the built-in intents' phrases and the filler, courtesy and stop words (all from the
language pack, skill/content/<lang>/sim.toml)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from skill.sim.nlu.words import ENGLISH as W

#: Usual phrases of the built-in intents (Alexa trains these itself; the simulator needs
#: a table). Keep them free of the custom intents' samples.
BUILTIN_PHRASES: dict[str, tuple[str, ...]] = {
    k: tuple(v) for k, v in W.table("builtin_phrases").items()
}


#: What an answer to a slot elicitation may still be, instead of the slot's value.
_ELICIT_ESCAPES = W.set("elicit_escapes")


_CONTRACTIONS: dict[str, str] = W.strings("contractions")


#: Spelling variants folded to one form (exact equivalents).
_SPELLING: dict[str, str] = W.strings("spelling")


#: Words that often differ between how people speak and the samples without changing the
#: request: a match counts a little less than an exact one.
_SOFT_GROUPS: tuple[tuple[str, ...], ...] = W.groups("soft_groups")


_SOFT_CLASS: dict[str, str] = {w: group[0] for group in _SOFT_GROUPS for w in group}


_SOFT_GAIN = 0.75


#: Words people add around a request; an extra one of these costs little.
_FILLERS = W.set("fillers")
# Words that start again before an elicited answer ("no, wait, six"): dropped, with the
# fillers, when the answer alone does not match the slot.
_RESTARTS = W.set("restarts")


#: Words said around a built-in request ("hang on a sec", "no thanks mate", "stop it
#: now please") that change nothing about it.
_COURTESY = W.set("courtesy")


#: Words too common to carry a request on their own.
_STOPWORDS = W.set("stopwords")


#: Words a sample may never lose in a loose match.
_NEGATIONS = W.set("negations")


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
