"""The one ``invoke`` behind every shell (Flask, Lambda, the command line).

``Skill(services).invoke(envelope_dict) -> response_dict``: make the envelope safe to
read (``skill.core.request``), deserialise it with ask-sdk-core's serializer, dispatch
through ask-sdk-core's CustomSkill (request interceptors -> first matching handler ->
response interceptors; exceptions to the apology handler), serialise the response
envelope. Two guards after that, so a turn never fails and never says too much: if even
the apology handler fails, a plain apology is answered; a response whose speech is over
Alexa's 8,000 characters of SSML is answered with the apology instead (and logged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import RequestEnvelope, Response

from skill.constants import MAX_SSML_CHARS
from skill.content import load
from skill.core.handlers import ApologyHandler, intent_name, request_type, route_handlers, turn_of
from skill.core.request import Serializer, clean_envelope
from skill.core.turn import Services, Turn
from skill.errors import TogetherError

log = logging.getLogger("skill.core")


class InvalidRequest(TogetherError, ValueError):
    """The body is not an Alexa request envelope. Shells answer HTTP 400."""


class LogRequest(AbstractRequestInterceptor):
    """Request id, type, intent and locale; never a user id or what anyone said."""

    def process(self, handler_input: HandlerInput) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        request = handler_input.request_envelope.request
        log.info(
            "request id=%s type=%s intent=%s locale=%s",
            getattr(request, "request_id", None),
            request_type(handler_input),
            intent_name(handler_input),
            getattr(request, "locale", None),
        )


class LogResponse(AbstractResponseInterceptor):
    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        turn = turn_of(handler_input)
        log.info(
            "response route=%s end=%s",
            turn.route,
            response.should_end_session if response is not None else None,
        )


@dataclass(frozen=True)
class Reply:
    """A response envelope and the record of what it said."""

    response: dict[str, Any]
    keys: tuple[str, ...]  # the content keys rendered, in order (speech, reprompt, card)
    route: str | None  # the handler that took the turn
    record: dict[str, Any] = field(default_factory=dict)  # what it did (Turn.record)


class Skill:
    """The skill, built once per process with its services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        builder = SkillBuilder()
        for handler in route_handlers():
            builder.add_request_handler(handler)
        builder.add_exception_handler(ApologyHandler())
        builder.add_global_request_interceptor(LogRequest())
        builder.add_global_response_interceptor(LogResponse())
        self._skill = builder.create()
        self._serializer = Serializer()

    def parse(self, envelope: dict[str, Any]) -> RequestEnvelope:
        """An envelope dict as ask-sdk-model objects, or InvalidRequest."""
        if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
            raise InvalidRequest("not an Alexa request envelope")
        try:
            parsed = self._serializer.from_dict(clean_envelope(envelope), RequestEnvelope)
        except Exception as exc:
            raise InvalidRequest("the envelope could not be read") from exc
        if not isinstance(parsed, RequestEnvelope) or parsed.request is None:
            raise InvalidRequest("the envelope has no request")
        if parsed.request.object_type is None:
            raise InvalidRequest("the envelope has no request type")
        return parsed

    def invoke(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Handle one request envelope; return the response envelope as a dict."""
        return self.invoke_recorded(envelope).response

    def invoke_recorded(self, envelope: dict[str, Any]) -> Reply:
        """:meth:`invoke`, with the record of what the reply said (its content keys)."""
        parsed = self.parse(envelope)
        session_attrs: dict[str, Any] = {}
        if parsed.session is not None:
            session_attrs = dict(parsed.session.attributes or {})
            parsed.session.attributes = session_attrs
        request = parsed.request
        assert request is not None  # parse() guarantees it
        turn = Turn(
            services=self.services,
            envelope=parsed,
            content=load(request.locale),
            session=session_attrs,
            now=self.services.clock(),
            rng=self.services.rng(str(request.request_id)),
        )
        try:
            response_envelope = self._skill.invoke(parsed, turn)
        except Exception as exc:  # the apology handler itself failed
            log.error("apology failed error=%s", type(exc).__name__)
            return Reply(
                self._plain_apology(turn, parsed), tuple(turn.voice.spoken), turn.route, turn.record
            )
        if parsed.session is None:
            response_envelope.session_attributes = None
        else:
            response_envelope.session_attributes = turn.session
        out = self._serializer.serialize(response_envelope)
        assert isinstance(out, dict)
        if _too_long(out):
            log.error("response too long route=%s", turn.route)
            return Reply(
                self._plain_apology(turn, parsed), tuple(turn.voice.spoken), turn.route, turn.record
            )
        return self._reply(turn, out)

    @staticmethod
    def _reply(turn: Turn, out: dict[str, Any]) -> Reply:
        return Reply(out, tuple(turn.voice.spoken), turn.route, turn.record)

    def _plain_apology(self, turn: Turn, parsed: RequestEnvelope) -> dict[str, Any]:
        """The generic apology, built without ask-sdk's dispatch: the last resort."""
        speech = turn.voice.say("error")
        session = {"state": None, "recent": turn.voice.recent} if parsed.session else None
        return {
            "version": "1.0",
            "sessionAttributes": session,
            "response": {
                "outputSpeech": {"type": "SSML", "ssml": f"<speak>{speech}</speak>"},
                "shouldEndSession": True,
            },
        }


def _too_long(out: dict[str, Any]) -> bool:
    response = out.get("response") or {}
    for part in (
        response.get("outputSpeech"),
        (response.get("reprompt") or {}).get("outputSpeech"),
    ):
        if isinstance(part, dict) and len(str(part.get("ssml") or "")) > MAX_SSML_CHARS:
            return True
    return False
