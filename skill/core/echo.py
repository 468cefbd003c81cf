"""The household's words said back to them: in the second person, without the words
that only carried the answer, capitalised, short enough to hear once.

"um that i got a seven in my maths mock" -> "You got a seven in your maths mock".
The words of the language are data (``[echo]`` in ``capture.toml``); this module only
applies them. No I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from skill.content import Content, plain_words

SPOKEN_WORDS = 24  # longer answers are shortened when said back ("…")


@dataclass(frozen=True)
class EchoWords:
    carriers: tuple[str, ...] = ()  # plain words, longest first
    flips: tuple[tuple[str, str], ...] = ()
    agree: tuple[tuple[str, str], ...] = ()
    second_person: frozenset[str] = frozenset()
    capitals: tuple[tuple[str, str], ...] = ()
    endings: tuple[str, ...] = ()  # plain words, longest first
    noise: frozenset[str] = frozenset()  # never words of an answer, dropped wherever they are
    keep_at_end: frozenset[str] = frozenset()  # carriers that end an answer ("it went well")
    asides: tuple[str, ...] = ()  # dropped wherever they are ("her, i guess, that she got up")


def words_of(content: Content) -> EchoWords:
    return EchoWords(
        content.echo_carriers,
        content.echo_flips,
        content.echo_agree,
        content.echo_second_person,
        content.echo_capitals,
        content.echo_endings,
        content.echo_noise,
        content.echo_keep_at_end,
        content.echo_asides,
    )


def drop_asides(tokens: list[str], words: EchoWords) -> list[str]:
    """``tokens`` without the asides ("i guess", "for sure"), when words remain."""
    plain = [plain_words(t) for t in tokens]
    keep = [True] * len(tokens)
    for aside in words.asides:  # longest first
        size = len(aside.split())
        for start in range(len(tokens) - size + 1):
            if all(keep[start : start + size]) and " ".join(plain[start : start + size]) == aside:
                keep[start : start + size] = [False] * size
    kept = [t for t, k in zip(tokens, keep, strict=True) if k]
    return kept if kept else tokens


def strip_trailing(text: str, words: EchoWords) -> str:
    """``text`` without what only closed it: one-word carriers ("... um honestly") and
    endings ("..., thank you", "... that's a win")."""
    tokens = text.split()
    singles = {c for c in words.carriers if " " not in c} - words.keep_at_end
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        plain = [plain_words(t) for t in tokens]
        if plain[-1] in singles:
            tokens.pop()
            changed = True
            continue
        for ending in words.endings:
            size = len(ending.split())
            if size < len(tokens) and " ".join(plain[-size:]) == ending:
                tokens = tokens[:-size]
                changed = True
                break
    return " ".join(tokens).rstrip(" ,;:")


def strip_carriers(text: str, words: EchoWords) -> str:
    """``text`` without the words at its start that only carried the answer."""
    tokens = text.split()
    changed = True
    while changed and tokens:
        changed = False
        plain = [plain_words(t) for t in tokens]
        for carrier in words.carriers:
            size = len(carrier.split())
            if size < len(tokens) and " ".join(plain[:size]) == carrier:
                tokens = tokens[size:]
                changed = True
                break
    return " ".join(tokens)


def second_person(text: str, words: EchoWords) -> str:
    """First person turned to the second ("my" -> "your", "we" -> "you"), unless the
    words already speak to someone."""
    tokens = text.split()
    plain = [plain_words(t) for t in tokens]
    if any(p in words.second_person for p in plain):
        return text
    flips = dict(words.flips)
    out = []
    for token, bare in zip(tokens, plain, strict=True):
        flipped = flips.get(bare)
        if flipped is None:
            out.append(token)
            continue
        tail = token[len(token.rstrip(",.!?;:")) :]  # keep the punctuation after it
        out.append(flipped + tail)
    said = " ".join(out)
    padded = f" {said} "
    for wrong, right in words.agree:
        padded = padded.replace(f" {wrong} ", f" {right} ")
    return padded.strip()


def echo(text: str, words: EchoWords, *, limit: int = SPOKEN_WORDS) -> str:
    """The words said back: carriers gone, second person, capitalised, at most
    ``limit`` words (then an ellipsis)."""
    kept = [t for t in text.split() if plain_words(t) not in words.noise] or text.split()
    kept = drop_asides(kept, words)
    said = strip_trailing(strip_carriers(" ".join(kept), words), words)
    said = second_person(said.rstrip(" ,"), words)
    capitals = dict(words.capitals)
    said = " ".join(capitals.get(t, t) for t in said.split())
    tokens = said.split()
    if len(tokens) > limit:
        said = " ".join(tokens[:limit]).rstrip(",.;:") + "…"
    said = said.rstrip(" .")
    return said[:1].upper() + said[1:] if said else said
