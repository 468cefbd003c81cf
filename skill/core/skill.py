"""The one ``invoke`` behind every shell (Flask, Lambda, the command line).

``Skill(services).invoke(envelope_dict) -> response_dict``: deserialise with
ask-sdk-core's serializer, dispatch through ask-sdk-core's CustomSkill (request
interceptors -> first matching handler -> response interceptors; exceptions to the
apology handler), serialise the response envelope.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_core.skill_builder import SkillBuilder
from ask_sdk_model import RequestEnvelope, Response

from skill.content import load
from skill.core.handlers import ApologyHandler, intent_name, request_type, route_handlers, turn_of
from skill.core.turn import Services, Turn
from skill.errors import TogetherError

log = logging.getLogger("skill.core")


class InvalidRequest(TogetherError, ValueError):
    """The body is not an Alexa request envelope. Shells answer HTTP 400."""


class LogRequest(AbstractRequestInterceptor):
    """Request id, type, intent and locale; never a user id or what anyone said."""

    def process(self, handler_input: HandlerInput) -> None:
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
        turn = turn_of(handler_input)
        log.info(
            "response route=%s end=%s",
            turn.route,
            response.should_end_session if response is not None else None,
        )


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
        self._serializer = DefaultSerializer()

    def parse(self, envelope: dict[str, Any]) -> RequestEnvelope:
        """An envelope dict as ask-sdk-model objects, or InvalidRequest."""
        if not isinstance(envelope, dict) or not isinstance(envelope.get("request"), dict):
            raise InvalidRequest("not an Alexa request envelope")
        try:
            parsed = self._serializer.deserialize(json.dumps(envelope), RequestEnvelope)
        except Exception as exc:
            raise InvalidRequest("the envelope could not be read") from exc
        if not isinstance(parsed, RequestEnvelope) or parsed.request is None:
            raise InvalidRequest("the envelope has no request")
        if parsed.request.object_type is None:
            raise InvalidRequest("the envelope has no request type")
        return parsed

    def invoke(self, envelope: dict[str, Any]) -> dict[str, Any]:
        """Handle one request envelope; return the response envelope as a dict."""
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
        response_envelope = self._skill.invoke(parsed, turn)
        if parsed.session is None:
            response_envelope.session_attributes = None
        else:
            response_envelope.session_attributes = turn.session
        out = self._serializer.serialize(response_envelope)
        assert isinstance(out, dict)
        return out
