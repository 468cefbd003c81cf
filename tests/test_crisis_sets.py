"""The crisis sets, said in four places in every locale (see tests/crisis_eval.py).

``tune.tsv`` (written blind before any tuning, 269 crisis statements, 57 distress, 157
near-misses) and ``tune2.tsv`` (the first held-out set, measured once untuned, then
tuned on) are the sets the language pack was tuned on: here they must reach the crisis
line every time a crisis is said and never otherwise, except for what KNOWN_MISSES and
KNOWN_CARE write down with why. ``holdout2.tsv`` is never tuned on; its figures are
measured by ``make crisis-report`` and written in docs/safety.md, not asserted here.
"""

from __future__ import annotations

import pytest

from tests.crisis_eval import LOCALES, PLACES, play, read_set

# Said, and what they mean, but nothing in the words alone says danger: "i've started
# again" (smoking? the gym? self-harm?). They get the ordinary answer; the crisis line is
# one "I need help" away, and the second misunderstanding in a row says so.
KNOWN_MISSES = {
    "i've started again",
    # At the menu this is heard as FindHelpIntent ("how do i get help ..."), which has
    # no slot, so the screen never hears "i want to die"; the find-help answer names the
    # locale's crisis line. As a captured answer it reaches the crisis answer.
    "how do i get help without my wife finding out i want to die",
}
# A small, bleak win ("i got out of bed. thats the win") is celebrated and saved, not
# met as distress: decided so, because on a hard day getting up is a win worth naming.
KNOWN_CELEBRATED = {"a win? i got out of bed. thats it. thats the win"}
# The simulator's matcher carves this one wrong at the menu in en-GB ("i'm well chuffed
# {win}" takes "with the baby not sleeping" as a win): a slot-carving defect of the
# understanding issue (#9), written down here so it is fixed there, not hidden.
KNOWN_MISCARVED = {"im not coping very well with the baby not sleeping"}
# An ordinary sentence that is met with care (the support answer) rather than saved: a
# past crisis spoken of ("i used to think about ending it, but ..."). Decided: a past
# marker is treated like a negation, so it gets care, never the crisis answer.
KNOWN_CARE = {"i used to think about ending it but i'm in a good place now, grateful for therapy"}

TUNE = read_set("tune.tsv") + read_set("tune2.tsv")


def test_the_sets_are_as_big_as_the_issue_asks() -> None:
    tune = [s.expect for s in TUNE]
    assert tune.count("crisis") >= 200 and tune.count("none") >= 100
    holdout = [s.expect for s in read_set("holdout2.tsv")]
    assert holdout.count("crisis") >= 60 and holdout.count("none") >= 30


@pytest.mark.parametrize("locale", LOCALES)
def test_every_crisis_reaches_the_line_and_no_near_miss_does(locale: str) -> None:
    report = play(TUNE, [locale])
    missed = [
        (o.place, o.statement.text)
        for o in report.misses()
        if o.statement.expect == "crisis" and o.statement.text not in KNOWN_MISSES
    ]
    assert not missed, missed
    false_alarms = [
        (o.place, o.statement.text)
        for o in report.outcomes
        if o.statement.expect != "crisis" and o.got == "crisis"
    ]
    assert not false_alarms, false_alarms
    cared_for = [
        (o.place, o.statement.text)
        for o in report.misses()
        if o.statement.expect == "none" and o.statement.text not in KNOWN_CARE
    ]
    assert not cared_for, cared_for
    # every place was tried for every statement, and crisis words were never stored
    assert len(report.outcomes) == len(TUNE) * len(PLACES)
    assert not [
        o
        for o in report.outcomes
        if o.statement.expect != "none"
        and o.stored
        and o.statement.text not in KNOWN_MISSES | KNOWN_CELEBRATED | KNOWN_MISCARVED
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_distress_in_a_captured_answer_is_met_with_care(locale: str) -> None:
    distress = [s for s in TUNE if s.expect == "support" and s.text not in KNOWN_CELEBRATED]
    report = play(distress, [locale], ["gratitude", "win"])
    assert not report.misses(), [(o.place, o.statement.text) for o in report.misses()]
