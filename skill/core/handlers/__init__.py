"""Request handlers: one small rule per intent or request. No I/O of their own.

Order matters (ask-sdk-core takes the first ``can_handle`` that says yes): crisis first,
then skill events and session end, then whatever the conversation is in the middle of
(a delete confirmation, a breathing exercise, an elicited answer), then the intents.

Conversation state lives in the session attributes:

* ``state``: ``menu`` | ``breathing`` | ``paused`` | ``delete_confirm`` | ``gratitude`` |
  ``win`` (a question was asked and the answer is being elicited) | ``crisis`` (the crisis
  answer was given: the number can be heard again) | ``support`` (the support answer
  offered a minute of breathing);
* ``misses``: fallbacks in a row (the second one says how to ask for help);
* ``breath``: the breathing plan (pattern, total cycles, cycles done);
* ``last``: the last speech and reprompt, for Repeat;
* ``recent``: the variant last spoken per key, so nothing repeats back to back.

Decisions written down here:

* A breathing exercise counts as a practice when its first round has been spoken:
  starting is the hard part, so stopping partway still counts, once.
* Today's reflection counts as a practice the first time it is heard that local day.
* The first-visit welcome (what the skill is, not medical advice) is spoken at the first
  launch, even when the household has used one-shots before: it is heard once.
* Gratitude, a win, a reflection, progress, recall and find-help close the session
  when they are done: the household talks to each other, not to Alexa, afterwards.
* Safety comes before everything (``skill/core/screen.py``): CrisisIntent, or crisis
  words in any slot, stops whatever is running and gives the crisis answer; the session
  stays open so "what's the number", "repeat" or "yes" hear the number again, and "stop"
  ends warmly with the number once more. Nothing of the words is stored or logged.
* Distress that is not a crisis (words the screen calls distress: said to ListenIntent,
  the catch-all that carries what no other intent matched, or as a captured answer; and
  a negated crisis, a negated crisis such as "I'm not suicidal, just exhausted") gets
  care, the line if anyone is in danger, and the offer of one minute of breathing; the
  answer is not saved as a gratitude or a win.
"""

from __future__ import annotations

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core.handlers.base import (
    OFFERING,
    intent_name,
    log,
    reply,
    request_type,
    turn_of,
    yes_no_unexpected,
)
from skill.core.handlers.breathing import breathe, breathe_continue, breathe_decline, pause, resume
from skill.core.handlers.crisis import (
    asks_to_breathe,
    breathe_after_crisis,
    crisis,
    crisis_can,
    crisis_goodbye,
    crisis_number,
    support,
    support_breathe,
    support_can,
    support_goodbye,
)
from skill.core.handlers.heard import fallback, gratitude, heard, win
from skill.core.handlers.looking_back import (
    another_reflection,
    progress_,
    recall,
    recall_mine,
    reflection,
)
from skill.core.handlers.reminders import (
    ASKING,
    is_confirmed,
    is_denied,
    permission_answer,
    reminder_dropped,
    reminder_no,
    reminder_not_heard,
    reminder_status,
    reminder_time_again,
    reminder_yes,
    set_reminder,
    stop_reminder,
)
from skill.core.handlers.session import (
    delete_ask,
    delete_no,
    delete_yes,
    find_help,
    help_,
    launch,
    navigate_home,
    no_in_menu,
    repeat,
    session_ended,
    skill_event,
    start_over,
    stop,
    yes_in_menu,
)
from skill.core.routes import Route, check_routes, handled_intents, route
from skill.store.base import StoreError

__all__ = [
    "HANDLED_INTENTS",
    "ROUTES",
    "ApologyHandler",
    "RouteHandler",
    "heard",
    "intent_name",
    "reply",
    "request_type",
    "route_handlers",
    "turn_of",
]

SKILL_EVENT = "AlexaSkillEvent."


CRISIS = ("crisis",)


BREATHING = ("breathing", "paused")


YES_AGAIN = ("AMAZON.YesIntent", "AMAZON.ResumeIntent")


NO_STOP = ("AMAZON.NoIntent", "AMAZON.StopIntent", "AMAZON.CancelIntent")


ROUTES: list[Route] = [
    route("crisis", crisis, when=crisis_can),
    route("skill_event", skill_event, when=lambda hi, _t: request_type(hi).startswith(SKILL_EVENT)),
    route("session_ended", session_ended, types=("SessionEndedRequest",)),
    route("launch", launch, types=("LaunchRequest",)),
    # After the crisis answer, "I don't mean I'm going to do anything, it's just grim":
    # heard, and met with care (which names the line still), not the same answer again.
    # ... and "i'm safe, i'm just having a hard time": distress, met with care too.
    route(
        "crisis_taken_back",
        support,
        states=CRISIS,
        when=lambda _hi, t: t.verdict.negated or t.verdict.support,
    ),
    # After the crisis answer, asking to breathe together (when no one is in danger now).
    route("crisis_breathe", breathe_after_crisis, states=CRISIS, when=asks_to_breathe),
    # After the crisis answer: the number again, or a warm goodbye; never the menu.
    route(
        "crisis_number",
        crisis_number,
        states=CRISIS,
        intents=(
            "AMAZON.YesIntent",
            "AMAZON.RepeatIntent",
            "AMAZON.FallbackIntent",
            "AMAZON.HelpIntent",
            "ListenIntent",
        ),
    ),
    route("crisis_goodbye", crisis_goodbye, states=CRISIS, intents=NO_STOP),
    route("helpline", crisis_number, intents=("HelplineIntent",)),
    route("support", support, when=support_can),
    route("support_breathe", support_breathe, states=OFFERING, intents=YES_AGAIN),
    route("support_goodbye", support_goodbye, states=OFFERING, intents=NO_STOP),
    # In the middle of something: the answer belongs to the question just asked. "Yes,
    # delete everything" answering "are you sure?" is a yes.
    route(
        "delete_yes",
        delete_yes,
        states=("delete_confirm",),
        intents=("AMAZON.YesIntent", "DeleteDataIntent"),
    ),
    route(
        "delete_no",
        delete_no,
        states=("delete_confirm",),
        intents=("AMAZON.NoIntent", "AMAZON.CancelIntent"),
    ),
    # A daily reminder: the answers to its two questions (Alexa sends the confirmed or
    # denied SetReminderIntent; a plain yes or no is read the same way), and Alexa's
    # answer to the permission it asked for.
    route("reminder_yes", reminder_yes, intents=("SetReminderIntent",), when=is_confirmed),
    route("reminder_no", reminder_no, intents=("SetReminderIntent",), when=is_denied),
    route(
        "reminder_plain_yes",
        reminder_yes,
        states=("reminder_confirm",),
        intents=YES_AGAIN,
    ),
    route(
        "reminder_plain_no", reminder_no, states=("reminder_confirm",), intents=("AMAZON.NoIntent",)
    ),
    route("reminder_dropped", reminder_dropped, states=ASKING, intents=NO_STOP),
    # "Yes" when the time was asked for: the question again, gently (it was asked).
    route("reminder_time_yes", reminder_time_again, states=("reminder_time",), intents=YES_AGAIN),
    route(
        "reminder_not_heard",
        reminder_not_heard,
        states=ASKING,
        intents=("ListenIntent", "AMAZON.FallbackIntent"),
    ),
    route("reminder_permission", permission_answer, types=("Connections.Response",)),
    route("breathe_continue", breathe_continue, states=BREATHING, intents=YES_AGAIN),
    route("breathe_decline", breathe_decline, states=BREATHING, intents=("AMAZON.NoIntent",)),
    route("pause", pause, intents=("AMAZON.PauseIntent",)),
    route("resume", resume, intents=("AMAZON.ResumeIntent",)),
    route("yes_menu", yes_in_menu, states=("menu",), intents=("AMAZON.YesIntent",)),
    route("no_menu", no_in_menu, states=("menu",), intents=("AMAZON.NoIntent",)),
    # Intents.
    route("breathe", breathe, intents=("BreatheIntent",)),
    route("gratitude", gratitude, intents=("GratitudeIntent",)),
    route("win", win, intents=("CelebrateWinIntent",)),
    route("reflection", reflection, intents=("ReflectionIntent",)),
    route("another_reflection", another_reflection, intents=("AnotherReflectionIntent",)),
    route("progress", progress_, intents=("ProgressIntent",)),
    route("recall", recall, intents=("RecallIntent",)),
    route("recall_mine", recall_mine, intents=("RecallMineIntent",)),
    route("find_help", find_help, intents=("FindHelpIntent",)),
    route("set_reminder", set_reminder, intents=("SetReminderIntent",)),
    route("reminder_status", reminder_status, intents=("ReminderStatusIntent",)),
    route("stop_reminder", stop_reminder, intents=("StopReminderIntent",)),
    route("delete", delete_ask, intents=("DeleteDataIntent",)),
    route("help", help_, intents=("AMAZON.HelpIntent",)),
    route("stop", stop, intents=("AMAZON.StopIntent", "AMAZON.CancelIntent")),
    route("navigate_home", navigate_home, intents=("AMAZON.NavigateHomeIntent",)),
    route("repeat", repeat, intents=("AMAZON.RepeatIntent",)),
    route("start_over", start_over, intents=("AMAZON.StartOverIntent",)),
    route("yes_no", yes_no_unexpected, intents=("AMAZON.YesIntent", "AMAZON.NoIntent")),
    # Whatever nothing else took: the catch-all's words, Alexa's fallback, and the crisis
    # intents when the screen heard no danger in them.
    route(
        "fallback",
        fallback,
        takes=("ListenIntent", "AMAZON.FallbackIntent", "CrisisIntent", "EmergencyIntent"),
    ),
]


check_routes(ROUTES)


# Intents some route answers, from the table: the linter and tests check the models.
HANDLED_INTENTS = handled_intents(ROUTES)


class RouteHandler(AbstractRequestHandler):
    def __init__(self, declared: Route) -> None:
        self.route = declared
        self.name = declared.name

    def can_handle(self, handler_input: HandlerInput) -> bool:
        turn = turn_of(handler_input)
        kind = request_type(handler_input)
        return self.route.can(handler_input, turn, kind, intent_name(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        turn = turn_of(handler_input)
        turn.route = self.name
        if self.name != "fallback":
            turn.session.pop("misses", None)
        return self.route.do(handler_input, turn)


class ApologyHandler(AbstractExceptionHandler):
    """The one catch-all: any failure is spoken as an apology, never a 500."""

    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        turn = turn_of(handler_input)
        key = "store_error" if isinstance(exception, StoreError) else "error"
        log.error(
            "turn failed route=%s error=%s", getattr(turn, "route", None), type(exception).__name__
        )
        # Start from a clean response: a handler may have half-built one.
        rb = handler_input.response_builder
        rb.response.directives = None
        rb.response.card = None
        rb.response.reprompt = None
        return reply(handler_input, turn, turn.voice.say(key))


def route_handlers() -> list[RouteHandler]:
    check_routes(ROUTES)
    return [RouteHandler(r) for r in ROUTES]
