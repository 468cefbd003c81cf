"""Tests for skill.web.verify (Alexa request verification)."""

from __future__ import annotations

import io
import json
import logging
import pickle
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import Headers

from skill.fetch import NoRedirect
from skill.web import verify as verify_mod
from skill.web.verify import (
    REASONS,
    AlexaVerifier,
    CertificateCache,
    ValidatedChain,
    VerificationError,
    default_fetcher,
    load_default_trust_roots,
    normalize_cert_url,
)
from tests.certs import (
    BASE_URL,
    GOOD_URL,
    LEAF_NOT_AFTER,
    NOW,
    SKILL_ID,
    SLOT_TEXT,
    USER_ID,
    WRONG_SAN_URL,
    FakeClock,
    TestPKI,
    iso,
    make_envelope,
    signed_raw,
    signed_request,
)
from tests.verify_cases import CASES, Case, case_id


def _outcome(verifier: AlexaVerifier, headers: Any, body: bytes) -> tuple[str | None, int]:
    try:
        verifier.verify(headers, body)
    except VerificationError as exc:
        return exc.reason, exc.status
    return None, 200


def _dump(envelope: Any) -> bytes:
    return json.dumps(envelope).encode("utf-8")


# --------------------------------------------------------------------------- the table


def test_table_is_big_enough_and_uses_known_reasons() -> None:
    assert len(CASES) >= 30
    assert sum(case.valid for case in CASES) >= 5
    for case in CASES:
        assert case.reason is None or case.reason in REASONS, case.name
        assert case.status == (200 if case.valid else case.status)
        assert case.status in {200, 400, 413}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_table_case(case: Case) -> None:
    pki = TestPKI()
    verifier = pki.verifier()
    headers, body = case.build(pki)
    assert _outcome(verifier, headers, body) == (case.reason, case.status)
    if not case.fetch_allowed:
        assert pki.fetcher.calls == []
    if case.valid:
        assert verifier.verify(headers, body) == json.loads(body)


def test_valid_request_returns_envelope_and_fetches_canonical_url() -> None:
    pki = TestPKI()
    envelope = make_envelope(slot_text=SLOT_TEXT)
    headers, body = pki.signed_request(
        envelope, url="HTTPS://S3.AMAZONAWS.COM:443/echo.api/../echo.api/echo-api-cert-test.pem"
    )
    result = pki.verifier().verify(headers, body)
    assert isinstance(result, dict)
    assert result == envelope
    assert pki.fetcher.calls == [GOOD_URL]


def test_signature_covers_raw_bytes_not_reserialised_json() -> None:
    pki = TestPKI()
    body = json.dumps(make_envelope(), indent=4, sort_keys=True).encode()
    headers, _ = signed_raw(body)
    assert pki.verifier().verify(headers, body) == make_envelope()
    # Same JSON value, different bytes: the signature no longer matches.
    compact = json.dumps(make_envelope()).encode()
    assert _outcome(pki.verifier(), headers, compact) == ("signature_mismatch", 400)


def test_werkzeug_headers_are_accepted() -> None:
    pki = TestPKI()
    headers, body = signed_request(make_envelope())
    werkzeug_headers = Headers([(k.upper(), v) for k, v in headers.items()])
    assert pki.verifier().verify(werkzeug_headers, body)["request"]["type"] == "LaunchRequest"


def test_conflicting_duplicate_headers_are_refused() -> None:
    pki = TestPKI()
    headers, body = signed_request(make_envelope())
    conflicting = Headers(list(headers.items()))
    conflicting.add("signature-256", pki.sign(body, pki.wrong_key))
    assert _outcome(pki.verifier(), conflicting, body) == ("header_duplicate", 400)
    assert pki.fetcher.calls == []
    # Identical repeats are harmless.
    repeated = Headers(list(headers.items()))
    repeated.add("SIGNATURE-256", headers["Signature-256"])
    assert _outcome(pki.verifier(), repeated, body) == (None, 200)


def test_non_string_header_value_is_refused() -> None:
    pki = TestPKI()
    headers: dict[str, Any] = dict(signed_request(make_envelope())[0])
    body = signed_request(make_envelope())[1]
    headers["Signature-256"] = 12345
    assert _outcome(pki.verifier(), headers, body) == ("header_invalid", 400)


def test_failures_do_not_evict_good_chains() -> None:
    pki = TestPKI()
    verifier = pki.verifier(cache=CertificateCache(max_entries=1))
    verifier.verify(*signed_request(make_envelope()))
    for n in range(5):
        bogus = BASE_URL + f"bogus-{n}.pem"
        assert _outcome(verifier, *signed_request(make_envelope(), url=bogus)) == (
            "cert_fetch",
            400,
        )
    verifier.verify(*signed_request(make_envelope()))
    assert pki.fetcher.calls.count(GOOD_URL) == 1


def test_skill_id_none_skips_application_id_check() -> None:
    pki = TestPKI()
    headers, body = signed_request(make_envelope(application_id="x", session_application_id="y"))
    assert _outcome(pki.verifier(None), headers, body) == (None, 200)


def test_custom_body_limit() -> None:
    pki = TestPKI()
    headers, body = signed_request(make_envelope())
    assert _outcome(pki.verifier(max_body_bytes=len(body)), headers, body) == (None, 200)
    assert _outcome(pki.verifier(max_body_bytes=len(body) - 1), headers, body) == (
        "body_too_large",
        413,
    )


# --------------------------------------------------------------------------- dev mode


def test_dev_mode_skips_signature_but_not_body_or_application_id() -> None:
    pki = TestPKI()
    verifier = pki.verifier(check_signature=False)
    body = _dump(make_envelope())
    assert _outcome(verifier, {}, body) == (None, 200)
    assert _outcome(verifier, {"Signature-256": "garbage"}, body) == (None, 200)
    assert pki.fetcher.calls == []
    assert _outcome(verifier, {}, b"[]") == ("body_shape", 400)
    wrong_app = _dump(make_envelope(application_id="other", session_application_id="other"))
    assert _outcome(verifier, {}, wrong_app) == ("application_id", 400)
    stale = _dump(make_envelope(timestamp=NOW - timedelta(hours=1)))
    assert _outcome(verifier, {}, stale) == ("timestamp_stale", 400)


def test_dev_mode_does_not_need_trust_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise AssertionError("trust roots must not be loaded in dev mode")

    monkeypatch.setattr(verify_mod, "load_default_trust_roots", boom)
    verifier = AlexaVerifier(SKILL_ID, check_signature=False, clock=FakeClock())
    assert verifier.verify({}, _dump(make_envelope()))["version"] == "1.0"


def test_check_timestamp_false_skips_only_the_timestamp() -> None:
    pki = TestPKI()
    verifier = pki.verifier(check_timestamp=False)
    headers, body = signed_request(make_envelope(timestamp="not a time"))
    assert _outcome(verifier, headers, body) == (None, 200)
    headers, body = signed_request(make_envelope(timestamp=NOW - timedelta(days=365)))
    assert _outcome(verifier, headers, body) == (None, 200)
    headers, body = signed_request(make_envelope(), key=pki.wrong_key)
    assert _outcome(verifier, headers, body) == ("signature_mismatch", 400)


# --------------------------------------------------------------------------- URL rules


@pytest.mark.parametrize(
    "url",
    [
        GOOD_URL,
        "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert-test.pem",
        "HTTPS://S3.AMAZONAWS.COM:443/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/%65cho-api-cert-test.pem",
        "https://s3.amazonaws.com/echo.api/%2e%2e/echo.api/echo-api-cert-test.pem",
        "https://s3.amazonaws.com/../echo.api/echo-api-cert-test.pem",
    ],
)
def test_normalize_cert_url_canonical_form(url: str) -> None:
    assert normalize_cert_url(url) == GOOD_URL


def test_normalize_cert_url_refusals() -> None:
    assert _reason(lambda: normalize_cert_url(None)) == "cert_url_missing"
    assert _reason(lambda: normalize_cert_url("")) == "cert_url_missing"
    assert _reason(lambda: normalize_cert_url("https://[::1/echo.api/x")) == "cert_url_invalid"
    assert _reason(lambda: normalize_cert_url("https://s3.amazonaws.com/echo.api/é")) == (
        "cert_url_invalid"
    )
    assert _reason(lambda: normalize_cert_url(BASE_URL + "%ff.pem")) == "cert_url_path"
    assert _reason(lambda: normalize_cert_url(BASE_URL + "a..b.pem")) == "cert_url_path"
    assert _reason(lambda: normalize_cert_url("https://s3.amazonaws.com:0443/echo.api/x")) == (
        "cert_url_port"
    )


def _reason(func: Any) -> str:
    with pytest.raises(VerificationError) as info:
        func()
    return info.value.reason


# --------------------------------------------------------------------------- cache


def test_second_verify_uses_cache() -> None:
    pki = TestPKI()
    verifier = pki.verifier()
    for _ in range(3):
        headers, body = signed_request(make_envelope())
        verifier.verify(headers, body)
    assert pki.fetcher.calls == [GOOD_URL]
    assert GOOD_URL in verifier.cache
    assert len(verifier.cache) == 1


def test_cache_expires_at_leaf_not_after() -> None:
    pki = TestPKI()
    clock = FakeClock(NOW)
    verifier = pki.verifier(clock=clock)
    verifier.verify(*signed_request(make_envelope()))
    assert pki.fetcher.call_count == 1

    clock.now = LEAF_NOT_AFTER  # still valid (inclusive), still cached
    verifier.verify(*signed_request(make_envelope(timestamp=clock.now)))
    assert pki.fetcher.call_count == 1

    clock.now = LEAF_NOT_AFTER + timedelta(seconds=1)
    headers, body = signed_request(make_envelope(timestamp=clock.now))
    assert _outcome(verifier, headers, body) == ("cert_expired", 400)
    assert pki.fetcher.call_count == 2


def test_concurrent_cold_cache_fetches_once() -> None:
    pki = TestPKI(delay=0.2)
    verifier = pki.verifier()
    headers, body = signed_request(make_envelope())
    barrier = threading.Barrier(8)
    results: list[object] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            outcome: object = verifier.verify(headers, body)["request"]["type"]
        except Exception as exc:  # recorded and asserted below
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["LaunchRequest"] * 8
    assert pki.fetcher.calls == [GOOD_URL]


def test_concurrent_cold_cache_failure_is_shared() -> None:
    pki = TestPKI(delay=0.2)
    del pki.documents[GOOD_URL]
    verifier = pki.verifier()
    headers, body = signed_request(make_envelope())
    barrier = threading.Barrier(4)
    reasons: list[str] = []

    def worker() -> None:
        barrier.wait()
        reasons.append(_outcome(verifier, headers, body)[0] or "accepted")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert reasons == ["cert_fetch"] * 4
    assert pki.fetcher.call_count == 1


def test_failed_fetch_is_retried_after_negative_cache_window() -> None:
    pki = TestPKI()
    pem = pki.documents.pop(GOOD_URL)
    clock = FakeClock(NOW)
    verifier = pki.verifier(clock=clock)
    headers, body = signed_request(make_envelope())

    assert _outcome(verifier, headers, body) == ("cert_fetch", 400)
    assert pki.fetcher.call_count == 1
    pki.documents[GOOD_URL] = pem  # S3 recovers
    clock.advance(29)
    assert _outcome(verifier, headers, body) == ("cert_fetch", 400)  # negative-cached
    assert pki.fetcher.call_count == 1
    clock.advance(2)  # 31 s after the failure
    assert _outcome(verifier, headers, body) == (None, 200)
    assert pki.fetcher.call_count == 2


def test_chain_validation_failures_are_negative_cached_too() -> None:
    pki = TestPKI()
    verifier = pki.verifier()
    headers, body = signed_request(make_envelope(), url=WRONG_SAN_URL)
    assert _outcome(verifier, headers, body) == ("cert_san", 400)
    assert _outcome(verifier, headers, body) == ("cert_san", 400)
    assert pki.fetcher.call_count == 1


def test_negative_cache_can_be_disabled() -> None:
    pki = TestPKI()
    del pki.documents[GOOD_URL]
    verifier = pki.verifier(cache=CertificateCache(negative_ttl=0))
    headers, body = signed_request(make_envelope())
    for _ in range(3):
        assert _outcome(verifier, headers, body) == ("cert_fetch", 400)
    assert pki.fetcher.call_count == 3


def test_cache_bound_holds_through_verifier() -> None:
    pki = TestPKI()
    urls = [BASE_URL + f"echo-api-cert-{n}.pem" for n in range(3)]
    for url in urls:
        pki.documents[url] = pki.documents[GOOD_URL]
    verifier = pki.verifier(cache=CertificateCache(max_entries=2))
    for url in urls:
        verifier.verify(*signed_request(make_envelope(), url=url))
    assert len(verifier.cache) == 2
    assert urls[0] not in verifier.cache
    verifier.verify(*signed_request(make_envelope(), url=urls[0]))  # evicted -> refetched
    assert pki.fetcher.calls == [*urls, urls[0]]


def _chain(url: str, not_after: datetime = NOW + timedelta(days=1)) -> ValidatedChain:
    key = TestPKI().leaf_key.public_key()
    return ValidatedChain(url, key, NOW - timedelta(days=1), not_after)


def test_cache_lru_unit() -> None:
    cache = CertificateCache(max_entries=4)
    loads: list[str] = []

    def loader_for(url: str) -> Any:
        def load() -> ValidatedChain:
            loads.append(url)
            return _chain(url)

        return load

    urls = [f"u{n}" for n in range(6)]
    for url in urls:
        cache.get(url, NOW, loader_for(url))
    assert len(cache) == 4
    cache.get("u2", NOW, loader_for("u2"))  # hit, becomes most recent
    cache.get("u0", NOW, loader_for("u0"))  # miss, evicts u3 (least recent)
    assert loads == [*urls, "u0"]
    assert "u3" not in cache and "u2" in cache
    assert len(cache) == 4
    cache.clear()
    assert len(cache) == 0
    with pytest.raises(ValueError):
        CertificateCache(max_entries=0)


def test_cache_wraps_unexpected_loader_errors_and_waiter_timeout() -> None:
    cache = CertificateCache(wait_timeout=0.05)

    def broken() -> ValidatedChain:
        raise KeyError("bug")

    assert _reason(lambda: cache.get("u", NOW, broken)) == "cert_fetch"
    # negative-cached: the loader is not consulted again within the window
    assert _reason(lambda: cache.get("u", NOW, lambda: _chain("u"))) == "cert_fetch"

    started, release = threading.Event(), threading.Event()

    def slow() -> ValidatedChain:
        started.set()
        release.wait(5)
        return _chain("slow")

    leader = threading.Thread(target=lambda: cache.get("slow", NOW, slow))
    leader.start()
    assert started.wait(5)
    try:
        assert _reason(lambda: cache.get("slow", NOW, slow)) == "cert_fetch"  # timed out
    finally:
        release.set()
        leader.join(5)
    assert "slow" in cache


# --------------------------------------------------------------------------- fetcher + roots


class _FakeOpener:
    def __init__(self, data: bytes | Exception) -> None:
        self.data = data
        self.requests: list[tuple[str, float]] = []

    def open(self, request: urllib.request.Request, timeout: float) -> io.BytesIO:
        self.requests.append((request.full_url, timeout))
        if isinstance(self.data, Exception):
            raise self.data
        return io.BytesIO(self.data)


def test_default_fetcher(monkeypatch: pytest.MonkeyPatch) -> None:
    opener = _FakeOpener(b"pem bytes")
    monkeypatch.setattr(verify_mod, "_build_opener", lambda: opener)
    assert default_fetcher(GOOD_URL) == b"pem bytes"
    assert opener.requests == [(GOOD_URL, verify_mod.FETCH_TIMEOUT_SECONDS)]

    assert _reason(lambda: default_fetcher("http://s3.amazonaws.com/echo.api/x")) == "cert_fetch"
    assert _reason(lambda: default_fetcher("file:///etc/passwd")) == "cert_fetch"
    assert len(opener.requests) == 1  # refused before opening

    opener.data = b"x" * (verify_mod.MAX_CHAIN_BYTES + 1)
    assert _reason(lambda: default_fetcher(GOOD_URL)) == "cert_too_large"
    opener.data = b"x" * verify_mod.MAX_CHAIN_BYTES
    assert len(default_fetcher(GOOD_URL)) == verify_mod.MAX_CHAIN_BYTES

    opener.data = urllib.error.URLError("timed out")
    assert _reason(lambda: default_fetcher(GOOD_URL)) == "cert_fetch"


class _Trickle(io.RawIOBase):
    """A certificate server that answers one byte every ``every`` seconds."""

    def __init__(self, every: float) -> None:
        self.every = every

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        time.sleep(self.every)
        buffer[0] = ord("-")
        return 1


class _TrickleOpener:
    def __init__(self, every: float, stall_open: float = 0.0) -> None:
        self.every, self.stall_open = every, stall_open

    def open(self, request: urllib.request.Request, timeout: float) -> Any:
        time.sleep(self.stall_open)
        return io.BufferedReader(_Trickle(self.every), buffer_size=1)


@pytest.mark.parametrize(
    ("every", "stall_open"), [(0.05, 0.0), (0.0, 2.0)], ids=["trickled-body", "stalled-headers"]
)
def test_default_fetcher_has_an_overall_deadline(
    monkeypatch: pytest.MonkeyPatch, every: float, stall_open: float
) -> None:
    """Each read arrives well inside the per-read timeout, yet the download as a whole
    is cut at the overall deadline (before: a trickling server held a request 18 s)."""
    monkeypatch.setattr(verify_mod, "FETCH_DEADLINE_SECONDS", 0.5)
    monkeypatch.setattr(verify_mod, "_build_opener", lambda: _TrickleOpener(every, stall_open))
    started = time.monotonic()
    assert _reason(lambda: default_fetcher(GOOD_URL)) == "cert_fetch"
    assert time.monotonic() - started < 1.0


def test_default_fetcher_does_not_follow_redirects() -> None:
    request = urllib.request.Request(GOOD_URL)
    handler = NoRedirect()
    assert handler.redirect_request(request, None, 302, "Found", {}, "http://evil/") is None
    opener = verify_mod._build_opener()
    assert any(isinstance(h, NoRedirect) for h in vars(opener)["handlers"])


def test_oversize_chain_from_custom_fetcher_is_refused() -> None:
    pki = TestPKI()
    pki.documents[GOOD_URL] = b"-" * (verify_mod.MAX_CHAIN_BYTES + 1)
    headers, body = signed_request(make_envelope())
    assert _outcome(pki.verifier(), headers, body) == ("cert_too_large", 400)


def test_default_trust_roots_load_without_warnings() -> None:
    roots = load_default_trust_roots()
    assert len(roots) > 50
    assert load_default_trust_roots() is roots
    names = {root.subject.rfc4514_string() for root in roots}
    assert any("Amazon Root CA 1" in name for name in names)
    assert any("DigiCert Global Root G2" in name for name in names)
    # Production configuration builds (no network needed until a request arrives).
    AlexaVerifier(SKILL_ID)


def test_test_pki_chain_is_refused_by_default_roots() -> None:
    pki = TestPKI()
    verifier = AlexaVerifier(SKILL_ID, fetcher=pki.fetcher, clock=FakeClock())
    headers, body = signed_request(make_envelope())
    assert _outcome(verifier, headers, body) == ("cert_chain", 400)


def test_empty_trust_roots_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        AlexaVerifier(SKILL_ID, trust_roots=[])


# --------------------------------------------------------------------------- error type


def test_verification_error_shape() -> None:
    exc = VerificationError("body_too_large", status=413)
    assert (exc.reason, exc.status, str(exc)) == ("body_too_large", 413, "request body too large")
    clone = pickle.loads(pickle.dumps(exc))
    assert (clone.reason, clone.status, str(clone)) == (exc.reason, exc.status, str(exc))
    assert isinstance(exc, Exception)


def test_unexpected_errors_become_internal_error(caplog: pytest.LogCaptureFixture) -> None:
    def broken_clock() -> datetime:
        raise RuntimeError(f"clock exploded for {USER_ID}")

    verifier = AlexaVerifier(SKILL_ID, check_signature=False, clock=broken_clock)
    caplog.set_level(logging.INFO, logger="skill.web.verify")
    assert _outcome(verifier, {}, _dump(make_envelope())) == ("internal_error", 400)
    assert "refused reason=internal_error" in caplog.text
    assert USER_ID not in caplog.text


def test_naive_clock_is_treated_as_utc() -> None:
    pki = TestPKI()
    verifier = pki.verifier(clock=lambda: NOW.replace(tzinfo=None))
    assert _outcome(verifier, *signed_request(make_envelope())) == (None, 200)


# --------------------------------------------------------------------------- logging


def test_refusals_log_reason_but_no_user_data(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    pki = TestPKI()
    verifier = pki.verifier()
    dev = pki.verifier(check_signature=False)
    other = "amzn1.ask.skill.99999999-9999-9999-9999-999999999999"
    intent = make_envelope(slot_text=SLOT_TEXT)
    headers, body = signed_request(intent)
    attempts: list[tuple[str, AlexaVerifier, Any, bytes]] = [
        (
            "application_id",
            verifier,
            *signed_request(
                make_envelope(
                    slot_text=SLOT_TEXT, application_id=other, session_application_id=other
                )
            ),
        ),
        (
            "timestamp_stale",
            verifier,
            *signed_request(make_envelope(slot_text=SLOT_TEXT, timestamp=NOW - timedelta(hours=2))),
        ),
        ("signature_mismatch", verifier, headers, body.replace(b"sister", b"brother")),
        ("body_shape", dev, {}, _dump({"version": "1.0", "user": USER_ID, "said": SLOT_TEXT})),
        ("body_json", dev, {}, body[:-1]),
        ("cert_url_host", verifier, {**headers, "SignatureCertChainUrl": "https://x/"}, body),
    ]
    for reason, which, attempt_headers, attempt_body in attempts:
        caplog.clear()
        with pytest.raises(VerificationError) as info:
            which.verify(attempt_headers, attempt_body)
        assert info.value.reason == reason
        assert USER_ID not in str(info.value) and SLOT_TEXT not in str(info.value)
        records = [r for r in caplog.records if r.name == "skill.web.verify"]
        assert [r.getMessage() for r in records] == [f"refused reason={reason}"]
        assert all(r.levelno in (logging.INFO, logging.WARNING) for r in records)
        assert all(r.exc_info is None for r in records)
        assert USER_ID not in caplog.text
        assert SLOT_TEXT not in caplog.text


def test_accepted_requests_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="skill.web.verify")
    TestPKI().verifier().verify(*signed_request(make_envelope(slot_text=SLOT_TEXT)))
    assert caplog.records == []


# --------------------------------------------------------------------------- fuzzing

_FUZZ_PKI = TestPKI()
_FUZZ_VERIFIER = _FUZZ_PKI.verifier()
_FUZZ_DEV_VERIFIER = _FUZZ_PKI.verifier(check_signature=False)
_VALID_HEADERS, _VALID_BODY = signed_request(make_envelope(slot_text=SLOT_TEXT))

_json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_json = st.recursive(
    _json_leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_near_now = st.integers(-4000, 400).map(lambda s: iso(NOW + timedelta(seconds=s)))
_timestamps = st.one_of(
    _near_now,
    _near_now,
    st.datetimes(
        min_value=datetime(2025, 5, 31), max_value=datetime(2025, 6, 2), timezones=st.just(UTC)
    ).map(iso),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.text(max_size=30),
    _json,
)
_app_ids = st.sampled_from([SKILL_ID, "amzn1.ask.skill.other", "", None]) | _json
_request_types = st.sampled_from(
    ["LaunchRequest", "IntentRequest", "AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent."]
) | st.text(max_size=20)


@st.composite
def _envelopes(draw: st.DrawFn) -> Any:
    """Mostly envelope-shaped JSON values with fuzzed fields (sometimes fields missing)."""
    envelope = make_envelope(slot_text=draw(st.none() | st.text(max_size=20)))
    request = envelope["request"]
    for key, strategy in (
        ("type", _request_types),
        ("timestamp", _timestamps),
        ("requestId", st.text(max_size=10) | _json),
    ):
        choice = draw(st.integers(0, 11))
        if choice == 0:
            del request[key]
        elif choice <= 4:
            request[key] = draw(strategy)
    if draw(st.booleans()):
        envelope["context"]["System"]["application"] = draw(
            st.fixed_dictionaries({"applicationId": _app_ids}) | _json
        )
    if draw(st.booleans()):
        envelope["session"] = draw(
            st.fixed_dictionaries(
                {"application": st.fixed_dictionaries({"applicationId": _app_ids}) | _json}
            )
            | _json
        )
    if draw(st.integers(0, 9)) == 0:
        envelope["version"] = draw(_json)
    if draw(st.integers(0, 9)) == 0:
        return draw(_json)
    return envelope


def _mutate(data: bytes, position: int, value: int) -> bytes:
    if not data:
        return bytes([value])
    position %= len(data)
    return data[:position] + bytes([value]) + data[position + 1 :]


_bodies = st.one_of(
    st.binary(max_size=512),
    _json.map(_dump),
    _envelopes().map(_dump),
    st.builds(_mutate, st.just(_VALID_BODY), st.integers(0, 10_000), st.integers(0, 255)),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
_header_names = st.sampled_from(
    [
        "SignatureCertChainUrl",
        "signaturecertchainurl",
        "Signature-256",
        "SIGNATURE-256",
        "Signature",
        "Content-Type",
    ]
) | st.text(max_size=15)
_header_values = st.one_of(
    st.text(max_size=120),
    st.sampled_from(
        [
            GOOD_URL,
            WRONG_SAN_URL,
            _VALID_HEADERS["Signature-256"],
            _VALID_HEADERS["Signature-256"][:-4],
            "",
            " ",
        ]
    ),
)
_headers = st.one_of(
    st.dictionaries(_header_names, _header_values, max_size=5),
    st.builds(
        lambda extra: {**_VALID_HEADERS, **extra},
        st.dictionaries(_header_names, _header_values, max_size=2),
    ),
)


def _only_dict_or_verification_error(verifier: AlexaVerifier, headers: Any, body: bytes) -> None:
    try:
        result = verifier.verify(headers, body)
    except VerificationError as exc:
        event(f"refused {exc.reason}")
        assert exc.reason in REASONS
        assert exc.status in (400, 413)
        assert str(exc)
    else:
        event("accepted")
        assert isinstance(result, dict)


_FUZZ_SETTINGS = settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@_FUZZ_SETTINGS
@given(headers=_headers, body=_bodies)
def test_fuzz_headers_and_bodies(headers: dict[str, str], body: bytes) -> None:
    _only_dict_or_verification_error(_FUZZ_VERIFIER, headers, body)


@_FUZZ_SETTINGS
@given(envelope=_envelopes())
def test_fuzz_signed_envelopes(envelope: Any) -> None:
    """Correctly signed fuzzed envelopes reach the timestamp and application-id checks."""
    headers, body = signed_raw(_dump(envelope))
    _only_dict_or_verification_error(_FUZZ_VERIFIER, headers, body)
    _only_dict_or_verification_error(_FUZZ_DEV_VERIFIER, {}, body)


@_FUZZ_SETTINGS
@given(
    # Mostly-valid parts (repeated entries weight the draw) so the path rules get exercised.
    scheme=st.sampled_from(["https"] * 6 + ["HTTPS", "http", "", "https:"]),
    host=st.sampled_from(
        ["s3.amazonaws.com"] * 6 + ["S3.amazonaws.com", "evil.com", "s3.amazonaws.com.evil.com", ""]
    ),
    port=st.sampled_from([""] * 6 + [":443", ":80", ":", ":4430"]),
    userinfo=st.sampled_from([""] * 8 + ["evil@", "@", "s3.amazonaws.com@"]),
    segments=st.lists(
        st.sampled_from(
            ["echo.api", "..", ".", "%2e%2e", "%2E.", "%252e", "", "Echo.api", "x", "%2f", "\\"]
        ),
        min_size=1,
        max_size=5,
    ),
    tail=st.sampled_from(["", "?a", "#b", "/", "%00"]),
)
def test_fuzz_cert_urls_only_fetch_inside_echo_api(
    scheme: str, host: str, port: str, userinfo: str, segments: list[str], tail: str
) -> None:
    url = f"{scheme}://{userinfo}{host}{port}/{'/'.join(segments)}/echo-api-cert-test.pem{tail}"
    _FUZZ_PKI.fetcher.reset()
    headers = {**_VALID_HEADERS, "SignatureCertChainUrl": url}
    _only_dict_or_verification_error(_FUZZ_VERIFIER, headers, _VALID_BODY)
    for fetched in _FUZZ_PKI.fetcher.calls:
        assert fetched.startswith("https://s3.amazonaws.com/echo.api/")
        assert ".." not in fetched and "%" not in fetched and "\\" not in fetched
    try:
        canonical = normalize_cert_url(url)
    except VerificationError:
        return
    assert canonical.startswith("https://s3.amazonaws.com/echo.api/")
