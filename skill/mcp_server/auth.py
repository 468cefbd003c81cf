"""OAuth 2.1 bearer tokens for the MCP server: signed JWTs checked against the issuer's JWKS.

:class:`JwtVerifier` is the SDK's ``TokenVerifier``: it takes the bearer string the MCP
transport received and answers an :class:`~mcp.server.auth.provider.AccessToken` or
``None``. It never raises and never blocks the event loop; every refusal is one INFO line
``refused reason=<code>`` on the ``skill.mcp_server.auth`` logger, naming the reason class
only (never the token or a claim value).

The issuer's keys are downloaded on first use, kept, and downloaded again only when a token
names a key id the cache does not hold, or the cache is older than :data:`CACHE_MAX_AGE`;
downloads are rate-limited so a flood of made-up key ids cannot hammer the issuer.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from mcp.server.auth.provider import AccessToken

from skill.errors import TogetherError
from skill.fetch import NoRedirect, read_bounded

__all__ = [
    "ALGORITHMS",
    "CACHE_MAX_AGE",
    "MAX_JWKS_BYTES",
    "MAX_TOKEN_CHARS",
    "REFETCH_INTERVAL",
    "RETRY_AFTER_FAILURE",
    "JwtVerifier",
    "PrincipalError",
    "principal",
]

logger = logging.getLogger("skill.mcp_server.auth")

#: The only signing algorithms accepted: asymmetric, so the verifier holds no secret.
ALGORITHMS = frozenset({"RS256", "ES256"})
#: At most one JWKS download per this many seconds after a successful download.
REFETCH_INTERVAL = 60.0
#: After a failed download (issuer down, bad JSON), the next attempt waits this long.
RETRY_AFTER_FAILURE = 10.0
#: Keys older than this are downloaded again (so a key the issuer withdrew stops working).
CACHE_MAX_AGE = 6 * 3600.0
#: Cap on the JWKS document (Cognito's is under 1 KiB).
MAX_JWKS_BYTES = 64 * 1024
#: Longer bearer strings are refused before any parsing.
MAX_TOKEN_CHARS = 8192


class PrincipalError(TogetherError, ValueError):
    """An access token without the issuer or subject a household key is made from."""


class _Refused(Exception):
    """A token is refused; ``reason`` is the logged class (never a token or claim value)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Key:
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    algorithm: str


class JwtVerifier:
    """Verify OAuth 2.1 bearer JWTs signed by ``issuer`` with RS256 or ES256.

    A token is accepted when all of these hold:

    * its header names ``alg`` RS256 or ES256 (``none``, HS* and anything else are refused,
      as is an alg the named key cannot make: an HS256 token "signed" with the public key
      never reaches a MAC check) and a ``kid`` in the issuer's JWKS, and the signature
      verifies with that key;
    * ``iss`` equals ``issuer`` exactly; ``exp`` is present and not past (``leeway``
      seconds allowed); ``nbf`` and ``iat``, if present, are not in the future (same
      leeway); ``sub`` is a non-empty string; ``token_use``, if present, is ``access``
      (so an Amazon Cognito ID token is refused);
    * **audience**: when the token has an ``aud`` claim (a string or a list of strings) it
      must share an entry with ``audiences``. When it has no ``aud`` claim, its
      ``client_id`` claim must be in ``audiences`` instead: Amazon Cognito access tokens
      carry ``client_id`` and no ``aud``, so for Cognito list the app client id.

    ``jwks_url`` defaults to ``<issuer>/.well-known/jwks.json``, where Amazon Cognito
    publishes it (issuer ``https://cognito-idp.<region>.amazonaws.com/<poolId>``). Only
    http(s) URLs are fetched, redirects are not followed, and a download must finish
    within ``fetch_timeout`` seconds overall and :data:`MAX_JWKS_BYTES`. ``clock`` (epoch
    seconds) drives both the time claims and the download rate limit.
    """

    def __init__(
        self,
        issuer: str,
        audiences: Sequence[str],
        *,
        jwks_url: str | None = None,
        leeway: int = 30,
        fetch_timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not issuer:
            raise ValueError("issuer is required")
        if isinstance(audiences, str):
            raise TypeError("audiences must be a sequence of strings, not one string")
        if not audiences or not all(isinstance(a, str) and a for a in audiences):
            raise ValueError("audiences must be non-empty strings")
        url = jwks_url if jwks_url is not None else issuer.rstrip("/") + "/.well-known/jwks.json"
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise ValueError("jwks_url must be an http(s) URL")
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.jwks_url = url
        self.leeway = leeway
        self.fetch_timeout = fetch_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] = {}
        self._loaded_at: float | None = None  # last successful download
        self._attempted_at: float | None = None  # last download attempt
        self._last_failed = False
        self._flight: threading.Event | None = None  # set when the download in flight ends

    async def verify_token(self, token: str) -> AccessToken | None:
        """The token's access, or ``None`` (logged at INFO with the reason class)."""
        try:
            return await self._verify(token)
        except _Refused as refused:
            reason = refused.reason
        except Exception as exc:  # the contract is "never raises"; a bug shows its class
            reason = f"error ({type(exc).__name__})"
        logger.info("refused reason=%s", reason)
        return None

    # ----------------------------------------------------------------------- checks

    async def _verify(self, token: str) -> AccessToken:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise _Refused("malformed")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _Refused("malformed") from exc
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ALGORITHMS:
            raise _Refused("algorithm")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _Refused("kid")
        key = await self._key_for(kid)
        if key.algorithm != alg:
            raise _Refused("algorithm")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                    "require": [],
                },
            )
        except jwt.InvalidSignatureError as exc:
            raise _Refused("signature") from exc
        except jwt.PyJWTError as exc:
            raise _Refused("malformed") from exc
        return self._access(token, claims)

    def _access(self, token: str, claims: Mapping[str, Any]) -> AccessToken:
        now = self._clock()
        if claims.get("iss") != self.issuer:
            raise _Refused("issuer")
        if "exp" not in claims:
            raise _Refused("exp_missing")
        exp = _number(claims["exp"], "exp")
        if exp + self.leeway <= now:
            raise _Refused("expired")
        for name in ("nbf", "iat"):
            if name in claims and _number(claims[name], name) - self.leeway > now:
                raise _Refused("not_yet_valid")
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _Refused("subject")
        if claims.get("token_use", "access") != "access":
            raise _Refused("token_use")
        resource = self._audience(claims)
        client_id = next(
            (v for v in (claims.get(n) for n in ("client_id", "azp")) if isinstance(v, str) and v),
            subject,
        )
        return AccessToken(
            token=token,
            client_id=client_id,
            scopes=_scopes(claims),
            expires_at=int(exp),
            resource=resource,
            subject=subject,
            claims={"iss": self.issuer},
        )

    def _audience(self, claims: Mapping[str, Any]) -> str | None:
        """The matched ``aud`` entry (the RFC 8707 resource), or None for a Cognito match."""
        if "aud" not in claims:
            client_id = claims.get("client_id")
            if isinstance(client_id, str) and client_id in self.audiences:
                return None
            raise _Refused("audience")
        aud = claims["aud"]
        entries = [aud] if isinstance(aud, str) else aud
        if not isinstance(entries, list) or not all(isinstance(a, str) for a in entries):
            raise _Refused("audience")
        for entry in entries:
            if entry in self.audiences:
                return str(entry)
        raise _Refused("audience")

    # ----------------------------------------------------------------------- keys

    async def _key_for(self, kid: str) -> _Key:
        """The cached key ``kid``, downloading the JWKS first when allowed and needed."""
        with self._lock:
            now = self._clock()
            key = self._keys.get(kid)
            stale = self._loaded_at is None or not 0 <= now - self._loaded_at < CACHE_MAX_AGE
            if key is not None and not stale:
                return key
            flight = self._flight
            leader = flight is None and self._may_fetch(now)
            if leader:
                flight = self._flight = threading.Event()
                self._attempted_at = now
        failure: str | None = None
        if leader and flight is not None:
            failure = await self._fetch(flight)
        elif flight is not None:
            with anyio.move_on_after(self.fetch_timeout):
                while not flight.is_set():
                    await anyio.sleep(0.01)
        with self._lock:
            key = self._keys.get(kid)
            if key is not None:
                return key
        if failure is not None:
            raise _Refused(f"jwks_unavailable ({failure})")
        raise _Refused("unknown_kid" if self._loaded_at is not None else "jwks_unavailable")

    def _may_fetch(self, now: float) -> bool:
        if self._attempted_at is None:
            return True
        wait = RETRY_AFTER_FAILURE if self._last_failed else REFETCH_INTERVAL
        return not 0 <= now - self._attempted_at < wait

    async def _fetch(self, flight: threading.Event) -> str | None:
        """Download and install the JWKS: None, or the failure's exception class name.

        On failure the keys already held are kept (stale keys beat none).
        """
        keys: dict[str, _Key] | None = None
        failure: str | None = None
        try:
            with anyio.fail_after(self.fetch_timeout):
                body = await anyio.to_thread.run_sync(
                    _download, self.jwks_url, self.fetch_timeout, abandon_on_cancel=True
                )
            keys = _parse_jwks(body)
        except Exception as exc:
            failure = type(exc).__name__
        finally:
            with self._lock:
                if keys is not None:
                    self._keys = keys
                    self._loaded_at = self._clock()
                self._last_failed = keys is None
                self._flight = None
            flight.set()
        return failure


def principal(access: AccessToken) -> tuple[str, str]:
    """``(issuer, subject)``: who the token speaks for, for the caller to hash into a key.

    Raises :class:`PrincipalError` when either is missing (a token from another verifier).
    """
    issuer = (access.claims or {}).get("iss")
    if not isinstance(issuer, str) or not issuer or not access.subject:
        raise PrincipalError("access token has no issuer or subject")
    return issuer, access.subject


# --------------------------------------------------------------------------- helpers


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(f"{name}_invalid")
    if not math.isfinite(value):
        raise _Refused(f"{name}_invalid")
    return float(value)


def _scopes(claims: Mapping[str, Any]) -> list[str]:
    """``scope`` (space-separated, RFC 9068) or ``scp`` (a list); none is an empty list."""
    if "scope" in claims:
        scope = claims["scope"]
        if not isinstance(scope, str):
            raise _Refused("scope")
        return scope.split()
    scp = claims.get("scp", [])
    if isinstance(scp, str):
        return scp.split()
    if not isinstance(scp, list) or not all(isinstance(s, str) for s in scp):
        raise _Refused("scope")
    return list(scp)


def _parse_jwks(body: bytes) -> dict[str, _Key]:
    """The usable signing keys by kid: RSA for RS256, EC P-256 for ES256; others skipped."""
    document = json.loads(body)
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS is not an object with a keys list")
    keys: dict[str, _Key] = {}
    for entry in document["keys"]:
        parsed = _parse_jwk(entry)
        if parsed is not None:
            keys[parsed[0]] = parsed[1]
    if not keys:
        raise ValueError("JWKS holds no usable signing key")
    return keys


def _parse_jwk(entry: object) -> tuple[str, _Key] | None:
    if not isinstance(entry, dict):
        return None
    kid = entry.get("kid")
    if not isinstance(kid, str) or not kid or entry.get("use", "sig") != "sig":
        return None
    kty = entry.get("kty")
    algorithm = "RS256" if kty == "RSA" else "ES256" if kty == "EC" else None
    if algorithm is None or entry.get("alg", algorithm) != algorithm:
        return None
    if kty == "EC" and entry.get("crv") != "P-256":
        return None
    try:
        key = jwt.PyJWK(entry, algorithm=algorithm).key
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    if algorithm == "RS256" and isinstance(key, rsa.RSAPublicKey):
        return kid, _Key(key, algorithm)
    if algorithm == "ES256" and isinstance(key, ec.EllipticCurvePublicKey):
        return kid, _Key(key, algorithm)
    return None  # a private key or anything else published by mistake is not used


def _download(url: str, timeout: float) -> bytes:
    """GET ``url`` within ``timeout`` seconds overall, at most :data:`MAX_JWKS_BYTES`.

    Runs in a worker thread. Each socket operation waits at most the time left, and the
    body is read in chunks against the deadline, so a trickling server is cut off.
    """
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(NoRedirect())
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
        url, headers={"Accept": "application/json", "User-Agent": "resilient-together/mcp"}
    )
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise
    with response:
        body = read_bounded(
            response,
            deadline=deadline,
            limit=MAX_JWKS_BYTES,
            too_slow=lambda: TimeoutError("JWKS download too slow"),
        )
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError("JWKS too large")
    return body
