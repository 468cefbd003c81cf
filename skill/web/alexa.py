"""``POST /alexa`` as plain WSGI: body, verification, ``invoke``, JSON out.

The one hot route does not go through Flask's request and response objects (URL
matching, header wrappers, the JSON provider's sorted keys): measured with ``make
bench``, that machinery cost about as much as the skill's own work. Everything else
(``/healthz``, errors, 404/405) stays Flask's. The answers are the same either way: a
JSON body ``{"error": reason, "message": ...}`` with 400/408/413 for what is refused,
the response envelope with 200, the security headers on all of them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from werkzeug.wsgi import LimitedStream

from skill.core.skill import InvalidRequest, Skill
from skill.web.body import BodyError, read_body
from skill.web.verify import VerificationError

log = logging.getLogger("skill.web")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
_SECURITY = list(SECURITY_HEADERS.items())
_STATUS = {
    200: "200 OK",
    400: "400 BAD REQUEST",
    408: "408 REQUEST TIMEOUT",
    413: "413 REQUEST ENTITY TOO LARGE",
    500: "500 INTERNAL SERVER ERROR",
}
# The verification headers, as WSGI names them.
_HEADERS = (
    ("HTTP_SIGNATURECERTCHAINURL", "SignatureCertChainUrl"),
    ("HTTP_SIGNATURE_256", "Signature-256"),
    ("HTTP_SIGNATURE", "Signature"),
)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class Verifier(Protocol):
    def verify(self, headers: Any, body: bytes) -> dict[str, Any]: ...


class _Headers:
    """The verification headers of a WSGI request (what the verifier reads)."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self._pairs = [(name, environ[key]) for key, name in _HEADERS if key in environ]

    def items(self) -> list[tuple[str, str]]:
        return self._pairs


def _json(status: int, payload: Any, *, close: bool = False) -> tuple[str, list[Any], bytes]:
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        *_SECURITY,
    ]
    if close:
        headers.append(("Connection", "close"))
    return _STATUS[status], headers, body


def _error(
    status: int, reason: str, message: str, *, close: bool = False
) -> tuple[str, list[Any], bytes]:
    return _json(status, error_body(reason, message), close=close)


def error_body(reason: str, message: str) -> dict[str, str]:
    """The JSON body of every refusal, here and in the Flask app."""
    return {"error": reason, "message": message}


def answer(
    environ: dict[str, Any], skill: Skill, verifier: Verifier, limit: int
) -> tuple[str, list[Any], bytes]:
    """Status, headers and body for one ``POST /alexa``."""
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > limit:
        log.info("refused reason=body_too_large")
        return _error(413, "body_too_large", "request body too large")
    stream: Any = environ["wsgi.input"]
    if length.isdigit():
        # Never read past the body, whatever the server's stream does at its end.
        stream = LimitedStream(stream, int(length))
    elif not environ.get("wsgi.input_terminated"):
        stream = _Empty()  # no length and no terminated stream: nothing to read
    try:
        body = read_body(environ, stream, limit=limit)
    except BodyError as exc:
        log.info("refused reason=%s", exc.reason)
        return _error(exc.status, exc.reason, str(exc), close=exc.status == 408)
    try:
        envelope = verifier.verify(_Headers(environ), body)
    except VerificationError as exc:
        return _error(exc.status, exc.reason, str(exc))
    try:
        return _json(200, skill.invoke(envelope))
    except InvalidRequest as exc:
        log.info("refused reason=invalid_envelope")
        return _error(400, "invalid_envelope", str(exc))


class _Empty:
    def read(self, _size: int = -1) -> bytes:
        return b""


class AlexaRoute:
    """WSGI middleware: ``POST /alexa`` answered here, anything else by ``app``."""

    def __init__(self, app: WSGIApp, skill: Skill, verifier: Verifier, limit: int) -> None:
        self.app, self.skill, self.verifier, self.limit = app, skill, verifier, limit

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/alexa" or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            status, headers, body = answer(environ, self.skill, self.verifier, self.limit)
        except Exception as exc:  # a bug: the same answer as Flask's catch-all
            log.error("unexpected error=%s", type(exc).__name__)
            status, headers, body = _error(500, "internal", "something went wrong")
        start_response(status, headers)
        return [body]
