"""A test OAuth issuer on 127.0.0.1: per-run keys, a real JWKS endpoint, signed tokens.

Serves ``GET /.well-known/jwks.json`` and ``GET /.well-known/openid-configuration`` from a
``ThreadingHTTPServer`` in a daemon thread, and signs access tokens with an RSA-2048 key
(kid ``k1``, RS256) and an EC P-256 key (kid ``k2``, ES256), both made fresh per issuer.
Typical use::

    with OAuthIssuer() as issuer:
        verifier = JwtVerifier(issuer.issuer, ["together-test"])
        token = issuer.token(sub="household-1")
        assert issuer.jwks_fetches == 0

Switches: ``issuer.stall = 10.0`` makes the JWKS endpoint wait that long before answering
(released at once when the issuer stops); ``issuer.fail_status = 500`` makes it answer
that status; ``issuer.jwks_body = b"..."`` serves those bytes instead;
``issuer.trickle = 0.05`` sends the whole JWKS answer (status line and headers too) one
byte per that many seconds, so only an overall deadline stops a client. Other modules get
a fixture with ``from tests.oauth_issuer import oauth_issuer`` (or call
:func:`running_issuer` in a fixture of their own, of any scope).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

__all__ = ["AUDIENCE", "SCOPE", "OAuthIssuer", "oauth_issuer", "running_issuer"]

AUDIENCE = "together-test"
SCOPE = "together/practice"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class _SigningKey:
    kid: str
    alg: str
    private: PrivateKey

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            data = RSAAlgorithm.to_jwk(public, as_dict=True)
        else:
            data = ECAlgorithm.to_jwk(public, as_dict=True)
        return {**data, "kid": self.kid, "alg": self.alg, "use": "sig"}


def _new_private(alg: str) -> PrivateKey:
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"no key type for {alg}")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _segment(value: Mapping[str, Any]) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


class OAuthIssuer:
    """An OAuth issuer for tests; see the module docstring."""

    def __init__(self) -> None:
        self._keys: dict[str, _SigningKey] = {}
        self._withdrawn: dict[str, _SigningKey] = {}
        self.add_key("k1", "RS256")
        self.add_key("k2", "ES256")
        self._default_kid = {"RS256": "k1", "ES256": "k2"}
        self._strangers: dict[str, PrivateKey] = {}  # made on first use by forged()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.jwks_fetches = 0
        #: Seconds the JWKS endpoint waits before answering (0: at once).
        self.stall = 0.0
        #: Status the JWKS endpoint answers instead of the keys (None: 200 with the keys).
        self.fail_status: int | None = None
        #: Bytes the JWKS endpoint answers (status 200) instead of the keys (None: the keys).
        self.jwks_body: bytes | None = None
        #: Seconds between the bytes of the JWKS answer (0: all at once).
        self.trickle = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------------- server

    @property
    def issuer(self) -> str:
        """The base URL, ``http://127.0.0.1:<port>`` (the ``iss`` of every token)."""
        if self._server is None:
            raise RuntimeError("the issuer is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def jwks_url(self) -> str:
        return self.issuer + "/.well-known/jwks.json"

    def start(self) -> OAuthIssuer:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        self._release.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let stalled requests finish
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> OAuthIssuer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------------- keys

    def add_key(self, kid: str, alg: str = "RS256") -> None:
        """Publish a new signing key (a rotation)."""
        self._keys[kid] = _SigningKey(kid, alg, _new_private(alg))

    def remove_key(self, kid: str) -> None:
        """Withdraw a key from the JWKS (tokens can still be signed with it)."""
        self._withdrawn[kid] = self._keys.pop(kid)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self._keys.values()]}

    def public_pem(self, kid: str = "k1") -> bytes:
        public = self._key(kid).private.public_key()
        return public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def _key(self, kid: str) -> _SigningKey:
        return self._keys[kid] if kid in self._keys else self._withdrawn[kid]

    # ----------------------------------------------------------------------- tokens

    def claims(
        self,
        sub: str = "household-1",
        *,
        aud: str | list[str] | None = AUDIENCE,
        expires_in: int = 300,
        scope: str | None = SCOPE,
        claims: Mapping[str, Any] | None = None,
        omit: Iterable[str] = (),
    ) -> dict[str, Any]:
        """The payload :meth:`token` signs: ``iss``, ``sub``, ``aud``, ``iat``, ``exp``,
        ``scope``, then ``claims`` (overriding), then ``omit`` removed. ``None`` leaves out
        ``aud`` or ``scope``."""
        now = int(time.time())
        payload: dict[str, Any] = {"iss": self.issuer, "sub": sub, "iat": now}
        payload["exp"] = now + expires_in
        if aud is not None:
            payload["aud"] = aud
        if scope is not None:
            payload["scope"] = scope
        payload.update(claims or {})
        for name in omit:
            payload.pop(name, None)
        return payload

    def token(
        self,
        sub: str = "household-1",
        *,
        aud: str | list[str] | None = AUDIENCE,
        expires_in: int = 300,
        scope: str | None = SCOPE,
        kid: str | None = None,
        alg: str = "RS256",
        claims: Mapping[str, Any] | None = None,
        omit: Iterable[str] = (),
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed JWT.

        ``kid`` defaults to this issuer's key for ``alg`` (``k1`` for RS256, ``k2`` for
        ES256); the token is signed with the key named ``kid`` when the issuer has it, else
        with the default key for ``alg`` (so ``kid="nope"`` makes an unknown-kid token).
        Two attacks are spelled by ``alg``: ``"none"`` (no signature) and ``"HS256"``
        (an HMAC whose secret is the RSA public key's PEM: alg confusion).
        """
        payload = self.claims(
            sub, aud=aud, expires_in=expires_in, scope=scope, claims=claims, omit=omit
        )
        return self.sign(payload, kid=kid, alg=alg, headers=headers)

    def forged(
        self,
        sub: str = "household-1",
        *,
        aud: str | list[str] | None = AUDIENCE,
        expires_in: int = 300,
        scope: str | None = SCOPE,
        kid: str | None = None,
        alg: str = "RS256",
        claims: Mapping[str, Any] | None = None,
        omit: Iterable[str] = (),
    ) -> str:
        """Like :meth:`token`, but signed by a key of the same type that is not published."""
        payload = self.claims(
            sub, aud=aud, expires_in=expires_in, scope=scope, claims=claims, omit=omit
        )
        header = {"kid": kid or self._default_kid[alg]}
        if alg not in self._strangers:
            self._strangers[alg] = _new_private(alg)
        return jwt.encode(payload, self._strangers[alg], algorithm=alg, headers=header)

    def sign(
        self,
        payload: Mapping[str, Any],
        *,
        kid: str | None = None,
        alg: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign an arbitrary payload (see :meth:`token` for ``kid`` and ``alg``)."""
        if alg == "none":
            header = {"alg": "none", "typ": "JWT", "kid": kid or "k1", **(headers or {})}
            return f"{_segment(header)}.{_segment(payload)}."
        if alg == "HS256":
            header = {"alg": "HS256", "typ": "JWT", "kid": kid or "k1", **(headers or {})}
            signing_input = f"{_segment(header)}.{_segment(payload)}".encode()
            secret = self.public_pem(kid or "k1")
            mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
            return f"{signing_input.decode()}.{_b64(mac)}"
        kid = kid or self._default_kid[alg]
        try:
            key = self._key(kid).private
        except KeyError:
            key = self._key(self._default_kid[alg]).private
        return jwt.encode(
            dict(payload), key, algorithm=alg, headers={"kid": kid, **(headers or {})}
        )

    # ----------------------------------------------------------------------- serving

    def _count_fetch(self) -> None:
        with self._lock:
            self.jwks_fetches += 1

    def _wait_stall(self) -> None:
        if self.stall > 0:
            self._release.wait(self.stall)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that gave up on a stalled answer is expected here."""


def _handler_for(issuer: OAuthIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/.well-known/jwks.json":
                issuer._count_fetch()
                issuer._wait_stall()
                if issuer.fail_status is not None:
                    self._answer(issuer.fail_status, {"error": "server_error"})
                elif issuer.jwks_body is not None:
                    self._send(200, issuer.jwks_body)
                elif issuer.trickle > 0:
                    self._trickle(json.dumps(issuer.jwks()).encode())
                else:
                    self._answer(200, issuer.jwks())
            elif self.path == "/.well-known/openid-configuration":
                base = issuer.issuer
                config = {"issuer": base, "jwks_uri": base + "/.well-known/jwks.json"}
                self._answer(200, config)
            else:
                self._answer(404, {"error": "not_found"})

        def _answer(self, status: int, body: Mapping[str, Any]) -> None:
            self._send(status, json.dumps(body).encode())

        def _send(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self, data: bytes) -> None:
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(data)}\r\n"
            raw = (head + "Content-Type: application/json\r\n\r\n").encode() + data
            self.close_connection = True
            for at in range(len(raw)):
                if issuer._release.wait(issuer.trickle):  # stopping: the rest at once
                    self.wfile.write(raw[at:])
                    return
                self.wfile.write(raw[at : at + 1])

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


def running_issuer() -> Iterator[OAuthIssuer]:
    """A started issuer, stopped afterwards (for a fixture of any scope)."""
    with OAuthIssuer() as issuer:
        yield issuer


@pytest.fixture
def oauth_issuer() -> Iterator[OAuthIssuer]:
    """A running :class:`OAuthIssuer`, fresh per test."""
    yield from running_issuer()
