"""The envelope reader: the compiled decoder reads every captured envelope exactly as
ask-sdk's own serializer does (how much faster is measured by ``make bench``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.core.request import Serializer
from skill.core.skill import Skill
from tests.conftest import FIXTURES, fixture_envelope

NAMES = sorted(p.name for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", NAMES)
def test_the_decoder_reads_captured_envelopes_as_ask_sdk_does(name: str) -> None:
    envelope = fixture_envelope(name)
    ours = Serializer().from_dict(envelope, RequestEnvelope)
    theirs = DefaultSerializer().deserialize(json.dumps(envelope), RequestEnvelope)
    assert type(ours.request) is type(theirs.request)
    assert DefaultSerializer().serialize(ours) == DefaultSerializer().serialize(theirs)
    assert ours.request.timestamp == theirs.request.timestamp


@pytest.mark.parametrize("name", NAMES)
def test_responses_serialise_as_ask_sdk_does(name: str, skill: Skill) -> None:
    """Every response the skill gives to the captured envelopes, encoded both ways."""
    envelope = fixture_envelope(name)
    parsed = skill.parse(envelope)
    captured: list[Any] = []
    original = skill._skill.invoke

    def keep(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        captured.append(out)
        return out

    skill._skill.invoke = keep  # type: ignore[method-assign]
    skill.invoke(envelope)
    assert isinstance(parsed, RequestEnvelope) and captured
    assert Serializer().serialize(captured[0]) == DefaultSerializer().serialize(captured[0])
