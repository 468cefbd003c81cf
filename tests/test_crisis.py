"""Crisis routing: the right helpline for every locale, from the intent or from words in
any captured slot, whatever was running; the session stays open for the number again;
words never stored; near-misses not routed."""

from __future__ import annotations

import pytest

from skill.content import load
from skill.store.sqlite import SqliteStore
from tests.conftest import Talk, fixture_envelope
from tests.helpers import household_key, spoke

HELPLINES = {
    "en-US": "988",
    "en-CA": "988",
    "en-GB": "116 123",
    "en-AU": "13 11 14",
    "en-IN": "14416",
}


@pytest.mark.parametrize(("locale", "number"), HELPLINES.items())
def test_crisis_intent_gives_the_locales_helpline(talk: Talk, locale: str, number: str) -> None:
    result = talk(locale=locale).say("ask resilient together I want to end my life")
    assert result.intent == "CrisisIntent"
    assert spoke(result.ssml, "crisis", locale)
    assert number in result.speech
    assert "emergency" in result.speech
    assert result.card is not None and number.replace(" ", "") in result.card["content"].replace(
        " ", ""
    ).replace("-", "")
    assert result.end_session is False and result.reprompt  # the number can be heard again
    assert not spoke(result.ssml, "menu", locale)


@pytest.mark.parametrize(
    "said",
    [
        "I'm grateful for nothing, I want to kill myself",
        "i don't want to be alive anymore",
        "that I keep thinking about suicide",
    ],
)
def test_crisis_words_in_a_captured_answer_are_routed_and_never_stored(
    talk: Talk, store: SqliteStore, said: str
) -> None:
    convo = talk(locale="en-GB")
    convo.say("open resilient together")
    convo.say("let's do a gratitude moment")
    result = convo.say(said)
    assert spoke(result.ssml, "crisis", "en-GB")
    assert "116 123" in result.speech
    snap = store.read(household_key())
    assert snap.int("count.gratitude") == 0
    assert store.entries(household_key(), "gratitude", now=convo.clock(), limit=10) == []


@pytest.mark.parametrize("locale", list(HELPLINES))
def test_danger_now_puts_the_emergency_number_first_on_the_card(talk: Talk, locale: str) -> None:
    content = load(locale)
    result = talk(locale=locale).say("ask resilient together my husband is not breathing")
    assert spoke(result.ssml, "crisis_urgent", locale)
    assert result.card is not None
    body = result.card["content"]
    number = content.emergency_text
    assert number and number in body and content.helpline_text in body
    assert body.index(number) < body.index(content.helpline_text)


def test_crisis_stops_a_running_exercise(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    convo.say("let's do box breathing for five minutes")
    result = convo.say("I want to hurt myself")
    assert result.intent == "CrisisIntent" and spoke(result.ssml, "crisis")
    assert result.end_session is False
    assert convo.session is not None
    assert convo.session.attributes.get("state") == "crisis"
    assert "breath" not in convo.session.attributes


@pytest.mark.parametrize("locale", list(HELPLINES))
def test_near_misses_are_not_crises(talk: Talk, locale: str) -> None:
    near_misses = load(locale).near_misses
    assert len(near_misses) >= 10
    for example in near_misses:
        assert example.why, example.text  # each says why it is not a crisis
        result = talk(locale=locale).say(f'@CelebrateWinIntent "win={example.text}"')
        assert not spoke(result.ssml, "crisis", locale), example.text
        assert result.intent == "CelebrateWinIntent"


def test_ordinary_phrases_do_not_resolve_to_the_crisis_intent(talk: Talk) -> None:
    for phrase in ("I killed it at my interview", "we did a dead lift"):
        result = talk().say(f"ask resilient together {phrase}")
        assert result.intent != "CrisisIntent", phrase
        assert not spoke(result.ssml, "crisis")


def test_crisis_in_a_real_search_query_envelope(talk: Talk) -> None:
    """The captured en-GB AMAZON.SearchQuery envelope, re-pointed at our gratitude slot."""
    from skill.core.skill import Skill

    envelope = fixture_envelope("intent-search-query.json")
    intent = envelope["request"]["intent"]
    intent["name"] = "GratitudeIntent"
    slot = intent["slots"].pop("prompt")
    slot["name"] = "gratitude"
    slot["value"] = "honestly I want to end it all"
    intent["slots"] = {"gratitude": slot}
    skill = talk().skill
    assert isinstance(skill, Skill)
    out = skill.invoke(envelope)
    ssml = out["response"]["outputSpeech"]["ssml"]
    assert spoke(ssml, "crisis", "en-GB") and "116 123" in ssml
