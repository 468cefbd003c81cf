"""Asserting what the skill said by content key, not by wording (variants differ)."""

from __future__ import annotations

import re
from functools import cache

from skill import models
from skill.content import load
from skill.models import FALLBACK_INTENT, LISTEN_INTENT
from skill.sim.nlu import Parse


@cache
def _key_pattern(key: str, locale: str) -> re.Pattern[str]:
    alternatives = []
    for variant in load(locale).variants(key):
        parts = re.split(r"\{[a-z_]+\}", variant)
        alternatives.append(".+?".join(re.escape(p) for p in parts))
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL)


def spoke(ssml: str | None, key: str, locale: str = "en-US") -> bool:
    """True when ``ssml`` contains one of the variants of ``key``."""
    return bool(ssml) and _key_pattern(key, locale).search(ssml or "") is not None


def keys_spoken(ssml: str | None, keys: list[str], locale: str = "en-US") -> list[str]:
    return [k for k in keys if spoke(ssml, k, locale)]


LISTEN = LISTEN_INTENT
HELPLINE_INTENT = "HelplineIntent"
FALLBACK = FALLBACK_INTENT


def answered_as(parse: Parse, locale: str = "en-US") -> str:
    """What the skill will make of a parse (``skill.models.answered_as``)."""
    return models.answered_as(
        parse.intent, (f.value for f in parse.slots.values()), load(locale).screen
    )
