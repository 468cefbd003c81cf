"""The en-US interaction model and the offline resolver in skill/sim/nlu.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skill.sim.nlu import (
    BUILTIN_PHRASES,
    ER_MATCH,
    ER_NO_MATCH,
    FALLBACK_INTENT,
    Nlu,
    normalize,
    parse_duration,
    parse_number,
    parse_time,
    split_invocation,
)
from tests.helpers import answered_as

MODEL_PATH = Path(__file__).resolve().parents[1] / "interaction_models" / "en-US.json"
SKILL_ID = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"

CUSTOM_INTENTS: dict[str, dict[str, str]] = {
    "BreatheIntent": {
        "pattern": "BreathingPattern",
        "minutes": "AMAZON.NUMBER",
        "length": "AMAZON.DURATION",
    },
    "GratitudeIntent": {"gratitude": "AMAZON.SearchQuery"},
    "CelebrateWinIntent": {"win": "AMAZON.SearchQuery"},
    "ReflectionIntent": {},
    "AnotherReflectionIntent": {},
    "ProgressIntent": {},
    "FindHelpIntent": {},
    "CrisisIntent": {},
    "HelplineIntent": {},
    "EmergencyIntent": {},
    "ListenIntent": {"said": "Said"},
    "DeleteDataIntent": {},
    "RecallIntent": {"kind": "RecallKind"},
    "RecallMineIntent": {"kind": "RecallKind"},
    "SetReminderIntent": {"time": "AMAZON.TIME", "part": "DayPart"},
    "ReminderStatusIntent": {},
    "StopReminderIntent": {},
}
BUILT_INS = [
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.StartOverIntent",
    "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
]
PATTERN_IDS = {"box", "four_seven_eight", "resonance", "cyclic_sigh"}

#: A spoken value per slot type, for turning slot-carrying samples into utterances.
FILLERS_BY_TYPE = {
    "BreathingPattern": ("box", "box"),
    "RecallKind": ("wins", "wins"),
    "AMAZON.NUMBER": ("five", "5"),
    "AMAZON.DURATION": ("ninety seconds", "PT90S"),
    "AMAZON.SearchQuery": ("our walk in the park", "our walk in the park"),
    "AMAZON.TIME": ("nine thirty", "09:30"),
    "DayPart": ("evening", "evening"),
    "Said": ("we shot some photos at the beach", "we shot some photos at the beach"),
}

_SAMPLE_WORD = re.compile(r"^(?:\{[A-Za-z]+\}|[a-z']+|(?:[a-z]\.)+)$")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    with MODEL_PATH.open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@pytest.fixture(scope="module")
def lm(raw: dict[str, Any]) -> dict[str, Any]:
    language_model: dict[str, Any] = raw["interactionModel"]["languageModel"]
    return language_model


@pytest.fixture(scope="module")
def intents(lm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(i["name"]): i for i in lm["intents"]}


@pytest.fixture(scope="module")
def nlu() -> Nlu:
    return Nlu.for_locale("en-US")


# --------------------------------------------------------------------------- the model


def test_model_shape(raw: dict[str, Any], lm: dict[str, Any]) -> None:
    assert set(raw) == {"interactionModel"}
    assert set(raw["interactionModel"]) == {"languageModel", "dialog", "prompts"}
    assert lm["invocationName"] == "resilient together"
    assert {t["name"] for t in lm["types"]} == {"BreathingPattern", "RecallKind", "Said", "DayPart"}


def test_intents_and_slots_are_the_contract(intents: dict[str, dict[str, Any]]) -> None:
    assert set(intents) == set(CUSTOM_INTENTS) | set(BUILT_INS)
    for name, slots in CUSTOM_INTENTS.items():
        declared = {s["name"]: s["type"] for s in intents[name].get("slots", [])}
        assert declared == slots, name


def test_every_custom_intent_has_enough_samples(intents: dict[str, dict[str, Any]]) -> None:
    for name in CUSTOM_INTENTS:
        if name != "ListenIntent":  # the catch-all: one bare slot
            assert len(intents[name]["samples"]) >= 15, name
    assert len(intents["CrisisIntent"]["samples"]) >= 20


def test_samples_are_spoken_words_only(intents: dict[str, dict[str, Any]]) -> None:
    for name, intent in intents.items():
        for sample in intent["samples"]:
            assert sample == sample.strip() and "  " not in sample, sample
            assert sample == sample.lower() or "{" in sample, sample
            for word in sample.split():
                assert _SAMPLE_WORD.match(word), f"{name}: {sample!r} has {word!r}"
            assert not re.search(r"\d", sample), sample


def test_no_sample_in_two_intents(intents: dict[str, dict[str, Any]]) -> None:
    seen: dict[str, str] = {}
    for name, intent in intents.items():
        for sample in intent["samples"]:
            key = normalize(sample)
            assert key not in seen or seen[key] == name, f"{sample!r}: {seen.get(key)} & {name}"
            seen[key] = name
    # nor does a custom sample shadow a built-in phrase of the resolver
    for name, phrases in BUILTIN_PHRASES.items():
        for phrase in phrases:
            assert normalize(phrase) not in seen, f"{phrase!r} is {name} and {seen[phrase]}"


def test_no_duplicate_samples_within_an_intent(intents: dict[str, dict[str, Any]]) -> None:
    for name, intent in intents.items():
        keys = [normalize(s) for s in intent["samples"]]
        assert len(keys) == len(set(keys)), name


def test_slots_referenced_are_defined_and_defined_slots_used(
    intents: dict[str, dict[str, Any]],
) -> None:
    for name, intent in intents.items():
        declared = {s["name"] for s in intent.get("slots", [])}
        used: set[str] = set()
        for sample in intent["samples"]:
            used |= set(re.findall(r"\{([A-Za-z]+)\}", sample))
        assert used <= declared, name
        assert declared <= used, name
        for slot in intent.get("slots", []):
            for sample in slot.get("samples", []):
                assert "{" + slot["name"] + "}" in sample, sample
                # Amazon lets a slot's samples name other slots of the same intent
                # ("{time} in the {part}"), never a slot the intent lacks.
                refs = set(re.findall(r"\{([A-Za-z]+)\}", sample))
                assert slot["name"] in refs and refs <= declared, sample


def test_search_query_samples_have_a_carrier_phrase(intents: dict[str, dict[str, Any]]) -> None:
    for intent in intents.values():
        query_slots = [s["name"] for s in intent.get("slots", []) if s["type"].endswith("Query")]
        assert len(query_slots) <= 1
        for sample in intent["samples"]:
            for slot in query_slots:
                if "{" + slot + "}" in sample:
                    assert sample.strip() != "{" + slot + "}", sample
                    other = set(re.findall(r"\{([A-Za-z]+)\}", sample)) - {slot}
                    assert not other, sample


def test_no_synonym_under_two_values(lm: dict[str, Any]) -> None:
    for slot_type in lm["types"]:
        owner: dict[str, str] = {}
        for value in slot_type["values"]:
            for phrase in [value["name"]["value"], *value["name"].get("synonyms", [])]:
                key = normalize(phrase)
                value_id = value.get("id") or value["name"]["value"]
                assert key not in owner, f"{phrase!r} under {owner.get(key)} and {value_id}"
                owner[key] = value_id


def test_breathing_patterns_and_recall_kinds(lm: dict[str, Any]) -> None:
    types = {t["name"]: t for t in lm["types"]}
    patterns = {v["id"]: v["name"] for v in types["BreathingPattern"]["values"]}
    assert set(patterns) == PATTERN_IDS
    # ids are the canonical ids; names are what people say
    assert all(patterns[i]["value"] == i.replace("_", " ") for i in patterns)
    # "calm" belongs with resonance, the default pattern when nothing is said
    assert "calm" in patterns["resonance"]["synonyms"]
    assert "square" in patterns["box"]["synonyms"]
    assert "physiological sigh" in patterns["cyclic_sigh"]["synonyms"]
    assert patterns["four_seven_eight"]["value"] == "four seven eight"
    kinds = {v["id"]: v["name"] for v in types["RecallKind"]["values"]}
    assert set(kinds) == {"gratitudes", "wins"}


def test_dialog_model(raw: dict[str, Any], intents: dict[str, dict[str, Any]]) -> None:
    dialog = raw["interactionModel"]["dialog"]
    assert dialog["delegationStrategy"] == "SKILL_RESPONSE"
    by_name = {i["name"]: i for i in dialog["intents"]}
    prompts = {p["id"]: p for p in raw["interactionModel"]["prompts"]}
    for name, slot in (("GratitudeIntent", "gratitude"), ("CelebrateWinIntent", "win")):
        (dslot,) = by_name[name]["slots"]
        assert dslot["name"] == slot and dslot["type"] == "AMAZON.SearchQuery"
        assert dslot["elicitationRequired"] is True
        prompt = prompts[dslot["prompts"]["elicit"]]
        assert len(prompt["variations"]) >= 2
        assert all(v["type"] == "PlainText" and v["value"] for v in prompt["variations"])
        (lm_slot,) = intents[name]["slots"]
        assert "{" + slot + "}" in lm_slot["samples"]
        assert len(lm_slot["samples"]) >= 5
    assert all(not s["elicitationRequired"] for s in by_name["BreatheIntent"]["slots"])
    assert by_name["DeleteDataIntent"]["confirmationRequired"] is False


# --------------------------------------------------------------------------- resolver


def test_for_locale_falls_back_to_en_us(tmp_path: Path) -> None:
    (tmp_path / "en-US.json").write_text(MODEL_PATH.read_text(encoding="utf-8"))
    nlu = Nlu.for_locale("en-GB", models_dir=tmp_path)
    assert nlu.resolve("what's our streak").intent == "ProgressIntent"
    assert Nlu.for_locale("fr-FR").invocation_name == "resilient together"


def test_samples_api(nlu: Nlu, intents: dict[str, dict[str, Any]]) -> None:
    samples = nlu.samples()
    for name in CUSTOM_INTENTS:
        assert samples[name] == intents[name]["samples"]
    assert "{gratitude}" in nlu.slot_samples("GratitudeIntent", "gratitude")
    assert nlu.slots_of("BreatheIntent") == CUSTOM_INTENTS["BreatheIntent"]


def _fill_sample(nlu: Nlu, intent: str, sample: str) -> tuple[str, dict[str, str]]:
    """The sample with every slot replaced by a spoken value, and the expected values."""
    expected: dict[str, str] = {}
    text = sample
    for slot, slot_type in nlu.slots_of(intent).items():
        if "{" + slot + "}" in text:
            spoken, value = FILLERS_BY_TYPE[slot_type]
            text = text.replace("{" + slot + "}", spoken)
            expected[slot] = value
    return text, expected


def test_every_sample_resolves_to_its_own_intent(nlu: Nlu) -> None:
    for intent, samples in nlu.samples().items():
        for sample in samples:
            text, expected = _fill_sample(nlu, intent, sample)
            parse = nlu.resolve(text)
            assert parse.intent == intent, f"{text!r} -> {parse.intent}"
            assert set(parse.slots) == set(nlu.slots_of(intent))
            for slot, value in expected.items():
                fill = parse.slots[slot]
                resolved = fill.resolution.value_id if fill.resolution else fill.value
                assert resolved == value, f"{text!r}: {slot}={fill}"


def test_every_builtin_phrase_resolves(nlu: Nlu) -> None:
    for intent, phrases in BUILTIN_PHRASES.items():
        for phrase in phrases:
            parse = nlu.resolve(phrase)
            assert parse.intent == intent, f"{phrase!r} -> {parse.intent}"
            assert parse.slots == {}


# (utterance, intent, expected slots): custom-type slots compare the resolved id, others
# the value; a slot named with value None must be unfilled.
NEW_UTTERANCES: list[tuple[str, str, dict[str, str | None]]] = [
    # breathing
    (
        "let's do some square breathing for five minutes",
        "BreatheIntent",
        {"pattern": "box", "minutes": "5"},
    ),
    ("can we do the four seven eight breathing", "BreatheIntent", {"pattern": "four_seven_eight"}),
    ("help us breathe for ten minutes please", "BreatheIntent", {"minutes": "10"}),
    ("I need to calm down", "BreatheIntent", {"pattern": None}),
    ("we'd like to try the physiological sigh", "BreatheIntent", {"pattern": "cyclic_sigh"}),
    (
        "do three minutes of navy seal breathing",
        "BreatheIntent",
        {"pattern": "box", "minutes": "3"},
    ),
    ("start a two minute breathing exercise", "BreatheIntent", {"minutes": "2"}),
    ("guide me through some coherent breathing", "BreatheIntent", {"pattern": "resonance"}),
    ("let's do some deep breathing", "BreatheIntent", {"pattern": "resonance"}),
    ("breathing exercise please", "BreatheIntent", {"pattern": None, "minutes": None}),
    ("can we breathe together for twenty one minutes", "BreatheIntent", {"minutes": "21"}),
    ("I want to do box breathing", "BreatheIntent", {"pattern": "box"}),
    ("let's do some sleepy breathing", "BreatheIntent", {"pattern": "four_seven_eight"}),
    ("take five minutes to breathe with us", "BreatheIntent", {"minutes": "5"}),
    ("Alexa, some calm breathing please.", "BreatheIntent", {"pattern": "resonance"}),
    ("fifteen minutes of sighing breathing", "BreatheIntent", {"pattern": "cyclic_sigh"}),
    # gratitude
    (
        "I'm really grateful that my husband cooked tonight",
        "GratitudeIntent",
        {"gratitude": "my husband cooked tonight"},
    ),
    ("we're so thankful for our neighbors", "GratitudeIntent", {"gratitude": "our neighbors"}),
    ("today I'm thankful for the sunshine", "GratitudeIntent", {"gratitude": "the sunshine"}),
    (
        "I'm grateful for my sister calling me",
        "GratitudeIntent",
        {"gratitude": "my sister calling me"},
    ),
    (
        "we're grateful our son slept through the night",
        "GratitudeIntent",
        {"gratitude": "our son slept through the night"},
    ),
    ("I appreciate my wife's patience", "GratitudeIntent", {"gratitude": "my wife's patience"}),
    ("let's do a gratitude moment", "GratitudeIntent", {"gratitude": None}),
    ("I'd like to share something I'm grateful for", "GratitudeIntent", {"gratitude": None}),
    ("one thing I'm grateful for is our dog", "GratitudeIntent", {"gratitude": "our dog"}),
    (
        "I feel so blessed that my mom is healthy",
        "GratitudeIntent",
        {"gratitude": "my mom is healthy"},
    ),
    # wins
    ("I killed it at my interview today", "CelebrateWinIntent", {"win": "my interview today"}),
    (
        "celebrate that we went a whole week without arguing",
        "CelebrateWinIntent",
        {"win": "we went a whole week without arguing"},
    ),
    ("we had a big win today our daughter made the team", "CelebrateWinIntent", {}),
    ("guess what I got the job", "CelebrateWinIntent", {"win": "i got the job"}),
    (
        "I'm so proud that we talked it through calmly",
        "CelebrateWinIntent",
        {"win": "we talked it through calmly"},
    ),
    ("we finally cleaned the garage", "CelebrateWinIntent", {"win": "cleaned the garage"}),
    ("let's celebrate a small win", "CelebrateWinIntent", {}),
    ("I managed to go for a run", "CelebrateWinIntent", {"win": "go for a run"}),
    (
        "good news my therapist says I'm doing better",
        "CelebrateWinIntent",
        {"win": "my therapist says i'm doing better"},
    ),
    ("we want to celebrate", "CelebrateWinIntent", {"win": None}),
    # reflection
    ("what's the reflection for today", "ReflectionIntent", {}),
    ("give us a reflection", "ReflectionIntent", {}),
    ("what should we talk about tonight", "ReflectionIntent", {}),
    ("can you give us a conversation starter", "ReflectionIntent", {}),
    ("we'd like today's reflection please", "ReflectionIntent", {}),
    ("give us a question to discuss", "ReflectionIntent", {}),
    ("I'd like a different question", "ReflectionIntent", {}),
    # progress
    ("how are we doing so far", "ProgressIntent", {}),
    ("what is our current streak", "ProgressIntent", {}),
    ("how many days in a row have we done it", "ProgressIntent", {}),
    ("tell me our progress", "ProgressIntent", {}),
    ("how's our progress", "ProgressIntent", {}),
    ("what's our streak at", "ProgressIntent", {}),
    # recall
    ("what were we thankful for last week", "RecallIntent", {"kind": None}),
    ("remind me of our recent wins", "RecallIntent", {"kind": "wins"}),
    ("read back our gratitude", "RecallIntent", {"kind": "gratitudes"}),
    ("can you remind us of our successes", "RecallIntent", {"kind": "wins"}),
    ("what celebrations have we shared", "RecallIntent", {"kind": "wins"}),
    ("tell me our wins", "RecallIntent", {"kind": "wins"}),
    ("list our blessings please", "RecallIntent", {"kind": "gratitudes"}),
    # finding help
    ("how can I find a therapist", "FindHelpIntent", {}),
    ("where can we get couples counseling", "FindHelpIntent", {}),
    ("we need help finding a counsellor", "FindHelpIntent", {}),
    ("can you help us find a family therapist", "FindHelpIntent", {}),
    ("where can my partner get help", "FindHelpIntent", {}),
    ("I think we need professional help", "FindHelpIntent", {}),
    # crisis
    ("I really want to kill myself", "CrisisIntent", {}),
    ("I feel like I want to die", "CrisisIntent", {}),
    ("I don't want to be here anymore", "CrisisIntent", {}),
    ("I've been thinking about suicide", "CrisisIntent", {}),
    ("my husband wants to kill himself", "CrisisIntent", {}),
    ("I'm going to end my life", "CrisisIntent", {}),
    ("please give me a crisis line", "CrisisIntent", {}),
    ("I am not safe right now", "CrisisIntent", {}),
    # deleting data
    ("please delete all of our data", "DeleteDataIntent", {}),
    ("forget everything you know about us", "DeleteDataIntent", {}),
    ("erase all our history", "DeleteDataIntent", {}),
    ("wipe all our data", "DeleteDataIntent", {}),
    ("I want you to delete our data", "DeleteDataIntent", {}),
    # built-ins
    ("what can I say here", "AMAZON.HelpIntent", {}),
    ("nope not today", "AMAZON.NoIntent", {}),
    ("yeah let's do it", "AMAZON.YesIntent", {}),
    ("could you say that again", "AMAZON.RepeatIntent", {}),
    ("okay stop", "AMAZON.StopIntent", {}),
    ("let's start over", "AMAZON.StartOverIntent", {}),
    ("never mind that", "AMAZON.CancelIntent", {}),
    ("keep going please", "AMAZON.ResumeIntent", {}),
    # heard while trying the resolver out (kept as they were said)
    ("my boyfriend said he's going to kill himself", "CrisisIntent", {}),
    ("I keep thinking about killing myself", "CrisisIntent", {}),
    ("my dad said he wants to die", "CrisisIntent", {}),
    ("walk us through a calming breath", "BreatheIntent", {"pattern": "resonance"}),
    ("breathing for sleep please", "BreatheIntent", {"pattern": "four_seven_eight"}),
    (
        "let's do a box breath for two minutes",
        "BreatheIntent",
        {"pattern": "box", "minutes": "2"},
    ),
    ("can we squeeze in a quick breathing session", "BreatheIntent", {}),
    ("I want the four seven eight one", "BreatheIntent", {"pattern": "four_seven_eight"}),
    ("we killed it at the recital", "CelebrateWinIntent", {"win": "the recital"}),
    ("we did something great today", "CelebrateWinIntent", {}),
    ("I'm super grateful for our friends", "GratitudeIntent", {"gratitude": "our friends"}),
    ("read me the last gratitude", "RecallIntent", {"kind": "gratitudes"}),
    ("is there help for families", "FindHelpIntent", {}),
    ("give me the daily question", "ReflectionIntent", {}),
    ("how's our streak looking", "ProgressIntent", {}),
    # not for this skill
    ("what's the weather like in Seattle", FALLBACK_INTENT, {}),
    ("play some jazz music", FALLBACK_INTENT, {}),
    ("order more paper towels", FALLBACK_INTENT, {}),
    ("add milk to my shopping list", FALLBACK_INTENT, {}),
    ("who won the game last night", FALLBACK_INTENT, {}),
    ("help me find my phone", FALLBACK_INTENT, {}),
]


def _check(nlu: Nlu, utterance: str, intent: str, slots: dict[str, str | None]) -> str | None:
    """None when the utterance resolves as expected, else what went wrong."""
    parse = nlu.resolve(utterance)
    answer = answered_as(parse)
    if answer != intent:
        return f"{utterance!r}: {parse.intent} answered as {answer} (wanted {intent})"
    if parse.intent != intent:
        return None  # answered right by the catch-all or the screen
    types = nlu.slots_of(intent)
    for slot, want in slots.items():
        fill = parse.slots[slot]
        if want is None:
            got = fill.value
        elif fill.resolution is not None and types[slot] not in ("AMAZON.SearchQuery",):
            got = fill.resolution.value_id
        else:
            got = fill.value
        if got != want:
            return f"{utterance!r}: {slot}={got!r} (wanted {want!r})"
    return None


def test_new_utterances_are_new(nlu: Nlu) -> None:
    assert len(NEW_UTTERANCES) >= 60
    samples = {normalize(s) for ss in nlu.samples().values() for s in ss}
    samples |= {normalize(p) for ps in BUILTIN_PHRASES.values() for p in ps}
    for utterance, _, _ in NEW_UTTERANCES:
        assert normalize(utterance) not in samples, utterance


def test_new_utterance_accuracy(nlu: Nlu) -> None:
    failures = [
        problem
        for utterance, intent, slots in NEW_UTTERANCES
        if (problem := _check(nlu, utterance, intent, slots)) is not None
    ]
    share = 1 - len(failures) / len(NEW_UTTERANCES)
    print(f"\nnew utterances resolved correctly: {share:.1%} of {len(NEW_UTTERANCES)}")
    for problem in failures:
        print("  miss:", problem)
    assert share >= 0.85, failures


def test_crisis_utterances_never_missed(nlu: Nlu) -> None:
    for utterance, intent, _ in NEW_UTTERANCES:
        if intent == "CrisisIntent":
            assert answered_as(nlu.resolve(utterance)) == "CrisisIntent", utterance


@pytest.mark.parametrize(
    "utterance",
    [
        "I killed it at my interview",
        "we did a dead lift",
        "this workout is killing me",
        "I'm dying to try that new restaurant",
        "my phone is dead",
        "that joke killed me",
        "I'm dead tired",
        "we nailed the dead lift today",
        "I could murder a pizza",
        "I'm safe at home now",
    ],
)
def test_near_misses_are_not_crises(nlu: Nlu, utterance: str) -> None:
    assert answered_as(nlu.resolve(utterance)) != "CrisisIntent"


def test_slot_values_and_resolution(nlu: Nlu) -> None:
    parse = nlu.resolve("let's do twenty one minutes of calm breathing")
    assert parse.intent == "BreatheIntent"
    pattern = parse.slots["pattern"]
    assert pattern.value == "calm"
    assert pattern.resolution is not None
    assert pattern.resolution.status == ER_MATCH
    assert pattern.resolution.value_id == "resonance"
    assert pattern.resolution.value_name == "resonance"
    assert pattern.resolution.authority.endswith(".BreathingPattern")
    assert pattern.resolution.authority.startswith("amzn1.er-authority.echo-sdk.amzn1.ask.skill.")
    minutes = parse.slots["minutes"]
    assert minutes.value == "21" and minutes.resolution is None


def test_open_slot_type_keeps_unlisted_values(nlu: Nlu) -> None:
    parse = nlu.resolve("let's do lion breathing")
    assert parse.intent == "BreatheIntent"
    fill = parse.slots["pattern"]
    assert fill.value == "lion"
    assert fill.resolution is not None
    assert fill.resolution.status == ER_NO_MATCH
    assert fill.resolution.value_id is None and fill.resolution.value_name is None


def test_unfilled_slots_are_present(nlu: Nlu) -> None:
    parse = nlu.resolve("breathe")
    assert parse.intent == "BreatheIntent"
    assert set(parse.slots) == {"pattern", "minutes", "length"}
    assert all(f.value is None and f.resolution is None for f in parse.slots.values())


def test_skill_id_reaches_the_authority(raw: dict[str, Any]) -> None:
    parse = Nlu(raw, skill_id=SKILL_ID).resolve("read back our wins")
    resolution = parse.slots["kind"].resolution
    assert resolution is not None
    assert resolution.authority == f"amzn1.er-authority.echo-sdk.{SKILL_ID}.RecallKind"


def test_considered_is_ranked(nlu: Nlu) -> None:
    parse = nlu.resolve("I'm grateful for our walk")
    assert parse.considered[0].intent == parse.intent == "GratitudeIntent"
    assert parse.considered[0].sample == "i'm grateful for {gratitude}"
    scores = [c.score for c in parse.considered]
    assert scores == sorted(scores, reverse=True)
    assert len({c.intent for c in parse.considered}) == len(parse.considered)


@pytest.mark.parametrize("utterance", ["", "   ", "?!", "blorp zindle quaxx", "the the the"])
def test_gibberish_is_fallback(nlu: Nlu, utterance: str) -> None:
    parse = nlu.resolve(utterance)
    assert answered_as(parse) == FALLBACK_INTENT
    if parse.intent == FALLBACK_INTENT:  # no words at all
        assert parse.slots == {} and not utterance.strip(" ?!")
        assert parse.considered[0].sample is None
    else:  # words: the catch-all carries them, as said, for the screen
        assert parse.intent == "ListenIntent"
        assert parse.slots["said"].value == utterance
        assert parse.considered[0].sample == "{said}"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_resolve_never_raises(text: str) -> None:
    parse = _NLU.resolve(text)
    assert parse.intent
    assert parse.considered


_NLU = Nlu.for_locale("en-US")


# --------------------------------------------------------------------------- elicitation


def test_elicited_search_query_takes_the_bare_reply(nlu: Nlu) -> None:
    elicit = ("GratitudeIntent", "gratitude")
    parse = nlu.resolve("my kids laughed at dinner", elicit=elicit)
    assert parse.intent == "GratitudeIntent"
    assert parse.slots["gratitude"].value == "my kids laughed at dinner"
    parse = nlu.resolve("that my kids laughed at dinner", elicit=elicit)
    assert parse.slots["gratitude"].value == "my kids laughed at dinner"
    parse = nlu.resolve("I'm grateful for the rain", elicit=elicit)
    assert parse.slots["gratitude"].value == "the rain"
    # a reply that would be another intent on its own still fills the slot
    parse = nlu.resolve("our walk", elicit=elicit)
    assert parse.slots["gratitude"].value == "our walk"
    parse = nlu.resolve("we went for a walk together", elicit=("CelebrateWinIntent", "win"))
    assert parse.intent == "CelebrateWinIntent"
    assert parse.slots["win"].value == "we went for a walk together"


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("stop", "AMAZON.StopIntent"),
        ("cancel", "AMAZON.CancelIntent"),
        ("never mind", "AMAZON.CancelIntent"),
        ("help", "AMAZON.HelpIntent"),
        ("I want to kill myself", "CrisisIntent"),
        ("honestly I want to die", "CrisisIntent"),
    ],
)
def test_elicitation_still_hears_stop_help_and_crisis(
    nlu: Nlu, utterance: str, intent: str
) -> None:
    parse = nlu.resolve(utterance, elicit=("GratitudeIntent", "gratitude"))
    assert parse.intent == intent


def test_elicitation_does_not_escape_on_a_passing_word(nlu: Nlu) -> None:
    parse = nlu.resolve("your help with the kids", elicit=("GratitudeIntent", "gratitude"))
    assert parse.intent == "GratitudeIntent"
    assert parse.slots["gratitude"].value == "your help with the kids"


def test_elicited_number_that_is_not_a_number_resolves_normally(nlu: Nlu) -> None:
    parse = nlu.resolve("seven", elicit=("BreatheIntent", "minutes"))
    assert parse.intent == "BreatheIntent" and parse.slots["minutes"].value == "7"
    parse = nlu.resolve("what's our streak", elicit=("BreatheIntent", "minutes"))
    assert parse.intent == "ProgressIntent"


# --------------------------------------------------------------------------- invocation


@pytest.mark.parametrize(
    ("utterance", "expected"),
    [
        ("open resilient together", ("launch", None)),
        ("Alexa, open Resilient Together.", ("launch", None)),
        ("alexa start resilient together", ("launch", None)),
        ("launch resilient together", ("launch", None)),
        ("talk to resilient together", ("launch", None)),
        ("resilient together", ("launch", None)),
        ("ask resilient together to breathe", ("oneshot", "breathe")),
        ("Alexa, ask Resilient Together to breathe!", ("oneshot", "breathe")),
        ("tell resilient together that we had a win", ("oneshot", "we had a win")),
        ("ask resilient together for today's reflection", ("oneshot", "today's reflection")),
        ("ask resilient together what's our streak", ("oneshot", "what's our streak")),
        ("ask resilient together about our progress", ("oneshot", "our progress")),
        ("tell resilient together I'm grateful for coffee", ("oneshot", "i'm grateful for coffee")),
        ("open resilient together and start breathing", ("oneshot", "start breathing")),
        ("start box breathing with resilient together", ("oneshot", "start box breathing")),
        ("ask resilient together", ("launch", None)),
        ("what's our streak", ("utterance", "what's our streak")),
        ("Alexa, what's our streak?", ("utterance", "what's our streak")),
    ],
)
def test_split_invocation(utterance: str, expected: tuple[str, str | None]) -> None:
    assert split_invocation(utterance, "resilient together") == expected


def test_oneshot_rest_resolves(nlu: Nlu) -> None:
    kind, rest = split_invocation(
        "ask resilient together for today's reflection", "Resilient Together"
    )
    assert kind == "oneshot" and rest is not None
    assert nlu.resolve(rest).intent == "ReflectionIntent"
    kind, rest = split_invocation("tell resilient together that we had a win", "resilient together")
    assert rest is not None
    assert nlu.resolve(rest).intent == "CelebrateWinIntent"


# --------------------------------------------------------------------------- slot parsers


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("five", 5),
        ("twenty one", 21),
        ("ten", 10),
        ("fifteen", 15),
        ("a hundred", 100),
        ("one hundred and five", 105),
        ("two thousand twenty four", 2024),
        ("12", 12),
        ("zero", 0),
        ("five five", None),
        ("twenty twenty", None),
        ("minutes", None),
        ("", None),
    ],
)
def test_parse_number(words: str, value: int | None) -> None:
    assert parse_number(words.split()) == value


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("five minutes", "PT5M"),
        ("an hour", "PT1H"),
        ("an hour and a half", "PT1H30M"),
        ("half an hour", "PT30M"),
        ("two hours and ten minutes", "PT2H10M"),
        ("thirty seconds", "PT30S"),
        ("two weeks", "P2W"),
        ("three days", "P3D"),
        ("minutes", None),
        ("five", None),
    ],
)
def test_parse_duration(words: str, value: str | None) -> None:
    assert parse_duration(words.split()) == value


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("seven pm", "19:00"),
        ("seven p m", "19:00"),
        ("seven thirty", "07:30"),
        ("seven thirty pm", "19:30"),
        ("seven o'clock in the evening", "19:00"),
        ("half past six", "06:30"),
        ("quarter to eight", "07:45"),
        ("twelve am", "00:00"),
        ("noon", "12:00"),
        ("midnight", "00:00"),
        ("evening", "EV"),
        ("seven oh five", "07:05"),
        ("banana", None),
    ],
)
def test_parse_time(words: str, value: str | None) -> None:
    assert parse_time(words.split()) == value


def test_normalize() -> None:
    assert normalize("What's our streak?") == normalize("what is our streak")
    assert normalize("Let's   breathe, please!") == "let us breathe please"
    assert normalize("I'm grateful for my husband's cooking") == (
        "i am grateful for my husband's cooking"
    )


# --------------------------------------------------------------------------- locale-wide matching


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("hang on a sec", "AMAZON.PauseIntent"),
        ("hold on a second please", "AMAZON.PauseIntent"),
        ("never mind, forget it", "AMAZON.CancelIntent"),
        ("no thanks, not right now", "AMAZON.NoIntent"),
        ("stop it now please", "AMAZON.StopIntent"),
        ("okay that's it for now", "AMAZON.StopIntent"),
        ("sorry what was that", "AMAZON.RepeatIntent"),
    ],
)
def test_builtins_said_in_pieces(nlu: Nlu, utterance: str, intent: str) -> None:
    assert nlu.resolve(utterance).intent == intent


def test_builtin_pieces_never_hide_a_crisis(nlu: Nlu) -> None:
    # "i need help right now" is a crisis sample; "help" and "right now" are not a help request
    assert nlu.resolve("I need help right now").intent == "CrisisIntent"
    assert nlu.resolve("help, right now please").intent != "AMAZON.StopIntent"


def test_any_more_is_anymore() -> None:
    assert normalize("I don't want to live any more") == normalize("I don't want to live anymore")


def test_a_possessive_matches_the_word(nlu: Nlu) -> None:
    assert nlu.resolve("my partner's threatening to kill himself").intent == "CrisisIntent"


def test_household_members_stand_in_for_each_other(nlu: Nlu) -> None:
    assert answered_as(nlu.resolve("my brother wants to kill himself")) == "CrisisIntent"
    assert nlu.resolve("my mum needs help").intent == "FindHelpIntent"


@pytest.mark.parametrize(
    "utterance",
    [
        "what's the score of the Giants game",
        "what is the cricket score",
        "what's the football score",
    ],
)
def test_someone_elses_score_is_not_ours(nlu: Nlu, utterance: str) -> None:
    assert answered_as(nlu.resolve(utterance)) == FALLBACK_INTENT


def test_the_for_our_alone_still_matches(nlu: Nlu) -> None:
    assert nlu.resolve("show me the progress").intent == "ProgressIntent"
    assert nlu.resolve("clear all the history please").intent == "DeleteDataIntent"


def test_tokens_keep_letters_of_any_language() -> None:
    """Accented letters are letters: "música" stays one word (Spanish is next)."""
    assert normalize("¡Quiero hacer música, niño!") == "quiero hacer música niño"
    assert normalize("Ça va, Zoë?") == "ça va zoë"
    assert normalize("tea_time & toast") == "tea time toast"


def test_a_language_without_a_simulator_pack_is_a_clear_error() -> None:
    from skill.sim.nlu.words import LanguagePackError, load_words

    assert load_words("en").set("fillers")  # the English pack is there and read
    with pytest.raises(LanguagePackError, match=r"no simulator language pack for 'xx'.*sim\.toml"):
        load_words("xx")
