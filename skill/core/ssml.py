"""Building SSML from content variants, and reading it back as plain text.

User words are escaped here and only here (``escape``): ask-sdk-core's ``speak()``
wraps whatever it is given in ``<speak>`` without escaping ``&`` or ``<``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from html import unescape
from xml.sax.saxutils import escape as _xml_escape

from skill.constants import MAX_CAPTURED_CHARS, MAX_CAPTURED_SSML_CHARS
from skill.content import Content

MAX_BREAK_S = 10.0


def escape(text: str) -> str:
    """Text safe to put inside SSML: ``&``, ``<``, ``>`` and quotes escaped."""
    cleaned = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return _xml_escape(cleaned, {'"': "&quot;", "'": "&apos;"})


def clip_text(
    text: str, chars: int = MAX_CAPTURED_CHARS, ssml_chars: int = MAX_CAPTURED_SSML_CHARS
) -> str:
    """Text cut (at a word, when there is one) to ``chars`` characters and ``ssml_chars``
    once escaped for SSML. By default the capture limits
    (:data:`MAX_CAPTURED_CHARS`, :data:`MAX_CAPTURED_SSML_CHARS`): applied when an entry
    is recorded and again when recall reads it back, so entries stored before the
    limit existed are spoken short too. Slots are read with the larger slot limits."""
    if len(text) <= chars and len(escape(text)) <= ssml_chars:
        return text
    cut = text[:chars]
    while len(escape(cut)) > ssml_chars:
        cut = cut[: len(cut) - max(len(cut) // 8, 1)]
    # Mid-word? Back off to the last space, when the cut has one.
    if not text[len(cut) : len(cut) + 1].isspace() and " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip()


def breaks(seconds: float) -> str:
    """Silence of ``seconds`` as SSML breaks, none longer than 10 s."""
    parts = []
    remaining = round(seconds, 3)
    while remaining > 0.05:
        step = min(remaining, MAX_BREAK_S)
        ms = round(step * 1000)
        parts.append(
            f'<break time="{ms // 1000}s"/>' if ms % 1000 == 0 else f'<break time="{ms}ms"/>'
        )
        remaining = round(remaining - step, 3)
    return "".join(parts)


@dataclass
class Voice:
    """Picks variants for one turn: random, never the variant a key used last time.

    ``recent`` maps key -> index of the variant last spoken; it lives in the session
    attributes so a conversation does not repeat itself. ``spoken`` lists the keys this
    turn rendered (speech, reprompt and card), in order: the reply's record of what it
    said, which tests and the simulator assert instead of guessing from wording.
    """

    content: Content
    rng: random.Random
    recent: MutableMapping[str, int] = field(default_factory=dict)
    spoken: list[str] = field(default_factory=list)

    def pick(self, key: str) -> str:
        variants = self.content.variants(key)
        choices = list(range(len(variants)))
        last = self.recent.get(key)
        if len(choices) > 1 and last in choices:
            choices.remove(last)
        index = self.rng.choice(choices)
        self.recent[key] = index
        self.spoken.append(key)
        return variants[index]

    def say(self, key: str, **slots: object) -> str:
        """The SSML fragment for ``key`` with ``slots`` escaped and filled in."""
        template = self.pick(key)
        safe: Mapping[str, str] = {
            name: value if isinstance(value, Markup) else escape(str(value))
            for name, value in slots.items()
        }
        return template.format_map(safe)


class Markup(str):
    """A slot value that is already SSML (composed by code from content), not user text."""


def spoken_list(items: list[str], and_word: str) -> str:
    """ "a, b and c" in the content's language."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + f" {and_word} " + items[-1]


_TAG = re.compile(r"<[^>]+>")
# <alexa:name type="first" personId="amzn1.ask.person.alex"/>: shown as "Alex" in the
# plain view (the simulator names its voices in the id; Alexa says the real name).
_NAME = re.compile(r'<alexa:name type="first" personId="([^"]*)"/>')


def break_seconds(ssml: str) -> float:
    """The seconds of silence the SSML's breaks hold."""
    return sum(
        float(m.group(1)) / (1000 if m.group(2) == "ms" else 1) for m in _BREAK.finditer(ssml)
    )


def person_name(person_id: str) -> Markup:
    """The SSML that makes Alexa say a recognised voice's first name."""
    return Markup(f'<alexa:name type="first" personId="{escape(person_id)}"/>')


_BREAK = re.compile(r'<break time="(\d+(?:\.\d+)?)(s|ms)"/>')


def to_plain(ssml: str) -> str:
    """SSML as readable text: breaks shown as ``[4 s]``, other tags dropped."""
    body = ssml.removeprefix("<speak>").removesuffix("</speak>")

    def pause(match: re.Match[str]) -> str:
        seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
        return f" [{seconds:g} s] "

    # Adjacent breaks (a split long hold) read as one pause.
    def merge(match: re.Match[str]) -> str:
        total = sum(
            float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
            for m in _BREAK.finditer(match.group(0))
        )
        return f" [{total:g} s] "

    body = _NAME.sub(lambda m: m.group(1).rsplit(".", 1)[-1].capitalize(), body)
    body = re.sub(r'(?:<break time="[^"]+"/>\s*){2,}', merge, body)
    body = _BREAK.sub(pause, body)
    body = _TAG.sub("", body)
    text = unescape(body)
    return re.sub(r"\s+", " ", text).strip()
