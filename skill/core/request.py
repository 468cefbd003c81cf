"""Reading an envelope once, safely: what ``Skill.invoke`` does before any handler runs.

An envelope that passed the verifier is well-formed JSON with a request, but anything
inside may still be wrong: session attributes are echoed back by Alexa from what we
sent, yet a client can send anything (``recent`` null, a list, a number); a slot may be
JSON ``null``; a string may hold a lone surrogate (JSON allows ``"\\ud800"``, UTF-8 does
not). Each is made safe here, so no handler has to check: attributes of the wrong type
are dropped (the conversation starts afresh), null slots are dropped, captured text is
clipped to the slot limit (``MAX_SLOT_CHARS``; what is stored is clipped further, to
the capture limit, by the store), and lone surrogates in
any string the model holds become U+FFFD.

The envelope dict is turned into ask-sdk-model objects directly (ask-sdk's serializer
would re-encode the dict as JSON and parse it again), by decoders compiled once per
model class, with ``datetime.fromisoformat`` for timestamps instead of dateutil: about
a third of the time ask-sdk's own deserializer takes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

from skill.constants import MAX_SLOT_CHARS, MAX_SLOT_SSML_CHARS
from skill.core.ssml import clip_text

# json.loads joins a valid surrogate pair into one character: what is left is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")

# Session attributes the handlers read, and the type each must have.
_SESSION_TYPES: dict[str, type] = {
    "state": str,
    "breath": dict,
    "last": dict,
    "question": str,
    "recent": dict,
    "misses": int,
    "urgent": bool,
    "offered": list,
    "pending": str,  # a reminder's time said back, waiting for a yes
    "pending_part": str,  # the part of the day said before its time was asked
    "cared": bool,  # the crisis, support or weariness answer was given in this session
}


def clean_text(value: str) -> str:
    """``value`` with any lone surrogate replaced by U+FFFD (valid UTF-8 after)."""
    if value.isascii():
        return value
    return _SURROGATE.sub("\ufffd", value)


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
            slot = {**slot, "value": clip_text(value, MAX_SLOT_CHARS, MAX_SLOT_SSML_CHARS)}
        out[name] = slot
    return out


def clean_envelope(envelope: dict[str, Any]) -> dict[str, Any]:
    """A copy of the envelope that every handler can read without checking types."""
    env = dict(envelope)
    session = env.get("session")
    if isinstance(session, dict):
        session = env["session"] = dict(session)
    if isinstance(session, dict):
        session["attributes"] = clean_session(session.get("attributes"))
    request = env.get("request")
    intent = request.get("intent") if isinstance(request, dict) else None
    if isinstance(intent, dict) and "slots" in intent:
        intent = {**intent, "slots": clean_slots(intent["slots"])}
        env["request"] = {**request, "intent": intent}  # type: ignore[dict-item]
    return env


class Serializer(DefaultSerializer):
    """ask-sdk's serializer, reading an already parsed dict with a decoder compiled once
    per model class (ask-sdk's own walks the type strings with regular expressions on
    every field of every request), timestamps without dateutil, and every string made
    encodable (:func:`clean_text`) on the way."""

    def from_dict(self, payload: dict[str, Any], obj_type: Any) -> Any:
        return _decoder(obj_type)(payload)

    def serialize(self, obj: Any) -> Any:
        """As ask-sdk's ``serialize`` (None fields left out, enums as values, dates as
        ISO), with each model class's fields looked up once."""
        return _encode(obj)


_PRIMITIVES = (str, int, float, bool, bytes)


def _encode(obj: Any) -> Any:
    if obj is None or isinstance(obj, _PRIMITIVES):
        return obj
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _encode(v) for k, v in obj.items()}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, tuple):
        return tuple(_encode(x) for x in obj)
    if isinstance(obj, Decimal):
        return int(obj) if obj % 1 == 0 else float(obj)
    out = {}
    kind: Any = type(obj)
    for attr, key in _field_names(kind):
        value = getattr(obj, attr)
        if value is not None:
            out[key] = _encode(value)
    return out


@cache
def _field_names(cls: Any) -> tuple[tuple[str, str], ...]:
    types: dict[str, str] = cls.deserialized_types
    names = getattr(cls, "attribute_map", {})
    return tuple((attr, names.get(attr, attr)) for attr in types)


_NATIVE: dict[str, type] = {
    "int": int,
    "long": int,
    "float": float,
    "str": str,
    "bool": bool,
    "date": date,
    "datetime": datetime,
    "object": object,
}
Decoder = Callable[[Any], Any]


def _none_safe(decode: Decoder) -> Decoder:
    def run(payload: Any) -> Any:
        return None if payload is None else decode(payload)

    return run


def _text(payload: Any) -> Any:
    return clean_text(payload) if isinstance(payload, str) else _primitive(str)(payload)


@cache
def _primitive(kind: type) -> Decoder:
    def run(payload: Any) -> Any:
        try:
            return kind(payload)
        except TypeError:
            return payload

    return run


def _moment(kind: type) -> Decoder:
    def run(payload: Any) -> Any:
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            parsed = _dateutil(payload)
        return parsed.date() if kind is date else parsed

    return run


@cache
def _decoder(obj_type: Any) -> Decoder:
    """The decoder for an ask-sdk type (a class, or a type string such as
    ``list[ask_sdk_model.slu...]``), as ask-sdk's DefaultSerializer reads it."""
    if isinstance(obj_type, str):
        if obj_type.startswith("list["):
            item = _decoder(obj_type[5:-1].strip())
            return _none_safe(lambda payload: [item(x) for x in payload])
        if obj_type.startswith("dict("):
            match = re.match(r"dict\(([^,]*), (.*)\)", obj_type)
            if match is None:
                return lambda _payload: {}
            value = _decoder(match.group(2))
            return _none_safe(lambda payload: {k: value(v) for k, v in payload.items()})
        return _decoder(_NATIVE.get(obj_type) or _load_class(obj_type))
    if obj_type is str:
        return _none_safe(_text)
    if obj_type in (int, float, bool, bytes):
        return _none_safe(_primitive(obj_type))
    if obj_type is object:
        return lambda payload: payload
    if obj_type in (date, datetime):
        return _none_safe(_moment(obj_type))
    if isinstance(obj_type, type) and issubclass(obj_type, Enum):
        return _none_safe(obj_type)
    if not hasattr(obj_type, "deserialized_types"):
        return lambda payload: payload
    if hasattr(obj_type, "get_real_child_model"):
        parent = obj_type

        def by_discriminator(payload: Any) -> Any:
            name = parent.get_real_child_model(payload)
            if not name:
                raise ValueError(f"no {parent.__name__} for this discriminator")
            return _fields(_load_class(name))(payload)

        return _none_safe(by_discriminator)
    return _none_safe(_fields(obj_type))


@cache
def _fields(cls: Any) -> Decoder:
    """A model's decoder: each known field by its JSON name, unknown keys kept."""
    types: dict[str, str] = cls.deserialized_types
    names = {**{k: k for k in types}, **getattr(cls, "attribute_map", {})}
    # JSON key -> [attribute, its type, its decoder once looked up (types can nest)].
    by_key: dict[str, list[Any]] = {key: [attr, types[attr], None] for attr, key in names.items()}

    def run(payload: Any) -> Any:
        model = cls()
        for key, value in payload.items():
            field = by_key.get(key)
            if field is None:  # not in the model: kept as it came, as ask-sdk does
                setattr(model, key, value)
                continue
            decode = field[2]
            if decode is None:
                decode = field[2] = _decoder(field[1])
            setattr(model, field[0], decode(value))
        return model

    return run


def _dateutil(payload: str) -> datetime:
    from dateutil.parser import parse  # type: ignore[import-untyped]

    parsed: datetime = parse(payload)
    return parsed


@cache
def _load_class(class_name: str) -> Any:
    module_name, _, name = class_name.rpartition(".")
    module = __import__(module_name, fromlist=[name])
    return getattr(module, name)
