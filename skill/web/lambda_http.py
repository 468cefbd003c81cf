"""The Flask app on AWS Lambda behind an API Gateway HTTP API (payload format 2.0).

Handler: ``skill.web.lambda_http.handler`` (see ``infra/template.yaml``). apig-wsgi turns
the HTTP API event into a WSGI request, so the Flask shell runs unchanged, with the full
Alexa request verification (signature, certificate chain, timestamp, skill id).
Production only: ``TOGETHER_SKILL_ID`` is required and ``TOGETHER_DEV`` is ignored.
The app is built on the first event, once per execution environment.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler

from skill.runtime import Settings

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]

_lock = threading.Lock()
_built: LambdaHandler | None = None


def _build() -> LambdaHandler:
    global _built
    with _lock:
        if _built is None:
            from skill.web.app import create_app

            settings = Settings.from_env(dev=False)
            if not settings.skill_id:
                raise RuntimeError("TOGETHER_SKILL_ID must be set for the Lambda HTTP handler")
            _built = make_lambda_handler(create_app(settings))
        return _built


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _build()(event, context)


def reset() -> None:
    """Forget the built app (tests change the environment between cases)."""
    global _built
    with _lock:
        _built = None
