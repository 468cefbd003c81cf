"""Every dialog script in tests/scripts, each (per locale) its own test.

A script is a YAML transcript of a conversation and what each turn must do (see
docs/dialog-scripts.md); ``skill.sim.script`` plays it through the simulator against a
skill with a fresh SQLite store and a clock the script moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from skill.core.skill import Skill
from skill.core.turn import Services
from skill.sim.alexa import SimAlexaServices
from skill.sim.envelope import Device
from skill.sim.script import (
    Script,
    ScriptError,
    ScriptFailure,
    SkillFactory,
    find_scripts,
    load_script,
    run_script,
)
from skill.sim.session import Conversation
from skill.store.sqlite import SqliteStore

SCRIPTS = Path(__file__).parent / "scripts"
LOCALES = ("en-US", "en-GB", "en-CA", "en-AU", "en-IN")


def all_scripts() -> list[Script]:
    return [s for path in find_scripts(SCRIPTS) for s in load_script(path)]


@pytest.fixture
def skill_factory(tmp_path: Path) -> Iterator[SkillFactory]:
    stores: list[SqliteStore] = []

    def make(clock: Callable[[], datetime], timezone: str | None) -> Skill:
        store = SqliteStore(tmp_path / f"together-{len(stores)}.db")
        stores.append(store)
        return Skill(Services(store=store, clock=clock, alexa=SimAlexaServices(timezone)))

    yield make
    for store in stores:
        store.close()


def script_id(script: Script) -> str:
    """``crisis/en-GB: crisis from the intent, one-shot [en-GB]``"""
    where = script.path.relative_to(SCRIPTS).with_suffix("").as_posix()
    return f"{where}: {script.name} [{script.locale}]"


@pytest.mark.parametrize("script", all_scripts(), ids=script_id)
def test_script(script: Script, skill_factory: SkillFactory) -> None:
    outcomes = run_script(script, skill_factory)
    assert len(outcomes) == len(script.turns)


def test_there_are_scripts_for_every_locale() -> None:
    scripts = all_scripts()
    assert len(scripts) >= 50
    assert {s.locale for s in scripts} == set(LOCALES)
    ids = [script_id(s) for s in scripts]
    assert len(ids) == len(set(ids)), "script names must be unique within a file"


WRONG = """\
name: a deliberately wrong expectation
locale: en-GB
turns:
  - say: open resilient together
    expect: {key: launch_first, open: true}
  - say: let's do a gratitude moment
    expect:
      intent: GratitudeIntent
      key: win_ask
      says: "something never said"
      open: false
"""


def test_a_wrong_script_fails_with_a_useful_message(
    tmp_path: Path, skill_factory: SkillFactory
) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(WRONG)
    (script,) = load_script(path)
    with pytest.raises(ScriptFailure) as failure:
        run_script(script, skill_factory)
    message = str(failure.value)
    assert str(path) in message
    assert "a deliberately wrong expectation" in message and "[en-GB]" in message
    assert "turn 2" in message
    assert "let's do a gratitude moment" in message
    assert "resolved:   GratitudeIntent" in message
    assert "considered: GratitudeIntent" in message
    assert "content key 'win_ask' spoken" in message
    assert "'something never said'" in message
    assert "the session to close" in message
    assert "Alexa said: " in message and "(nothing)" not in message


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("name: x\nturns: []\n", "non-empty list of `turns`"),
        ("name: x\nturns:\n  - say: hi\n    expect: {colour: red}\n", "unknown expectation"),
        ("name: x\nturns:\n  - say: hi\n    advance: {fortnights: 1}\n", "`advance`"),
        ("name: x\nsetup:\n  - say: hi\n    expect: {open: true}\nturns: [hi]\n", "setup"),
        ("turns: [hi]\n", "needs a `name`"),
        ("name: x\nnow: yesterday\nturns: [hi]\n", "ISO 8601"),
        ("name: x\nturns: [hi]\n: [\n", "not valid YAML"),
    ],
)
def test_malformed_scripts_are_refused_with_the_reason(
    tmp_path: Path, text: str, complaint: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScriptError) as error:
        load_script(path)
    assert complaint in str(error.value)


def test_bare_yes_and_no_are_words_not_booleans(tmp_path: Path) -> None:
    path = tmp_path / "yesno.yaml"
    path.write_text("name: x\nlocale: [en-US, en-AU]\nturns: [yes, no, {say: yes}]\n")
    scripts = load_script(path)
    assert [s.locale for s in scripts] == ["en-US", "en-AU"]
    assert [t.say for t in scripts[0].turns] == ["yes", "no", "yes"]


class ConfirmingSkill:
    """A stand-in skill that asks Dialog.ConfirmIntent, to test the simulator's side."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def invoke(self, envelope: dict[str, Any]) -> dict[str, Any]:
        request = envelope["request"]
        self.requests.append(request)
        if request.get("intent", {}).get("confirmationStatus", "NONE") == "NONE":
            directive = {
                "type": "Dialog.ConfirmIntent",
                "updatedIntent": {
                    "name": "DeleteDataIntent",
                    "confirmationStatus": "NONE",
                    "slots": {},
                },
            }
            speech = {"type": "SSML", "ssml": "<speak>Sure?</speak>"}
            response = {
                "outputSpeech": speech,
                "reprompt": {"outputSpeech": speech},
                "shouldEndSession": False,
                "directives": [directive],
            }
            return {"version": "1.0", "response": response, "sessionAttributes": {}}
        done = {"type": "SSML", "ssml": "<speak>Done.</speak>"}
        return {"version": "1.0", "response": {"outputSpeech": done, "shouldEndSession": True}}


@pytest.mark.parametrize(("answer", "status"), [("yes", "CONFIRMED"), ("no", "DENIED")])
def test_a_yes_or_no_after_confirm_intent_confirms_that_intent(answer: str, status: str) -> None:
    fake = ConfirmingSkill()
    convo = Conversation(fake, Device(), lambda: datetime(2026, 11, 25, 18, 0, tzinfo=UTC))
    convo.say("open resilient together")
    asked = convo.say("delete our data")
    assert asked.directives[0]["type"] == "Dialog.ConfirmIntent"
    answered = convo.say(answer)
    assert answered.intent == "DeleteDataIntent"
    intent = fake.requests[-1]["intent"]
    assert intent["name"] == "DeleteDataIntent" and intent["confirmationStatus"] == status
    assert fake.requests[-1]["dialogState"] == "IN_PROGRESS"
    # The confirmation is used once: the session closed, so the next yes is just a yes.
    assert convo.say(answer).intent == f"AMAZON.{answer.title()}Intent"


def test_unquoted_slot_values_run_to_the_next_slot(tmp_path: Path) -> None:
    path = tmp_path / "slots.yaml"
    path.write_text(
        "name: x\n"
        "setup: ['@CelebrateWinIntent win=we finished the puzzle']\n"
        "turns:\n"
        "  - '@BreatheIntent pattern=box breathing minutes=3'\n"
        "  - '@SessionEndedRequest EXCEEDED_MAX_REPROMPTS'\n"
        "  - '@GratitudeIntent \"gratitude=tea & toast\"'\n"
    )
    (script,) = load_script(path)
    assert script.setup[0].say == "@CelebrateWinIntent 'win=we finished the puzzle'"
    assert [t.say for t in script.turns] == [
        "@BreatheIntent 'pattern=box breathing' minutes=3",
        "@SessionEndedRequest EXCEEDED_MAX_REPROMPTS",
        '@GratitudeIntent "gratitude=tea & toast"',
    ]
