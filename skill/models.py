"""The generated parts of the interaction models: CrisisIntent's and EmergencyIntent's
samples, and the ListenIntent catch-all with its slot values.

They come from the language pack's crisis families (``skill/content/<lang>/crisis.toml``,
each family's ``samples`` templates expanded by :func:`skill.core.screen.samples`), so
what Alexa is trained to hear as a crisis and what the text screen confirms are one
piece of data. ``together models --write`` rewrites them in every model;
``together lint`` (rule ``model-generated``) fails when a model has drifted.

A generated sample that is already a hand-written sample of another intent is left out
(the other intent's sample stays: ``duplicate-utterance`` would refuse the model). The
number of generated samples per intent is capped at :data:`MAX_GENERATED` so the model
stays small (ASK trains on the whole model at every build).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from skill.content import Content, load
from skill.core import screen as sc
from skill.core.breathing import pattern_named_in
from skill.sim.nlu import normalize

MAX_GENERATED = 1500
# intent -> which generated samples it carries (EmergencyIntent: danger now, answered
# with the emergency number first)
GENERATED = {"CrisisIntent": sc.CRISIS, "EmergencyIntent": "urgent"}
# The catch-all: "{said}" alone, a custom slot type whose values are the generated
# sentences and the near-miss examples. Alexa sends what no other intent matches here,
# with the words, so the screen hears them (FallbackIntent carries no words).
LISTEN_INTENT, LISTEN_SLOT, LISTEN_TYPE = "ListenIntent", "said", "Said"
# Intents the skill answers with the crisis line whatever their slots say.
CRISIS_ANSWERED = ("CrisisIntent", "EmergencyIntent", "HelplineIntent")
FALLBACK_INTENT = "AMAZON.FallbackIntent"


# What the skill does with the catch-all's words at the menu ([asks] in capture.toml).
ASKED_AS = {
    "week": "ProgressIntent",
    "find_help": "FindHelpIntent",
    "help": "AMAZON.HelpIntent",
    "breathing_kinds": "AMAZON.HelpIntent",
}


def answered_as(
    intent: str,
    slot_values: Iterable[str | None],
    screen: sc.Screen,
    content: Content | None = None,
) -> str:
    """What the skill makes of a resolved intent at the menu, as its routes do: crisis
    words in any slot (or a crisis intent) are the crisis answer ("CrisisIntent"); the
    catch-all with distress is the support answer ("support"); with other words, what
    the skill reads in them (an offered practice, a pattern by name, a win told in one
    go, help; ``skill.core.handlers.heard``), else the fallback; anything else is its own
    intent. The linter and the tests judge understanding by this."""
    values = list(slot_values)
    verdict = screen.check_all(values)
    if intent in CRISIS_ANSWERED or verdict.crisis:
        return "CrisisIntent"
    if verdict.support and intent == LISTEN_INTENT:
        return sc.SUPPORT
    if intent == LISTEN_INTENT:
        said = next((v for v in values if v), None)
        if content is not None and said is not None:
            return _heard_as(content, said) or FALLBACK_INTENT
        return FALLBACK_INTENT
    return intent


def _heard_as(content: Content, said: str) -> str | None:
    asked = content.asks_for(said, tuple(ASKED_AS))
    if asked is not None:
        return ASKED_AS[asked]
    wanted = content.offered_in(said)
    if content.tells_win(said):
        return "CelebrateWinIntent"
    if wanted is None and pattern_named_in(content.breathing, said) is not None:
        return "BreatheIntent"
    if wanted == "crisis":
        return "CrisisIntent"
    return wanted


@cache
def _made(locale: str) -> sc.SampleSet:
    """The pack's expanded samples for ``locale`` (the linter asks once per model)."""
    content = load(locale)
    return sc.samples(content.crisis_pack, content.screen)


def generated_samples(locale: str, model: dict[str, Any]) -> dict[str, list[str]]:
    """The samples each generated intent should carry in ``model`` for ``locale``."""
    made = _made(locale)
    by_level = {sc.CRISIS: made.crisis, "urgent": made.urgent}
    taken = {
        normalize(str(s))
        for intent in model["interactionModel"]["languageModel"]["intents"]
        if intent.get("name") not in GENERATED
        for s in intent.get("samples", []) or []
    }
    out: dict[str, list[str]] = {}
    for intent, level in GENERATED.items():
        kept: dict[str, str] = {}
        for sample in by_level[level]:
            if normalize(sample) not in taken:
                kept.setdefault(normalize(sample), sample)
        out[intent] = list(kept.values())[:MAX_GENERATED]
    return out


def listen_values(locale: str) -> list[str]:
    content = load(locale)
    made = _made(locale)
    texts = [
        *made.crisis,
        *made.urgent,
        *made.support,
        *(e.text.lower() for e in content.near_misses),
    ]
    kept: dict[str, str] = {}
    for text in texts:
        kept.setdefault(normalize(text), " ".join(text.replace(",", "").split()))
    return list(kept.values())


def _ensure(intents: list[dict[str, Any]], name: str, after: str) -> dict[str, Any]:
    found = next((i for i in intents if i.get("name") == name), None)
    if found is None:
        found = {"name": name, "slots": [], "samples": []}
        at = next((k for k, i in enumerate(intents) if i.get("name") == after), 0)
        intents.insert(at + 1, found)
    return found


def synced(locale: str, model: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``model`` with the generated intents as they should be."""
    copy: dict[str, Any] = json.loads(json.dumps(model))
    lm = copy["interactionModel"]["languageModel"]
    intents = lm["intents"]
    for name, samples in generated_samples(locale, model).items():
        _ensure(intents, name, "CrisisIntent")["samples"] = samples
    listen = _ensure(intents, LISTEN_INTENT, "HelplineIntent")
    listen["slots"] = [{"name": LISTEN_SLOT, "type": LISTEN_TYPE, "samples": []}]
    listen["samples"] = ["{" + LISTEN_SLOT + "}"]
    types = lm.setdefault("types", [])
    kind = next((t for t in types if t.get("name") == LISTEN_TYPE), None)
    if kind is None:
        kind = {"name": LISTEN_TYPE, "values": []}
        types.append(kind)
    kind["values"] = [{"name": {"value": v}} for v in listen_values(locale)]
    return copy


def model_locale(path: Path) -> str:
    return path.stem


def stale(path: Path) -> list[str]:
    """The generated intents, when the model file's generated parts differ from the pack's
    (empty when it is up to date)."""
    model = json.loads(path.read_text(encoding="utf-8"))
    want = synced(model_locale(path), model)
    return [] if want == model else [*GENERATED, LISTEN_INTENT]


def write(path: Path) -> bool:
    """Rewrite the model's generated samples; True when the file changed."""
    text = path.read_text(encoding="utf-8")
    model = json.loads(text)
    new = json.dumps(synced(model_locale(path), model), indent=2, ensure_ascii=False) + "\n"
    if new == text:
        return False
    path.write_text(new, encoding="utf-8")
    return True
