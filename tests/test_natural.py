"""The tuned natural-speech sets, played in the state each row is said in: nothing is
ever saved or erased that should not be, and every row does what the person meant but
the misses written down here (each a known gap, in the set's own words). A row that
starts failing fails the test; a known miss that starts passing fails it too, so the
list stays true. ``natural_holdout2.tsv`` is never tuned on and not asserted: ``make
natural-report`` reports it (docs/understanding.md)."""

from __future__ import annotations

import pytest

from tests.natural_eval import play, read_set

KNOWN_MISSES: dict[str, set[tuple[str, str, str]]] = {
    "natural.tsv": {
        ("en-US", "oneshot", "ask resilient together for a different reflection"),
        ("en-GB", "oneshot", "ask resilient together for another reflection question"),
        ("en-GB", "oneshot", "open resilient together um i'm having a proper rubbish day"),
        ("en-AU", "oneshot", "tell resilient together it's been a rough trot lately"),
        ("en-GB", "menu", "can we have a go at the breathing for ninety seconds"),
        ("en-CA", "menu", "we've got a win actually"),
        ("en-CA", "menu", "sorry what were the options"),
        ("en-CA", "gratitude_question", "actually never mind"),
        ("en-US", "breathing", "i'm getting kind of panicky this isn't helping"),
        ("en-AU", "after_reflection", "that one's a bit heavy got another"),
        ("en-US", "delete_confirm", "uh hang on no"),
        ("en-AU", "after_crisis", "i'd rather see a psych not a hotline"),
        ("en-CA", "after_crisis", "i'd like to breathe with you for a minute"),
        ("en-CA", "after_crisis", "what else can you do"),
        ("en-US", "after_support", "no i just needed to say it"),
        ("en-US", "after_support", "can we do longer like five minutes"),
    },
    "natural_holdout.tsv": {  # tuned on from its third measurement (docs/understanding.md)
        ("en-IN", "oneshot", "tell resilient together start sighing breathing for sixty seconds"),
        (
            "en-IN",
            "oneshot",
            "tell resilient together we achieved something today my father walked without support",
        ),
        ("en-US", "gratitude_question", "he hasn't had a bad night in a week"),
        ("en-GB", "breathing", "ta very much"),
        ("en-CA", "paused", "ready again"),
        ("en-AU", "after_reflection", "got a different question for us"),
        ("en-GB", "after_reflection", "lovely thanks"),
        ("en-AU", "after_crisis", "i'm alright just flat"),
        ("en-GB", "after_support", "i'm still not right"),
    },
}


@pytest.mark.parametrize("name", sorted(KNOWN_MISSES))
def test_tuned_natural_set(name: str) -> None:
    report = play(read_set(name))
    wrong = [(o.row.state, o.row.utterance, o.row.meaning) for o in report.wrongly_kept()]
    assert wrong == [], f"saved or erased what should not have been: {wrong}"
    missed = {(o.row.locale, o.row.state, o.row.utterance) for o in report.outcomes if not o.ok}
    assert missed - KNOWN_MISSES[name] == set(), "rows that stopped doing what was meant"
    assert KNOWN_MISSES[name] - missed == set(), "known misses that now pass: take them out"
