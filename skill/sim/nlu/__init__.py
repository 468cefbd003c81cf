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

No I/O except reading the interaction model file and the language pack. The package:
``types`` (what it answers), ``words`` (the language packs), ``text`` (normalising),
``numbers`` (numbers, durations, times), ``model`` (matching), ``invocation``.
"""

from __future__ import annotations

from skill.sim.nlu.invocation import split_invocation
from skill.sim.nlu.model import Nlu
from skill.sim.nlu.numbers import parse_duration, parse_number, parse_time
from skill.sim.nlu.text import BUILTIN_PHRASES, normalize
from skill.sim.nlu.types import (
    DEFAULT_SKILL_ID,
    ER_MATCH,
    ER_NO_MATCH,
    FALLBACK_INTENT,
    Candidate,
    Parse,
    Resolution,
    SlotFill,
)

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
