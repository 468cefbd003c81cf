"""Every content variant, in every locale, rendered to SSML: well-formed, no break over
10 s, under 8,000 characters; breathing rounds for every pattern and length too."""

from __future__ import annotations

import re

import pytest

from skill.content import ContentError, _check_speech, load, supported_locales
from skill.content.keys import SPEECH_KEYS
from skill.core.ssml import breaks, to_plain
from skill.lint import check_ssml as check_lint
from skill.lint import lint_content
from tests.conftest import Talk

LOCALES = supported_locales()
BREAK = re.compile(r'<break time="(\d+(?:\.\d+)?)(s|ms)"/>')


def check_ssml(ssml: str) -> None:
    """The linter's checks: well-formed, Alexa tags only, breaks <= 10 s, <= 8,000 chars."""
    assert check_lint(ssml) == [], ssml[:200]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_variant_renders_to_valid_ssml_with_hostile_user_text(locale: str) -> None:
    """Each variant through Voice.say with user text full of & < > and quotes (the
    linter's content rules: slots, XML, tags, breaks, length, escaping)."""
    assert lint_content([locale]) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_decks_and_questions(locale: str) -> None:
    content = load(locale)
    themes = {p.theme for p in content.reflections}
    assert len(content.reflections) >= 60 and len(themes) == 6
    assert {q.theme for q in content.gratitude_questions} == themes
    for prompt in (*content.reflections, *content.gratitude_questions):
        check_ssml(f"<speak>{prompt.text}</speak>")


def test_locales_share_keys_and_have_their_own_helpline() -> None:
    helplines = {locale: to_plain(load(locale).helpline_speech) for locale in LOCALES}
    assert "988" in helplines["en-US"] and "988" in helplines["en-CA"]
    assert "116 123" in helplines["en-GB"]
    assert "13 11 14" in helplines["en-AU"]
    assert "14416" in helplines["en-IN"]
    for locale in LOCALES:
        assert set(load(locale).speech) == set(SPEECH_KEYS)


def test_the_loader_refuses_broken_content() -> None:
    good = {key: list(load("en-US").variants(key)) for key in SPEECH_KEYS}
    for key, bad in [
        ("gratitude_reflect", "Lovely, {gratitud}."),  # unknown slot
        ("gratitude_reflect", "Lovely."),  # required slot missing
        ("goodbye", "Bye & take care."),  # raw ampersand
        ("goodbye", 'Bye <break time="12s"/>'),  # break over 10 s
        ("goodbye", "<audio src='x'/>"),  # a tag we do not allow
    ]:
        speech = {**good, key: [bad]}
        with pytest.raises(ContentError):
            _check_speech(speech, "test")
    missing = dict(good)
    missing.pop("help")
    with pytest.raises(ContentError, match="help"):
        _check_speech(missing, "test")


def test_breaks_split_long_silences() -> None:
    assert breaks(23.5) == '<break time="10s"/><break time="10s"/><break time="3500ms"/>'
    assert to_plain(f"<speak>Hold{breaks(23.5)}out</speak>") == "Hold [23.5 s] out"


@pytest.mark.parametrize("locale", ["en-US", "en-GB"])
@pytest.mark.parametrize("pattern", ["box", "four_seven_eight", "resonance", "cyclic_sigh"])
def test_every_breathing_round_is_valid_and_paced(talk: Talk, locale: str, pattern: str) -> None:
    content = load(locale)
    cycle = content.breathing.patterns[pattern].cycle_seconds
    for minutes in range(1, 11):
        convo = talk(locale=locale)
        result = convo.say(f"@BreatheIntent pattern={pattern} minutes={minutes}")
        silence = 0.0
        rounds = 0
        while True:
            assert result.ssml is not None
            check_ssml(result.ssml)
            silence += sum(
                float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
                for m in BREAK.finditer(result.ssml)
            )
            rounds += 1
            if result.end_session is not False:
                break
            assert result.reprompt
            assert convo.session is not None
            result = convo.say("yes")
        cycles = max(1, round(minutes * 60 / cycle))
        # The whole exercise is within half a cycle of the minutes asked, and most of it
        # is quiet breathing time, not talk.
        assert abs(cycles * cycle - minutes * 60) <= cycle / 2
        assert silence >= 0.5 * cycles * cycle, (minutes, silence)
        assert rounds <= minutes + 1


@pytest.mark.parametrize("locale", supported_locales())
def test_real_answers_are_never_taken_for_refusals_or_mind_changes(locale: str) -> None:
    """Every gratitude and win in the natural-speech tables (written before any tuning)
    is an answer: none is a refusal, a mind change or a filler, so each is saved."""
    from tests.test_locales import load_cases

    content = load(locale)
    answers = [
        value
        for case in load_cases(locale)
        if case.intent in ("GratitudeIntent", "CelebrateWinIntent")
        for value in case.slots.values()
        if value
    ]
    assert len(answers) >= 10
    wrong = [
        a
        for a in answers
        if content.is_refusal(a) or content.is_mind_change(a) or content.is_filler(a)
    ]
    assert not wrong, wrong
