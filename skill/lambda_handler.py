"""AWS Lambda entry point (the Alexa Skills Kit trigger), over the same ``invoke``.

The Lambda trigger is guarded by AWS with the skill id, so there is no HTTP signature to
check here; the body and applicationId checks of the web verifier still run, so a
request for another skill is refused. ``TOGETHER_SKILL_ID`` and ``TOGETHER_ID_SALT``
are required.

Handler: ``skill.lambda_handler.handler``.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from skill.core.skill import Skill
from skill.errors import TogetherError
from skill.runtime import Settings, build_skill
from skill.web.verify import AlexaVerifier, VerificationError


class RefusedRequest(TogetherError):
    """The event is not a request for this skill; Lambda reports it as an error."""


# One execution environment handles one event at a time, so a plain cache builds the
# skill once per environment (on the first event, where the settings are read).
@functools.cache
def _build() -> tuple[Skill, AlexaVerifier]:
    settings = Settings.from_env()
    settings.check_production()  # the skill id and a secret salt (ConfigError otherwise)
    verifier = AlexaVerifier(settings.skill_id, check_signature=False, check_timestamp=False)
    return build_skill(settings), verifier


def handler(event: dict[str, Any], context: object = None) -> dict[str, Any]:
    skill, verifier = _build()
    try:
        envelope = verifier.verify({}, json.dumps(event).encode("utf-8"))
    except VerificationError as exc:
        raise RefusedRequest(exc.reason) from exc
    return skill.invoke(envelope)


def reset() -> None:
    """Forget the built skill (tests change the environment between cases)."""
    _build.cache_clear()
