"""Invocation forms: "open resilient together", "ask resilient together to ..."."""

from __future__ import annotations

from collections.abc import Sequence

from skill.sim.nlu.text import _clean
from skill.sim.nlu.words import ENGLISH as W

_LAUNCH_VERBS: tuple[tuple[str, ...], ...] = W.groups("launch_verbs")


_ONESHOT_VERBS: tuple[tuple[str, ...], ...] = W.groups("oneshot_verbs")


_CONNECTORS = W.set("connectors")


_TRAILING = W.set("trailing")


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
