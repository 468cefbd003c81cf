"""The skill on what Alexa really sends: the captured envelopes in tests/fixtures/alexa-requests
(sources in SOURCES.md there), as captured and re-pointed at our intents with their
structure kept (slots, resolutions, dialog state, viewports)."""

from __future__ import annotations

from typing import Any

import pytest

from skill.core.skill import InvalidRequest, Skill
from skill.store.sqlite import SqliteStore
from tests.conftest import FIXTURES, fixture_envelope
from tests.helpers import household_key, spoke

EXAMPLE_HOUSEHOLD = household_key("EXAMPLE_ACCOUNT_ID")


def speech(out: dict[str, Any]) -> str | None:
    return ((out.get("response") or {}).get("outputSpeech") or {}).get("ssml")


def test_every_fixture_is_here_with_its_sources() -> None:
    names = sorted(p.name for p in FIXTURES.glob("*.json"))
    assert len(names) == 10
    sources = (FIXTURES / "SOURCES.md").read_text()
    for name in names:
        assert name in sources


@pytest.mark.parametrize("name", ["launch-echo.json", "launch-echo-show.json"])
def test_captured_launches(skill: Skill, name: str) -> None:
    out = skill.invoke(fixture_envelope(name))
    assert spoke(speech(out), "launch_first")
    assert out["response"]["shouldEndSession"] is False
    assert out["sessionAttributes"]["state"] == "menu"


@pytest.mark.parametrize(
    ("name", "locale"),
    [
        ("intent-search-query.json", "en-GB"),
        ("intent-entity-resolution.json", "en-US"),
        ("dialog-started.json", "en-US"),
    ],
)
def test_intents_of_other_skills_get_the_fallback(skill: Skill, name: str, locale: str) -> None:
    out = skill.invoke(fixture_envelope(name))
    assert spoke(speech(out), "fallback", locale)
    assert out["response"]["shouldEndSession"] is False


def test_entity_resolution_structure_picks_the_breathing_pattern(skill: Skill) -> None:
    envelope = fixture_envelope("intent-entity-resolution.json")
    intent = envelope["request"]["intent"]
    slot = intent["slots"].pop("product")
    slot["name"] = "pattern"
    slot["value"] = "square"
    authority = slot["resolutions"]["resolutionsPerAuthority"][0]
    authority["authority"] = authority["authority"].rsplit(".", 1)[0] + ".BreathingPattern"
    authority["values"][0]["value"] = {"name": "box", "id": "box"}
    intent["name"] = "BreatheIntent"
    intent["slots"] = {"pattern": slot}
    out = skill.invoke(envelope)
    assert "box breathing" in (speech(out) or "")


def test_search_query_structure_captures_a_win(skill: Skill, store: SqliteStore) -> None:
    envelope = fixture_envelope("intent-search-query.json")
    intent = envelope["request"]["intent"]
    slot = intent["slots"].pop("prompt")
    slot["name"] = "win"
    intent["name"] = "CelebrateWinIntent"
    intent["slots"] = {"win": slot}
    out = skill.invoke(envelope)
    assert spoke(speech(out), "win_milestone_first", "en-GB")
    assert out["response"]["card"]["content"] == "The weather in the UK"  # said back, no filler
    assert store.read(EXAMPLE_HOUSEHOLD).int("count.win") == 1


def test_session_ended_is_silent(skill: Skill) -> None:
    out = skill.invoke(fixture_envelope("session-ended-user-initiated.json"))
    assert speech(out) is None


def test_skill_disabled_erases_the_household(skill: Skill, store: SqliteStore) -> None:
    launch = skill.invoke(fixture_envelope("launch-echo.json"))
    assert launch["response"]["shouldEndSession"] is False
    assert store.count_rows(EXAMPLE_HOUSEHOLD) == 2  # the profile and the launch's marker
    out = skill.invoke(fixture_envelope("skill-event-disabled.json"))
    assert speech(out) is None and out.get("sessionAttributes") is None
    assert store.count_rows(EXAMPLE_HOUSEHOLD) == 0


@pytest.mark.parametrize(
    "name",
    [
        "skill-event-account-linked.json",
        "skill-event-permission-accepted.json",
        "skill-event-permission-changed.json",
    ],
)
def test_other_skill_events_are_acknowledged_silently(
    skill: Skill, store: SqliteStore, name: str
) -> None:
    out = skill.invoke(fixture_envelope(name))
    assert speech(out) is None
    assert store.count_rows(EXAMPLE_HOUSEHOLD) == 0


@pytest.mark.parametrize(
    "broken",
    [[], "launch", {"version": "1.0"}, {"request": "LaunchRequest"}, {"request": {"type": None}}],
)
def test_what_is_not_an_envelope_is_refused_before_any_handler(skill: Skill, broken: Any) -> None:
    with pytest.raises(InvalidRequest):
        skill.invoke(broken)
