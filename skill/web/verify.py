"""Verify that an HTTP request really comes from Alexa.

Implements Amazon's "Host a custom skill as a web service" rules for a skill that is not
hosted on AWS Lambda. This module is plain library code (no Flask import); the web layer
calls :meth:`AlexaVerifier.verify` with the request headers and the *raw* body bytes and
turns a :class:`VerificationError` into an HTTP error response (``exc.status``, ``str(exc)``).

Checks, in this order (each failure raises :class:`VerificationError` with a short
``reason`` code; nothing else ever escapes :meth:`AlexaVerifier.verify`):

1. Body size (``body_too_large``, HTTP 413). Default limit 128 KiB: Alexa requests are a
   few KB (the largest, APL ``UserEvent`` and skill events, stay well below 32 KB), so the
   limit is generous while bounding parse cost. The web layer should also set Flask's
   ``MAX_CONTENT_LENGTH`` so oversize bodies are never read into memory.
2. UTF-8 (``body_encoding``), JSON (``body_json``; duplicate keys and NaN/Infinity are
   refused) and envelope shape (``body_shape``: an object with ``version`` and a
   ``request`` object holding string ``type``, ``requestId`` and ``timestamp``).
3. ``SignatureCertChainUrl`` header (``cert_url_*``): https, host ``s3.amazonaws.com``
   (both case-insensitive), port absent or 443, no userinfo/query/fragment, and a path that,
   once percent-decoded and dot-segment normalised, starts with ``/echo.api/``
   (case-sensitive) and contains no ``..``. Refused URLs are never downloaded; accepted
   URLs are downloaded in their canonical form (``https://s3.amazonaws.com`` + normalised
   path), which is also the cache key.
4. ``Signature-256`` header present and strict base64 (``signature_missing``,
   ``signature_encoding``). These header checks run before any download, so a request
   without a usable signature never causes a fetch.
5. Certificate chain (``cert_fetch``, ``cert_too_large``, ``cert_parse``, ``cert_expired``,
   ``cert_not_yet_valid``, ``cert_san``, ``cert_key``, ``cert_chain``): the PEM chain is
   fetched (through :class:`CertificateCache`), the leaf must be valid now, carry the DNS
   SAN ``echo-api.amazon.com`` and an RSA key, and chain to a trusted root under
   cryptography's RFC 5280 / web-PKI server verifier.
6. Signature (``signature_mismatch``): RSA PKCS#1 v1.5 with SHA-256 over the raw body bytes.
7. Timestamp (``timestamp_invalid``, ``timestamp_stale``, ``timestamp_future``): within
   150 s of now in either direction. ``AlexaSkillEvent.*`` requests may be up to one hour
   old (Amazon delivers skill events late); the future tolerance stays 150 s for them.
8. Application id (``application_id``): ``context.System.application.applicationId``
   (falling back to ``session.application.applicationId``) must equal the configured skill
   id; if both are present they must both match.

SHA-1 policy: a request carrying only the legacy SHA-1 ``Signature`` header is refused with
``signature_missing``. Amazon has sent ``Signature-256`` on every request since 2021 and
SHA-1 is broken (chosen-prefix collisions), so accepting it would only help forgers.

Other reasons: ``header_duplicate`` / ``header_invalid`` (a verification header repeated
with different values, or not a string) and ``internal_error`` (an unexpected failure inside
the verifier; the request is refused, fail-closed).

``check_signature=False`` (development only) skips steps 3-6; ``check_timestamp=False``
skips step 7. Body and application-id checks always run (the latter when a skill id is set).

Refusals are logged on the ``skill.web.verify`` logger as ``refused reason=<code>`` and
nothing else: never the body, user ids or anything the user said.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import logging
import posixpath
import re
import ssl
import threading
import time
import urllib.request
import warnings
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as _FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store
from cryptography.x509.verification import VerificationError as _ChainError

from skill.errors import TogetherError
from skill.fetch import NoRedirect, read_bounded

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ECHO_API_DNS_NAME",
    "MAX_CHAIN_BYTES",
    "REASONS",
    "SKILL_EVENT_TOLERANCE",
    "TIMESTAMP_TOLERANCE",
    "AlexaVerifier",
    "CertificateCache",
    "Fetcher",
    "HeaderSource",
    "ValidatedChain",
    "VerificationError",
    "default_fetcher",
    "load_default_trust_roots",
    "normalize_cert_url",
    "validate_chain",
]

logger = logging.getLogger("skill.web.verify")

ECHO_API_DNS_NAME = "echo-api.amazon.com"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
DEFAULT_MAX_BODY_BYTES = 128 * 1024
MAX_CHAIN_BYTES = 64 * 1024
MAX_CHAIN_CERTS = 10
FETCH_TIMEOUT_SECONDS = 2.0  # each connect / TLS / read operation
FETCH_DEADLINE_SECONDS = 3.0  # the whole download, however the server trickles
TIMESTAMP_TOLERANCE = timedelta(seconds=150)
SKILL_EVENT_TOLERANCE = timedelta(hours=1)
SKILL_EVENT_PREFIX = "AlexaSkillEvent."
SIGNATURE_HEADER = "Signature-256"
LEGACY_SIGNATURE_HEADER = "Signature"
CERT_URL_HEADER = "SignatureCertChainUrl"

_MAX_URL_LENGTH = 2048
_MAX_SIGNATURE_LENGTH = 4096
_MAX_TIMESTAMP_LENGTH = 64
# Characters allowed in the *decoded* certificate path. Amazon's URLs look like
# /echo.api/echo-api-cert-12.pem; anything outside this set (a leftover "%", a backslash,
# control characters, non-ASCII) is refused rather than interpreted.
_PATH_CHARS = re.compile(r"[A-Za-z0-9._~/\-]+")

#: Reason code -> short client-safe message. Every VerificationError uses one of these.
REASONS: Mapping[str, str] = {
    "body_too_large": "request body too large",
    "body_encoding": "request body is not valid UTF-8",
    "body_json": "request body is not valid JSON",
    "body_shape": "request body is not an Alexa request envelope",
    "header_duplicate": "conflicting duplicate verification headers",
    "header_invalid": "verification header is malformed",
    "cert_url_missing": "SignatureCertChainUrl header missing",
    "cert_url_invalid": "SignatureCertChainUrl is malformed",
    "cert_url_scheme": "SignatureCertChainUrl must use https",
    "cert_url_userinfo": "SignatureCertChainUrl must not contain credentials",
    "cert_url_host": "SignatureCertChainUrl host is not allowed",
    "cert_url_port": "SignatureCertChainUrl port is not allowed",
    "cert_url_path": "SignatureCertChainUrl path is not allowed",
    "signature_missing": "Signature-256 header missing (SHA-1 signatures are not accepted)",
    "signature_encoding": "Signature-256 header is not valid base64",
    "cert_fetch": "signing certificate could not be retrieved",
    "cert_too_large": "signing certificate chain too large",
    "cert_parse": "signing certificate chain could not be parsed",
    "cert_expired": "signing certificate has expired",
    "cert_not_yet_valid": "signing certificate is not yet valid",
    "cert_san": "signing certificate is not issued to echo-api.amazon.com",
    "cert_key": "signing certificate key type is not supported",
    "cert_chain": "signing certificate is not trusted",
    "signature_mismatch": "request signature does not match",
    "timestamp_invalid": "request timestamp is invalid",
    "timestamp_stale": "request timestamp is too old",
    "timestamp_future": "request timestamp is in the future",
    "application_id": "request is not for this skill",
    "internal_error": "request could not be verified",
}

# Operational problems worth a WARNING; everything else (forgeries, junk) is INFO.
_WARNING_REASONS = frozenset({"cert_fetch", "cert_too_large", "internal_error"})


class VerificationError(TogetherError):
    """A request failed verification.

    ``reason`` is a short machine code (see :data:`REASONS`), ``status`` the HTTP status to
    answer with (400, or 413 for an oversize body). ``str(exc)`` is a short message that is
    safe to return to the client: it never contains request data.
    """

    reason: str
    status: int

    def __init__(self, reason: str, message: str | None = None, *, status: int = 400) -> None:
        super().__init__(message or REASONS.get(reason, "request could not be verified"))
        self.reason = reason
        self.status = status

    def copy(self) -> VerificationError:
        """A fresh instance with the same reason/message/status (for re-raising cached errors)."""
        return VerificationError(self.reason, str(self), status=self.status)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_error, (self.reason, str(self), self.status))


def _rebuild_error(reason: str, message: str, status: int) -> VerificationError:
    return VerificationError(reason, message, status=status)


Fetcher = Callable[[str], bytes]
"""URL -> PEM bytes of the certificate chain; raises on failure."""


class HeaderSource(Protocol):
    """Anything with ``items()`` yielding ``(name, value)`` pairs.

    Covers plain dicts and Werkzeug's ``Headers``/``EnvironHeaders`` (which are not
    ``Mapping`` subclasses and may hold repeated headers).
    """

    def items(self) -> Iterable[tuple[str, str]]: ...


# --------------------------------------------------------------------------- fetching


def _tls_context() -> ssl.SSLContext:
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi is normally installed
        return ssl.create_default_context()


def _build_opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(
        NoRedirect(), urllib.request.HTTPSHandler(context=_tls_context())
    )


# Downloads run here so the request waits at most the overall deadline even while a
# server is still trickling headers; each download also stops itself at the deadline.
_FETCHERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="cert-fetch")


def default_fetcher(url: str) -> bytes:
    """Download ``url`` over https within :data:`FETCH_DEADLINE_SECONDS` overall (each
    socket operation within :data:`FETCH_TIMEOUT_SECONDS`), at most
    :data:`MAX_CHAIN_BYTES`.

    Raises :class:`VerificationError` (``cert_fetch`` or ``cert_too_large``) on any failure.
    Redirects are not followed. A server that answers one byte at a time is cut off at
    the deadline (before: the timeout was per read, and a trickling server held a
    request for 18 s).
    """
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError as exc:
        raise VerificationError("cert_fetch", "certificate URL is malformed") from exc
    if scheme != "https":
        raise VerificationError("cert_fetch", "certificate URL must use https")
    deadline = time.monotonic() + FETCH_DEADLINE_SECONDS
    future = _FETCHERS.submit(_download, url, deadline)
    try:
        data = future.result(timeout=FETCH_DEADLINE_SECONDS)
    except _FutureTimeout as exc:
        future.cancel()
        raise VerificationError("cert_fetch", "signing certificate download too slow") from exc
    except VerificationError:
        raise
    except Exception as exc:
        raise VerificationError("cert_fetch") from exc
    if len(data) > MAX_CHAIN_BYTES:
        raise VerificationError("cert_too_large")
    return data


def _download(url: str, deadline: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "resilient-together/verify"})  # noqa: S310
    with _build_opener().open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
        try:
            return read_bounded(
                response,
                deadline=deadline,
                limit=MAX_CHAIN_BYTES,
                per_read=FETCH_TIMEOUT_SECONDS,
                too_slow=lambda: VerificationError(
                    "cert_fetch", "signing certificate download too slow"
                ),
            )
        except TypeError as exc:
            raise VerificationError("cert_fetch") from exc


# --------------------------------------------------------------------------- trust roots

_SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)
_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.DOTALL)
_default_roots_lock = threading.Lock()
_default_roots: tuple[x509.Certificate, ...] | None = None


def _load_bundle(path: str) -> list[x509.Certificate]:
    data = Path(path).read_bytes()
    roots: list[x509.Certificate] = []
    with warnings.catch_warnings():
        # Some public roots have legacy quirks (e.g. non-positive serials) that cryptography
        # warns about; they are loaded once at startup and the warning is not actionable.
        warnings.simplefilter("ignore")
        for block in _PEM_BLOCK.findall(data):
            try:
                roots.append(x509.load_pem_x509_certificate(block))
            except ValueError:
                continue  # one unparseable root must not disable the whole store
    return roots


def load_default_trust_roots() -> tuple[x509.Certificate, ...]:
    """Trust roots: ``certifi`` if importable, else the system CA bundle. Cached."""
    global _default_roots
    with _default_roots_lock:
        if _default_roots is not None:
            return _default_roots
        candidates: list[str] = []
        try:
            import certifi

            candidates.append(certifi.where())
        except ImportError:  # pragma: no cover - depends on the environment
            pass
        cafile = ssl.get_default_verify_paths().cafile
        if cafile:
            candidates.append(cafile)
        candidates.extend(_SYSTEM_BUNDLES)
        for path in candidates:
            try:
                roots = _load_bundle(path)
            except OSError:
                continue
            if roots:
                _default_roots = tuple(roots)
                return _default_roots
        raise RuntimeError("no trust roots found (install certifi or a system CA bundle)")


# --------------------------------------------------------------------------- cert URL


@functools.lru_cache(maxsize=64)
def _valid_url(url: str) -> str:
    return normalize_cert_url(url)


def _normalized(url: str | None) -> str:
    """:func:`normalize_cert_url`, remembered for the few URLs Amazon uses (a refused URL
    raises, and is not remembered)."""
    if url is None or len(url) > _MAX_URL_LENGTH:
        return normalize_cert_url(url)
    return _valid_url(url)


def normalize_cert_url(url: str | None) -> str:
    """Validate a ``SignatureCertChainUrl`` and return its canonical form.

    The canonical form is ``https://s3.amazonaws.com`` + the normalised path; it is what gets
    downloaded and what the cache is keyed by. Raises :class:`VerificationError`.
    """
    if not url:
        raise VerificationError("cert_url_missing")
    if len(url) > _MAX_URL_LENGTH or any(not ("!" <= ch <= "~") for ch in url):
        # Non-ASCII, spaces and control characters: urlsplit silently strips some of them,
        # so refuse instead of guessing what a downloader would make of the URL.
        raise VerificationError("cert_url_invalid")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise VerificationError("cert_url_invalid") from exc
    if parts.scheme.lower() != "https":
        raise VerificationError("cert_url_scheme")
    netloc = parts.netloc
    if "@" in netloc:
        raise VerificationError("cert_url_userinfo")
    host, sep, port = netloc.partition(":")
    if host.lower() != CERT_HOST:
        raise VerificationError("cert_url_host")
    if sep and port != "443":
        raise VerificationError("cert_url_port")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise VerificationError("cert_url_invalid")
    try:
        decoded = unquote(parts.path, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise VerificationError("cert_url_path") from exc
    if not _PATH_CHARS.fullmatch(decoded):
        raise VerificationError("cert_url_path")  # leftover %, backslash, odd characters
    normalised = posixpath.normpath(decoded)
    if (
        ".." in normalised
        or not normalised.startswith(CERT_PATH_PREFIX)
        or len(normalised) <= len(CERT_PATH_PREFIX)
    ):
        raise VerificationError("cert_url_path")
    return f"https://{CERT_HOST}{normalised}"


# --------------------------------------------------------------------------- chain + cache


@dataclass(frozen=True)
class ValidatedChain:
    """A certificate chain that passed validation: the leaf's key and the validity window.

    ``not_before``/``not_after`` are the intersection of the validity of every certificate
    on the verified path (normally just the leaf's window).
    """

    url: str
    public_key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime

    def valid_at(self, now: datetime) -> bool:
        return self.not_before <= now <= self.not_after


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def validate_chain(url: str, pem: bytes, now: datetime, store: Store) -> ValidatedChain:
    """Parse and validate a PEM chain (leaf first) at time ``now``."""
    if not isinstance(pem, bytes):
        raise VerificationError("cert_fetch", "certificate fetcher returned no bytes")
    if len(pem) > MAX_CHAIN_BYTES:
        raise VerificationError("cert_too_large")
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise VerificationError("cert_parse") from exc
    if not certs or len(certs) > MAX_CHAIN_CERTS:
        raise VerificationError("cert_parse")
    leaf, intermediates = certs[0], certs[1:]
    try:
        not_before = leaf.not_valid_before_utc
        not_after = leaf.not_valid_after_utc
        if now < not_before:
            raise VerificationError("cert_not_yet_valid")
        if now > not_after:
            raise VerificationError("cert_expired")
        try:
            san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound as exc:
            raise VerificationError("cert_san") from exc
        dns_names = {name.lower() for name in san.get_values_for_type(x509.DNSName)}
        if ECHO_API_DNS_NAME not in dns_names:
            raise VerificationError("cert_san")
        public_key = leaf.public_key()
    except VerificationError:
        raise
    except ValueError as exc:  # malformed extensions / keys
        raise VerificationError("cert_parse") from exc
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise VerificationError("cert_key")
    verifier = (
        PolicyBuilder()
        .store(store)
        .time(now)
        .build_server_verifier(x509.DNSName(ECHO_API_DNS_NAME))
    )
    try:
        path = verifier.verify(leaf, intermediates)
    except _ChainError as exc:
        raise VerificationError("cert_chain") from exc
    return ValidatedChain(
        url=url,
        public_key=public_key,
        not_before=max(cert.not_valid_before_utc for cert in path),
        not_after=min(cert.not_valid_after_utc for cert in path),
    )


class _Flight:
    """One in-progress load that other threads can wait for."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: ValidatedChain | None = None
        self.error: VerificationError | None = None


class CertificateCache:
    """Thread-safe LRU cache of validated chains, keyed by canonical certificate URL.

    * An entry is used only while ``now`` is inside the chain's validity window, so it
      expires at the leaf's ``notAfter``.
    * At most ``max_entries`` chains are kept (least recently used evicted first).
    * Concurrent misses for one URL share a single load (one download); the others wait up
      to ``wait_timeout`` seconds for its result.
    * A failed load is remembered for ``negative_ttl`` (default 30 s; 0 disables), so a
      flood of requests naming a broken URL does not cause a flood of downloads, while a
      transient S3 failure heals quickly. Failures are kept apart from good chains (bounded
      by ``max_failures``), so requests naming many bogus URLs cannot evict a good chain.

    Share one cache only between verifiers that use the same trust roots.
    """

    def __init__(
        self,
        max_entries: int = 32,
        *,
        negative_ttl: float | timedelta = 30.0,
        max_failures: int = 256,
        wait_timeout: float = 10.0,
    ) -> None:
        if max_entries < 1 or max_failures < 1:
            raise ValueError("max_entries and max_failures must be at least 1")
        self.max_entries = max_entries
        self.max_failures = max_failures
        self.negative_ttl = (
            negative_ttl if isinstance(negative_ttl, timedelta) else timedelta(seconds=negative_ttl)
        )
        self.wait_timeout = wait_timeout
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, ValidatedChain] = OrderedDict()
        self._failures: OrderedDict[str, tuple[datetime, VerificationError]] = OrderedDict()
        self._inflight: dict[str, _Flight] = {}

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __contains__(self, url: object) -> bool:
        with self._lock:
            return url in self._entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._failures.clear()

    def get(self, url: str, now: datetime, loader: Callable[[], ValidatedChain]) -> ValidatedChain:
        """Return the cached chain for ``url`` valid at ``now``, loading it if needed."""
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                if entry.valid_at(now):
                    self._entries.move_to_end(url)
                    return entry
                del self._entries[url]
            failure = self._failures.get(url)
            if failure is not None:
                until, error = failure
                if now < until:
                    raise error.copy()
                del self._failures[url]
            flight = self._inflight.get(url)
            leader = flight is None
            if flight is None:
                flight = self._inflight[url] = _Flight()
        if not leader:
            return self._wait(flight)
        return self._load(url, now, loader, flight)

    def _wait(self, flight: _Flight) -> ValidatedChain:
        if not flight.done.wait(self.wait_timeout):
            raise VerificationError("cert_fetch", "timed out waiting for the signing certificate")
        if flight.result is not None:
            return flight.result
        raise (flight.error or VerificationError("cert_fetch")).copy()

    def _load(
        self, url: str, now: datetime, loader: Callable[[], ValidatedChain], flight: _Flight
    ) -> ValidatedChain:
        try:
            try:
                result = loader()
            except VerificationError as exc:
                flight.error = exc.copy()
                raise
            except Exception as exc:
                flight.error = VerificationError("cert_fetch")
                raise flight.error.copy() from exc
            flight.result = result
            return result
        finally:
            with self._lock:
                self._inflight.pop(url, None)
                if flight.result is not None:
                    self._entries[url] = flight.result
                    self._entries.move_to_end(url)
                    self._failures.pop(url, None)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
                else:
                    if flight.error is None:  # BaseException in the loader
                        flight.error = VerificationError("cert_fetch")
                    if self.negative_ttl > timedelta(0):
                        self._failures[url] = (now + self.negative_ttl, flight.error)
                        self._failures.move_to_end(url)
                        while len(self._failures) > self.max_failures:
                            self._failures.popitem(last=False)
            flight.done.set()


# --------------------------------------------------------------------------- helpers


def _header(headers: Mapping[str, str] | HeaderSource, name: str) -> str | None:
    """Case-insensitive header lookup; conflicting repeated values are refused."""
    wanted = name.lower()
    found: list[str] = []
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            if not isinstance(value, str):
                raise VerificationError("header_invalid")
            found.append(value.strip())
    if not found:
        return None
    if len(set(found)) > 1:
        raise VerificationError("header_duplicate")
    return found[0]


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _parse_body(body: bytes, max_bytes: int) -> dict[str, Any]:
    if not isinstance(body, bytes | bytearray | memoryview):
        raise VerificationError("body_encoding", "request body must be bytes")
    if len(body) > max_bytes:
        raise VerificationError("body_too_large", status=413)
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise VerificationError("body_encoding") from exc
    try:
        data = json.loads(text, object_pairs_hook=_unique_object, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise VerificationError("body_json") from exc
    if not isinstance(data, dict):
        raise VerificationError("body_shape")
    request = data.get("request")
    if (
        not isinstance(data.get("version"), str)
        or not isinstance(request, dict)
        or not isinstance(request.get("type"), str)
        or not request["type"]
        or not isinstance(request.get("requestId"), str)
        or not isinstance(request.get("timestamp"), str)
    ):
        raise VerificationError("body_shape")
    return data


def _decode_signature(value: str | None) -> bytes:
    if not value:
        raise VerificationError("signature_missing")
    if len(value) > _MAX_SIGNATURE_LENGTH:
        raise VerificationError("signature_encoding")
    try:
        signature = base64.b64decode(value, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise VerificationError("signature_encoding") from exc
    if not signature:
        raise VerificationError("signature_missing")
    return signature


def _parse_timestamp(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > _MAX_TIMESTAMP_LENGTH:
        raise VerificationError("timestamp_invalid")
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            raise VerificationError("timestamp_invalid", "request timestamp has no time zone")
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise VerificationError("timestamp_invalid") from exc


def _dig(data: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _log_refusal(reason: str) -> None:
    level = logging.WARNING if reason in _WARNING_REASONS else logging.INFO
    logger.log(level, "refused reason=%s", reason)


# --------------------------------------------------------------------------- verifier


class AlexaVerifier:
    """Verifies Alexa requests. Thread-safe; create one per app and reuse it."""

    def __init__(
        self,
        skill_id: str | None,
        *,
        check_signature: bool = True,
        check_timestamp: bool = True,
        fetcher: Fetcher | None = None,
        clock: Callable[[], datetime] | None = None,
        trust_roots: Sequence[x509.Certificate] | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        cache: CertificateCache | None = None,
    ) -> None:
        self.skill_id = skill_id or None
        self.check_signature = check_signature
        self.check_timestamp = check_timestamp
        self.max_body_bytes = max_body_bytes
        self._fetcher: Fetcher = fetcher or default_fetcher
        self._clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self._cache = cache if cache is not None else CertificateCache()
        self._store: Store | None = None
        if check_signature:
            roots = list(trust_roots) if trust_roots is not None else load_default_trust_roots()
            if not roots:
                raise ValueError("trust_roots must not be empty")
            self._store = Store(list(roots))

    @property
    def cache(self) -> CertificateCache:
        return self._cache

    def verify(self, headers: Mapping[str, str] | HeaderSource, body: bytes) -> dict[str, Any]:
        """Return the parsed request envelope (a dict) or raise VerificationError."""
        try:
            return self._verify(headers, body)
        except VerificationError as exc:
            _log_refusal(exc.reason)
            raise
        except Exception as exc:
            # A bug or an unexpected library error: fail closed, with the documented type.
            logger.error("refused reason=internal_error (%s)", type(exc).__name__)
            raise VerificationError("internal_error") from exc

    def _now(self) -> datetime:
        return _utc(self._clock())

    def _verify(self, headers: Mapping[str, str] | HeaderSource, body: bytes) -> dict[str, Any]:
        now = self._now()
        envelope = _parse_body(body, self.max_body_bytes)
        if self.check_signature:
            url = _normalized(_header(headers, CERT_URL_HEADER))
            signature = _decode_signature(_header(headers, SIGNATURE_HEADER))
            chain = self._cache.get(url, now, lambda: self._load_chain(url, now))
            try:
                chain.public_key.verify(signature, bytes(body), padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature as exc:
                raise VerificationError("signature_mismatch") from exc
        if self.check_timestamp:
            self._check_timestamp(envelope, now)
        if self.skill_id is not None:
            self._check_application_id(envelope)
        return envelope

    def _load_chain(self, url: str, now: datetime) -> ValidatedChain:
        assert self._store is not None
        try:
            pem = self._fetcher(url)
        except VerificationError:
            raise
        except Exception as exc:
            raise VerificationError("cert_fetch") from exc
        return validate_chain(url, pem, now, self._store)

    @staticmethod
    def _check_timestamp(envelope: Mapping[str, Any], now: datetime) -> None:
        request = envelope["request"]
        stamp = _parse_timestamp(request.get("timestamp"))
        past = TIMESTAMP_TOLERANCE
        if str(request.get("type", "")).startswith(SKILL_EVENT_PREFIX):
            past = SKILL_EVENT_TOLERANCE
        age = now - stamp
        if age > past:
            raise VerificationError("timestamp_stale")
        if -age > TIMESTAMP_TOLERANCE:
            raise VerificationError("timestamp_future")

    def _check_application_id(self, envelope: Mapping[str, Any]) -> None:
        from_context = _dig(envelope, "context", "System", "application", "applicationId")
        from_session = _dig(envelope, "session", "application", "applicationId")
        candidates = [value for value in (from_context, from_session) if value is not None]
        if not candidates or any(value != self.skill_id for value in candidates):
            raise VerificationError("application_id")
