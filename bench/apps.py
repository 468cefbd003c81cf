"""The WSGI apps ``make bench`` serves with gunicorn, both the same way.

* ``skill_app()``: the skill as production runs it (``create_app``), verification on:
  the verifier trusts the bench's test CA (``BENCH_PKI`` folder: ``root.pem`` and the
  chain served as ``chain.pem``) instead of the web PKI, and its clock is the test
  PKI's validity window (``tests.certs.NOW``) plus the seconds since ``BENCH_T0``, so
  the test certificates are valid and the requests' timestamps are fresh. Store from
  ``TOGETHER_STORE``; no time-zone lookup (it would call Alexa's settings API).
* ``baseline_app()``: a minimal ask-sdk-core skill, one handler, no store, no
  verification: ask-sdk's own serializer in, ``invoke``, serializer out.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, Response, request


def bench_clock() -> datetime:
    from tests.certs import NOW

    return NOW + timedelta(seconds=time.time() - float(os.environ["BENCH_T0"]))


def skill_app() -> Flask:
    from cryptography import x509

    from skill.core.turn import NoAlexaServices
    from skill.runtime import Settings, build_skill
    from skill.web.app import create_app
    from skill.web.verify import AlexaVerifier
    from tests.certs import GOOD_URL

    folder = Path(os.environ["BENCH_PKI"])
    root = x509.load_pem_x509_certificate((folder / "root.pem").read_bytes())
    chain = (folder / "chain.pem").read_bytes()
    settings = Settings.from_env(dev=False)
    verifier = AlexaVerifier(
        settings.skill_id,
        fetcher=lambda url: chain if url == GOOD_URL else b"",  # bench/wrk.lua's URL too
        clock=bench_clock,
        trust_roots=[root],
    )
    # The device's time zone comes from Alexa's settings API in production: a call out
    # that the bench must not make (loopback only). The locale's zone is used instead.
    skill = build_skill(settings, alexa=NoAlexaServices())
    return create_app(settings, skill=skill, verifier=verifier)


def baseline_app() -> Flask:
    from ask_sdk_core.dispatch_components import AbstractRequestHandler
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_core.serialize import DefaultSerializer
    from ask_sdk_core.skill_builder import SkillBuilder
    from ask_sdk_model import RequestEnvelope
    from ask_sdk_model import Response as AlexaResponse

    class Hello(AbstractRequestHandler):
        def can_handle(self, handler_input: HandlerInput) -> bool:
            return True

        def handle(self, handler_input: HandlerInput) -> AlexaResponse:
            rb = handler_input.response_builder
            return rb.speak("Hello from the baseline.").set_should_end_session(True).response

    builder = SkillBuilder()
    builder.add_request_handler(Hello())
    skill = builder.create()
    serializer = DefaultSerializer()
    app = Flask("baseline")

    @app.post("/alexa")
    def alexa() -> Any:
        envelope = serializer.deserialize(request.get_data(as_text=True), RequestEnvelope)
        out = skill.invoke(request_envelope=envelope, context=None)
        import json

        return Response(json.dumps(serializer.serialize(out)), mimetype="application/json")

    return app
