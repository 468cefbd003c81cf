"""The speech contract: every key the skill speaks, and the named slots each may use.

Content files (``skill/content/<lang>/speech.toml`` with per-locale overrides) must
define every key here with one or more variants; a variant may use only the slots
listed for its key, and must use every slot marked required. The loader checks this
at start-up, so a typo in a content file fails the tests, not a household's evening.

Slots are filled with ``{name}``; the renderer escapes whatever it puts in them.
Variants may contain ``<break time="Ns"/>`` (N at most 10) and
``<say-as interpret-as="digits|telephone|cardinal|ordinal">`` and nothing else of SSML.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One speech key: the slots a variant may use, and those it must use."""

    allowed: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()


def _k(allowed: str = "", required: str = "") -> Key:
    return Key(frozenset(allowed.split()), frozenset(required.split()))


SPEECH_KEYS: dict[str, Key] = {
    # --- opening -------------------------------------------------------------
    # First ever visit: what the skill does (one sentence), not medical advice, and the
    # offer of today's reflection or the three practices. Ends with a question.
    "launch_first": _k(),
    # A return visit with no running streak. Ends with the offer (a question).
    "launch_return": _k(),
    # A return visit with a streak of {streak} days (a number, at least 2).
    "launch_return_streak": _k("streak", "streak"),
    # Reprompt after any launch or menu offer.
    "reprompt_menu": _k(),
    # The offer alone (after StartOver, or "yes" to the launch question).
    "menu": _k(),
    "help": _k("patterns", "patterns"),
    "reprompt_help": _k(),
    "goodbye": _k(),
    "navigate_home": _k(),
    "fallback": _k(),
    "reprompt_fallback": _k(),
    # The second misunderstanding in a row: brief, and "if something's wrong, say I need
    # help" before a shorter offer. Never a bare menu.
    "fallback_again": _k(),
    # "Yes" or "no" when nothing was asked.
    "yes_no_unexpected": _k(),
    "nothing_to_repeat": _k(),
    # "Thank you", "cheers": a warm word back, and whatever was open stays open.
    "thanks": _k(),
    # "How long is left?" during breathing: {minutes_left} ("2 minutes"), then the
    # exercise waits as before (ends with the question to go on).
    "breathe_time_left": _k("minutes_left", "minutes_left"),
    # ... when nothing is running.
    "time_left_nothing": _k(),
    # "What kinds of breathing are there?": the {patterns} by name.
    "breathing_kinds": _k("patterns", "patterns"),
    # A different reflection {prompt} on request; when they have had a couple already
    # today, today's {prompt} again, gently.
    "reflection_another": _k("prompt", "prompt"),
    "reflection_enough": _k("prompt", "prompt"),
    # "What was yesterday's question?": yesterday's {prompt}; or there was none.
    "reflection_yesterday": _k("prompt", "prompt"),
    "reflection_yesterday_none": _k(),
    # "What did we say yesterday?": yesterday's gratitudes and wins ({items}, {count}).
    "recall_yesterday": _k("items count", "items"),
    "recall_yesterday_empty": _k(),
    # "Undo that": the gratitude or win just saved is removed; {what} is it, said back.
    "undo_gratitude": _k("what", "what"),
    "undo_win": _k("what", "what"),
    # ... nothing was saved in the last few minutes.
    "undo_nothing": _k(),
    "error": _k(),
    "store_error": _k(),
    # --- breathing -------------------------------------------------------------
    # Before the first round: {pattern} is the pattern's spoken name, {minutes} a
    # phrase like "3 minutes".
    "breathe_intro": _k("pattern minutes", "pattern minutes"),
    # Minutes asked for were out of range: {asked} was asked, {used} is what we do,
    # {low}/{high} the range (numbers).
    "breathe_minutes_adjusted": _k("asked used low high", "used"),
    # Phase cues, spoken at the start of each phase. Short: two to five words.
    "breathe_cue_in": _k(),
    "breathe_cue_in_top_up": _k(),  # the second, short inhale of a cyclic sigh
    "breathe_cue_hold": _k(),  # hold with full lungs
    "breathe_cue_hold_empty": _k(),  # hold with empty lungs
    "breathe_cue_out": _k(),
    "breathe_cue_out_long": _k(),  # the long, slow exhale of a sigh or of 4-7-8
    # End of a round when more remains: a question ("Shall we keep going?").
    "breathe_continue": _k("minutes_left"),
    "reprompt_breathe_continue": _k(),
    # The exercise is complete.
    "breathe_done": _k(),
    # They chose to stop before the end (a "no" to continuing, or stop).
    "breathe_stopped": _k(),
    "breathe_paused": _k(),
    "reprompt_breathe_paused": _k(),
    "breathe_resumed": _k(),
    "resume_nothing": _k(),
    "pause_nothing": _k(),
    # --- gratitude -------------------------------------------------------------
    # Lead-in before a gratitude question drawn from gratitude.toml ({question}).
    "gratitude_ask": _k("question", "question"),
    "reprompt_gratitude_ask": _k(),
    # Reflect the household's words back warmly: {gratitude} is what they said.
    "gratitude_reflect": _k("gratitude count", "gratitude"),
    "gratitude_empty": _k(),
    # A gratitude or win question declined ("pass", "not now"): nothing saved, let go.
    "capture_declined": _k(),
    "breathe_pattern_unknown": _k(),
    # Alexa+ check_in: how someone is, heard, with nothing of danger, distress or
    # tiredness in it: thanks, and an invitation to say more or to breathe (a question).
    "check_in_heard": _k(),
    # The answer took the question back ("actually no, let's do breathing instead"):
    # nothing saved; the offer again, so they can say what they want.
    "capture_changed": _k(),
    # --- wins ------------------------------------------------------------------
    "win_ask": _k(),
    "reprompt_win_ask": _k(),
    # Active-constructive: enthusiastic, specific about {win}, then ONE savouring
    # question the household can talk over together (the session then closes).
    "win_celebrate": _k("win", "win"),
    # The very first win ever recorded.
    "win_milestone_first": _k("win", "win"),
    # The {count}th win (5, 10, 25, 50, 100, ...).
    "win_milestone": _k("win count", "win count"),
    "win_empty": _k(),
    "card_win_title": _k(),
    # --- reflection ------------------------------------------------------------
    # First time today: {prompt} is today's prompt.
    "reflection_today": _k("prompt", "prompt"),
    # Asked again the same day: the same {prompt}.
    "reflection_again": _k("prompt", "prompt"),
    "card_reflection_title": _k(),
    # --- ordinary tiredness, greetings, the delete question explained ------------
    # Tired, not in danger ("sorry, i'm just really tired today"): a kind word and the
    # offer of one slow minute of breathing (a yes or no question).
    "weary": _k(),
    # No to that offer: a warm goodbye (no helpline: nobody said anything heavy).
    "weary_goodbye": _k(),
    # "merry christmas", "good morning": greeted back, and the four practices offered.
    "greeting": _k(),
    # "hang on, bub's crying" in a gratitude or win question: the question waits.
    "hold_on": _k(),
    # "what does that delete exactly?" at the delete question: what goes, and the
    # question again (yes or no).
    "delete_explain": _k(),
    # --- progress --------------------------------------------------------------
    "progress_nothing_yet": _k(),
    # {streak} current, {best} best (numbers); {counts} a spoken list like
    # "4 breathing exercises, 2 gratitudes and 1 win"; {week} a spoken list for the
    # past seven days (may be the phrase from "progress_week_none").
    # Both say the past seven days ({week}) as well as the totals.
    "progress_summary_streak": _k("streak best counts week", "streak counts week"),
    "progress_summary_no_streak": _k("best counts week", "counts week"),
    "progress_week_none": _k(),
    # The look back at the week (launch, once a local week, and "how was our week"):
    # {days} days practised of seven; one gratitude and one win said back; the streak.
    "week_look_back": _k("days", "days"),
    "week_look_back_gratitude": _k("gratitude", "gratitude"),
    "week_look_back_win": _k("win", "win"),
    "week_look_back_streak": _k("streak", "streak"),
    # After the look back at launch: the practices offered (a question).
    "launch_after_look_back": _k(),
    # "How was our week": {week} as above.
    "progress_week": _k("week", "week"),
    # --- recall ----------------------------------------------------------------
    "recall_gratitudes": _k("items count", "items"),
    "recall_wins": _k("items count", "items"),
    "recall_gratitudes_empty": _k(),
    "recall_wins_empty": _k(),
    # --- help and crisis -------------------------------------------------------
    # Locale-appropriate ways to find professional or couples' help.
    "find_help": _k(),
    # Crisis: calm, the locale's {helpline} phrase, "or your local emergency number".
    "crisis": _k("helpline", "helpline"),
    "card_crisis_title": _k(),
    "card_crisis_body": _k("helpline", "helpline"),
    # Danger now (someone unresponsive, violence happening): the locale's {emergency}
    # number first, then the {helpline}.
    "crisis_urgent": _k("helpline emergency", "helpline emergency"),
    # The number again, and the goodbye, after an urgent answer: {emergency} first.
    "crisis_urgent_number": _k("helpline emergency", "helpline emergency"),
    "crisis_urgent_goodbye": _k("helpline emergency", "helpline emergency"),
    # The card after an urgent answer: the {emergency} number written first.
    "card_crisis_urgent_body": _k("helpline emergency", "helpline emergency"),
    # After the crisis answer the session stays open: the reprompt offers the number again.
    "reprompt_crisis": _k(),
    # The number again ("what's the number", "say that again", yes to the reprompt).
    "crisis_number": _k("helpline", "helpline"),
    # "Stop" / "no" after the crisis answer: a warm close that still names the line.
    "crisis_goodbye": _k("helpline", "helpline"),
    # Distress that is not a crisis: acknowledge, one thing now (a minute of breathing,
    # asked as the closing question), professional help, and the line if anyone is in
    # danger ({helpline}).
    "support": _k("helpline", "helpline"),
    "reprompt_support": _k(),
    # "No" to the minute of breathing after the support answer.
    "support_goodbye": _k("helpline"),
    # Spoken before find_help: the skill gives no medical advice.
    "find_help_lead": _k(),
    # --- delete ----------------------------------------------------------------
    "delete_confirm": _k(),
    "reprompt_delete_confirm": _k(),
    "delete_done": _k(),
    "delete_kept": _k(),
    # --- who did what (a recognised voice) ------------------------------------------
    "launch_greet_person": _k("name", "name"),
    "launch_return_person": _k("name", "name"),
    "launch_return_streak_person": _k("name streak", "name streak"),
    "progress_person_week": _k("mine together", "mine together"),
    "recall_mine_none": _k(),
    "recall_mine_household": _k(),
    # --- a daily reminder (skill/core/handlers/reminders.py) --------------------------
    # Asking for the time (the session waits for it); said back with the recurrence and
    # a question before anything is set; {time} is said by the [clock] words.
    "reminder_ask_time": _k(),
    # A part of the day was said without a time: {part} is how it is named ("in the
    # evening", "at night": [clock] part_names).
    "reminder_ask_time_in": _k("part", "part"),
    # "Yes" to the time question: which time, asked again kindly.
    "reminder_which_time": _k(),
    # Words the set-up questions could not read: nothing set, the time asked afresh.
    "reminder_not_heard": _k(),
    # Moving the reminder to the time it already has.
    "reminder_same": _k("time", "time"),
    # "When is our reminder" after they stopped one or said no: no pitch.
    "reminder_status_declined": _k(),
    "reprompt_reminder_time": _k(),
    "reminder_confirm": _k("time", "time"),
    "reminder_move_confirm": _k("time was", "time was"),
    "reprompt_reminder_confirm": _k(),
    # Words not understood after the time was said back: the same question, its time again.
    "reminder_confirm_again": _k("time", "time"),
    # No to the time said back: nothing set, another time or "never mind" invited.
    "reminder_declined": _k(),
    "reminder_dropped": _k(),
    # Before Alexa's own permission question.
    "reminder_permission_ask": _k(),
    # Set or moved: restates the time and recurrence, and how to stop it.
    "reminder_set": _k("time", "time"),
    "reminder_moved": _k("time", "time"),
    "reminder_permission_denied": _k(),
    "reminder_permission_card": _k(),
    # The API's answers: 401, 403, 429, 5xx or unreachable. Each says nothing changed.
    "reminder_permission_missing": _k(),
    "reminder_forbidden": _k(),
    "reminder_busy": _k(),
    "reminder_unavailable": _k(),
    "reminder_status": _k("time", "time"),
    "reminder_status_none": _k(),
    "reminder_stopped": _k(),
    "reminder_stop_none": _k(),
    "reminder_stop_in_app": _k(),
    # The one gentle mention a week, after a saved gratitude or win.
    "reminder_offer": _k(),
    # What the reminder says when it goes off: plain words, sent to the Reminders API.
    "reminder_text": _k(),
}

# Words the renderer composes phrases from: (singular, plural) pairs and joiners.
WORD_KEYS: frozenset[str] = frozenset(
    {
        "minute",
        "second",
        "day",
        "breathe",  # "breathing exercise" / "breathing exercises"
        "gratitude",  # "gratitude" / "gratitudes"
        "win",
        "reflection",
    }
)
