"""Reading an envelope once, safely: what ``Skill.invoke`` does before any handler runs.

An envelope that passed the verifier is well-formed JSON with a request, but anything
inside may still be wrong: session attributes are echoed back by Alexa from what we
sent, yet a client can send anything (``recent`` null, a list, a number); a slot may be
JSON ``null``; a string may hold a lone surrogate (JSON allows ``"\\ud800"``, UTF-8 does
not). Each is made safe here, so no handler has to check: attributes of the wrong type
are dropped (the conversation starts afresh), null slots are dropped, lone surrogates
become U+FFFD, and captured text is clipped to the capture limit
(``skill.store.base.clip_text``).

The envelope dict is turned into ask-sdk-model objects directly (ask-sdk's serializer
would re-encode the dict as JSON and parse it again), with ``datetime.fromisoformat``
for timestamps instead of dateutil.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

from skill.store.base import clip_text

# json.loads joins a valid surrogate pair into one character: what is left is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")

# Session attributes the handlers read, and the type each must have.
_SESSION_TYPES: dict[str, type] = {
    "state": str,
    "breath": dict,
    "last": dict,
    "question": str,
    "recent": dict,
}


def clean_text(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD (valid UTF-8 after)."""
    if value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


def clean_strings(data: Any) -> Any:
    """Every string in a JSON value made encodable (see :func:`clean_text`)."""
    if isinstance(data, str):
        return clean_text(data)
    if isinstance(data, dict):
        return {clean_text(k): clean_strings(v) for k, v in data.items()}
    if isinstance(data, list):
        return [clean_strings(v) for v in data]
    return data


def clean_session(attributes: object) -> dict[str, Any]:
    """Session attributes with the ones the handlers read of the right shape only."""
    if not isinstance(attributes, dict):
        return {}
    out: dict[str, Any] = {}
    for name, value in attributes.items():
        wanted = _SESSION_TYPES.get(name)
        if wanted is not None and not isinstance(value, wanted):
            continue
        out[name] = value
    recent = out.get("recent")
    if recent is not None:
        out["recent"] = {
            k: v for k, v in recent.items() if isinstance(v, int) and not isinstance(v, bool)
        }
    last = out.get("last")
    if last is not None and not _good_last(last):
        del out["last"]
    return out


def _good_last(last: dict[str, Any]) -> bool:
    elicit = last.get("elicit")
    return (
        isinstance(last.get("speech"), str)
        and isinstance(last.get("reprompt"), str | None)
        and (
            elicit is None
            or (
                isinstance(elicit, list)
                and len(elicit) == 2
                and all(isinstance(e, str) for e in elicit)
            )
        )
    )


def clean_slots(slots: object) -> dict[str, Any] | None:
    """Slots that are objects, with string values clipped to the capture limit."""
    if not isinstance(slots, dict):
        return None
    out: dict[str, Any] = {}
    for name, slot in slots.items():
        if not isinstance(slot, dict):
            continue
        value = slot.get("value")
        if value is not None and not isinstance(value, str):
            slot = {**slot, "value": None}
        elif isinstance(value, str):
            slot = {**slot, "value": clip_text(value)}
        out[name] = slot
    return out


def clean_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    """A copy of the envelope that every handler can read without checking types."""
    env: dict[str, Any] = clean_strings(envelope)
    session = env.get("session")
    if isinstance(session, dict):
        session["attributes"] = clean_session(session.get("attributes"))
    request = env.get("request")
    intent = request.get("intent") if isinstance(request, dict) else None
    if isinstance(intent, dict) and "slots" in intent:
        intent["slots"] = clean_slots(intent["slots"])
    return env


class Serializer(DefaultSerializer):
    """ask-sdk's serializer, reading an already parsed dict, timestamps without dateutil."""

    def from_dict(self, payload: dict[str, Any], obj_type: Any) -> Any:
        deserialize = getattr(self, "_DefaultSerializer__deserialize")  # noqa: B009 - private
        return deserialize(payload, obj_type)

    def _DefaultSerializer__deserialize_datetime(self, payload: str, obj_type: Any) -> Any:
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            parsed = _dateutil(payload)
        return parsed.date() if obj_type is date else parsed

    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:
        return _load_class(class_name)


def _dateutil(payload: str) -> datetime:
    from dateutil.parser import parse  # type: ignore[import-untyped]

    parsed: datetime = parse(payload)
    return parsed


@cache
def _load_class(class_name: str) -> Any:
    module_name, _, name = class_name.rpartition(".")
    module = __import__(module_name, fromlist=[name])
    return getattr(module, name)
