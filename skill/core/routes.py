"""The route table: which handler answers a turn, declared rather than coded.

A :class:`Route` names the request types, intents and dialogue states it answers and,
only where those cannot say it, one extra condition (``when``: the crisis screen's
verdict, a word the household said). The table is tried in order; the first route whose
declaration matches answers the turn. From the declarations come the intents the skill
handles (:func:`handled_intents`: the linter and the tests check every interaction model
against them) and a registration check (:func:`check_routes`) that refuses two routes
declared for the same intent in the same states without a condition between them (the
second could never answer).

No I/O; the conditions are pure functions of the request and the turn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

    from skill.core.turn import Turn

Can = Callable[["HandlerInput", "Turn"], bool]
Do = Callable[["HandlerInput", "Turn"], "Response"]

INTENT_REQUEST = "IntentRequest"


class RouteError(ValueError):
    """Two routes declared for the same intent and state, or a route that declares
    nothing it answers."""


@dataclass(frozen=True)
class Route:
    name: str
    do: Do
    intents: frozenset[str] | None = None  # None: any intent (or any request type)
    states: frozenset[str | None] | None = None  # None: in any state; None inside: no state
    types: frozenset[str] | None = None  # request types; None: IntentRequest when intents
    when: Can | None = None  # the one condition the declarations cannot say
    # Intents a catch-all takes though it names none (the fallback: the model's
    # catch-all and fallback intents, and crisis intents the screen did not take).
    takes: frozenset[str] = frozenset()

    def can(self, hi: HandlerInput, turn: Turn, request_type: str, intent: str | None) -> bool:
        types = (
            self.types
            if self.types is not None
            else (frozenset({INTENT_REQUEST}) if self.intents is not None else None)
        )
        if types is not None and request_type not in types:
            return False
        if self.intents is not None and intent not in self.intents:
            return False
        if self.states is not None:
            state = turn.session.get("state")
            if (state if isinstance(state, str) else None) not in self.states:
                return False
        return self.when is None or self.when(hi, turn)


def route(
    name: str,
    do: Do,
    *,
    intents: Iterable[str] | None = None,
    states: Iterable[str | None] | None = None,
    types: Iterable[str] | None = None,
    when: Can | None = None,
    takes: Iterable[str] = (),
) -> Route:
    return Route(
        name,
        do,
        intents=frozenset(intents) if intents is not None else None,
        states=frozenset(states) if states is not None else None,
        types=frozenset(types) if types is not None else None,
        when=when,
        takes=frozenset(takes),
    )


def check_routes(routes: Sequence[Route]) -> None:
    """Refuse a table where a route could never answer: two routes for the same intent
    in the same states, neither with a condition; or two with the same name."""
    seen: dict[tuple[str, frozenset[str | None] | None], str] = {}
    names: set[str] = set()
    for r in routes:
        if r.name in names:
            raise RouteError(f"two routes are named {r.name!r}")
        names.add(r.name)
        if r.when is not None or r.intents is None:
            continue
        for intent in sorted(r.intents):
            key = (intent, r.states)
            if key in seen:
                where = "any state" if r.states is None else f"states {sorted(map(str, r.states))}"
                raise RouteError(
                    f"routes {seen[key]!r} and {r.name!r} both answer {intent} in {where}"
                )
            seen[key] = r.name


def handled_intents(routes: Sequence[Route]) -> frozenset[str]:
    """Every intent some route declares it answers or takes."""
    found: set[str] = set()
    for r in routes:
        found |= r.intents or set()
        found |= r.takes
    return frozenset(found)
