"""Echo Show: the APL documents and their animation, validated by Amazon's apl-suggester
(npm, installed by ``make test`` into build/apl), and sent only to screens."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.serialize import DefaultSerializer

from skill.content import load
from skill.core import display
from skill.core.skill import Skill
from skill.sim.envelope import Device
from skill.sim.session import Conversation, TurnResult
from tests.conftest import Clock, fixture_envelope

ROOT = Path(__file__).resolve().parent.parent
VALIDATOR = ROOT / "tests" / "apl" / "validate.js"
NODE_MODULES = ROOT / "build" / "apl" / "node_modules"
RENDER = "Alexa.Presentation.APL.RenderDocument"
EXECUTE = "Alexa.Presentation.APL.ExecuteCommands"


def validate(docs: dict[str, dict[str, Any]], tmp_path: Path) -> dict[str, list[Any]]:
    """Each document's problems as apl-suggester reports them (one node run for all)."""
    node = shutil.which("node")
    assert node, "node is missing: make test installs nodejs and npm"
    assert (NODE_MODULES / "apl-suggester").is_dir(), "run make test (or make apl) first"
    files = []
    for name, doc in docs.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(doc))
        files.append(str(path))
    run = subprocess.run(
        [node, str(VALIDATOR), *files],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        check=False,
    )
    assert run.returncode in (0, 1), run.stderr
    found = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(found) == len(files), run.stdout
    return {Path(f["file"]).stem: f["problems"] for f in found}


def with_animation(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """The breathing document with its animation as onMount, so the validator checks
    the commands' schema too."""
    return {**display.document("breathing"), "onMount": commands}


def test_the_validator_finds_a_broken_document(tmp_path: Path) -> None:
    broken = with_animation([{"type": "AnimateItem", "componentId": "circle", "durationz": 1}])
    assert validate({"broken": broken}, tmp_path)["broken"]


def test_every_document_and_every_pattern_s_animation_is_valid_apl(tmp_path: Path) -> None:
    docs = {name: display.document(name) for name in display.documents()}
    assert set(docs) == {"breathing", "reflection"}
    for locale in ("en-US", "en-GB"):
        breathing = load(locale).breathing
        for pattern in breathing.patterns.values():
            cues = {phase: f"cue {phase}" for phase, _ in pattern.phases}
            commands = display.breathing_commands(pattern, cues, 3)
            docs[f"{locale}-{pattern.id}"] = with_animation(commands)
    problems = validate(docs, tmp_path)
    assert problems == {name: [] for name in docs}


def test_the_animation_follows_the_pattern_s_own_timing() -> None:
    breathing = load("en-US").breathing
    for pattern in breathing.patterns.values():
        cues = {phase: f"cue {phase}" for phase, _ in pattern.phases}
        [sequence] = display.breathing_commands(pattern, cues, 4)
        assert sequence["repeatCount"] == 3  # four cycles
        steps = sequence["commands"]
        assert len(steps) == len(pattern.phases)
        total = 0
        scale = display.REST[0]
        for (phase, seconds), step in zip(pattern.phases, steps, strict=True):
            word, animate = step["commands"]
            assert word["value"] == f"cue {phase}"  # the word spoken, shown
            assert animate["duration"] == round(seconds * 1000)
            transform, opacity = animate["value"]
            assert (transform["property"], opacity["property"]) == ("transform", "opacity")
            start, end = transform["from"][0]["scale"], transform["to"][0]["scale"]
            assert start == scale
            if phase.startswith("in"):
                assert end > start
            elif phase.startswith("out"):
                assert end < start
            else:
                assert end == start  # a hold rests
            scale = end
            total += animate["duration"]
        assert abs(total - pattern.cycle_seconds * 1000) < len(pattern.phases)
        assert scale == display.REST[0]  # each cycle ends where the next begins


def screen_talk(skill: Skill, clock: Clock, *, screen: bool) -> Conversation:
    return Conversation(skill, Device(household="test", screen=screen), clock)


def directives(result: TurnResult) -> dict[str, dict[str, Any]]:
    return {d["type"]: d for d in result.directives}


def test_a_screen_breathes_with_the_voice(skill: Skill, clock: Clock, tmp_path: Path) -> None:
    convo = screen_talk(skill, clock, screen=True)
    convo.say("open resilient together")
    result = convo.say("let's do some box breathing")
    sent = directives(result)
    assert {RENDER, EXECUTE} <= set(sent)
    assert sent[RENDER]["token"] == sent[EXECUTE]["token"] == "breathing"
    [sequence] = sent[EXECUTE]["commands"]
    assert sequence["delay"] >= 5000  # the circle waits for the introduction to be said
    box = load("en-US").breathing.patterns["box"]
    assert [s["commands"][1]["duration"] for s in sequence["commands"]] == [4000] * 4
    words = [s["commands"][0]["value"] for s in sequence["commands"]]
    # the screen breathes as many cycles as the voice says in this round
    assert sequence["repeatCount"] + 1 == result.speech.count(words[0])
    for word in words:  # the cue on screen is the cue in the speech
        assert word and word.lower() in result.speech.lower()
    assert sent[RENDER]["datasources"]["breath"]["title"].lower() == box.name
    later = directives(convo.say("yes"))[EXECUTE]["commands"][0]
    assert later["delay"] == 0  # the next round starts with its first cue
    # what was sent, exactly as serialised, is valid APL
    doc = {**sent[RENDER]["document"], "onMount": sent[EXECUTE]["commands"]}
    assert validate({"sent": doc}, tmp_path) == {"sent": []}


def test_a_screen_shows_today_s_reflection(skill: Skill, clock: Clock) -> None:
    convo = screen_talk(skill, clock, screen=True)
    result = convo.say("ask resilient together for today's reflection")
    render = directives(result)[RENDER]
    shown = render["datasources"]["reflection"]["text"]
    assert shown and shown.lower()[:30] in result.speech.lower()


def test_a_voice_only_echo_gets_no_apl(skill: Skill, clock: Clock) -> None:
    convo = screen_talk(skill, clock, screen=False)
    convo.say("open resilient together")
    breathing = convo.say("let's do some box breathing")
    reflection = screen_talk(skill, clock, screen=False).say(
        "ask resilient together for today's reflection"
    )
    for result in (breathing, reflection):
        assert not [d for d in result.directives if d["type"].startswith("Alexa.Presentation")]


@pytest.mark.parametrize(("version", "shown"), [("1.3", True), ("2024.2", True), ("1.2", False)])
def test_an_old_apl_runtime_gets_no_document(version: str, shown: bool) -> None:
    envelope = fixture_envelope("launch-echo-show.json")
    interfaces = envelope["context"]["System"]["device"]["supportedInterfaces"]
    interfaces["Alexa.Presentation.APL"]["runtime"]["maxVersion"] = version
    parsed = DefaultSerializer().deserialize(json.dumps(envelope), "ask_sdk_model.RequestEnvelope")
    assert display.supports_apl(parsed) is shown
