"""The Flask app on AWS Lambda behind an API Gateway HTTP API (payload format 2.0).

Handler: ``skill.web.lambda_http.handler`` (see ``infra/template.yaml``). apig-wsgi turns
the HTTP API event into a WSGI request, so the Flask shell runs unchanged, with the full
Alexa request verification (signature, certificate chain, timestamp, skill id).
Production only: ``TOGETHER_SKILL_ID`` and ``TOGETHER_ID_SALT`` are required and
``TOGETHER_DEV`` is ignored.
The app is built on the first event, once per execution environment.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler

from skill.runtime import Settings

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


# One execution environment handles one event at a time, so a plain cache builds the
# app once per environment (on the first event, where the settings are read).
@functools.cache
def _build() -> LambdaHandler:
    from skill.web.app import create_app

    settings = Settings.from_env(dev=False)
    settings.check_production()  # the skill id and a secret salt (ConfigError otherwise)
    built: LambdaHandler = make_lambda_handler(create_app(settings))
    return built


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _build()(event, context)


def reset() -> None:
    """Forget the built app (tests change the environment between cases)."""
    _build.cache_clear()
