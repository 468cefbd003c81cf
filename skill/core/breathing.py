"""Guided breathing: from a pattern and minutes to rounds of paced SSML. No I/O.

An exercise is ``total`` breathing cycles, spoken in rounds of about
``round_seconds`` each; between rounds the household is asked whether to keep going.
Each phase starts with a short spoken cue; the rest of the phase is silence, so the
pause is the phase length less the time the cue takes to say (about 0.4 s a word at
Alexa's speaking rate), and never less than half a second.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from skill.content import Breathing, plain_words
from skill.core.ssml import Voice, break_seconds, breaks

SECONDS_PER_WORD = 0.4


@dataclass(frozen=True)
class Plan:
    pattern: str
    total: int  # cycles in the whole exercise
    done: int = 0  # cycles already guided

    def to_session(self) -> dict[str, Any]:
        return {"pattern": self.pattern, "total": self.total, "done": self.done}

    @classmethod
    def from_session(cls, data: object, breathing: Breathing) -> Plan | None:
        if not isinstance(data, dict):
            return None
        pattern, total, done = data.get("pattern"), data.get("total"), data.get("done")
        if pattern not in breathing.patterns or not isinstance(total, int):
            return None
        if not isinstance(done, int) or not 0 <= done < total:
            return None
        return cls(str(pattern), total, done)


def choose_pattern(breathing: Breathing, slot_id: str | None, slot_value: str | None) -> str:
    """The pattern the household asked for: resolved id, a known name, else the default."""
    if slot_id in breathing.patterns:
        assert slot_id is not None
        return slot_id
    if slot_value:
        spoken = slot_value.lower().strip()
        for pattern in breathing.patterns.values():
            if spoken in (pattern.id.replace("_", " "), pattern.name.lower()):
                return pattern.id
    return breathing.default


def pattern_named_in(breathing: Breathing, text: str) -> str | None:
    """The pattern the text names or describes (its id, name or one of its ``also``
    phrases, as whole words; the longest phrase wins)."""
    padded = f" {plain_words(text)} "
    best: tuple[int, str] | None = None
    for pattern in breathing.patterns.values():
        for name in (pattern.id.replace("_", " "), plain_words(pattern.name), *pattern.also):
            if name and f" {name} " in padded and (best is None or len(name) > best[0]):
                best = (len(name), pattern.id)
    return best[1] if best else None


def parse_minutes(value: str | None) -> int | None:
    """Minutes as Alexa's AMAZON.NUMBER sends them ("5"); None when absent or "?"."""
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


_ISO = re.compile(r"^P(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)$")


def parse_seconds(value: str | None) -> int | None:
    """Seconds in Alexa's AMAZON.DURATION ("PT30S", "PT1M30S", "PT5M"); None when
    absent, unreadable, or not a length of time under a day."""
    if value is None:
        return None
    match = _ISO.match(value.strip().upper())
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    total = round(hours * 3600 + minutes * 60 + seconds)
    return total if 0 < total < 86400 else None


def clamp_seconds(breathing: Breathing, asked: int | None) -> int:
    """A length to guide, in whole seconds, between the shortest and longest."""
    if asked is None:
        return breathing.default_minutes * 60
    return max(breathing.min_minutes * 60, min(breathing.max_minutes * 60, asked))


def clamp_minutes(breathing: Breathing, asked: int | None) -> int:
    if asked is None:
        return breathing.default_minutes
    return max(breathing.min_minutes, min(breathing.max_minutes, asked))


def new_plan(breathing: Breathing, pattern_id: str, minutes: int) -> Plan:
    return plan_for(breathing, pattern_id, minutes * 60)


def plan_for(breathing: Breathing, pattern_id: str, seconds: int) -> Plan:
    pattern = breathing.patterns[pattern_id]
    total = max(1, round(seconds / pattern.cycle_seconds))
    return Plan(pattern_id, total)


def rounds_left(breathing: Breathing, plan: Plan) -> int:
    """How many rounds the rest of the exercise takes: about ``round_seconds`` each."""
    pattern = breathing.patterns[plan.pattern]
    seconds = (plan.total - plan.done) * pattern.cycle_seconds
    return max(1, round(seconds / breathing.round_seconds))


def cycles_this_round(breathing: Breathing, plan: Plan) -> int:
    """The remaining cycles spread evenly over the remaining rounds (6 and 5, not 5, 5, 1)."""
    return math.ceil((plan.total - plan.done) / rounds_left(breathing, plan))


def speech_seconds(ssml_text: str) -> float:
    """About how long the SSML takes to say: its words, and its breaks."""
    return spoken_seconds(ssml_text) + break_seconds(ssml_text)


def spoken_seconds(ssml_text: str) -> float:
    words = [w for w in ssml_text.replace("<", " <").split() if not w.startswith("<")]
    return len(words) * SECONDS_PER_WORD


def round_ssml(voice: Voice, breathing: Breathing, plan: Plan) -> tuple[str, Plan]:
    """The SSML for the next round, and the plan after it."""
    body, after, _cues, _cycles = round_parts(voice, breathing, plan)
    return body, after


def round_parts(
    voice: Voice, breathing: Breathing, plan: Plan
) -> tuple[str, Plan, dict[str, str], int]:
    """The next round: its SSML, the plan after it, the cue spoken for each phase (the
    screen shows the same words) and how many cycles it holds."""
    pattern = breathing.patterns[plan.pattern]
    cycles = cycles_this_round(breathing, plan)
    # One wording per cue for the whole round: a steady rhythm is easier to follow.
    cues = {phase: voice.say(f"breathe_cue_{phase}") for phase, _ in pattern.phases}
    parts = []
    for _ in range(cycles):
        for phase, seconds in pattern.phases:
            cue = cues[phase]
            pause = max(0.5, seconds - spoken_seconds(cue))
            parts.append(cue + breaks(pause))
    return " ".join(parts), Plan(plan.pattern, plan.total, plan.done + cycles), cues, cycles


def minutes_left(breathing: Breathing, plan: Plan) -> int:
    pattern = breathing.patterns[plan.pattern]
    return max(1, round((plan.total - plan.done) * pattern.cycle_seconds / 60))
