"""Table of forged, malformed and valid Alexa requests, as data.

Each :class:`Case` builds ``(headers, body)`` from a :class:`tests.certs.TestPKI` and names
the expected outcome: ``reason=None``/``status=200`` for requests that must be accepted,
otherwise the :class:`skill.web.verify.VerificationError` reason code and HTTP status.

Replaying the table elsewhere (e.g. through the Flask endpoint) needs a verifier configured
like :meth:`TestPKI.verifier`: skill id :data:`tests.certs.SKILL_ID`, the PKI's ``roots``
and ``fetcher``, and a clock fixed at :data:`tests.certs.NOW`. Cases with
``fetch_allowed=False`` must be refused without the fetcher being called.

    for case in CASES:
        pki = TestPKI()
        headers, body = case.build(pki)
        ...
        if not case.fetch_allowed:
            assert pki.fetcher.calls == []
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tests.certs import (
    EXPIRED_INTERMEDIATE_URL,
    EXPIRED_URL,
    MISSING_INTERMEDIATE_URL,
    MISSING_URL,
    NO_SAN_URL,
    NOT_PEM_URL,
    NOT_YET_VALID_URL,
    NOW,
    SELF_SIGNED_URL,
    UNTRUSTED_URL,
    WRONG_SAN_URL,
    Request,
    TestPKI,
    make_envelope,
)

__all__ = ["CASES", "Case", "case_id"]

CERT_FILE = "echo-api-cert-test.pem"
MAX_BODY_BYTES = 128 * 1024


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[TestPKI], Request]
    reason: str | None  # None: the request must be accepted
    status: int  # 200 when accepted, else the VerificationError status (400 / 413)
    fetch_allowed: bool = True  # False: refused before any certificate download

    @property
    def valid(self) -> bool:
        return self.reason is None


def case_id(case: Case) -> str:
    return case.name


# --------------------------------------------------------------------------- builders


def _dump(envelope: Any) -> bytes:
    return json.dumps(envelope, separators=(",", ":")).encode("utf-8")


def _signed(envelope: Any = None, **headers_kwargs: Any) -> Callable[[TestPKI], Request]:
    """A correctly signed request for ``envelope`` (default: the launch envelope)."""

    def build(pki: TestPKI) -> Request:
        body = _dump(make_envelope() if envelope is None else envelope)
        return pki.headers_for(body, **headers_kwargs), body

    return build


def _signed_raw(body: bytes, **headers_kwargs: Any) -> Callable[[TestPKI], Request]:
    def build(pki: TestPKI) -> Request:
        return pki.headers_for(body, **headers_kwargs), body

    return build


def _at_url(url: str) -> Callable[[TestPKI], Request]:
    return _signed(url=url)


def _with_headers(**overrides: str) -> Callable[[TestPKI], Request]:
    """Signed launch request, then header values replaced (``__`` in names -> ``-``)."""

    def build(pki: TestPKI) -> Request:
        body = _dump(make_envelope())
        headers = pki.headers_for(body)
        headers.update({k.replace("__", "-"): v for k, v in overrides.items()})
        return headers, body

    return build


def _body_changed_after_signing(pki: TestPKI) -> Request:
    body = _dump(make_envelope())
    headers = pki.headers_for(body)
    # one byte different, still valid JSON: flip a letter inside the session id
    tampered = body.replace(b"143f12f3", b"143f12f4", 1)
    assert len(tampered) == len(body) and tampered != body
    return headers, tampered


def _wrong_key(pki: TestPKI) -> Request:
    body = _dump(make_envelope())
    return pki.headers_for(body, key=pki.wrong_key), body


def _sha1_in_signature_256(pki: TestPKI) -> Request:
    from cryptography.hazmat.primitives import hashes

    body = _dump(make_envelope())
    headers = pki.headers_for(body, signature_256=False)
    headers["Signature-256"] = pki.sign(body, algorithm=hashes.SHA1())
    return headers, body


def _without(*names: str) -> Callable[[TestPKI], Request]:
    def build(pki: TestPKI) -> Request:
        body = _dump(make_envelope())
        headers = pki.headers_for(body)
        for name in names:
            headers.pop(name, None)
        return headers, body

    return build


def _lowercase_headers(pki: TestPKI) -> Request:
    body = _dump(make_envelope())
    return {k.lower(): v for k, v in pki.headers_for(body).items()}, body


def _missing_field(*path: str) -> Any:
    envelope = make_envelope()
    target = envelope
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return envelope


def _set_field(value: Any, *path: str) -> Any:
    envelope = make_envelope()
    target = envelope
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return envelope


def _huge_body() -> bytes:
    envelope = make_envelope()
    envelope["padding"] = "x" * MAX_BODY_BYTES
    return _dump(envelope)


_OTHER_SKILL = "amzn1.ask.skill.11111111-2222-3333-4444-555555555555"
_OLD = NOW - timedelta(seconds=151)
_FUTURE = NOW + timedelta(seconds=151)
_S3 = "s3.amazonaws.com"


# --------------------------------------------------------------------------- the table


def _valid(name: str, build: Callable[[TestPKI], Request]) -> Case:
    return Case(name, build, None, 200)


def _refused(
    name: str,
    build: Callable[[TestPKI], Request],
    reason: str,
    status: int = 400,
    *,
    fetch_allowed: bool = True,
) -> Case:
    return Case(name, build, reason, status, fetch_allowed)


def _bad_url(name: str, url: str, reason: str) -> Case:
    return _refused(name, _at_url(url), reason, fetch_allowed=False)


CASES: tuple[Case, ...] = (
    # ---- valid requests (URL spellings Amazon's docs list as valid, clock edges)
    _valid("valid_launch", _signed()),
    _valid("valid_lowercase_header_names", _lowercase_headers),
    _valid("valid_url_uppercase_host", _at_url(f"https://S3.AMAZONAWS.COM/echo.api/{CERT_FILE}")),
    _valid("valid_url_uppercase_scheme", _at_url(f"HTTPS://{_S3}/echo.api/{CERT_FILE}")),
    _valid("valid_url_explicit_port_443", _at_url(f"https://{_S3}:443/echo.api/{CERT_FILE}")),
    _valid(
        "valid_url_dot_segment_back_into_echo_api",
        _at_url(f"https://{_S3}/echo.api/../echo.api/{CERT_FILE}"),
    ),
    _valid("valid_url_single_dot_segment", _at_url(f"https://{_S3}/echo.api/./{CERT_FILE}")),
    _valid("valid_with_legacy_sha1_header_too", _signed(sha1=True)),
    _valid(
        "valid_timestamp_150s_old", _signed(make_envelope(timestamp=NOW - timedelta(seconds=150)))
    ),
    _valid(
        "valid_timestamp_150s_future",
        _signed(make_envelope(timestamp=NOW + timedelta(seconds=150))),
    ),
    _valid(
        "valid_timestamp_fraction_and_offset",
        _signed(make_envelope(timestamp="2025-06-01T11:59:30.123456+00:00")),
    ),
    _valid(
        "valid_skill_event_50_minutes_old",
        _signed(
            make_envelope(
                request_type="AlexaSkillEvent.SkillEnabled", timestamp=NOW - timedelta(minutes=50)
            )
        ),
    ),
    _valid("valid_application_id_in_session_only", _signed(make_envelope(application_id=None))),
    _valid(
        "valid_application_id_in_context_only",
        _signed(make_envelope(session_application_id=None)),
    ),
    # ---- body
    _refused(
        "body_too_large", _signed_raw(_huge_body()), "body_too_large", 413, fetch_allowed=False
    ),
    _refused(
        "body_invalid_utf8",
        _signed_raw(b'{"version":"1.0","request":{"type":"\xff\xfe"}}'),
        "body_encoding",
        fetch_allowed=False,
    ),
    _refused("body_not_json", _signed_raw(b"type=LaunchRequest"), "body_json", fetch_allowed=False),
    _refused("body_empty", _signed_raw(b""), "body_json", fetch_allowed=False),
    _refused(
        "body_duplicate_keys",
        _signed_raw(b'{"version":"1.0","version":"2.0","request":{}}'),
        "body_json",
        fetch_allowed=False,
    ),
    _refused(
        "body_json_array", _signed_raw(_dump([make_envelope()])), "body_shape", fetch_allowed=False
    ),
    _refused(
        "body_json_scalar", _signed_raw(b'"LaunchRequest"'), "body_shape", fetch_allowed=False
    ),
    _refused(
        "body_missing_request",
        _signed(_missing_field("request")),
        "body_shape",
        fetch_allowed=False,
    ),
    _refused(
        "body_request_not_object",
        _signed(_set_field("LaunchRequest", "request")),
        "body_shape",
        fetch_allowed=False,
    ),
    _refused(
        "body_request_type_not_string",
        _signed(_set_field(7, "request", "type")),
        "body_shape",
        fetch_allowed=False,
    ),
    _refused(
        "body_missing_timestamp",
        _signed(_missing_field("request", "timestamp")),
        "body_shape",
        fetch_allowed=False,
    ),
    _refused(
        "body_missing_request_id",
        _signed(_missing_field("request", "requestId")),
        "body_shape",
        fetch_allowed=False,
    ),
    _refused(
        "body_missing_version",
        _signed(_missing_field("version")),
        "body_shape",
        fetch_allowed=False,
    ),
    # ---- certificate URL (refused before any download)
    _refused("cert_url_missing", _signed(url=None), "cert_url_missing", fetch_allowed=False),
    _bad_url("cert_url_http", f"http://{_S3}/echo.api/{CERT_FILE}", "cert_url_scheme"),
    _bad_url("cert_url_ftp", f"ftp://{_S3}/echo.api/{CERT_FILE}", "cert_url_scheme"),
    _bad_url("cert_url_port_8443", f"https://{_S3}:8443/echo.api/{CERT_FILE}", "cert_url_port"),
    _bad_url("cert_url_port_empty", f"https://{_S3}:/echo.api/{CERT_FILE}", "cert_url_port"),
    _bad_url(
        "cert_url_host_notamazon", f"https://notamazon.com/echo.api/{CERT_FILE}", "cert_url_host"
    ),
    _bad_url(
        "cert_url_host_suffix",
        f"https://s3.amazonaws.com.evil.com/echo.api/{CERT_FILE}",
        "cert_url_host",
    ),
    _bad_url("cert_url_host_trailing_dot", f"https://{_S3}./echo.api/{CERT_FILE}", "cert_url_host"),
    _bad_url(
        "cert_url_host_in_fragment",
        f"https://evil.com#@{_S3}/echo.api/{CERT_FILE}",
        "cert_url_host",
    ),
    _bad_url("cert_url_userinfo", f"https://evil@{_S3}/echo.api/{CERT_FILE}", "cert_url_userinfo"),
    _bad_url(
        "cert_url_backslash_userinfo",
        f"https://{_S3}\\@evil.com/echo.api/{CERT_FILE}",
        "cert_url_userinfo",
    ),
    _bad_url("cert_url_query", f"https://{_S3}/echo.api/{CERT_FILE}?x=1", "cert_url_invalid"),
    _bad_url("cert_url_empty_query", f"https://{_S3}/echo.api/{CERT_FILE}?", "cert_url_invalid"),
    _bad_url("cert_url_whitespace", f"https://{_S3}/echo.api/ {CERT_FILE}", "cert_url_invalid"),
    _bad_url("cert_url_dotdot_escape", f"https://{_S3}/echo.api/../{CERT_FILE}", "cert_url_path"),
    _bad_url(
        "cert_url_encoded_dotdot", f"https://{_S3}/echo.api/%2e%2e/{CERT_FILE}", "cert_url_path"
    ),
    _bad_url(
        "cert_url_encoded_dotdot_upper",
        f"https://{_S3}/echo.api/%2E%2E/{CERT_FILE}",
        "cert_url_path",
    ),
    _bad_url(
        "cert_url_double_encoded_dotdot",
        f"https://{_S3}/echo.api/%252e%252e/echo.api/{CERT_FILE}",
        "cert_url_path",
    ),
    _bad_url(
        "cert_url_encoded_slash_dotdot",
        f"https://{_S3}/echo.api%2f..%2f{CERT_FILE}",
        "cert_url_path",
    ),
    _bad_url("cert_url_mixed_case_path", f"https://{_S3}/EcHo.aPi/{CERT_FILE}", "cert_url_path"),
    _bad_url("cert_url_wrong_prefix", f"https://{_S3}/invalid.path/{CERT_FILE}", "cert_url_path"),
    _bad_url(
        "cert_url_prefix_lookalike", f"https://{_S3}/echo.api.evil/{CERT_FILE}", "cert_url_path"
    ),
    _bad_url("cert_url_directory_only", f"https://{_S3}/echo.api/", "cert_url_path"),
    _bad_url("cert_url_double_slash", f"https://{_S3}//echo.api/{CERT_FILE}", "cert_url_path"),
    _bad_url(
        "cert_url_backslash_path", f"https://{_S3}/echo.api\\..\\{CERT_FILE}", "cert_url_path"
    ),
    # ---- certificate chain
    _refused("cert_fetch_fails", _at_url(MISSING_URL), "cert_fetch"),
    _refused("cert_not_pem", _at_url(NOT_PEM_URL), "cert_parse"),
    _refused("cert_wrong_san", _at_url(WRONG_SAN_URL), "cert_san"),
    _refused("cert_no_san", _at_url(NO_SAN_URL), "cert_san"),
    _refused("cert_expired", _at_url(EXPIRED_URL), "cert_expired"),
    _refused("cert_not_yet_valid", _at_url(NOT_YET_VALID_URL), "cert_not_yet_valid"),
    _refused("cert_self_signed_leaf", _at_url(SELF_SIGNED_URL), "cert_chain"),
    _refused("cert_untrusted_ca", _at_url(UNTRUSTED_URL), "cert_chain"),
    _refused("cert_missing_intermediate", _at_url(MISSING_INTERMEDIATE_URL), "cert_chain"),
    _refused("cert_expired_intermediate", _at_url(EXPIRED_INTERMEDIATE_URL), "cert_chain"),
    # ---- signature
    _refused("signature_wrong_key", _wrong_key, "signature_mismatch"),
    _refused("signature_body_changed_one_byte", _body_changed_after_signing, "signature_mismatch"),
    _refused("signature_sha1_in_signature_256", _sha1_in_signature_256, "signature_mismatch"),
    _refused(
        "signature_truncated",
        _with_headers(Signature__256="AAAA" * 10),
        "signature_mismatch",
    ),
    _refused("signature_empty", _with_headers(Signature__256=""), "signature_missing"),
    _refused(
        "signature_not_base64", _with_headers(Signature__256="not base64!!"), "signature_encoding"
    ),
    _refused("signature_bad_padding", _with_headers(Signature__256="AAAAA"), "signature_encoding"),
    _refused("signature_sha1_only", _signed(signature_256=False, sha1=True), "signature_missing"),
    _refused("signature_missing", _without("Signature-256"), "signature_missing"),
    # ---- timestamp
    _refused("timestamp_151s_old", _signed(make_envelope(timestamp=_OLD)), "timestamp_stale"),
    _refused(
        "timestamp_151s_future", _signed(make_envelope(timestamp=_FUTURE)), "timestamp_future"
    ),
    _refused(
        "timestamp_skill_event_61_minutes_old",
        _signed(
            make_envelope(
                request_type="AlexaSkillEvent.SkillDisabled",
                timestamp=NOW - timedelta(minutes=61),
            )
        ),
        "timestamp_stale",
    ),
    _refused(
        "timestamp_skill_event_future",
        _signed(make_envelope(request_type="AlexaSkillEvent.SkillEnabled", timestamp=_FUTURE)),
        "timestamp_future",
    ),
    _refused(
        "timestamp_not_iso8601", _signed(make_envelope(timestamp="yesterday")), "timestamp_invalid"
    ),
    _refused(
        "timestamp_without_timezone",
        _signed(make_envelope(timestamp="2025-06-01T12:00:00")),
        "timestamp_invalid",
    ),
    # ---- application id
    _refused(
        "application_id_wrong",
        _signed(make_envelope(application_id=_OTHER_SKILL, session_application_id=_OTHER_SKILL)),
        "application_id",
    ),
    _refused(
        "application_id_context_and_session_differ",
        _signed(make_envelope(session_application_id=_OTHER_SKILL)),
        "application_id",
    ),
    _refused(
        "application_id_missing",
        _signed(make_envelope(application_id=None, session_application_id=None)),
        "application_id",
    ),
)

_names = [case.name for case in CASES]
assert len(_names) == len(set(_names)), "case names must be unique"
