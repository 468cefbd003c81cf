"""Matching an utterance against an interaction model's samples: the alignment, slots,
custom slot types with entity resolution, the catch-all and the fallback."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from skill.constants import MODELS_DIR
from skill.sim.nlu.numbers import _DIGIT_WORDS, parse_duration, parse_number, parse_time
from skill.sim.nlu.text import (
    _COURTESY,
    _COVERAGE,
    _DELETE,
    _DELETE_FILLER,
    _ELICIT_ESCAPES,
    _FILLERS,
    _INS_FILLER,
    _INS_OTHER,
    _NEGATIONS,
    _RESTARTS,
    _SOFT_CLASS,
    _SOFT_GAIN,
    _STOPWORDS,
    BUILTIN_PHRASES,
    _Tokens,
    _tokens,
)
from skill.sim.nlu.types import (
    CRISIS_INTENT,
    DEFAULT_SKILL_ID,
    DURATION,
    ER_MATCH,
    ER_NO_MATCH,
    FALLBACK_INTENT,
    NUMBER,
    SEARCH_QUERY,
    TIME,
    Candidate,
    Parse,
    Resolution,
    SlotFill,
)
from skill.sim.nlu.words import ENGLISH


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


_GRAMMAR = ENGLISH.table("grammar")
_ARTICLE = frozenset(_GRAMMAR["article"])  # "the" then a word the sample lacks
_OWNERS = frozenset(_GRAMMAR["owners"])  # "our", "my" left out of a sample
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
            # "um, half five", "actually no, make it six": an answer after a false
            # start, as Alexa hears it once the start is dropped.
            start = 0
            while parse is None and start < len(tokens.words) - 1:
                if tokens.words[start] not in _FILLERS and tokens.words[start] not in _RESTARTS:
                    break
                start += 1
                parse = self._resolve_elicited(_tokens(" ".join(tokens.words[start:])), elicit)
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
                if last_ins in _ARTICLE and words[j] not in _FILLERS:
                    said_other_thing = True
                if words[j] in _FILLERS:
                    path.ins_filler += 1
                else:
                    path.ins_other += 1
            elif kind == "skip":
                path.skipped += 1
                path.skipped_words += nj - j
                said_other_thing = said_other_thing or any(w in _ARTICLE for w in words[j:nj])
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
                left_out_owner = left_out_owner or literal in _OWNERS
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

    _ER_TRIM_HEAD = tuple(_GRAMMAR["trim_head"])
    _ER_TRIM_TAIL = tuple(_GRAMMAR["trim_tail"])

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
