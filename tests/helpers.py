"""Asserting what the skill said by content key, not by wording (variants differ)."""

from __future__ import annotations

import socket

from skill import models
from skill.constants import DEV_SALT
from skill.content import load
from skill.sim import script
from skill.sim.nlu import Parse
from skill.store.base import hash_id


def spoke(ssml: str | None, key: str, locale: str = "en-US") -> bool:
    """True when ``ssml`` contains one of the variants of ``key`` (as dialog scripts
    judge it: :func:`skill.sim.script.spoke`)."""
    return script.spoke(ssml, key, locale)


def keys_spoken(ssml: str | None, keys: list[str], locale: str = "en-US") -> list[str]:
    return [k for k in keys if spoke(ssml, k, locale)]


def answered_as(parse: Parse, locale: str = "en-US") -> str:
    """What the skill will make of a parse (``skill.models.answered_as``)."""
    content = load(locale)
    return models.answered_as(
        parse.intent, (f.value for f in parse.slots.values()), content.screen, content
    )


def free_port() -> int:
    """A port free on 127.0.0.1 now (for a server a test or the bench starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def household_key(name: str = "test") -> str:
    """The store key of the simulated account ``amzn1.ask.account.<name>`` (dev salt)."""
    return hash_id(f"amzn1.ask.account.{name}", salt=DEV_SALT)
