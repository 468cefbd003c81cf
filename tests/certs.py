"""Test PKI for the Alexa request verifier (reusable by the Flask endpoint tests).

Generates, once per test session, an RSA-2048 test root CA, an intermediate and a set of
leaf certificates (a good ``echo-api.amazon.com`` leaf plus broken variants) that satisfy
cryptography's strict RFC 5280 server-verification profile, and serves their PEM chains
from a dict-backed, call-recording fetcher. Typical use::

    pki = TestPKI()
    verifier = pki.verifier()                      # fixed clock at NOW, pki roots + fetcher
    headers, body = signed_request(make_envelope())
    verifier.verify(headers, body)
    assert pki.fetcher.calls == [GOOD_URL]

All times are relative to the fixed instant :data:`NOW`; use :class:`FakeClock` to move it.
"""

from __future__ import annotations

import base64
import functools
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from skill.web.verify import AlexaVerifier, CertificateCache

__all__ = [
    "BASE_URL",
    "EXPIRED_INTERMEDIATE_URL",
    "EXPIRED_URL",
    "GOOD_URL",
    "LEAF_NOT_AFTER",
    "MISSING_INTERMEDIATE_URL",
    "MISSING_URL",
    "NOT_PEM_URL",
    "NOT_YET_VALID_URL",
    "NOW",
    "NO_SAN_URL",
    "SELF_SIGNED_URL",
    "SKILL_ID",
    "SLOT_TEXT",
    "UNTRUSTED_URL",
    "USER_ID",
    "WRONG_SAN_URL",
    "FakeClock",
    "RecordingFetcher",
    "TestPKI",
    "iso",
    "make_envelope",
    "signed_raw",
    "signed_request",
]

#: The fixed "current time" of the test suite.
NOW = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
USER_ID = "amzn1.ask.account.SECRET_TEST_USER_7f3a9c"
#: Something "the user said" in the intent envelope; must never reach a log line.
SLOT_TEXT = "i keep arguing with my sister about money"

BASE_URL = "https://s3.amazonaws.com/echo.api/"
GOOD_URL = BASE_URL + "echo-api-cert-test.pem"
WRONG_SAN_URL = BASE_URL + "wrong-san.pem"
NO_SAN_URL = BASE_URL + "no-san.pem"
EXPIRED_URL = BASE_URL + "expired.pem"
NOT_YET_VALID_URL = BASE_URL + "not-yet-valid.pem"
SELF_SIGNED_URL = BASE_URL + "self-signed.pem"
UNTRUSTED_URL = BASE_URL + "untrusted-ca.pem"
MISSING_INTERMEDIATE_URL = BASE_URL + "missing-intermediate.pem"
EXPIRED_INTERMEDIATE_URL = BASE_URL + "expired-intermediate.pem"
NOT_PEM_URL = BASE_URL + "not-pem.pem"
MISSING_URL = BASE_URL + "does-not-exist.pem"

LEAF_NOT_BEFORE = NOW - timedelta(days=30)
LEAF_NOT_AFTER = NOW + timedelta(days=30)

Request = tuple[dict[str, str], bytes]


# --------------------------------------------------------------------------- key material


@functools.cache
def _key(name: str) -> rsa.RSAPrivateKey:
    """One RSA-2048 key per role, generated once per session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Resilient Together Test PKI"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _ski(key: rsa.RSAPrivateKey) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _aki(issuer_key: rsa.RSAPrivateKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())


def _ca_cert(
    *,
    key: rsa.RSAPrivateKey,
    name: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    issuer_name: x509.Name,
    not_before: datetime,
    not_after: datetime,
    path_length: int | None,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_ski(key), critical=False)
        .add_extension(_aki(issuer_key), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def _leaf_cert(
    *,
    key: rsa.RSAPrivateKey,
    issuer_key: rsa.RSAPrivateKey,
    issuer_name: x509.Name | None,
    dns_names: Sequence[str] | None = ("echo-api.amazon.com",),
    not_before: datetime = LEAF_NOT_BEFORE,
    not_after: datetime = LEAF_NOT_AFTER,
) -> x509.Certificate:
    subject = _name(dns_names[0] if dns_names else "no-san.example")
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_ski(key), critical=False)
        .add_extension(_aki(issuer_key), critical=False)
    )
    if dns_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


@dataclass(frozen=True)
class _Materials:
    root: x509.Certificate
    intermediate: x509.Certificate
    leaf: x509.Certificate
    untrusted_root: x509.Certificate
    documents: Mapping[str, bytes]


@functools.cache
def _materials() -> _Materials:
    root_key, inter_key, leaf_key = _key("root"), _key("intermediate"), _key("leaf")
    other_key = _key("untrusted-root")
    root_name = _name("Test Root CA")
    inter_name = _name("Test Intermediate CA")
    ca_from, ca_until = NOW - timedelta(days=3650), NOW + timedelta(days=3650)

    root = _ca_cert(
        key=root_key,
        name=root_name,
        issuer_key=root_key,
        issuer_name=root_name,
        not_before=ca_from,
        not_after=ca_until,
        path_length=None,
    )
    intermediate = _ca_cert(
        key=inter_key,
        name=inter_name,
        issuer_key=root_key,
        issuer_name=root_name,
        not_before=ca_from,
        not_after=ca_until,
        path_length=0,
    )
    expired_intermediate = _ca_cert(
        key=inter_key,
        name=inter_name,
        issuer_key=root_key,
        issuer_name=root_name,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=1),
        path_length=0,
    )
    other_name = _name("Untrusted Root CA")
    untrusted_root = _ca_cert(
        key=other_key,
        name=other_name,
        issuer_key=other_key,
        issuer_name=other_name,
        not_before=ca_from,
        not_after=ca_until,
        path_length=None,
    )

    def leaf_under_inter(**kwargs: Any) -> x509.Certificate:
        return _leaf_cert(key=leaf_key, issuer_key=inter_key, issuer_name=inter_name, **kwargs)

    leaf = leaf_under_inter()
    documents = {
        GOOD_URL: _pem(leaf, intermediate),
        WRONG_SAN_URL: _pem(leaf_under_inter(dns_names=["evil.example.com"]), intermediate),
        NO_SAN_URL: _pem(leaf_under_inter(dns_names=None), intermediate),
        EXPIRED_URL: _pem(
            leaf_under_inter(
                not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(seconds=1)
            ),
            intermediate,
        ),
        NOT_YET_VALID_URL: _pem(
            leaf_under_inter(
                not_before=NOW + timedelta(seconds=1), not_after=NOW + timedelta(days=90)
            ),
            intermediate,
        ),
        SELF_SIGNED_URL: _pem(_leaf_cert(key=leaf_key, issuer_key=leaf_key, issuer_name=None)),
        UNTRUSTED_URL: _pem(
            _leaf_cert(key=leaf_key, issuer_key=other_key, issuer_name=other_name),
            untrusted_root,
        ),
        MISSING_INTERMEDIATE_URL: _pem(leaf),
        EXPIRED_INTERMEDIATE_URL: _pem(leaf, expired_intermediate),
        NOT_PEM_URL: b"<html>this is not a certificate</html>\n",
    }
    return _Materials(
        root=root,
        intermediate=intermediate,
        leaf=leaf,
        untrusted_root=untrusted_root,
        documents=documents,
    )


# --------------------------------------------------------------------------- test doubles


@dataclass
class RecordingFetcher:
    """Dict-backed :data:`skill.web.verify.Fetcher` that records every URL it is asked for.

    Unknown URLs raise ``OSError``; ``delay`` (seconds) simulates a slow download.
    Thread-safe.
    """

    documents: dict[str, bytes]
    delay: float = 0.0
    calls: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __call__(self, url: str) -> bytes:
        with self._lock:
            self.calls.append(url)
        if self.delay:
            time.sleep(self.delay)
        try:
            return self.documents[url]
        except KeyError:
            raise OSError(f"404 Not Found: {url}") from None

    @property
    def call_count(self) -> int:
        with self._lock:
            return len(self.calls)

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


class FakeClock:
    """A settable clock: ``clock()`` returns the current fake time."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def iso(moment: datetime) -> str:
    """Alexa's timestamp format, e.g. ``2018-04-26T01:24:13Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_envelope(
    *,
    request_type: str = "LaunchRequest",
    timestamp: datetime | str = NOW,
    application_id: str | None = SKILL_ID,
    session_application_id: str | None = SKILL_ID,
    user_id: str = USER_ID,
    slot_text: str | None = None,
) -> dict[str, Any]:
    """An envelope shaped like ``fixtures/alexa-requests/launch-echo.json``.

    ``application_id=None`` drops ``context.System.application``; likewise
    ``session_application_id=None`` drops ``session.application``. With ``slot_text`` the
    request becomes an ``IntentRequest`` carrying that text in a slot.
    """
    stamp = timestamp if isinstance(timestamp, str) else iso(timestamp)
    session: dict[str, Any] = {
        "new": True,
        "sessionId": "amzn1.echo-api.session.143f12f3-6362-4a0f-8ac9-39003a85d31b",
        "user": {"userId": user_id},
    }
    if session_application_id is not None:
        session["application"] = {"applicationId": session_application_id}
    system: dict[str, Any] = {
        "user": {"userId": user_id},
        "device": {
            "deviceId": "amzn1.ask.device.EXAMPLE_DEVICE_ID",
            "supportedInterfaces": {"AudioPlayer": {}},
        },
        "apiEndpoint": "https://api.amazonalexa.com",
        "apiAccessToken": "EXAMPLE_API_ACCESS_TOKEN",
    }
    if application_id is not None:
        system["application"] = {"applicationId": application_id}
    request: dict[str, Any] = {
        "type": request_type,
        "requestId": "amzn1.echo-api.request.c1bd579b-b674-45d6-bd1d-9dec2c74e4a2",
        "timestamp": stamp,
        "locale": "en-US",
    }
    if slot_text is not None:
        request["type"] = "IntentRequest"
        request["dialogState"] = "STARTED"
        request["intent"] = {
            "name": "ShareFeelingIntent",
            "confirmationStatus": "NONE",
            "slots": {
                "feeling": {
                    "name": "feeling",
                    "value": slot_text,
                    "confirmationStatus": "NONE",
                }
            },
        }
    else:
        request["shouldLinkResultBeReturned"] = False
    return {
        "version": "1.0",
        "session": session,
        "context": {
            "AudioPlayer": {"offsetInMilliseconds": 0, "playerActivity": "IDLE"},
            "System": system,
        },
        "request": request,
    }


class TestPKI:
    """Roots, fetcher and signing helpers around the session-wide test PKI.

    Each instance has its own :class:`RecordingFetcher` (and its own copy of the document
    map, so a test may add or remove documents freely); keys and certificates are shared.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, *, delay: float = 0.0) -> None:
        materials = _materials()
        self.root = materials.root
        self.intermediate = materials.intermediate
        self.leaf = materials.leaf
        self.untrusted_root = materials.untrusted_root
        self.roots: list[x509.Certificate] = [materials.root]
        self.documents: dict[str, bytes] = dict(materials.documents)
        self.fetcher = RecordingFetcher(self.documents, delay=delay)
        self.leaf_key: rsa.RSAPrivateKey = _key("leaf")
        self.wrong_key: rsa.RSAPrivateKey = _key("wrong")

    def sign(
        self,
        body: bytes,
        key: rsa.RSAPrivateKey | None = None,
        algorithm: hashes.HashAlgorithm | None = None,
    ) -> str:
        """Base64 RSA PKCS#1 v1.5 signature of ``body`` (SHA-256 unless ``algorithm``)."""
        signer = key or self.leaf_key
        raw = signer.sign(body, padding.PKCS1v15(), algorithm or hashes.SHA256())
        return base64.b64encode(raw).decode("ascii")

    def headers_for(
        self,
        body: bytes,
        *,
        url: str | None = GOOD_URL,
        key: rsa.RSAPrivateKey | None = None,
        signature_256: bool = True,
        sha1: bool = False,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Headers Alexa would send: ``SignatureCertChainUrl`` and ``Signature-256``.

        ``sha1=True`` adds the legacy SHA-1 ``Signature`` header; ``url=None`` omits the
        certificate URL; ``extra`` entries are added last (and may override).
        """
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if url is not None:
            headers["SignatureCertChainUrl"] = url
        if signature_256:
            headers["Signature-256"] = self.sign(body, key)
        if sha1:
            headers["Signature"] = self.sign(body, key, hashes.SHA1())
        if extra:
            headers.update(extra)
        return headers

    def signed_request(self, envelope: Mapping[str, Any], **kwargs: Any) -> Request:
        body = json.dumps(envelope, separators=(",", ":")).encode("utf-8")
        return self.headers_for(body, **kwargs), body

    def verifier(
        self,
        skill_id: str | None = SKILL_ID,
        *,
        clock: Callable[[], datetime] | None = None,
        cache: CertificateCache | None = None,
        **kwargs: Any,
    ) -> AlexaVerifier:
        """An :class:`AlexaVerifier` wired to this PKI's roots and fetcher (clock at NOW)."""
        return AlexaVerifier(
            skill_id,
            fetcher=self.fetcher,
            clock=clock or FakeClock(),
            trust_roots=self.roots,
            cache=cache,
            **kwargs,
        )


@functools.cache
def _default_pki() -> TestPKI:
    return TestPKI()


def signed_request(
    envelope: Mapping[str, Any],
    *,
    url: str | None = GOOD_URL,
    key: rsa.RSAPrivateKey | None = None,
    signature_256: bool = True,
    sha1: bool = False,
    extra: Mapping[str, str] | None = None,
) -> Request:
    """``(headers, body)`` for ``envelope`` signed with the good leaf key (or ``key``)."""
    return _default_pki().signed_request(
        envelope, url=url, key=key, signature_256=signature_256, sha1=sha1, extra=extra
    )


def signed_raw(body: bytes, **kwargs: Any) -> Request:
    """``(headers, body)`` for arbitrary raw bytes, signed like :func:`signed_request`."""
    return _default_pki().headers_for(body, **kwargs), body
