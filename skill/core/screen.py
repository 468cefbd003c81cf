"""The safety screen: is a piece of text a crisis, distress, or neither? No I/O.

Every word of a language lives in the language pack (``skill/content/<lang>/crisis.toml``);
this module only knows the template grammar and how to match it. The same templates give
the interaction models their CrisisIntent and EmergencyIntent samples (:func:`expand`), so
what Alexa is trained on and what the skill screens for cannot drift apart.

Template grammar (one line, words separated by spaces)::

    word          that word, after normalisation ("i'm" is already "i am")
    @concept      any phrase of a named concept from the pack's [concepts] table
    (a b|c|)      alternatives; an empty one makes the group optional
    ...           a gap of up to GAP words (screen only; samples drop it)
    %name         one word that can be a person's first name ("kai is not safe")
    ^  $          the start / the end of the clause ("i have got a plan $")

How text is screened (``Screen.check``):

1. normalised: lower case, curly quotes straightened, the pack's contractions expanded
   ("can't" -> "can not", "gonna" -> "going to"), tokenised on Unicode letters and digits,
   the pack's fillers ("um", "honestly") dropped;
2. split into sentences (. ! ? ;) and clauses (the pack's contrast words: "but");
3. every family rule is tried in every clause. A ``seq`` rule matches its words in order;
   an ``all`` rule matches when each of its parts appears somewhere in the clause, in any
   order ("all my pills ... i am thinking of taking them");
4. a match inside an ordinary phrase (the pack's ``[[ordinary]]`` near-misses: "killed it
   at", "dying to", "cut my hair myself") does not count;
5. a match that a negator governs ("i am not going to kill myself", "i would never hurt
   myself") is *negated*, unless the same sentence goes on with a contrast ("... but i
   keep thinking about it").

6. when no family matched, the pack's ``[signals]`` net: kinds of phrases that are not a
   crisis alone ("the bridge", "tonight", "a note", "will not wake up") each add their
   weight once per utterance (across its sentences); a negated phrase or one inside an
   ordinary phrase adds nothing, and kinds with a negative weight (fiction, recovery)
   take away. ``crisis_at`` or more is a crisis (the family of the heaviest kind, urgent
   when an urgent kind was found), ``support_at`` or more is care.

The verdict is the strongest level found: ``crisis`` (any family of [[crisis]]; marked
``urgent`` when a family with ``urgent = true`` matched: danger now, such as someone
not waking up after pills, when the emergency number must come first),
``support`` (distress, or a negated crisis: decided so that "I'm not suicidal, just
exhausted" is met with care and still hears that the crisis line is there), or ``none``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GAP = 4
CRISIS = "crisis"
SUPPORT = "support"
NONE = "none"
PLAIN = "plain"  # how a rule matched: plainly, only where negated, or only in the past
NEGATED = "negated"
PAST = "past"
SIGNALS = "signals"  # the family of care given on signals that did not add up to a crisis

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_SENTENCE = re.compile(r"[.!?;]+")


class TemplateError(ValueError):
    """A template in a language pack cannot be read (unknown concept, unbalanced group)."""


# --- templates ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    kind: str  # "word" | "seq" | "alt" | "gap" | "name" | "ref"
    word: str = ""
    parts: tuple[Node, ...] = ()


def parse(template: str) -> Node:
    """A template as a tree; concept references stay unresolved (``ref`` nodes)."""
    tokens = re.findall(r"\(|\)|\||\.\.\.|[^\s()|]+", template.lower())
    pos = 0

    def alternatives() -> Node:
        nonlocal pos
        options = [sequence()]
        while pos < len(tokens) and tokens[pos] == "|":
            pos += 1
            options.append(sequence())
        return options[0] if len(options) == 1 else Node("alt", parts=tuple(options))

    def sequence() -> Node:
        nonlocal pos
        items: list[Node] = []
        while pos < len(tokens) and tokens[pos] not in ("|", ")"):
            tok = tokens[pos]
            pos += 1
            if tok == "(":
                items.append(alternatives())
                if pos >= len(tokens) or tokens[pos] != ")":
                    raise TemplateError(f"unbalanced '(' in {template!r}")
                pos += 1
            elif tok == "...":
                items.append(Node("gap"))
            elif tok == "%name":
                items.append(Node("name"))
            elif tok in ("^", "$"):
                items.append(Node("start" if tok == "^" else "end"))
            elif tok.startswith("@"):
                items.append(Node("ref", word=tok[1:]))
            else:
                items.append(Node("word", word=tok))
        return items[0] if len(items) == 1 else Node("seq", parts=tuple(items))

    tree = alternatives()
    if pos != len(tokens):
        raise TemplateError(f"unexpected {tokens[pos]!r} in {template!r}")
    return tree


def resolve(node: Node, concepts: Mapping[str, Node], seen: tuple[str, ...] = ()) -> Node:
    """The tree with every ``@concept`` replaced by the concept's own tree."""
    if node.kind == "ref":
        if node.word not in concepts:
            raise TemplateError(f"unknown concept @{node.word}")
        if node.word in seen:
            raise TemplateError(f"concept @{node.word} refers to itself")
        return resolve(concepts[node.word], concepts, (*seen, node.word))
    if node.parts:
        return Node(node.kind, node.word, tuple(resolve(p, concepts, seen) for p in node.parts))
    return node


# --- matching ----------------------------------------------------------------------------
def first_words(node: Node, table: dict[int, frozenset[str] | None]) -> frozenset[str] | None:
    """The words a match of ``node`` can start with; None when it can start anywhere or
    match nothing at all (a gap, a name, an optional group). Filled into ``table`` by
    node id for every node below, so matching skips a node at a word it cannot start
    with."""
    key = id(node)
    if key in table:
        return table[key]
    out: frozenset[str] | None
    if node.kind == "word":
        out = frozenset({node.word})
    elif node.kind == "alt":
        parts = [first_words(p, table) for p in node.parts]
        out = None
        if all(p is not None for p in parts):
            out = frozenset(w for p in parts if p is not None for w in p)
    elif node.kind == "seq":
        out = None
        for part in node.parts:
            if part.kind in ("start", "end"):
                continue  # zero-width: the next part decides
            out = first_words(part, table)  # None (anywhere) for a gap, a name, an option
            break
        for part in node.parts:
            first_words(part, table)
    else:  # gap, name, start, end
        out = None
    table[key] = out
    return out


class _Matcher:
    """Where a tree can end when it starts at a token (memoised per clause)."""

    def __init__(
        self,
        tokens: Sequence[str],
        not_names: frozenset[str],
        firsts: Mapping[int, frozenset[str] | None],
    ) -> None:
        self.tokens = tokens
        self.not_names = not_names
        self.firsts = firsts
        self._memo: dict[tuple[int, int], frozenset[int]] = {}

    def ends(self, node: Node, start: int) -> frozenset[int]:
        first = self.firsts.get(id(node))
        if first is not None and (start >= len(self.tokens) or self.tokens[start] not in first):
            return _NOWHERE
        key = (id(node), start)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = frozenset(self._ends(node, start))
        return hit

    def _ends(self, node: Node, start: int) -> Iterable[int]:
        tokens = self.tokens
        if node.kind == "word":
            return [start + 1] if start < len(tokens) and tokens[start] == node.word else []
        if node.kind == "gap":
            return range(start, min(start + GAP, len(tokens)) + 1)
        if node.kind == "start":
            return [start] if start == 0 else []
        if node.kind == "end":
            return [start] if start == len(tokens) else []
        if node.kind == "name":
            if start >= len(tokens) or tokens[start] in self.not_names:
                return []
            if start > 0 and tokens[start - 1] in self.not_names:
                return []  # "the road is not safe": a determiner, not a name
            return [start + 1]
        if node.kind == "alt":
            return {end for part in node.parts for end in self.ends(part, start)}
        positions = {start}
        for part in node.parts:  # seq
            positions = {end for pos in positions for end in self.ends(part, pos)}
            if not positions:
                break
        return positions

    def spans(self, node: Node) -> Iterator[tuple[int, int]]:
        for start in range(len(self.tokens)):
            ends = self.ends(node, start)
            if ends:
                yield start, max(ends)


_NOWHERE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Rule:
    family: str
    level: str  # CRISIS | SUPPORT
    parts: tuple[Node, ...]  # one part: in order; several: all of them, any order
    text: str
    urgent: bool = False  # danger now: the emergency number comes first


@dataclass(frozen=True)
class Signal:
    """One kind of risk signal: phrases that are not a crisis alone but add up ("the
    bridge" + "again tonight"; "the kids would be better" + "without her")."""

    kind: str
    family: str
    weight: int
    parts: tuple[Node, ...]
    urgent: bool = False
    clears_past: bool = False  # "i used to self harm ... five years clean": a win


@dataclass(frozen=True)
class Signals:
    """The net under the families: distinct kinds found in one utterance add their
    weights; ``crisis_at`` or more is a crisis, ``support_at`` or more is care."""

    kinds: tuple[Signal, ...] = ()
    crisis_at: int = 0
    support_at: int = 0


@dataclass(frozen=True)
class Verdict:
    level: str
    family: str | None = None
    negated: bool = False
    urgent: bool = False

    @property
    def crisis(self) -> bool:
        return self.level == CRISIS

    @property
    def support(self) -> bool:
        return self.level == SUPPORT


CLEAR = Verdict(NONE)


@dataclass(frozen=True)
class Pack:
    """The words the screen needs, from a language pack."""

    replacements: tuple[tuple[str, str], ...]
    suffixes: tuple[tuple[str, str], ...]
    fillers: frozenset[str]
    contrasts: frozenset[str]
    negators: frozenset[str]
    governed: frozenset[str]  # words a negator may stand across ("not *going to* die")
    not_names: frozenset[str]
    # Phrases that put what follows in the past ("i used to think about ending it"): met
    # with care like a negation, but a contrast after them does not make it a crisis.
    past: tuple[tuple[str, ...], ...] = ()


@dataclass
class Screen:
    pack: Pack
    rules: tuple[Rule, ...]
    ordinary: tuple[Node, ...]
    signals: Signals = field(default_factory=Signals)
    _cache: dict[str, Verdict] = field(default_factory=dict, repr=False)
    _firsts: dict[int, frozenset[str] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for rule in self.rules:
            for part in rule.parts:
                first_words(part, self._firsts)
        for node in self.ordinary:
            first_words(node, self._firsts)
        for signal in self.signals.kinds:
            for node in signal.parts:
                first_words(node, self._firsts)

    def normalise(self, text: str) -> str:
        text = unicodedata.normalize("NFC", text).lower()
        text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
        text = f" {text} "
        for old, new in self.pack.replacements:
            text = re.sub(rf"(?<![\w']){re.escape(old)}(?![\w'])", new, text)
        for old, new in self.pack.suffixes:  # "kai's" -> "kai s"
            text = re.sub(rf"(?<=\w){re.escape(old)}(?![\w'])", new, text)
        return text.replace("'", "")

    def check(self, text: str | None) -> Verdict:
        if not text or not text.strip():
            return CLEAR
        hit = self._cache.get(text)
        if hit is None:
            hit = self._check(text)
            if len(self._cache) < 4096:
                self._cache[text] = hit
        return hit

    def check_all(self, texts: Iterable[str | None]) -> Verdict:
        """The strongest verdict over several texts (every slot of a request)."""
        best = CLEAR
        for text in texts:
            verdict = self.check(text)
            if _rank(verdict) > _rank(best):
                best = verdict
        return best

    def _check(self, text: str) -> Verdict:
        best = CLEAR
        every: list[str] = []
        for sentence in _SENTENCE.split(self.normalise(text)):
            words = [t for t in _TOKEN.findall(sentence) if t not in self.pack.fillers]
            every.extend(words)
            verdict = self._sentence(words)
            if _rank(verdict) > _rank(best):
                best = verdict
        if best.level != CRISIS and len(every) > 1:
            # An `all` rule holds across the sentences of one utterance too ("i relapsed.
            # on my arms"): people speak in fragments.
            verdict = self._clause(every, multi_part_only=True)
            if verdict.level == CRISIS:
                return verdict
        if best.level != CRISIS and not best.negated and every:
            verdict = self._signals(every)
            if _rank(verdict) > _rank(best):
                return verdict
        if best.level == CRISIS and not best.urgent and self._urgent(every):
            # A crisis with danger now in it ("... walked out with the car keys"): the
            # emergency number comes first.
            return Verdict(CRISIS, best.family, urgent=True)
        if best.family == PAST and every and self._clears_past(every):
            return CLEAR
        return best

    def _urgent(self, words: list[str]) -> bool:
        """An urgent signal kind (a body that will not wake, someone out of reach, violence
        now) found, plainly, anywhere in the utterance."""
        return self._any_kind(words, lambda signal: signal.urgent)

    def _clears_past(self, words: list[str]) -> bool:
        """A crisis only in the past, said with recovery words ("i used to self harm and
        today i am five years clean"), is a milestone to celebrate, not a call for care."""
        return self._any_kind(words, lambda signal: signal.clears_past)

    def _any_kind(self, words: list[str], which: Callable[[Signal], bool]) -> bool:
        """A phrase of a signal kind ``which`` picks, found plainly in ``words``."""
        matcher = _Matcher(words, self.pack.not_names, self._firsts)
        covered = self._ordinary_spans(matcher)
        return any(
            self._match(matcher, (node,), covered) == PLAIN
            for signal in self.signals.kinds
            if which(signal)
            for node in signal.parts
        )

    def _signals(self, words: list[str]) -> Verdict:
        """The signal net over the whole utterance (people speak in fragments): each kind
        counts once, a negated or ordinary match not at all."""
        net = self.signals
        if not net.kinds:
            return CLEAR
        matcher = _Matcher(words, self.pack.not_names, self._firsts)
        covered = self._ordinary_spans(matcher)
        found = [
            signal
            for signal in net.kinds
            if any(self._match(matcher, (node,), covered) == PLAIN for node in signal.parts)
        ]
        score = sum(s.weight for s in found)
        if score >= net.crisis_at:
            top = max(found, key=lambda s: s.weight)
            return Verdict(CRISIS, top.family, urgent=any(s.urgent for s in found))
        if score >= net.support_at:
            return Verdict(SUPPORT, SIGNALS)
        return CLEAR

    def _sentence(self, words: list[str]) -> Verdict:
        clauses: list[list[str]] = [[]]
        for word in words:
            if word in self.pack.contrasts and clauses[-1]:
                clauses.append([])
            clauses[-1].append(word)
        best = CLEAR
        negated_at: int | None = None
        for index, clause in enumerate(clauses):
            verdict = self._clause(clause)
            if verdict.negated and verdict.family != PAST and negated_at is None:
                negated_at = index
            if _rank(verdict) > _rank(best):
                best = verdict
        # "I'm not going to do anything, but I keep thinking about it": a contrast after a
        # negated crisis takes the negation back.
        if best.negated and negated_at is not None and negated_at < len(clauses) - 1:
            return Verdict(CRISIS, best.family)
        return best

    def _clause(self, words: list[str], *, multi_part_only: bool = False) -> Verdict:
        matcher = _Matcher(words, self.pack.not_names, self._firsts)
        covered = self._ordinary_spans(matcher)
        best = CLEAR
        for rule in self.rules:
            if multi_part_only and len(rule.parts) < 2:
                continue
            found = self._match(matcher, rule.parts, covered)
            if found is None:
                continue
            if found != PLAIN:
                if rule.level == CRISIS:
                    family = PAST if found == PAST else rule.family
                    verdict = Verdict(SUPPORT, family, negated=True)
                else:
                    continue  # "I'm not struggling" is not distress
            else:
                verdict = Verdict(rule.level, rule.family, urgent=rule.urgent)
            if _rank(verdict) > _rank(best):
                best = verdict
                if best.urgent:
                    return best
        return best

    def _ordinary_spans(self, matcher: _Matcher) -> list[tuple[int, int]]:
        return [span for node in self.ordinary for span in matcher.spans(node)]

    def _match(
        self, matcher: _Matcher, parts: Sequence[Node], covered: list[tuple[int, int]]
    ) -> str | None:
        """How the parts (all of them, any order) match outside ordinary phrases: None,
        PLAIN, or only NEGATED or only in the PAST."""
        outcome = PLAIN
        for part in parts:
            spans = _outermost([s for s in matcher.spans(part) if not _inside(s, covered)])
            if not spans:
                return None
            kinds = {self._governed(matcher.tokens, start) for start, _ in spans}
            if None not in kinds:
                outcome = NEGATED if NEGATED in kinds else PAST
        return outcome

    def _governed(self, tokens: Sequence[str], start: int) -> str | None:
        """NEGATED: a negator before ``start`` with only governed words between; PAST: a
        past marker there instead; None: neither."""
        pos = start - 1
        while pos >= 0 and tokens[pos] in self.pack.governed:
            if self._past_ends_at(tokens, pos + 1):
                return PAST
            pos -= 1
        if pos >= 0 and tokens[pos] in self.pack.negators:
            return NEGATED
        return PAST if self._past_ends_at(tokens, pos + 1) else None

    def _past_ends_at(self, tokens: Sequence[str], end: int) -> bool:
        return any(end >= len(p) and tuple(tokens[end - len(p) : end]) == p for p in self.pack.past)


def _drop(node: Node, fillers: frozenset[str]) -> Node:
    """The tree without filler words: one in a sequence is left out ("really rough" is
    "rough"); an alternative that is only a filler is dropped, so "(just|already) took"
    does not become "took" on its own."""
    if node.kind == "word" and node.word in fillers:
        return Node("seq")
    if node.kind == "alt":
        kept = [p for p in node.parts if not (p.kind == "word" and p.word in fillers)]
        return Node("alt", parts=tuple(_drop(p, fillers) for p in kept or [Node("seq")]))
    if node.parts:
        return Node(node.kind, node.word, tuple(_drop(p, fillers) for p in node.parts))
    return node


def _inside(span: tuple[int, int], covered: list[tuple[int, int]]) -> bool:
    """The match ends inside an ordinary phrase it overlaps ("cut myself" in "cut myself
    a slice", "there is no way out" in "no way out of this car park"); a match that goes
    on past the phrase ("suicide prevention number") still counts."""
    start, end = span
    return any(start < e and s < end <= e for s, e in covered)


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans not inside a longer one: "think about ending it", not its tail "about
    ending it" (a negation or a past marker governs the whole)."""
    return [
        (s, e)
        for s, e in spans
        if not any((s2, e2) != (s, e) and s2 <= s and e <= e2 for s2, e2 in spans)
    ]


def _rank(verdict: Verdict) -> int:
    if verdict.level == CRISIS:
        return 4 if verdict.urgent else 3
    if verdict.level == SUPPORT:
        return 1 if verdict.negated else 2
    return 0


# --- building from a pack ------------------------------------------------------------------
def build(data: Mapping[str, Any]) -> Screen:
    """A screen from a parsed crisis.toml; TemplateError when it does not hold together."""
    words = data.get("words", {})
    concepts_raw = data.get("concepts", {})
    raw = {name: parse(str(t)) for name, t in concepts_raw.items()}
    concepts = {name: resolve(node, raw, (name,)) for name, node in raw.items()}

    fillers = frozenset(map(str, words.get("fillers", [])))

    def compile_(template: str) -> Node:
        # The text loses its fillers before matching, so templates lose them too
        # ("really rough" matches "really rough" and "rough").
        return _drop(resolve(parse(template), concepts), fillers)

    rules: list[Rule] = []
    for level, table in ((CRISIS, "crisis"), (SUPPORT, "support")):
        for family in data.get(table, []):
            fid = str(family["id"])
            urgent = bool(family.get("urgent", False))
            for text in family.get("seq", []):
                rules.append(Rule(fid, level, (compile_(str(text)),), str(text), urgent))
            for group in family.get("all", []):
                parts = tuple(compile_(str(t)) for t in group)
                rules.append(Rule(fid, level, parts, " & ".join(map(str, group)), urgent))
    if not any(r.level == CRISIS for r in rules):
        raise TemplateError("no crisis rules")
    ordinary = tuple(
        compile_(str(o["phrase"])) for o in data.get("ordinary", []) if o.get("phrase")
    )
    pack = Pack(
        replacements=tuple(
            sorted(
                ((str(k), str(v)) for k, v in words.get("replace", {}).items()),
                key=lambda kv: -len(kv[0]),
            )
        ),
        suffixes=tuple((str(k), str(v)) for k, v in words.get("suffixes", {}).items()),
        fillers=fillers,
        contrasts=frozenset(map(str, words.get("contrasts", []))),
        negators=frozenset(map(str, words.get("negators", []))),
        governed=frozenset(map(str, words.get("governed", []))),
        not_names=frozenset(map(str, words.get("not_names", []))),
        past=tuple(tuple(str(p).split()) for p in words.get("past", [])),
    )
    net = data.get("signals", {})
    kinds = tuple(
        Signal(
            str(k["id"]),
            str(k["family"]),
            int(k["weight"]),
            tuple(compile_(str(t)) for t in k.get("phrases", [])),
            bool(k.get("urgent", False)),
            bool(k.get("clears_past", False)),
        )
        for k in net.get("kind", [])
    )
    signals = Signals(kinds, int(net.get("crisis_at", 0)), int(net.get("support_at", 0)))
    if kinds and not 0 < signals.support_at <= signals.crisis_at:
        raise TemplateError("signals need 0 < support_at <= crisis_at")
    return Screen(pack, tuple(rules), ordinary, signals)


# --- samples for the interaction models ------------------------------------------------------
def expand(node: Node, names: Sequence[str], limit: int) -> list[tuple[str, ...]]:
    """Up to ``limit`` word sequences a template stands for, spread across its choices."""
    if node.kind == "word":
        return [(node.word,)]
    if node.kind in ("gap", "start", "end"):
        return [()]
    if node.kind == "name":
        return [(n,) for n in names[:2]] or [()]
    if node.kind == "alt":
        options = [expand(p, names, limit) for p in node.parts]
        out: list[tuple[str, ...]] = []
        for round_ in range(max(len(o) for o in options)):  # interleave: every choice early
            out.extend(o[round_] for o in options if round_ < len(o))
        return _dedupe(out)[:limit]
    combos: list[tuple[str, ...]] = [()]
    for part in node.parts:
        tails = expand(part, names, limit)
        nxt: list[tuple[str, ...]] = [(*c, *t) for t in tails for c in combos]
        combos = _spread(nxt, limit)
    return combos


def _dedupe(items: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(items))


def _spread(items: list[tuple[str, ...]], limit: int) -> list[tuple[str, ...]]:
    items = _dedupe(items)
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


@dataclass(frozen=True)
class SampleSet:
    crisis: tuple[str, ...]
    support: tuple[str, ...]
    urgent: tuple[str, ...] = ()  # the crisis samples of urgent families


def samples(data: Mapping[str, Any], screen: Screen) -> SampleSet:
    """The crisis (and urgent) samples of the pack's families, and its distress samples
    (for the catch-all's values).

    Each family's ``samples`` templates (whole sentences as people say them) are expanded,
    at most ``per_template`` each; every sample must screen at its own level, so a sample
    can never train Alexa towards something the screen would not confirm."""
    words = data.get("words", {})
    names = tuple(map(str, words.get("sample_names", [])))
    per = int(data.get("samples", {}).get("per_template", 12))
    raw = {n: parse(str(t)) for n, t in data.get("concepts", {}).items()}
    concepts = {n: resolve(node, raw, (n,)) for n, node in raw.items()}
    out: dict[str, list[str]] = {CRISIS: [], SUPPORT: [], "urgent": []}
    for level, table in ((CRISIS, "crisis"), (SUPPORT, "support")):
        for family in data.get(table, []):
            bucket = "urgent" if family.get("urgent") else level
            for template in family.get("samples", []):
                tree = resolve(parse(str(template)), concepts)
                for seq in expand(tree, names, per):
                    sample = " ".join(seq)
                    verdict = screen.check(sample)
                    if verdict.level != level or verdict.negated:
                        raise TemplateError(
                            f"sample {sample!r} of {family['id']} screens as {verdict.level}"
                        )
                    if bucket == "urgent" and not verdict.urgent:
                        raise TemplateError(f"sample {sample!r} of {family['id']} is not urgent")
                    out[bucket].append(sample)
    return SampleSet(
        tuple(dict.fromkeys(out[CRISIS])),
        tuple(dict.fromkeys(out[SUPPORT])),
        tuple(dict.fromkeys(out["urgent"])),
    )


@dataclass(frozen=True)
class Example:
    """A near-miss written down with why it is not a crisis (tests hold the screen to it)."""

    text: str
    why: str


def near_misses(data: Mapping[str, Any]) -> tuple[Example, ...]:
    return tuple(
        Example(str(o["example"]), str(o.get("why", "")))
        for o in data.get("ordinary", [])
        if o.get("example")
    )


__all__ = [
    "CLEAR",
    "CRISIS",
    "NONE",
    "SUPPORT",
    "Example",
    "Node",
    "Pack",
    "Rule",
    "SampleSet",
    "Screen",
    "Signal",
    "Signals",
    "TemplateError",
    "Verdict",
    "build",
    "expand",
    "near_misses",
    "parse",
    "samples",
]
