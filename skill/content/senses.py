"""What a reply means by the kinds of words in it, not by its exact phrasing.

The phrase tables of ``capture.toml`` (``[asks]``, ``refusals``, ...) hear the wording
they were written for. A *sense* (``[senses.NAME]``) hears the same request in words
nobody wrote down: "how far along are we" and "when does this finish" are both a
question word and a word about the end, and nothing else that could be an answer.

A sense is heard in a reply when

* each of its ``groups`` has a word or phrase in the reply (whole words),
* none of its ``unless`` words or phrases is in it, and
* when ``bare``: every other word is a *function word* (``[senses] function``: "the",
  "we", "could", "gimme") or one of its ``also`` words. A reply with a word of its own
  ("how long is the drive to nan's") is something else.

The words are data, per language; this module has none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def _phrases(items: Iterable[Any]) -> tuple[tuple[str, ...], ...]:
    """Phrases as word tuples, longest first."""
    split = {tuple(str(p).lower().split()) for p in items}
    return tuple(sorted((p for p in split if p), key=len, reverse=True))


def _spans(words: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> list[range]:
    """Where the phrases occur in ``words`` (longest first, without overlaps)."""
    taken = [False] * len(words)
    found: list[range] = []
    for phrase in phrases:
        size = len(phrase)
        for start in range(len(words) - size + 1):
            if any(taken[start : start + size]):
                continue
            if tuple(words[start : start + size]) == phrase:
                taken[start : start + size] = [True] * size
                found.append(range(start, start + size))
    return found


@dataclass(frozen=True)
class Sense:
    name: str
    groups: tuple[tuple[tuple[str, ...], ...], ...]
    unless: tuple[tuple[str, ...], ...] = ()
    also: frozenset[str] = frozenset()
    bare: bool = False
    states: frozenset[str] | None = None  # None: wherever the caller asks
    negators: frozenset[str] = frozenset()  # before an ``unless`` phrase, it does not veto
    vetoes: bool = False  # its ``unless`` also overrules a phrase table's match (undo)

    def vetoed(self, words: Sequence[str]) -> bool:
        """An ``unless`` phrase is in ``words``, not right after one of ``negators``
        ("keep it" vetoes an undo; "don't keep it" does not)."""
        for span in _spans(words, self.unless):
            before = words[max(0, span.start - 2) : span.start]
            if not any(w in self.negators for w in before):
                return True
        return False

    def heard(self, words: Sequence[str], function: frozenset[str]) -> bool:
        used = [False] * len(words)
        for group in self.groups:
            spans = _spans(words, group)
            if not spans:
                return False
            for span in spans:
                for i in span:
                    used[i] = True
        if self.vetoed(words):
            return False
        if not self.bare:
            return True
        return all(used[i] or w in function or w in self.also for i, w in enumerate(words))


@dataclass(frozen=True)
class Senses:
    function: frozenset[str] = frozenset()
    table: Mapping[str, Sense] = field(default_factory=dict)
    empty: frozenset[str] = frozenset()  # words that alone say nothing ("it", "him", "for that")

    @classmethod
    def read(cls, data: Mapping[str, Any], where: str) -> Senses:
        """``[senses]`` of capture.toml: ``function`` words and one table per sense."""
        function = frozenset(str(w).lower() for w in data.get("function", []))
        empty = frozenset(str(w).lower() for w in data.get("empty", []))
        table: dict[str, Sense] = {}
        for name, spec in data.items():
            if name in ("function", "empty"):
                continue
            if not isinstance(spec, dict) or not spec.get("groups"):
                raise ValueError(f"{where}: [senses.{name}] needs groups")
            states = spec.get("states")
            table[str(name)] = Sense(
                name=str(name),
                groups=tuple(_phrases(g) for g in spec["groups"]),
                unless=_phrases(spec.get("unless", [])),
                also=frozenset(str(w).lower() for w in spec.get("also", [])),
                bare=bool(spec.get("bare", False)),
                states=frozenset(str(s) for s in states) if states is not None else None,
                negators=frozenset(str(w).lower() for w in spec.get("negators", [])),
                vetoes=bool(spec.get("vetoes", False)),
            )
        return cls(function, table, empty)

    def heard(self, plain: str, names: Sequence[str], state: str | None = None) -> str | None:
        """The first of ``names`` heard in ``plain`` (lower-case words), in ``state``."""
        words = plain.split()
        if not words:
            return None
        for name in names:
            sense = self.table.get(name)
            if sense is None:
                continue
            if sense.states is not None and (state or "menu") not in sense.states:
                continue
            if sense.heard(words, self.function):
                return name
        return None

    def content_words(self, plain: str, *extra: Iterable[str]) -> list[str]:
        """The words of ``plain`` that are neither function words nor in ``extra``."""
        allowed = set(self.function)
        for words in extra:
            allowed.update(words)
        return [w for w in plain.split() if w not in allowed]
