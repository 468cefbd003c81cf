"""What the simulator's understanding answers: an intent, its slots, entity resolution."""

from __future__ import annotations

from dataclasses import dataclass

from skill.constants import SIM_SKILL_ID

DEFAULT_SKILL_ID = SIM_SKILL_ID


ER_MATCH = "ER_SUCCESS_MATCH"


ER_NO_MATCH = "ER_SUCCESS_NO_MATCH"


FALLBACK_INTENT = "AMAZON.FallbackIntent"


CRISIS_INTENT = "CrisisIntent"


SEARCH_QUERY = "AMAZON.SearchQuery"


NUMBER = "AMAZON.NUMBER"


DURATION = "AMAZON.DURATION"


TIME = "AMAZON.TIME"


@dataclass(frozen=True)
class Resolution:
    """Entity resolution for one slot value of a custom slot type."""

    status: str  # ER_MATCH | ER_NO_MATCH
    authority: str  # "amzn1.er-authority.echo-sdk.<skill-id>.<SlotType>"
    value_id: str | None
    value_name: str | None


@dataclass(frozen=True)
class SlotFill:
    name: str
    value: str | None  # the spoken words; digits for AMAZON.NUMBER, ISO forms for dates
    resolution: Resolution | None  # only for custom slot types


@dataclass(frozen=True)
class Candidate:
    intent: str
    slots: dict[str, SlotFill]
    score: float
    sample: str | None  # the sample utterance that matched (None for fallback)


@dataclass(frozen=True)
class Parse:
    intent: str
    slots: dict[str, SlotFill]  # every slot of the intent, value None when unfilled
    considered: list[Candidate]  # ranked, best first
