"""The declared route table: the handled intents come from it, and registration refuses
a route that could never answer (two routes for the same intent and states, neither
with a condition)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from skill.core import handlers
from skill.core.routes import RouteError, check_routes, handled_intents, route


def _do(_hi: Any, _turn: Any) -> Any:
    return None


def test_the_handled_intents_are_the_tables() -> None:
    declared: set[str] = set()
    for r in handlers.ROUTES:
        declared |= set(r.intents or ()) | set(r.takes)
    assert frozenset(declared) == handlers.HANDLED_INTENTS
    assert {"BreatheIntent", "ListenIntent", "CrisisIntent", "AMAZON.PauseIntent"} <= declared


def test_two_routes_for_the_same_intent_and_states_are_refused() -> None:
    table = [
        route("stop", _do, intents=("AMAZON.StopIntent",)),
        route("stop_again", _do, intents=("AMAZON.StopIntent", "AMAZON.CancelIntent")),
    ]
    both = re.escape("'stop' and 'stop_again' both answer AMAZON.StopIntent")
    with pytest.raises(RouteError, match=both):
        check_routes(table)
    in_state = [
        route("a", _do, intents=("AMAZON.YesIntent",), states=("menu",)),
        route("b", _do, intents=("AMAZON.YesIntent",), states=("menu",)),
    ]
    with pytest.raises(RouteError, match=re.escape("states ['menu']")):
        check_routes(in_state)


def test_a_narrower_state_or_a_condition_is_not_a_duplicate() -> None:
    check_routes(
        [
            route("crisis_goodbye", _do, intents=("AMAZON.StopIntent",), states=("crisis",)),
            route("stop", _do, intents=("AMAZON.StopIntent",)),
            route("guarded", _do, intents=("AMAZON.StopIntent",), when=lambda _h, _t: True),
        ]
    )


def test_two_routes_with_one_name_are_refused() -> None:
    with pytest.raises(RouteError, match="two routes are named 'x'"):
        check_routes([route("x", _do, intents=("A",)), route("x", _do, intents=("B",))])


def test_the_real_table_registers() -> None:
    check_routes(handlers.ROUTES)
    assert handled_intents(handlers.ROUTES) == handlers.HANDLED_INTENTS
    assert [h.name for h in handlers.route_handlers()] == [r.name for r in handlers.ROUTES]
