"""A conversation with the skill, as a device would hold it, for ``chat``, ``say`` and tests.

Each utterance becomes a request envelope through the locale's interaction model
(``skill.sim.nlu``): "open resilient together" launches, "ask resilient together to …"
is a one-shot, anything else continues the open session (or, with no session open,
is sent as a one-shot, which is what a household would have meant). A response with
``Dialog.ElicitSlot`` makes the next utterance fill that slot, as on a device; after
``Dialog.ConfirmIntent``, a yes or no is that intent again with ``confirmationStatus``
CONFIRMED or DENIED. A response that ends the session closes it. ``@…`` arguments send
requests by type: ``@LaunchRequest``, ``@SessionEndedRequest``, ``@SkillEnabled``,
``@SkillDisabled``, ``@SkillPermissionAccepted``, ``@SkillPermissionChanged`` (the
scopes accepted after it, by name: ``@SkillPermissionChanged reminders``; none: all were
taken back), and
``@IntentName slot=value …`` for an intent with those slots.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from skill.core.ssml import to_plain
from skill.sim import envelope as env
from skill.sim.nlu import Nlu, Parse, SlotFill, split_invocation

SKILL_EVENTS = (
    "SkillEnabled",
    "SkillDisabled",
    "SkillPermissionAccepted",
    "SkillPermissionChanged",
    "SkillAccountLinked",
)

# Short names for permission scopes in "@SkillPermissionChanged reminders" and --grant.
PERMISSION_NAMES = {"reminders": "alexa::alerts:reminders:skill:readwrite"}

CONFIRM_ANSWERS = {"AMAZON.YesIntent": "CONFIRMED", "AMAZON.NoIntent": "DENIED"}


@dataclass
class TurnResult:
    utterance: str
    intent: str | None
    slots: dict[str, str | None]
    speech: str
    ssml: str | None
    reprompt: str | None
    end_session: bool | None
    card: dict[str, Any] | None
    directives: list[dict[str, Any]]
    considered: list[dict[str, Any]] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict, repr=False)
    response: dict[str, Any] = field(default_factory=dict, repr=False)
    # The content keys the reply rendered, when the skill runs in this process (None
    # over HTTP, where only the words are known).
    keys: tuple[str, ...] | None = None
    # What the reply recorded doing (in-process only): "breath" -> pattern and seconds.
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def breath(self) -> dict[str, Any] | None:
        value = self.record.get("breath")
        return value if isinstance(value, dict) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "utterance": self.utterance,
            "intent": self.intent,
            "slots": self.slots,
            "speech": self.speech,
            "ssml": self.ssml,
            "reprompt": self.reprompt,
            "end_session": self.end_session,
            "card": self.card,
            "directives": self.directives,
            "considered": self.considered,
            "keys": list(self.keys) if self.keys is not None else None,
        }


def considered_json(parse: Parse) -> list[dict[str, Any]]:
    """The intents the simulator weighed, best first, as ``--json`` prints them."""
    return [
        {"intent": c.intent, "score": round(c.score, 3), "sample": c.sample}
        for c in parse.considered
    ]


def _slot_json(fill: SlotFill) -> dict[str, Any]:
    slot: dict[str, Any] = {"name": fill.name, "confirmationStatus": "NONE"}
    if fill.value is not None:
        slot["value"] = fill.value
        slot["source"] = "USER"
    if fill.resolution is not None:
        res = fill.resolution
        authority: dict[str, Any] = {"authority": res.authority, "status": {"code": res.status}}
        if res.value_id is not None:
            authority["values"] = [{"value": {"name": res.value_name, "id": res.value_id}}]
        slot["resolutions"] = {"resolutionsPerAuthority": [authority]}
    return slot


class Invoker(Protocol):
    """Anything with the skill's ``invoke``: the skill itself, or an HTTP client for it."""

    def invoke(self, envelope: dict[str, Any]) -> dict[str, Any]: ...


class Conversation:
    """One device talking to the skill through ``invoke``."""

    def __init__(
        self,
        skill: Invoker,
        device: env.Device,
        clock: Callable[[], datetime],
        nlu: Nlu | None = None,
    ) -> None:
        self.skill = skill
        self.device = device
        self.clock = clock
        self.nlu = nlu or Nlu.for_locale(device.locale)
        self.session: env.SessionState | None = None
        self.elicit: tuple[str, str] | None = None
        self.confirm: dict[str, Any] | None = None  # the intent a ConfirmIntent asked about
        # A Connections.SendRequest the skill sent (AskFor a permission): Alexa asks the
        # household itself, and the next utterance answers Alexa, not the skill.
        self.asking: dict[str, Any] | None = None

    @property
    def invocation(self) -> str:
        return self.nlu.invocation_name

    # -- one turn -----------------------------------------------------------------
    def say(self, utterance: str) -> TurnResult:
        text = utterance.strip()
        if text.startswith("@"):
            return self._by_type(text)
        kind, rest = split_invocation(text, self.invocation)
        if self.asking is not None and kind == "utterance":
            return self._answer_permission(utterance, self.nlu.resolve(rest or ""))
        self.asking = None
        if kind == "launch" or (kind == "oneshot" and not rest):
            self._open()
            return self._send(utterance, env.launch_request(), None, {})
        if kind == "oneshot" or self.session is None:
            self._open()
        parse = self.nlu.resolve(rest or "", elicit=self.elicit)
        if self.confirm is not None and parse.intent in CONFIRM_ANSWERS:
            return self._send_confirmation(utterance, parse)
        return self._send_parse(utterance, parse)

    def _answer_permission(self, utterance: str, parse: Parse) -> TurnResult:
        """Yes or no to Alexa's own permission question, answered to the skill as a
        Connections.Response: ACCEPTED (and the permission is the device's from now on),
        DENIED, or NOT_ANSWERED for anything else (Alexa threw no card)."""
        asked, self.asking = self.asking or {}, None
        payload = dict(asked.get("payload") or {})
        scope = str(payload.get("permissionScope") or "")
        status = {"AMAZON.YesIntent": "ACCEPTED", "AMAZON.NoIntent": "DENIED"}.get(
            parse.intent, "NOT_ANSWERED"
        )
        if status == "ACCEPTED":
            self.device.granted.add(scope)
        answer = {"permissionScope": scope, "status": status}
        if status == "NOT_ANSWERED":
            answer["isCardThrown"] = "false"
        request = env.connections_response(str(asked.get("name") or ""), answer, asked.get("token"))
        return self._send(utterance, request, None, {}, considered_json(parse))

    def _send_confirmation(self, utterance: str, parse: Parse) -> TurnResult:
        """A yes / no to ``Dialog.ConfirmIntent``: the confirmed intent, as Alexa sends it."""
        assert self.confirm is not None
        name = str(self.confirm.get("name"))
        slots = dict(self.confirm.get("slots") or {})
        request = env.intent_request(name, slots, dialog_state="IN_PROGRESS")
        request["intent"]["confirmationStatus"] = CONFIRM_ANSWERS[parse.intent]
        values = {k: v.get("value") for k, v in slots.items() if isinstance(v, dict)}
        considered = considered_json(parse)
        return self._send(utterance, request, name, values, considered)

    def _send_parse(self, utterance: str, parse: Parse) -> TurnResult:
        slots = {name: _slot_json(fill) for name, fill in parse.slots.items()}
        dialog_state = "IN_PROGRESS" if self.elicit and self.elicit[0] == parse.intent else None
        request = env.intent_request(parse.intent, slots, dialog_state=dialog_state)
        considered = considered_json(parse)
        return self._send(
            utterance,
            request,
            parse.intent,
            {name: fill.value for name, fill in parse.slots.items()},
            considered,
        )

    def _by_type(self, text: str) -> TurnResult:
        words = shlex.split(text[1:])
        name, args = (words[0], words[1:]) if words else ("", [])
        if name == "LaunchRequest":
            self._open()
            return self._send(text, env.launch_request(), None, {})
        if name == "SessionEndedRequest":
            reason = args[0] if args else "USER_INITIATED"
            return self._send(text, env.session_ended_request(reason), None, {}, close=True)
        if name in SKILL_EVENTS:
            self.session = None
            accepted = [PERMISSION_NAMES.get(a, a) for a in args]
            if name.startswith("SkillPermission"):  # what the household allows from now on
                self.device.granted = set(accepted)
            request = env.skill_event(name, self.clock(), accepted)
            return self._send(text, request, None, {}, events=True)
        slot_values = dict(arg.split("=", 1) for arg in args if "=" in arg)
        if self.session is None:
            self._open()
        fills = {}
        for slot, slot_type in self.nlu.slots_of(name).items():
            value = slot_values.get(slot)
            resolution = self.nlu.resolve_value(slot_type, value) if value else None
            fills[slot] = SlotFill(slot, value, resolution)
        for slot, value in slot_values.items():
            fills.setdefault(slot, SlotFill(slot, value, None))
        return self._send_parse(text, Parse(name, fills, []))

    # -- plumbing -----------------------------------------------------------------
    def _open(self) -> None:
        self.session = env.SessionState()
        self.elicit = None
        self.confirm = None

    def _send(
        self,
        utterance: str,
        request: dict[str, Any],
        intent: str | None,
        slots: dict[str, str | None],
        considered: list[dict[str, Any]] | None = None,
        *,
        close: bool = False,
        events: bool = False,
    ) -> TurnResult:
        session = None if events else self.session
        envelope = env.envelope(self.device, request, now=self.clock(), session=session)
        keys: tuple[str, ...] | None = None
        record: dict[str, Any] = {}
        recorded = getattr(self.skill, "invoke_recorded", None)
        if recorded is not None:
            reply = recorded(envelope)
            out, keys, record = reply.response, reply.keys, reply.record
        else:
            out = self.skill.invoke(envelope)
        response = out.get("response") or {}
        ssml = (response.get("outputSpeech") or {}).get("ssml")
        reprompt_ssml = ((response.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml")
        end = response.get("shouldEndSession")
        directives = list(response.get("directives") or [])
        self.elicit = None
        self.confirm = None
        for directive in directives:
            updated = directive.get("updatedIntent") or {}
            if directive.get("type") == "Dialog.ElicitSlot" and updated.get("name"):
                self.elicit = (updated["name"], directive["slotToElicit"])
            elif directive.get("type") == "Dialog.ConfirmIntent" and updated.get("name"):
                self.confirm = dict(updated)
            elif directive.get("type") == "Connections.SendRequest":
                self.asking = dict(directive)
        if self.session is not None and not events:
            if self.asking is not None:  # Alexa holds the session while it asks
                self.session.new = False
                self.session.attributes = dict(out.get("sessionAttributes") or {})
            elif close or end is not False:
                self.session = None
                self.elicit = None
                self.confirm = None
            else:
                self.session.new = False
                self.session.attributes = dict(out.get("sessionAttributes") or {})
        return TurnResult(
            utterance=utterance,
            intent=intent,
            slots=slots,
            speech=to_plain(ssml) if ssml else "",
            ssml=ssml,
            reprompt=to_plain(reprompt_ssml) if reprompt_ssml else None,
            end_session=end,
            card=response.get("card"),
            directives=directives,
            considered=considered or [],
            request=envelope,
            response=out,
            keys=keys,
            record=record,
        )
