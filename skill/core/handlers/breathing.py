"""Breathing: starting, rounds, pause, carry on, time left, the kinds."""

from __future__ import annotations

from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import Response

from skill.core import breathing as br
from skill.core import display
from skill.core.handlers.base import (
    menu_reply,
    reply,
    slot_id,
    slot_value,
    state,
    yes_no_unexpected,
)
from skill.core.practices import amount, begin_breathing
from skill.core.ssml import Markup, escape, spoken_list, to_plain
from skill.core.turn import Turn


def pattern_names(turn: Turn) -> Markup:
    names = [escape(p.name) for p in turn.content.breathing.patterns.values()]
    return Markup(spoken_list(names, turn.content.and_word))


def time_left(hi: HandlerInput, turn: Turn) -> Response:
    plan = current_plan(turn)
    if plan is None:
        return menu_reply(hi, turn, turn.voice.say("time_left_nothing"))
    left = amount(turn, "minute", br.minutes_left(turn.content.breathing, plan))
    current = state(turn) or "breathing"
    reprompt = "reprompt_breathe_paused" if current == "paused" else "reprompt_breathe_continue"
    speech = turn.voice.say("breathe_time_left", minutes_left=left)
    return reply(hi, turn, speech, reprompt=turn.voice.say(reprompt), next_state=current)


def breathing_kinds(hi: HandlerInput, turn: Turn) -> Response:
    return menu_reply(hi, turn, turn.voice.say("breathing_kinds", patterns=pattern_names(turn)))


# --- breathing -----------------------------------------------------------------------------
def breathe(hi: HandlerInput, turn: Turn) -> Response:
    breathing = turn.content.breathing
    pattern_id = br.choose_pattern(breathing, slot_id(hi, "pattern"), slot_value(hi, "pattern"))
    running = current_plan(turn)
    if running is not None and slot_value(hi, "pattern") is None:
        pattern_id = running.pattern  # "just one minute" mid-way: the same pattern, shorter
    asked_seconds = br.parse_seconds(slot_value(hi, "length"))
    if asked_seconds is not None:
        seconds = br.clamp_seconds(breathing, asked_seconds)
        return start_breathing_for(hi, turn, pattern_id, seconds, asked_seconds)
    asked = br.parse_minutes(slot_value(hi, "minutes"))
    return start_breathing(hi, turn, pattern_id, br.clamp_minutes(breathing, asked), asked)


def start_breathing(
    hi: HandlerInput, turn: Turn, pattern_id: str, minutes: int, asked: int | None
) -> Response:
    return start_breathing_for(
        hi, turn, pattern_id, minutes * 60, asked * 60 if asked is not None else None
    )


def start_breathing_for(
    hi: HandlerInput, turn: Turn, pattern_id: str, seconds: int, asked: int | None
) -> Response:
    lead, plan = begin_breathing(turn, pattern_id, seconds, asked)
    return breathe_round(hi, turn, plan, lead)


def breathe_round(hi: HandlerInput, turn: Turn, plan: br.Plan, lead: str) -> Response:
    breathing = turn.content.breathing
    body, after, cues, cycles = br.round_parts(turn.voice, breathing, plan)
    speech = f"{lead} {body}".strip()
    if display.supports_apl(hi.request_envelope):  # an Echo Show: the circle breathes too
        pattern = breathing.patterns[plan.pattern]
        shown = {phase: to_plain(cue) for phase, cue in cues.items()}
        delay = round(br.speech_seconds(lead) * 1000) if lead else 0
        for directive in display.breathing_directives(pattern, shown, cycles, delay):
            hi.response_builder.add_directive(directive)
        turn.record["screen"] = display.BREATHING_TOKEN
    if after.done >= after.total:
        turn.session.pop("breath", None)
        return reply(hi, turn, f"{speech} {turn.voice.say('breathe_done')}")
    turn.session["breath"] = after.to_session()
    left = amount(turn, "minute", br.minutes_left(breathing, after))
    question = turn.voice.say("breathe_continue", minutes_left=left)
    return reply(
        hi,
        turn,
        f"{speech} {question}",
        reprompt=turn.voice.say("reprompt_breathe_continue"),
        next_state="breathing",
    )


def current_plan(turn: Turn) -> br.Plan | None:
    return br.Plan.from_session(turn.session.get("breath"), turn.content.breathing)


def breathe_continue(hi: HandlerInput, turn: Turn) -> Response:
    """Yes (or resume) between rounds; after a pause the round starts with "resumed"."""
    plan = current_plan(turn)
    if plan is None:
        return yes_no_unexpected(hi, turn)
    return next_round(hi, turn, plan, resumed=state(turn) == "paused")


def next_round(hi: HandlerInput, turn: Turn, plan: br.Plan, *, resumed: bool) -> Response:
    return breathe_round(hi, turn, plan, turn.voice.say("breathe_resumed") if resumed else "")


def breathe_decline(hi: HandlerInput, turn: Turn) -> Response:
    turn.session.pop("breath", None)
    return reply(hi, turn, turn.voice.say("breathe_stopped"))


def pause(hi: HandlerInput, turn: Turn) -> Response:
    if current_plan(turn) is None:
        return menu_reply(hi, turn, turn.voice.say("pause_nothing"))
    return reply(
        hi,
        turn,
        turn.voice.say("breathe_paused"),
        reprompt=turn.voice.say("reprompt_breathe_paused"),
        next_state="paused",
    )


def resume(hi: HandlerInput, turn: Turn) -> Response:
    plan = current_plan(turn)
    if plan is None:
        return menu_reply(hi, turn, turn.voice.say("resume_nothing"))
    return next_round(hi, turn, plan, resumed=True)
