"""``together lint``: the repository lints clean, and each rule catches a broken copy
with the right file and line."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import skill.core.ssml as ssml_module
from skill import lint as L
from skill.cli import main
from skill.content import CONTENT_DIR, load
from skill.content.keys import SPEECH_KEYS
from skill.core.handlers import HANDLED_INTENTS

REAL_MODEL = L.MODELS_DIR / "en-US.json"

Model = dict[str, Any]


# ----------------------------------------------------------------------------- helpers


def base_model() -> Model:
    data: Model = json.loads(REAL_MODEL.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def intent(model: Model, name: str) -> dict[str, Any]:
    for item in model["interactionModel"]["languageModel"]["intents"]:
        if item["name"] == name:
            found: dict[str, Any] = item
            return found
    raise KeyError(name)


def write_model(directory: Path, model: Model, locale: str = "en-US") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{locale}.json"
    path.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def line_of(path: Path, needle: str, after: str | None = None) -> int:
    """1-based line of needle in the file (searched from after, when given)."""
    text = path.read_text(encoding="utf-8")
    start = text.index(after) if after else 0
    at = text.index(needle, start)
    return text.count("\n", 0, at) + 1


def lint_one(path: Path) -> list[L.Finding]:
    model, problems = L.read_model(path)
    assert model is not None, problems
    return L.lint_model(model, HANDLED_INTENTS)


def only(findings: list[L.Finding], rule: str) -> list[L.Finding]:
    return [f for f in findings if f.rule == rule]


def broken(tmp_path: Path, change: Callable[[Model], None]) -> tuple[Path, list[L.Finding]]:
    model = base_model()
    change(model)
    path = write_model(tmp_path / "models", model)
    return path, lint_one(path)


# ----------------------------------------------------------------------------- the repo


def test_the_repository_lints_without_errors() -> None:
    findings = L.lint()
    assert L.errors(findings) == [], "\n".join(map(str, L.errors(findings)))


def test_every_model_present_lints_on_its_own() -> None:
    models, problems = L.read_models()
    assert problems == []
    assert {m.locale for m in models} >= {"en-US"}
    for model in models:
        assert L.lint_model(model, HANDLED_INTENTS) == []


def test_the_cli_exits_0_when_clean_and_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["errors"] == 0
    assert all(f["severity"] == "warning" for f in data["findings"])


def test_the_cli_exits_1_on_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    model = base_model()
    model["interactionModel"]["languageModel"]["invocationName"] = "open together"
    path = write_model(tmp_path, model)
    monkeypatch.setattr(L, "MODELS_DIR", tmp_path)
    assert main(["lint"]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{line_of(path, 'invocationName')}: [invocation-name]" in out
    assert "together lint: 1 error(s)" in out


def test_finding_prints_path_line_rule() -> None:
    f = L.Finding("a/b.json", 12, "sample-chars", "bad")
    assert str(f) == "a/b.json:12: [sample-chars] bad"
    assert str(L.Finding("x", 1, "r", "m", L.WARNING)) == "x:1: [r] (warning) m"


# ----------------------------------------------------------------------------- models


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "en-US.json"
    path.write_text('{\n  "interactionModel": {\n    "languageModel": ,\n  }\n}\n')
    model, findings = L.read_model(path)
    assert model is None
    assert [(f.rule, f.line) for f in findings] == [("model-json", 3)]


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("Resilient Together", "lowercase"),
        ("together", "two words"),
        ("resilient 2gether", "lowercase"),
        ("open together", "launch word"),
        ("talk together", "launch word"),
        ("resilience for us", "connecting word"),
        ("strength and calm", "connecting word"),
        ("resilient together skill", "reserved word"),
        ("amazon calm", "reserved word"),
        ("echo together", "reserved word"),
    ],
)
def test_invocation_name_rules(tmp_path: Path, name: str, why: str) -> None:
    def change(model: Model) -> None:
        model["interactionModel"]["languageModel"]["invocationName"] = name

    path, findings = broken(tmp_path, change)
    hits = only(findings, "invocation-name")
    assert hits, findings
    assert any(why in f.message for f in hits), hits
    assert {f.line for f in hits} == {line_of(path, '"invocationName"')}
    assert {f.path for f in hits} == {str(path)}


@pytest.mark.parametrize(
    "sample",
    ["do 4 breaths", "what's up!", "tell me a story, please", "ok-ish", "breathe {pattern"],
)
def test_sample_characters(tmp_path: Path, sample: str) -> None:
    path, findings = broken(
        tmp_path, lambda m: intent(m, "ReflectionIntent")["samples"].append(sample)
    )
    hits = only(findings, "sample-chars")
    assert len(hits) == 1, findings
    assert hits[0].line == line_of(path, json.dumps(sample), after='"ReflectionIntent"')
    assert hits[0].path == str(path)


@pytest.mark.parametrize(
    "sample", ["remind us at seven a.m.", "what would dr. kind say", "we're o.k."]
)
def test_sample_characters_allow_abbreviations_and_apostrophes(tmp_path: Path, sample: str) -> None:
    _, findings = broken(
        tmp_path, lambda m: intent(m, "ReflectionIntent")["samples"].append(sample)
    )
    assert only(findings, "sample-chars") == []


def test_a_sample_using_an_undefined_slot(tmp_path: Path) -> None:
    path, findings = broken(
        tmp_path, lambda m: intent(m, "BreatheIntent")["samples"].append("breathe for {duration}")
    )
    hits = only(findings, "slot-undefined")
    assert len(hits) == 1
    assert "{duration}" in hits[0].message
    assert hits[0].line == line_of(path, '"breathe for {duration}"')


def test_a_slot_sample_using_an_undefined_slot(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        intent(model, "GratitudeIntent")["slots"][0]["samples"].append("thanks {person}")

    path, findings = broken(tmp_path, change)
    hits = only(findings, "slot-undefined")
    assert [h.line for h in hits] == [line_of(path, '"thanks {person}"')]


def test_a_defined_slot_used_in_no_sample(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        intent(model, "ReflectionIntent")["slots"] = [
            {"name": "mood", "type": "AMAZON.SearchQuery", "samples": []}
        ]

    path, findings = broken(tmp_path, change)
    hits = only(findings, "slot-unused")
    assert len(hits) == 1
    assert "'mood'" in hits[0].message
    assert hits[0].line == line_of(path, '"mood"')


def test_a_slot_used_only_in_its_slot_samples_counts_as_used(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        grat = intent(model, "GratitudeIntent")
        grat["samples"] = [s for s in grat["samples"] if "{gratitude}" not in s]

    _, findings = broken(tmp_path, change)
    assert only(findings, "slot-unused") == []


def test_an_undefined_custom_slot_type(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        intent(model, "BreatheIntent")["slots"][0]["type"] = "BreathPattern"

    path, findings = broken(tmp_path, change)
    hits = only(findings, "slot-type")
    assert [h.line for h in hits] == [line_of(path, '"BreathPattern"')]


def test_one_utterance_in_two_intents(tmp_path: Path) -> None:
    path, findings = broken(
        tmp_path, lambda m: intent(m, "ProgressIntent")["samples"].append("Help  us BREATHE")
    )
    hits = only(findings, "duplicate-utterance")
    assert len(hits) == 1
    assert "BreatheIntent" in hits[0].message
    assert hits[0].line == line_of(path, '"Help  us BREATHE"')


def test_search_query_alone_in_an_intent_sample(tmp_path: Path) -> None:
    path, findings = broken(
        tmp_path, lambda m: intent(m, "GratitudeIntent")["samples"].append("{gratitude}")
    )
    hits = only(findings, "searchquery-alone")
    assert len(hits) == 1
    # the intent sample, not the slot sample "{gratitude}" above it
    text = path.read_text()
    slot_line = line_of(path, '"{gratitude}"', after='"GratitudeIntent"')
    last = text.rindex('"{gratitude}"')
    assert hits[0].line == text.count("\n", 0, last) + 1
    assert hits[0].line != slot_line


def test_search_query_alone_in_a_slot_sample_is_allowed() -> None:
    # the real model elicits {gratitude} with the bare slot as a dialog sample
    model = base_model()
    assert "{gratitude}" in intent(model, "GratitudeIntent")["slots"][0]["samples"]
    assert only(lint_one(REAL_MODEL), "searchquery-alone") == []


def test_two_search_query_slots_in_one_sample(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        grat = intent(model, "GratitudeIntent")
        grat["slots"].append({"name": "reason", "type": "AMAZON.SearchQuery", "samples": []})
        grat["samples"].append("i'm grateful for {gratitude} because {reason}")

    path, findings = broken(tmp_path, change)
    hits = only(findings, "searchquery-multiple")
    assert [h.line for h in hits] == [line_of(path, "because {reason}")]


@pytest.mark.parametrize("builtin", L.REQUIRED_BUILTINS)
def test_a_required_builtin_missing(tmp_path: Path, builtin: str) -> None:
    def change(model: Model) -> None:
        lm = model["interactionModel"]["languageModel"]
        lm["intents"] = [i for i in lm["intents"] if i["name"] != builtin]

    path, findings = broken(tmp_path, change)
    hits = only(findings, "builtin-missing")
    assert [h.message for h in hits] == [f"{builtin} is required"]
    assert hits[0].line == line_of(path, '"intents"')


def test_an_intent_without_a_handler(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        model["interactionModel"]["languageModel"]["intents"].append(
            {"name": "SetTimerIntent", "slots": [], "samples": ["set a timer for our tea"]}
        )

    path, findings = broken(tmp_path, change)
    hits = only(findings, "intent-unhandled")
    assert [h.line for h in hits] == [line_of(path, '"SetTimerIntent"')]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("AMAZON.RepeatIntent", "builtin-missing"),
        ("AMAZON.PauseIntent", "builtin-missing"),
        ("RecallIntent", "intent-missing"),
    ],
)
def test_a_handled_intent_missing_from_the_model(tmp_path: Path, name: str, rule: str) -> None:
    def change(model: Model) -> None:
        lm = model["interactionModel"]["languageModel"]
        lm["intents"] = [i for i in lm["intents"] if i["name"] != name]
        model["interactionModel"]["dialog"]["intents"] = [
            i for i in model["interactionModel"]["dialog"]["intents"] if i["name"] != name
        ]

    path, findings = broken(tmp_path, change)
    hits = [f for f in findings if f.rule in ("builtin-missing", "intent-missing")]
    assert [(h.rule, h.message.split()[0]) for h in hits] == [(rule, name)]
    assert hits[0].line == line_of(path, '"intents"')


def test_dialog_rules_for_an_unknown_prompt(tmp_path: Path) -> None:
    def change(model: Model) -> None:
        model["interactionModel"]["prompts"] = model["interactionModel"]["prompts"][1:]

    path, findings = broken(tmp_path, change)
    hits = only(findings, "dialog")
    assert len(hits) == 1
    assert hits[0].line == line_of(
        path, '"Elicit.Slot.GratitudeIntent.gratitude"', after='"dialog"'
    )


def test_json_positions_are_exact() -> None:
    text = '{"a": [1, {"b": "x\\"y"}, true], "c": {"d": null}}'
    pos = L.json_positions(text)
    assert text[pos[("a", 1, "b")] :].startswith('"x\\"y"')
    assert text[pos[("c", "d")] :].startswith("null")
    assert text[pos[("a", 2)] :].startswith("true")


# ----------------------------------------------------------------------------- locales


def test_locale_parity(tmp_path: Path) -> None:
    us = base_model()
    gb = base_model()
    lm = gb["interactionModel"]["languageModel"]
    lm["intents"] = [i for i in lm["intents"] if i["name"] != "ProgressIntent"]
    intent(gb, "BreatheIntent")["slots"][1]["type"] = "AMAZON.DURATION"
    lm["intents"].append({"name": "ExtraIntent", "slots": [], "samples": ["something extra"]})
    write_model(tmp_path, us, "en-US")
    gb_path = write_model(tmp_path, gb, "en-GB")
    models, problems = L.read_models(tmp_path)
    assert problems == []
    hits = L.lint_parity(models, ["en-US", "en-GB"])
    by_message = {h.message.split()[0]: h for h in hits}
    assert set(by_message) == {"ProgressIntent", "ExtraIntent", "BreatheIntent"}
    assert all(h.path == str(gb_path) and h.rule == "locale-parity" for h in hits)
    assert by_message["BreatheIntent"].line == line_of(gb_path, '"BreatheIntent"')
    assert by_message["ExtraIntent"].line == line_of(gb_path, '"ExtraIntent"')


def test_a_content_locale_without_a_model_is_a_warning(tmp_path: Path) -> None:
    write_model(tmp_path, base_model(), "en-US")
    models, _ = L.read_models(tmp_path)
    hits = L.lint_parity(models, ["en-US", "en-AU"])
    assert [(h.rule, h.severity, h.path) for h in hits] == [
        ("locale-model", L.WARNING, str(tmp_path / "en-AU.json"))
    ]
    assert "falls back to en-US" in hits[0].message


def test_every_model_present_is_linted(tmp_path: Path) -> None:
    write_model(tmp_path, base_model(), "en-US")
    bad = base_model()
    bad["interactionModel"]["languageModel"]["invocationName"] = "together"
    gb = write_model(tmp_path, bad, "en-GB")
    findings = L.lint(tmp_path, CONTENT_DIR)
    assert [(f.path, f.rule) for f in L.errors(findings)] == [(str(gb), "invocation-name")]


# ----------------------------------------------------------------------------- content


def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_real_content_lints_clean() -> None:
    from skill.content import supported_locales

    assert L.lint_content(supported_locales()) == []


GOODBYE = "goodbye = ["


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ('Take care <break time="12s"/> of each other.', "ssml-break"),
        ('Take care <break time="soon"/> of each other.', "ssml-break"),
        ("Take care <foo>of each other</foo>.", "ssml-tag"),
        ("Take care & see you soon.", "ssml-xml"),
        ("Take care <emphasis>of each other.", "ssml-xml"),
        ("Take care of each other, {name}.", "content-slots"),
        ("Take care {0} of each other.", "content-slots"),
        ("Take care " + "and breathe " * 700, "ssml-length"),
    ],
)
def test_a_broken_variant_names_its_file_and_line(tmp_path: Path, bad: str, rule: str) -> None:
    content = content_copy(tmp_path)
    speech = content / "en" / "speech.toml"
    replace_in(speech, GOODBYE, f"{GOODBYE}\n  {json.dumps(bad)},")
    findings = L.lint_content(["en-US", "en-GB"], content)
    hits = only(findings, rule)
    assert len(hits) == 1, findings  # reported once, not once per locale
    assert hits[0].path == str(speech)
    assert hits[0].line == line_of(speech, json.dumps(bad)[:20])
    assert "goodbye" in hits[0].message


def test_amazon_ssml_tags_are_allowed(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    speech = content / "en" / "speech.toml"
    good = (
        '<amazon:effect name="whispered">Take care</amazon:effect> '
        '<prosody rate="slow"><emphasis level="moderate">of each other</emphasis></prosody>'
        '<break time="1500ms"/>'
    )
    replace_in(speech, GOODBYE, f"{GOODBYE}\n  {json.dumps(good)},")
    assert L.lint_content(["en-US"], content) == []


def test_a_locale_override_is_pointed_at_in_the_locale_file(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    gb = content / "en-GB" / "speech.toml"
    bad = 'If you need to, call <break time="11s"/> your GP.'
    replace_in(gb, "find_help = [", f"find_help = [\n  {json.dumps(bad)},")
    hits = only(L.lint_content(["en-US", "en-GB"], content), "ssml-break")
    assert [(h.path, h.line) for h in hits] == [(str(gb), line_of(gb, "If you need to"))]
    assert hits[0].message.startswith("en-GB find_help")


def test_missing_and_unknown_keys(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    speech = content / "en" / "speech.toml"
    replace_in(speech, "goodbye = [", "goodbye_typo = [")
    findings = only(L.lint_content(["en-US"], content), "content-key")
    messages = sorted(f.message for f in findings)
    assert messages == [
        "en-US: speech key 'goodbye' has no variants",
        "en-US: unknown speech key 'goodbye_typo'",
    ]
    unknown = next(f for f in findings if "typo" in f.message)
    assert unknown.line == line_of(speech, "goodbye_typo = [") + 1


def test_the_helpline_is_rendered_into_the_crisis_variants(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    us = content / "en-US" / "speech.toml"
    replace_in(us, 'speech = "call or text', 'speech = "call & text')
    hits = only(L.lint_content(["en-US"], content), "ssml-xml")
    assert {h.message.split()[1].rstrip(":") for h in hits} == {
        "helpline",
        "crisis",
        "card_crisis_body",
        "card_crisis_urgent_body",
        "crisis_number",
        "crisis_goodbye",
        "crisis_urgent",
        "crisis_urgent_number",
        "crisis_urgent_goodbye",
        "support",
        "support_goodbye",
    }
    helpline = next(h for h in hits if " helpline:" in h.message)
    assert (helpline.path, helpline.line) == (str(us), line_of(us, 'speech = "call & text'))


def test_user_text_that_escapes_unescaped_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ssml_module, "escape", lambda text: text)  # a broken escaper
    findings = L.lint_content(["en-US"])
    escapes = only(findings, "ssml-escape")
    assert escapes
    assert any("gratitude_reflect" in f.message for f in escapes)
    assert all(f.path.endswith("speech.toml") for f in escapes)


def test_hostile_values_come_out_escaped() -> None:
    variant = L.Variant("en-US", "win_celebrate", "Yay, {win}!", Path("x.toml"), 3)
    ssml, hostile = L.render_variant(variant, SPEECH_KEYS["win_celebrate"], "")
    assert "win" in hostile
    assert L.HOSTILE_VALUE not in ssml
    assert "Tom &amp; Jerry&apos;s &lt;b&gt;" in ssml
    assert L.check_ssml(ssml) == []


def test_check_ssml_lists_every_alexa_tag() -> None:
    for tag in L.ALEXA_SSML_TAGS - {"speak"}:
        doc = f"<speak><{tag}>x</{tag}></speak>"
        assert L.check_ssml(doc) == [], tag
    assert L.check_ssml("<speak><script>x</script></speak>")[0][0] == "ssml-tag"


# ----------------------------------------------------------------------------- breathing


def test_every_breathing_round_fits(tmp_path: Path) -> None:
    content = load("en-US")
    path = CONTENT_DIR / "en" / "breathing.toml"
    assert L.lint_breathing(content, path) == []
    turns = list(L.breathing_turns(content, "four_seven_eight", 10))
    assert len(turns) >= 10
    assert all(t.startswith("<speak>") and t.endswith("</speak>") for t in turns)


def test_a_breathing_round_too_long_is_caught(tmp_path: Path) -> None:
    import dataclasses

    content = load("en-US")
    # one round for a whole half hour: far too much for one response
    breathing = dataclasses.replace(content.breathing, round_seconds=3600)
    slow = dataclasses.replace(content, breathing=breathing)
    path = CONTENT_DIR / "en" / "breathing.toml"
    hits = L.lint_breathing(slow, path, minutes=[30])
    assert hits
    assert {h.rule for h in hits} == {"breathing-round"}
    assert any("ssml-length" in h.message for h in hits)
    box = next(h for h in hits if " box," in h.message)
    assert box.line == line_of(path, "[patterns.box]")


def test_every_offered_word_is_understood_as_what_it_offers(tmp_path: Path) -> None:
    for locale in ("en-US", "en-GB", "en-CA", "en-AU", "en-IN"):
        assert L.lint_offers(locale, L.MODELS_DIR) == [], locale
    content = content_copy(tmp_path)
    offers = content / "en" / "offers.toml"
    offers.write_text(
        offers.read_text(encoding="utf-8") + '"dance with me" = "BreatheIntent"\n',
        encoding="utf-8",
    )
    hits = only(L.lint_offers("en-GB", L.MODELS_DIR, content), "offered-words")
    messages = " ".join(h.message for h in hits)
    assert "offered nowhere" in messages and "not BreatheIntent" in messages
    assert {h.line for h in hits} == {line_of(offers, '"dance with me"')}
