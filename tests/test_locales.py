"""The five English interaction models: parity with each other and with the handlers,
and how well the offline resolver understands people of each locale.

tests/utterances/<locale>.tsv holds utterances written for each locale, as people there
speak, none of them a sample of that locale's model: one per line, tab-separated
columns utterance, expected intent, then optional ``slot=value`` pairs (a custom slot
type compares the resolved value id, other types the value; ``slot=`` with nothing
after it means the slot must be unfilled). Blank lines and lines starting with ``#``
are ignored.

The tables were written before the models were tuned. Measured first, with every locale
on the original en-US model: en-US 72.6%, en-GB 67.2%, en-CA 76.1%, en-AU 75.2%,
en-IN 69.3%. Improve the models (more, more varied samples) before the matcher, and never
copy a line of a table into a model.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from skill.core.breathing import parse_seconds
from skill.core.handlers import HANDLED_INTENTS
from skill.models import LISTEN_INTENT
from skill.sim.nlu import BUILTIN_PHRASES, FALLBACK_INTENT, Nlu, SlotFill, normalize
from tests.helpers import answered_as

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "interaction_models"
UTTERANCES = Path(__file__).resolve().parent / "utterances"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")
CRISIS = "CrisisIntent"

#: The share of each locale's utterances that must resolve as intended.
FLOOR = 0.9
#: How many utterances each locale's table must hold.
MIN_UTTERANCES = 100


@dataclass(frozen=True)
class Case:
    line: int
    utterance: str
    intent: str
    slots: dict[str, str | None]


def load_cases(locale: str) -> list[Case]:
    cases: list[Case] = []
    path = UTTERANCES / f"{locale}.tsv"
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.split("\t")
        assert len(cols) >= 2, f"{path.name}:{number}: wants utterance<TAB>intent"
        slots: dict[str, str | None] = {}
        for pair in cols[2:]:
            name, sep, value = pair.partition("=")
            assert sep, f"{path.name}:{number}: {pair!r} is not slot=value"
            slots[name.strip()] = value.strip() or None
        cases.append(Case(number, cols[0].strip(), cols[1].strip(), slots))
    return cases


@cache
def model(locale: str) -> dict[str, Any]:
    with (MODELS / f"{locale}.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@cache
def nlu(locale: str) -> Nlu:
    return Nlu.for_locale(locale)


def check(parser: Nlu, case: Case, locale: str) -> str | None:
    """None when the utterance is answered as intended, else what went wrong. What the
    skill answers counts: crisis words caught by the catch-all or in any slot are the
    crisis answer, the catch-all with other words is the fallback."""
    parse = parser.resolve(case.utterance)
    answer = answered_as(parse, locale)
    if answer != case.intent:
        return f"{parse.intent} answered as {answer} (wanted {case.intent})"
    if parse.intent != case.intent:
        return None  # the answer is right; its slots are the catch-all's, not the intent's
    types = parser.slots_of(case.intent)
    for slot, want in case.slots.items():
        assert slot in types, f"{case.intent} has no slot {slot!r}"
        fill = parse.slots[slot]
        if slot == "minutes" and fill.value is None and parse.slots.get("length"):
            # "for three minutes" as a duration (the length slot): the same length
            seconds = parse_seconds(parse.slots["length"].value)
            fill = SlotFill(slot, str(seconds // 60) if seconds else None, None)
        if want is not None and fill.resolution is not None:
            got = fill.resolution.value_id
        else:
            got = fill.value
        if (got or "").lower() != (want or "").lower():
            return f"{slot}={got!r} (wanted {want!r})"
    return None


# --------------------------------------------------------------------------- parity


def _intents(locale: str) -> dict[str, dict[str, Any]]:
    return {
        str(i["name"]): i for i in model(locale)["interactionModel"]["languageModel"]["intents"]
    }


def _signature(locale: str) -> dict[str, Any]:
    root = model(locale)["interactionModel"]
    lm = root["languageModel"]
    intents = {
        name: sorted((s["name"], s["type"]) for s in intent.get("slots", []) or [])
        for name, intent in _intents(locale).items()
    }
    types = {
        t["name"]: sorted(str(v.get("id") or v["name"]["value"]) for v in t["values"])
        for t in lm.get("types", [])
    }
    dialog = {
        d["name"]: sorted(
            (
                s["name"],
                s["type"],
                s.get("elicitationRequired", False),
                s.get("confirmationRequired", False),
                json.dumps(s.get("prompts", {}), sort_keys=True),
            )
            for s in d.get("slots", [])
        )
        for d in root.get("dialog", {}).get("intents", [])
    }
    prompts = sorted(p["id"] for p in root.get("prompts", []))
    return {"intents": intents, "types": types, "dialog": dialog, "prompts": prompts}


@pytest.mark.parametrize("locale", LOCALES)
def test_model_is_valid_ask_json(locale: str) -> None:
    root = model(locale)
    assert set(root) == {"interactionModel"}
    assert set(root["interactionModel"]) == {"languageModel", "dialog", "prompts"}
    lm = root["interactionModel"]["languageModel"]
    assert lm["invocationName"] == "resilient together"
    for intent in lm["intents"]:
        samples = intent.get("samples", [])
        assert len(samples) == len(set(samples)), f"{locale} {intent['name']}: duplicates"
        declared = {s["name"] for s in intent.get("slots", []) or []}
        for sample in samples:
            assert sample == sample.strip().lower() or "{" in sample, sample
            used = {w[1:-1] for w in sample.split() if w.startswith("{")}
            assert used <= declared, f"{locale}: {sample!r}"
    prompt_ids = {p["id"] for p in root["interactionModel"]["prompts"]}
    for d in root["interactionModel"]["dialog"]["intents"]:
        for slot in d.get("slots", []):
            for prompt in slot.get("prompts", {}).values():
                assert prompt in prompt_ids, f"{locale}: {prompt}"


@pytest.mark.parametrize("locale", LOCALES[1:])
def test_models_have_the_same_shape(locale: str) -> None:
    assert _signature(locale) == _signature("en-US")


@pytest.mark.parametrize("locale", LOCALES)
def test_model_intents_are_the_handled_intents(locale: str) -> None:
    assert set(_intents(locale)) == HANDLED_INTENTS


@pytest.mark.parametrize("locale", LOCALES)
def test_no_sample_in_two_intents(locale: str) -> None:
    seen: dict[str, str] = {}
    for name, intent in _intents(locale).items():
        for sample in intent.get("samples", []):
            key = normalize(sample)
            assert seen.get(key, name) == name, f"{locale} {sample!r}: {seen[key]} & {name}"
            seen[key] = name
    for name, phrases in BUILTIN_PHRASES.items():
        for phrase in phrases:
            key = normalize(phrase)
            assert seen.get(key, name) == name, f"{locale} {phrase!r}: {seen[key]} & {name}"


#: A spoken value per slot type, to say the samples that carry slots.
SPOKEN_BY_TYPE = {
    "BreathingPattern": "box",
    "RecallKind": "wins",
    "AMAZON.NUMBER": "five",
    "AMAZON.DURATION": "ninety seconds",
    "AMAZON.SearchQuery": "our walk in the park",
    "AMAZON.TIME": "nine thirty",
    "DayPart": "evening",
    "Said": "blorp zindle quaxx",
}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_sample_resolves_to_its_own_intent(locale: str) -> None:
    parser = nlu(locale)
    for intent, samples in parser.samples().items():
        for sample in samples:
            text = sample
            for slot, slot_type in parser.slots_of(intent).items():
                text = text.replace("{" + slot + "}", SPOKEN_BY_TYPE[slot_type])
            assert parser.resolve(text).intent == intent, f"{locale}: {text!r}"


# --------------------------------------------------------------------------- accuracy


@pytest.mark.parametrize("locale", LOCALES)
def test_utterance_tables_are_new_and_wide(locale: str) -> None:
    cases = load_cases(locale)
    assert len(cases) >= MIN_UTTERANCES
    parser = nlu(locale)
    samples = {normalize(s): i for i, ss in parser.samples().items() for s in ss}
    samples |= {normalize(p): i for i, ps in BUILTIN_PHRASES.items() for p in ps}
    for case in cases:
        assert normalize(case.utterance) not in samples, f"{locale}:{case.line} is a sample"
        assert case.intent in HANDLED_INTENTS, f"{locale}:{case.line}: {case.intent}"
    wanted = Counter(case.intent for case in cases)
    # The catch-all and "what's the number" are answers, not what people mean.
    meant = HANDLED_INTENTS - {LISTEN_INTENT, "HelplineIntent", "EmergencyIntent"}
    assert set(wanted) == meant, sorted(meant - set(wanted))
    assert wanted[CRISIS] >= 8
    assert wanted[FALLBACK_INTENT] >= 6


@pytest.mark.parametrize("locale", LOCALES)
def test_locale_accuracy(locale: str) -> None:
    parser = nlu(locale)
    cases = load_cases(locale)
    misses = [(case, problem) for case in cases if (problem := check(parser, case, locale))]
    share = 1 - len(misses) / len(cases)
    print(f"\n{locale}: {share:.1%} of {len(cases)} utterances resolved as intended")
    per_intent = Counter(case.intent for case in cases)
    missed = Counter(case.intent for case, _ in misses)
    for intent in sorted(missed):
        print(f"  {intent}: {missed[intent]} of {per_intent[intent]} missed")
        for case, problem in misses:
            if case.intent == intent:
                print(f"    {case.utterance!r}: {problem}")
    assert share >= FLOOR, [f"{c.utterance!r}: {p}" for c, p in misses]


@pytest.mark.parametrize("locale", LOCALES)
def test_crisis_is_never_missed_nor_imagined(locale: str) -> None:
    parser = nlu(locale)
    for case in load_cases(locale):
        got = answered_as(parser.resolve(case.utterance), locale)
        if case.intent == CRISIS:
            assert got == CRISIS, f"{locale}: {case.utterance!r} -> {got}"
        else:
            assert got != CRISIS, f"{locale}: {case.utterance!r} is not a crisis"
