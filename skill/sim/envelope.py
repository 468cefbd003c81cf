"""Request envelopes shaped like the ones Alexa sends (see tests/fixtures/alexa-requests).

Ids are built from names: ``--household NAME`` is the account
``amzn1.ask.account.NAME`` and ``--person NAME`` the voice ``amzn1.ask.person.NAME``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skill.constants import SIM_SKILL_ID as SIM_SKILL_ID


@dataclass
class Device:
    """Who is talking, from which device, in which locale."""

    household: str = "local"
    person: str | None = None
    locale: str = "en-US"
    screen: bool = False
    skill_id: str = SIM_SKILL_ID
    device_id: str = "amzn1.ask.device.SIMULATOR"
    api_endpoint: str = "https://api.amazonalexa.com"
    # Permission scopes the household has granted (``--grant reminders``, or a yes to
    # Alexa's permission question in the conversation).
    granted: set[str] = field(default_factory=set)

    @property
    def user_id(self) -> str:
        return f"amzn1.ask.account.{self.household}"

    def system(self) -> dict[str, Any]:
        interfaces: dict[str, Any] = {"AudioPlayer": {}}
        if self.screen:
            interfaces["Alexa.Presentation.APL"] = {"runtime": {"maxVersion": "1.9"}}
        user: dict[str, Any] = {"userId": self.user_id}
        if self.granted:
            user["permissions"] = {
                "consentToken": "SIMULATED_CONSENT_TOKEN",
                "scopes": {scope: {"status": "GRANTED"} for scope in sorted(self.granted)},
            }
        system: dict[str, Any] = {
            "application": {"applicationId": self.skill_id},
            "user": user,
            "device": {"deviceId": self.device_id, "supportedInterfaces": interfaces},
            "apiEndpoint": self.api_endpoint,
            "apiAccessToken": "SIMULATED_API_ACCESS_TOKEN",
        }
        if self.person:
            system["person"] = {"personId": f"amzn1.ask.person.{self.person}"}
        return system


@dataclass
class SessionState:
    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4()}")
    new: bool = True
    attributes: dict[str, Any] = field(default_factory=dict)


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def request_id() -> str:
    return f"amzn1.echo-api.request.{uuid.uuid4()}"


def envelope(
    device: Device,
    request: dict[str, Any],
    *,
    now: datetime,
    session: SessionState | None,
) -> dict[str, Any]:
    """A full envelope around ``request`` (which gets requestId, timestamp, locale)."""
    body = {
        "requestId": request_id(),
        "timestamp": _stamp(now),
        "locale": device.locale,
        **request,
    }
    env: dict[str, Any] = {"version": "1.0"}
    if session is not None:
        env["session"] = {
            "new": session.new,
            "sessionId": session.session_id,
            "application": {"applicationId": device.skill_id},
            "attributes": session.attributes,
            "user": {"userId": device.user_id},
        }
    env["context"] = {"System": device.system()}
    env["request"] = body
    return env


def launch_request() -> dict[str, Any]:
    return {"type": "LaunchRequest", "shouldLinkResultBeReturned": False}


def intent_request(
    name: str,
    slots: dict[str, dict[str, Any]] | None = None,
    *,
    dialog_state: str | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "type": "IntentRequest",
        "intent": {"name": name, "confirmationStatus": "NONE"},
    }
    if slots:
        request["intent"]["slots"] = slots
    if dialog_state:
        request["dialogState"] = dialog_state
    return request


def session_ended_request(reason: str = "USER_INITIATED") -> dict[str, Any]:
    return {"type": "SessionEndedRequest", "reason": reason}


def connections_response(name: str, payload: dict[str, Any], token: object) -> dict[str, Any]:
    """Alexa's answer to a Connections.SendRequest (AskFor: the permission's status)."""
    request: dict[str, Any] = {
        "type": "Connections.Response",
        "name": name,
        "status": {"code": "200", "message": "OK"},
        "payload": payload,
    }
    if isinstance(token, str):
        request["token"] = token
    return request


def skill_event(kind: str, now: datetime, accepted: Iterable[str] = ()) -> dict[str, Any]:
    """AlexaSkillEvent.<kind> (SkillEnabled, SkillDisabled, SkillPermissionAccepted...)."""
    request: dict[str, Any] = {"type": f"AlexaSkillEvent.{kind}", "eventCreationTime": _stamp(now)}
    if kind == "SkillDisabled":
        request["body"] = {"userInformationPersistenceStatus": "NOT_PERSISTED"}
    elif kind.startswith("SkillPermission"):
        request["body"] = {"acceptedPermissions": [{"scope": scope} for scope in accepted]}
    request["eventPublishingTime"] = _stamp(now)
    return request
