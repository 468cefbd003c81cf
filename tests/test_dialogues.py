"""Every dialogue, end to end through the one ``invoke`` (via the offline simulator).

Given a household and a day, when they say something, then the skill answers with the
right content key, keeps or closes the session, and stores exactly what it should.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from skill.store.sqlite import SqliteStore
from tests.conftest import Clock, Talk
from tests.helpers import household_key, spoke

START = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # the clock fixture's start


def well_formed(ssml: str | None) -> None:
    assert ssml is not None
    ElementTree.fromstring(ssml)  # raises on malformed XML


# --- launch ------------------------------------------------------------------------------
def test_first_launch_explains_and_offers_then_returning_household_is_welcomed_back(
    talk: Talk, store: SqliteStore, clock: Clock
) -> None:
    first = talk().say("open resilient together")
    assert spoke(first.ssml, "launch_first")
    assert first.end_session is False and first.reprompt
    assert store.read(household_key()).str("seen.first")

    clock.advance(hours=2)
    again = talk().say("open resilient together")
    assert spoke(again.ssml, "launch_return")
    assert not spoke(again.ssml, "launch_first")
    assert again.end_session is False and again.reprompt


def test_launch_mentions_the_streak_when_there_is_one(talk: Talk, clock: Clock) -> None:
    talk().say("open resilient together")
    for _ in range(3):
        talk().say("ask resilient together to celebrate that we went for a walk")
        clock.advance(days=1)
    result = talk().say("open resilient together")
    assert spoke(result.ssml, "launch_return_streak")
    assert "3" in result.speech


# --- breathing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("utterance", "pattern_name"),
    [
        ("let's do box breathing", "box breathing"),
        ("let's do some square breathing", "box breathing"),
        ("do four seven eight breathing", "four seven eight breathing"),
        ("let's try cyclic sighing", "cyclic sighing"),
        ("breathe with us", "slow, even breathing"),
    ],
)
def test_breathing_picks_the_pattern_by_name_or_synonym_with_a_default(
    talk: Talk, utterance: str, pattern_name: str
) -> None:
    convo = talk()
    convo.say("open resilient together")
    result = convo.say(utterance)
    assert result.intent == "BreatheIntent", result.considered[:3]
    assert pattern_name in result.speech
    assert spoke(result.ssml, "breathe_intro")
    well_formed(result.ssml)


def test_breathing_runs_over_turns_and_counts_once(talk: Talk, store: SqliteStore) -> None:
    convo = talk()
    convo.say("open resilient together")
    first = convo.say("let's do box breathing for three minutes")
    assert spoke(first.ssml, "breathe_continue")
    assert first.end_session is False and first.reprompt
    assert store.read(household_key()).int("count.breathe") == 1

    second = convo.say("yes")
    assert not spoke(second.ssml, "breathe_intro")
    assert "<break" in (second.ssml or "")
    turns = 2
    while spoke(second.ssml, "breathe_continue"):
        second = convo.say("yes")
        turns += 1
    assert spoke(second.ssml, "breathe_done")
    assert second.end_session is True
    assert turns == 3  # three minutes, about a minute a round
    assert store.read(household_key()).int("count.breathe") == 1


def test_breathing_can_be_paused_resumed_and_stopped(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    convo.say("let's do resonance breathing for five minutes")
    paused = convo.say("pause")
    assert spoke(paused.ssml, "breathe_paused") and paused.end_session is False
    resumed = convo.say("resume")
    assert spoke(resumed.ssml, "breathe_resumed")
    assert "<break" in (resumed.ssml or "")
    stopped = convo.say("stop")
    assert spoke(stopped.ssml, "breathe_stopped") and stopped.end_session is True


def test_saying_no_to_another_round_ends_kindly(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    convo.say("let's do box breathing for four minutes")
    result = convo.say("no")
    assert spoke(result.ssml, "breathe_stopped") and result.end_session is True


@pytest.mark.parametrize(("asked", "used"), [("twenty", "10"), ("zero", "1")])
def test_minutes_outside_the_range_are_said_and_adjusted(talk: Talk, asked: str, used: str) -> None:
    convo = talk()
    convo.say("open resilient together")
    result = convo.say(f"let's do box breathing for {asked} minutes")
    assert result.intent == "BreatheIntent"
    assert spoke(result.ssml, "breathe_minutes_adjusted")
    assert used in result.speech


def test_pause_and_resume_with_nothing_running(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    assert spoke(convo.say("pause").ssml, "pause_nothing")
    assert spoke(convo.say("resume").ssml, "resume_nothing")


# --- gratitude -----------------------------------------------------------------------------
def test_gratitude_one_shot_reflects_and_stores(talk: Talk, store: SqliteStore) -> None:
    result = talk().say("ask resilient together I'm grateful for my sister's phone call")
    assert result.intent == "GratitudeIntent"
    assert spoke(result.ssml, "gratitude_reflect")
    assert "sister" in result.speech
    assert result.end_session is True
    entries = store.entries(household_key(), "gratitude", now=START, limit=5)
    assert [e.text for e in entries] == [result.slots["gratitude"]]


def test_gratitude_question_then_answer_fills_the_slot(talk: Talk, store: SqliteStore) -> None:
    convo = talk()
    convo.say("open resilient together")
    asked = convo.say("let's do a gratitude moment")
    assert asked.intent == "GratitudeIntent"
    assert spoke(asked.ssml, "gratitude_ask")
    assert asked.directives and asked.directives[0]["type"] == "Dialog.ElicitSlot"
    answer = convo.say("the way we laughed at dinner")
    assert answer.intent == "GratitudeIntent"
    assert answer.slots["gratitude"] == "the way we laughed at dinner"
    assert spoke(answer.ssml, "gratitude_reflect")
    assert store.read(household_key()).int("count.gratitude") == 1


def test_user_words_are_escaped_in_ssml(talk: Talk) -> None:
    result = talk().say('@GratitudeIntent "gratitude=tea & toast <b>together</b>"')
    well_formed(result.ssml)
    assert "&amp;" in (result.ssml or "") and "<b>" not in (result.ssml or "")
    assert "tea & toast" in result.speech.lower()  # said back, capitalised


# --- wins -------------------------------------------------------------------------------------
def test_wins_are_celebrated_with_milestones(talk: Talk, store: SqliteStore) -> None:
    keys = []
    for n in range(1, 11):
        result = talk().say(f'@CelebrateWinIntent "win=we finished chapter {n}"')
        assert result.card and f"chapter {n}" in result.card["content"]
        assert result.end_session is True
        if n == 1:
            keys.append(spoke(result.ssml, "win_milestone_first"))
        elif n in (5, 10):
            keys.append(spoke(result.ssml, "win_milestone") and str(n) in result.speech)
        else:
            keys.append(spoke(result.ssml, "win_celebrate"))
    assert all(keys)
    assert store.read(household_key()).int("count.win") == 10


def test_win_asked_for_then_captured(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    asked = convo.say("we want to celebrate a win")
    assert asked.intent == "CelebrateWinIntent" and spoke(asked.ssml, "win_ask")
    got = convo.say("my son went back to school after a hard month")
    assert got.slots["win"] == "my son went back to school after a hard month"
    assert spoke(got.ssml, "win_milestone_first")


# --- reflection -------------------------------------------------------------------------------
def test_reflection_is_the_same_all_day_and_repeat_works(talk: Talk, clock: Clock) -> None:
    convo = talk()
    convo.say("open resilient together")
    first = convo.say("what's today's reflection")
    assert first.intent == "ReflectionIntent" and spoke(first.ssml, "reflection_today")
    assert first.card and first.card["content"] in first.speech
    clock.advance(hours=3)
    again = talk().say("ask resilient together for today's reflection")
    assert spoke(again.ssml, "reflection_again")
    assert again.card == first.card
    convo = talk()
    convo.say("open resilient together")
    convo.say("help")
    repeated = convo.say("say that again")
    assert repeated.ssml is not None and spoke(repeated.ssml, "help")
    # After the session closed, "repeat" brings back today's reflection.
    later = talk().say("ask resilient together to repeat that")
    assert later.intent == "AMAZON.RepeatIntent"
    assert spoke(later.ssml, "reflection_again") and later.card == first.card
    clock.advance(days=1)
    assert spoke(talk().say("ask resilient together to repeat that").ssml, "nothing_to_repeat")


# --- progress and recall ----------------------------------------------------------------------
def test_progress_reports_streak_counts_and_week(talk: Talk, clock: Clock) -> None:
    assert spoke(talk().say("ask resilient together how are we doing").ssml, "progress_nothing_yet")
    for day in range(3):
        talk().say('@GratitudeIntent "gratitude=sunshine"')
        if day == 2:
            talk().say('@CelebrateWinIntent "win=a calm morning"')
        clock.advance(days=1)
    clock.advance(days=-1)
    result = talk().say("ask resilient together how are we doing")
    assert spoke(result.ssml, "progress_summary_streak")
    assert "3 gratitudes" in result.speech and "1 win" in result.speech


def test_recall_reads_newest_first(talk: Talk, clock: Clock) -> None:
    for text in ("the first thing", "the second thing", "the third thing", "the fourth thing"):
        talk().say(f'@GratitudeIntent "gratitude={text}"')
        clock.advance(minutes=5)
    result = talk().say("@RecallIntent kind=gratitudes")
    assert spoke(result.ssml, "recall_gratitudes")
    speech = result.speech
    assert speech.index("fourth") < speech.index("third") < speech.index("second")
    assert "first thing" not in speech  # only the last three
    empty = talk().say("@RecallIntent kind=wins")
    assert spoke(empty.ssml, "recall_wins_empty")


def test_entries_expire_after_the_retention(talk: Talk, clock: Clock) -> None:
    talk().say('@GratitudeIntent "gratitude=an old memory"')
    clock.advance(days=91)
    result = talk().say("@RecallIntent kind=gratitudes")
    assert spoke(result.ssml, "recall_gratitudes_empty")


# --- help, delete, built-ins ---------------------------------------------------------------------
def test_find_help(talk: Talk) -> None:
    result = talk().say("ask resilient together how do we find a couples therapist")
    assert result.intent == "FindHelpIntent" and spoke(result.ssml, "find_help")


def test_delete_confirms_first_then_erases_everything(talk: Talk, store: SqliteStore) -> None:
    talk().say('@GratitudeIntent "gratitude=our dog"')
    talk().say('@CelebrateWinIntent "win=we talked it through"')
    convo = talk()
    convo.say("open resilient together")
    asked = convo.say("delete our data")
    assert spoke(asked.ssml, "delete_confirm") and asked.end_session is False
    # the profile, two entries, and the at-most-once markers of the turns that wrote
    rows = store.count_rows(household_key())
    assert rows >= 3
    kept = convo.say("no")
    assert spoke(kept.ssml, "delete_kept")
    assert store.count_rows(household_key()) == rows

    convo = talk()
    convo.say("open resilient together")
    convo.say("delete our data")
    done = convo.say("yes")
    assert spoke(done.ssml, "delete_done") and done.end_session is True
    assert store.count_rows(household_key()) == 0


def test_skill_disabled_event_erases_the_household(talk: Talk, store: SqliteStore) -> None:
    talk().say('@GratitudeIntent "gratitude=our dog"')
    other = talk(household="neighbours")
    other.say('@GratitudeIntent "gratitude=their garden"')
    theirs = store.count_rows(household_key("neighbours"))
    assert theirs == 3  # their profile, their entry, the marker of the turn that wrote
    result = talk().say("@SkillDisabled")
    assert result.ssml is None
    assert store.count_rows(household_key()) == 0
    assert store.count_rows(household_key("neighbours")) == theirs


@pytest.mark.parametrize(
    ("utterance", "key", "open_after"),
    [
        ("help", "help", True),
        ("stop", "goodbye", False),
        ("cancel", "goodbye", False),
        ("go home", "navigate_home", False),
        ("start over", "menu", True),
        ("purple monkey dishwasher", "fallback", True),
    ],
)
def test_built_ins(talk: Talk, utterance: str, key: str, open_after: bool) -> None:
    convo = talk()
    convo.say("open resilient together")
    result = convo.say(utterance)
    assert spoke(result.ssml, key), (result.intent, result.speech)
    assert (result.end_session is False) is open_after
    if open_after:
        assert result.reprompt


def test_yes_and_no_outside_a_question_get_a_gentle_redirect(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    convo.say("help")
    convo.say("purple monkey dishwasher")
    # After a fallback, nothing was asked that yes answers: redirect.
    result = talk().say("@AMAZON.YesIntent")
    assert spoke(result.ssml, "yes_no_unexpected")
    assert result.end_session is False


def test_menu_yes_offers_choices_and_no_says_goodbye(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    assert spoke(convo.say("yes").ssml, "menu")
    assert spoke(convo.say("no").ssml, "goodbye")


def test_session_ended_request_is_silent(talk: Talk) -> None:
    convo = talk()
    convo.say("open resilient together")
    result = convo.say("@SessionEndedRequest EXCEEDED_MAX_REPROMPTS")
    assert result.ssml is None


def test_a_failing_store_gets_a_spoken_apology(talk: Talk, store: SqliteStore) -> None:
    import sqlite3

    talk().say("open resilient together")
    conn = sqlite3.connect(store.path)
    conn.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        result = talk().say('@CelebrateWinIntent "win=we made it"')
    finally:
        conn.rollback()
        conn.close()
    assert spoke(result.ssml, "store_error")
    assert result.end_session is True
    assert store.read(household_key()).int("count.win") == 0


def test_a_filler_is_not_saved_and_the_question_is_asked_again(
    talk: Talk, store: SqliteStore
) -> None:
    convo = talk()
    convo.say("open resilient together")
    convo.say("let's do a gratitude moment")
    again = convo.say("um")
    assert spoke(again.ssml, "gratitude_empty") and again.end_session is False
    assert again.directives and again.directives[0]["type"] == "Dialog.ElicitSlot"
    saved = convo.say("my brother's phone call")
    assert spoke(saved.ssml, "gratitude_reflect")
    assert [e.text for e in store.entries(household_key(), "gratitude", now=START, limit=5)] == [
        "my brother's phone call"
    ]
    # Outside the question, a filler is not a miss: the question is asked ("a win i guess").
    win = talk().say('@CelebrateWinIntent "win=I don\'t know"')
    assert spoke(win.ssml, "win_ask") and win.end_session is False
    assert store.read(household_key()).int("count.win") == 0


def test_start_over_during_a_question_is_not_taken_as_the_answer(
    talk: Talk, store: SqliteStore
) -> None:
    convo = talk()
    convo.say("open resilient together")
    convo.say("let's do a gratitude moment")
    result = convo.say("start over")
    assert result.intent == "AMAZON.StartOverIntent" and spoke(result.ssml, "menu")
    assert store.read(household_key()).int("count.gratitude") == 0


def test_a_repeated_question_still_takes_the_answer(talk: Talk, store: SqliteStore) -> None:
    convo = talk()
    convo.say("open resilient together")
    asked = convo.say("let's do a gratitude moment")
    again = convo.say("say that again")
    assert again.intent == "AMAZON.RepeatIntent"
    assert again.ssml == asked.ssml
    assert again.directives and again.directives[0]["type"] == "Dialog.ElicitSlot"
    answer = convo.say("the smell of rain")
    assert answer.slots["gratitude"] == "the smell of rain"
    assert spoke(answer.ssml, "gratitude_reflect")
    assert store.read(household_key()).int("count.gratitude") == 1
