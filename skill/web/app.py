"""The Flask shell: ``POST /alexa`` (answered as plain WSGI by ``skill/web/alexa.py``)
and ``GET /healthz``, over the one ``invoke``.

Every request body goes through the verifier before anything else reads it; a refused
request gets a JSON error (400, or 413 when too large) and never reaches a handler or
the store. Dev mode uses the same verifier with the signature and timestamp checks off.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify

from skill.core.skill import Skill
from skill.runtime import Settings, build_skill
from skill.store import StoreError
from skill.web.alexa import SECURITY_HEADERS, AlexaRoute, Verifier, error_body
from skill.web.verify import AlexaVerifier

if TYPE_CHECKING:
    from mcp.server.auth.provider import TokenVerifier
    from starlette.applications import Starlette

log = logging.getLogger("skill.web")


def make_verifier(settings: Settings) -> AlexaVerifier:
    """Production verifies everything; dev mode skips signature and timestamp only."""
    return AlexaVerifier(
        settings.skill_id,
        check_signature=not settings.dev,
        check_timestamp=not settings.dev,
    )


def create_app(
    settings: Settings | None = None,
    *,
    skill: Skill | None = None,
    verifier: Verifier | None = None,
    mcp_verifier: TokenVerifier | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    skill = skill or build_skill(settings)
    checker: Verifier = verifier or make_verifier(settings)
    app = Flask("resilient_together")
    # POST /alexa is limited by AlexaRoute (413 before the body is read); Werkzeug's
    # limit covers every other route.
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    app.config["TOGETHER_SETTINGS"] = settings
    app.extensions["together_skill"] = skill

    def error(status: int, reason: str, message: str) -> tuple[Response, int]:
        return jsonify(error_body(reason, message)), status

    # Registered so that other methods on /alexa get 405, not 404; POST never gets here.
    @app.post("/alexa")
    def alexa() -> Any:  # pragma: no cover - AlexaRoute answers POST /alexa first
        raise RuntimeError("POST /alexa is answered by AlexaRoute")

    @app.get("/healthz")
    def healthz() -> Any:
        try:
            skill.services.store.ping()
        except StoreError:
            return jsonify({"status": "store unavailable"}), 503
        return jsonify({"status": "ok"})

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> Any:
        return error(404, "not_found", "nothing here")

    @app.errorhandler(413)
    def too_large(_exc: Exception) -> Any:
        log.info("refused reason=body_too_large")
        return error(413, "body_too_large", "request body too large")

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> Any:
        return error(405, "method_not_allowed", "method not allowed")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.error("unexpected error=%s", type(exc).__name__)
        return error(500, "internal", "something went wrong")

    @app.after_request
    def secure(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    if settings.mcp_served:  # Alexa+: /mcp on the same address (skill/mcp_server)
        from skill.mcp_server.wsgi import McpRoute

        app.wsgi_app = McpRoute(  # type: ignore[method-assign]
            app.wsgi_app,
            lambda: mcp_app(settings, skill, mcp_verifier),
            loopback_only=settings.dev,
        )
        if settings.dev:
            log.warning("DEV MODE: /mcp takes tool calls with NO token, as the local household")
    # The hot route as plain WSGI (skill/web/alexa.py); Flask keeps everything else.
    app.wsgi_app = AlexaRoute(  # type: ignore[method-assign]
        app.wsgi_app, skill, checker, app.config["MAX_CONTENT_LENGTH"]
    )
    return app


def mcp_app(settings: Settings, skill: Skill, verifier: TokenVerifier | None) -> Starlette:
    """The MCP server's ASGI app over the skill's own services (store, clock, salt)."""
    from skill.mcp_server.server import OAuth, asgi_app, build_server

    if settings.dev:
        return asgi_app(build_server(skill.services, dev=True), dev=True)
    assert settings.mcp_issuer and settings.mcp_resource, "mcp_served checked them"
    oauth = OAuth(
        issuer=settings.mcp_issuer,
        audiences=settings.mcp_audiences,
        resource=settings.mcp_resource,
        authorization_server=settings.mcp_authorization_server,
        authorize_url=settings.mcp_authorize_url,
        token_url=settings.mcp_token_url,
    )
    if verifier is None:
        from skill.mcp_server.auth import JwtVerifier

        verifier = JwtVerifier(oauth.issuer, oauth.audiences)
    return asgi_app(
        build_server(skill.services, dev=False, oauth=oauth, verifier=verifier), dev=False
    )
