"""Bearer-token validation for the MCP server, against a real loopback OAuth issuer."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.server.auth.provider import AccessToken, TokenVerifier

from skill.mcp_server.auth import (
    CACHE_MAX_AGE,
    MAX_JWKS_BYTES,
    REFETCH_INTERVAL,
    RETRY_AFTER_FAILURE,
    JwtVerifier,
    PrincipalError,
    principal,
)
from tests.oauth_issuer import AUDIENCE, SCOPE, OAuthIssuer, running_issuer

LOGGER = "skill.mcp_server.auth"
#: A lifetime that outlasts the key cache, for tokens used after the clock jumps.
LONG = int(CACHE_MAX_AGE) + 600


class EpochClock:
    """Epoch seconds the test moves by hand (starts at the real time, as tokens do)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def issuer() -> Iterator[OAuthIssuer]:
    yield from running_issuer()


@pytest.fixture
def epoch() -> EpochClock:
    return EpochClock()


@pytest.fixture
def verifier(issuer: OAuthIssuer, epoch: EpochClock) -> JwtVerifier:
    return JwtVerifier(issuer.issuer, [AUDIENCE], fetch_timeout=1.0, clock=epoch)


def verify(verifier: JwtVerifier, token: str) -> AccessToken | None:
    return asyncio.run(verifier.verify_token(token))


def reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def refused(
    verifier: JwtVerifier, token: str, caplog: pytest.LogCaptureFixture, reason: str
) -> None:
    """The token is refused with exactly one INFO line naming ``reason``."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert verify(verifier, token) is None
    assert reasons(caplog) == [f"refused reason={reason}"]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == LOGGER)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# --------------------------------------------------------------------------- accepted


def test_the_verifier_is_the_sdks_token_verifier(verifier: JwtVerifier) -> None:
    as_protocol: TokenVerifier = verifier  # mypy checks the protocol
    assert as_protocol is verifier


def test_valid_rs256_token_is_accepted_with_its_fields(
    issuer: OAuthIssuer, verifier: JwtVerifier
) -> None:
    token = issuer.token("household-1")
    exp = issuer.claims()["exp"]
    access = verify(verifier, token)
    assert access is not None
    assert access.token == token
    assert access.subject == "household-1"
    assert access.client_id == "household-1"  # no client_id, no azp: the subject
    assert access.scopes == [SCOPE]
    assert access.expires_at is not None and abs(access.expires_at - exp) <= 2
    assert access.claims == {"iss": issuer.issuer}
    assert access.resource == AUDIENCE
    assert principal(access) == (issuer.issuer, "household-1")


def test_valid_es256_token_is_accepted(issuer: OAuthIssuer, verifier: JwtVerifier) -> None:
    token = issuer.token("household-2", alg="ES256")
    assert json.loads(_unb64(token.split(".")[0]))["kid"] == "k2"
    access = verify(verifier, token)
    assert access is not None
    assert access.subject == "household-2"


def test_list_audience_needs_one_entry_in_audiences(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    access = verify(verifier, issuer.token(aud=["https://elsewhere", AUDIENCE]))
    assert access is not None
    assert access.resource == AUDIENCE
    refused(verifier, issuer.token(aud=["https://elsewhere", "other"]), caplog, "audience")
    refused(verifier, issuer.token(aud=[]), caplog, "audience")
    refused(verifier, issuer.token(claims={"aud": [AUDIENCE, 7]}), caplog, "audience")


def test_any_configured_audience_matches(issuer: OAuthIssuer, epoch: EpochClock) -> None:
    verifier = JwtVerifier(issuer.issuer, ["first", "second"], clock=epoch)
    assert verify(verifier, issuer.token(aud="second")) is not None
    assert verify(verifier, issuer.token(aud="third")) is None


def test_cognito_access_token_matches_on_client_id(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    cognito = {"client_id": AUDIENCE, "token_use": "access", "username": "someone"}
    token = issuer.token(aud=None, scope="together/practice openid", claims=cognito)
    assert "aud" not in issuer.claims(aud=None)
    access = verify(verifier, token)
    assert access is not None
    assert access.client_id == AUDIENCE
    assert access.scopes == ["together/practice", "openid"]
    assert access.resource is None
    stranger = {**cognito, "client_id": "another-app"}
    refused(verifier, issuer.token(aud=None, claims=stranger), caplog, "audience")
    refused(verifier, issuer.token(aud=None), caplog, "audience")


def test_cognito_id_token_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    id_token = issuer.token(aud=AUDIENCE, claims={"token_use": "id"})
    refused(verifier, id_token, caplog, "token_use")


def test_client_id_falls_back_to_azp(issuer: OAuthIssuer, verifier: JwtVerifier) -> None:
    access = verify(verifier, issuer.token(claims={"azp": "alexa-plus"}))
    assert access is not None
    assert access.client_id == "alexa-plus"


def test_scp_list_and_no_scope(issuer: OAuthIssuer, verifier: JwtVerifier) -> None:
    access = verify(verifier, issuer.token(scope=None, claims={"scp": ["a", "b"]}))
    assert access is not None
    assert access.scopes == ["a", "b"]
    bare = verify(verifier, issuer.token(scope=None))
    assert bare is not None
    assert bare.scopes == []


def test_a_malformed_scope_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(claims={"scope": ["a"]}), caplog, "scope")


def test_leeway_covers_a_just_expired_token(issuer: OAuthIssuer, verifier: JwtVerifier) -> None:
    assert verify(verifier, issuer.token(expires_in=-10)) is not None
    assert verify(verifier, issuer.token(claims={"nbf": int(time.time()) + 10})) is not None


# --------------------------------------------------------------------------- refused


def test_wrong_issuer_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(claims={"iss": issuer.issuer + "/"}), caplog, "issuer")
    refused(verifier, issuer.token(omit=["iss"]), caplog, "issuer")


def test_wrong_audience_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(aud="someone-else"), caplog, "audience")


def test_expired_beyond_leeway_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(expires_in=-60), caplog, "expired")


def test_expiry_follows_the_injected_clock(
    issuer: OAuthIssuer, verifier: JwtVerifier, epoch: EpochClock, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.token(expires_in=300)
    assert verify(verifier, token) is not None
    epoch.advance(331)
    refused(verifier, token, caplog, "expired")


def test_not_yet_valid_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    later = int(time.time()) + 120
    refused(verifier, issuer.token(claims={"nbf": later}), caplog, "not_yet_valid")
    refused(verifier, issuer.token(claims={"iat": later}), caplog, "not_yet_valid")


def test_missing_or_bad_subject_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(omit=["sub"]), caplog, "subject")
    refused(verifier, issuer.token(""), caplog, "subject")
    refused(verifier, issuer.token(claims={"sub": 42}), caplog, "subject")


def test_missing_or_bad_exp_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(omit=["exp"]), caplog, "exp_missing")
    refused(verifier, issuer.token(claims={"exp": "tomorrow"}), caplog, "exp_invalid")
    refused(verifier, issuer.token(claims={"exp": True}), caplog, "exp_invalid")


def test_alg_none_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.token(alg="none")
    assert token.endswith(".")
    refused(verifier, token, caplog, "algorithm")


def test_hs256_signed_with_the_public_key_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.token(alg="HS256")
    # The attack token is real: its MAC checks out with the published RSA key's PEM.
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(issuer.public_pem("k1"), signing_input.encode(), hashlib.sha256)
    assert hmac.compare_digest(_unb64(signature), expected.digest())
    refused(verifier, token, caplog, "algorithm")


def test_alg_that_the_named_key_cannot_make_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    _, payload, signature = issuer.token(alg="ES256").split(".")
    header = _b64(json.dumps({"alg": "ES256", "kid": "k1", "typ": "JWT"}).encode())
    refused(verifier, f"{header}.{payload}.{signature}", caplog, "algorithm")


def test_forged_signatures_are_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.forged(), caplog, "signature")
    refused(verifier, issuer.forged(alg="ES256"), caplog, "signature")


def test_a_tampered_payload_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    header, _, signature = issuer.token("household-1").split(".")
    payload = _b64(json.dumps(issuer.claims("household-2")).encode())
    refused(verifier, f"{header}.{payload}.{signature}", caplog, "signature")


def test_unknown_kid_is_refused(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    refused(verifier, issuer.token(kid="k9"), caplog, "unknown_kid")
    _, payload, signature = issuer.token().split(".")
    no_kid = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    refused(verifier, f"{no_kid}.{payload}.{signature}", caplog, "kid")
    empty_kid = _b64(json.dumps({"alg": "RS256", "kid": ""}).encode())
    refused(verifier, f"{empty_kid}.{payload}.{signature}", caplog, "kid")


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "a.b.c", "..", "...", "Bearer x", "eyJ.eyJ.sig", "é.é.é", "x" * 9000],
    ids=lambda garbage: repr(garbage[:12]),
)
def test_garbage_is_refused(
    verifier: JwtVerifier, issuer: OAuthIssuer, caplog: pytest.LogCaptureFixture, garbage: str
) -> None:
    refused(verifier, garbage, caplog, "malformed")
    assert issuer.jwks_fetches == 0


def test_refusal_logs_neither_token_nor_claims(
    issuer: OAuthIssuer, verifier: JwtVerifier, caplog: pytest.LogCaptureFixture
) -> None:
    token = issuer.token("secret-household", aud="secret-audience")
    with caplog.at_level(logging.DEBUG):
        assert verify(verifier, token) is None
    logged = caplog.text
    for secret in (token, "secret-household", "secret-audience", token.split(".")[1]):
        assert secret not in logged
    assert reasons(caplog) == ["refused reason=audience"]


# --------------------------------------------------------------------------- the JWKS


def test_default_jwks_url_is_cognitos() -> None:
    pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
    assert JwtVerifier(pool, ["client"]).jwks_url == pool + "/.well-known/jwks.json"
    assert JwtVerifier(pool + "/", ["client"]).jwks_url == pool + "/.well-known/jwks.json"


@pytest.mark.parametrize(
    ("url", "audiences"),
    [
        ("file:///etc/passwd", ["a"]),
        ("ftp://example.com/jwks.json", ["a"]),
        ("https://example.com/jwks.json", []),
        ("https://example.com/jwks.json", [""]),
    ],
)
def test_bad_configuration_is_refused_at_construction(url: str, audiences: list[str]) -> None:
    with pytest.raises(ValueError):
        JwtVerifier("https://issuer.example", audiences, jwks_url=url)


def test_jwks_is_fetched_lazily_and_once(issuer: OAuthIssuer, verifier: JwtVerifier) -> None:
    assert issuer.jwks_fetches == 0
    for n in range(20):
        assert verify(verifier, issuer.token(f"h{n}", alg="RS256" if n % 2 else "ES256"))
    assert issuer.jwks_fetches == 1


def test_concurrent_cold_verifications_share_one_fetch(
    issuer: OAuthIssuer, verifier: JwtVerifier
) -> None:
    tokens = [issuer.token(f"h{n}") for n in range(10)]
    results: list[AccessToken | None] = []
    issuer.stall = 0.2  # keep the first download in flight while the others arrive

    async def main() -> None:
        async def one(token: str) -> None:
            results.append(await verifier.verify_token(token))

        async with anyio.create_task_group() as tg:
            for token in tokens:
                tg.start_soon(one, token)

    asyncio.run(main())
    assert len(results) == 10 and all(results)
    assert issuer.jwks_fetches == 1


def test_unknown_kid_refetches_at_most_once_per_window(
    issuer: OAuthIssuer, verifier: JwtVerifier, epoch: EpochClock
) -> None:
    assert verify(verifier, issuer.token())
    assert issuer.jwks_fetches == 1
    for n in range(10):  # inside the window: no refetch at all
        assert verify(verifier, issuer.token(kid=f"random-{n}")) is None
    assert issuer.jwks_fetches == 1
    epoch.advance(REFETCH_INTERVAL + 1)
    for n in range(10):  # a flood after the window: one refetch
        assert verify(verifier, issuer.token(kid=f"flood-{n}")) is None
    assert issuer.jwks_fetches == 2
    epoch.advance(REFETCH_INTERVAL + 1)
    assert verify(verifier, issuer.token(kid="again")) is None
    assert issuer.jwks_fetches == 3
    assert verify(verifier, issuer.token())  # the known keys kept working throughout
    assert issuer.jwks_fetches == 3


def test_a_rotated_in_key_is_picked_up_by_one_refetch(
    issuer: OAuthIssuer, verifier: JwtVerifier, epoch: EpochClock
) -> None:
    assert verify(verifier, issuer.token())
    issuer.add_key("k3", "ES256")
    epoch.advance(REFETCH_INTERVAL + 1)
    access = verify(verifier, issuer.token(kid="k3", alg="ES256"))
    assert access is not None
    assert issuer.jwks_fetches == 2


def test_a_withdrawn_key_stops_working_when_the_cache_ages(
    issuer: OAuthIssuer, verifier: JwtVerifier, epoch: EpochClock, caplog: pytest.LogCaptureFixture
) -> None:
    assert verify(verifier, issuer.token())
    issuer.remove_key("k1")
    epoch.advance(CACHE_MAX_AGE - 60)
    assert verify(verifier, issuer.token(expires_in=LONG))  # still cached
    epoch.advance(120)
    refused(verifier, issuer.token(expires_in=LONG), caplog, "unknown_kid")
    assert issuer.jwks_fetches == 2


def test_stale_keys_are_kept_when_the_issuer_fails(
    issuer: OAuthIssuer, verifier: JwtVerifier, epoch: EpochClock
) -> None:
    assert verify(verifier, issuer.token())
    issuer.fail_status = 500
    epoch.advance(CACHE_MAX_AGE + 1)
    assert verify(verifier, issuer.token(expires_in=LONG))
    assert issuer.jwks_fetches == 2


def test_a_stalled_jwks_endpoint_is_cut_off_without_blocking_the_loop(
    issuer: OAuthIssuer, epoch: EpochClock, caplog: pytest.LogCaptureFixture
) -> None:
    fetch_timeout = 0.5
    verifier = JwtVerifier(issuer.issuer, [AUDIENCE], fetch_timeout=fetch_timeout, clock=epoch)
    issuer.stall = 30.0
    token = issuer.token()
    ticks = 0

    async def main() -> AccessToken | None:
        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await anyio.sleep(0.01)

        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            result = await verifier.verify_token(token)
            tg.cancel_scope.cancel()
        return result

    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert asyncio.run(main()) is None
    elapsed = time.monotonic() - started
    assert elapsed < fetch_timeout + 1.5
    assert ticks >= 10  # the loop kept running while the download waited
    assert reasons(caplog) == ["refused reason=jwks_unavailable (TimeoutError)"]
    assert issuer.jwks_fetches == 1


def test_a_trickling_jwks_endpoint_is_cut_off_at_the_overall_deadline(
    issuer: OAuthIssuer, epoch: EpochClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Every byte arrives well within a per-read timeout; only the overall deadline stops it."""
    fetch_timeout = 0.5
    verifier = JwtVerifier(issuer.issuer, [AUDIENCE], fetch_timeout=fetch_timeout, clock=epoch)
    issuer.trickle = 0.05
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger=LOGGER):
        assert verify(verifier, issuer.token()) is None
    assert time.monotonic() - started < fetch_timeout + 1.5
    assert reasons(caplog) == ["refused reason=jwks_unavailable (TimeoutError)"]


def test_a_trickled_jwks_is_accepted_when_it_arrives_in_time(
    issuer: OAuthIssuer, epoch: EpochClock
) -> None:
    """The trickle switch itself works: a patient enough verifier gets the keys."""
    issuer.trickle = 0.0005
    verifier = JwtVerifier(issuer.issuer, [AUDIENCE], fetch_timeout=20.0, clock=epoch)
    assert verify(verifier, issuer.token())


def test_a_jwks_500_refuses_and_retries_after_a_short_wait(
    issuer: OAuthIssuer, verifier: JwtVerifier, epoch: EpochClock, caplog: pytest.LogCaptureFixture
) -> None:
    issuer.fail_status = 500
    refused(verifier, issuer.token(), caplog, "jwks_unavailable (HTTPError)")
    issuer.fail_status = None
    epoch.advance(RETRY_AFTER_FAILURE / 2)
    refused(verifier, issuer.token(), caplog, "jwks_unavailable")  # not retried yet
    assert issuer.jwks_fetches == 1
    epoch.advance(RETRY_AFTER_FAILURE)
    assert verify(verifier, issuer.token())
    assert issuer.jwks_fetches == 2


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "JSONDecodeError"),
        (b"[]", "ValueError"),
        (b'{"keys": [{"kty": "oct", "kid": "k1", "k": "c2VjcmV0"}]}', "ValueError"),
        (b'{"keys": [{"kty": "RSA", "kid": "k1", "n": "!!", "e": "AQAB"}]}', "ValueError"),
        (b'{"keys": []}' + b" " * MAX_JWKS_BYTES, "ValueError"),
    ],
    ids=["not-json", "not-an-object", "symmetric-only", "bad-rsa", "too-large"],
)
def test_a_bad_jwks_document_refuses(
    issuer: OAuthIssuer,
    verifier: JwtVerifier,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    error: str,
) -> None:
    issuer.jwks_body = body
    refused(verifier, issuer.token(), caplog, f"jwks_unavailable ({error})")


def test_a_jwks_with_private_or_odd_keys_uses_only_public_signing_keys(
    issuer: OAuthIssuer, verifier: JwtVerifier
) -> None:
    good = issuer.jwks()["keys"]
    odd: list[Any] = [
        {**good[0], "kid": "enc", "use": "enc"},
        {**good[0], "kid": "wrong-alg", "alg": "RS512"},
        {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
        "not an object",
    ]
    issuer.jwks_body = json.dumps({"keys": odd + good}).encode()
    assert verify(verifier, issuer.token())
    assert verify(verifier, issuer.token(alg="ES256"))
    assert verify(verifier, issuer.token(kid="enc")) is None


def test_an_unreachable_issuer_refuses(epoch: EpochClock) -> None:
    with OAuthIssuer() as gone:
        url, token = gone.issuer, gone.token()
    verifier = JwtVerifier(url, [AUDIENCE], fetch_timeout=1.0, clock=epoch)
    started = time.monotonic()
    assert verify(verifier, token) is None
    assert time.monotonic() - started < 2.5


def test_principal_needs_issuer_and_subject() -> None:
    bare = AccessToken(token="t", client_id="c", scopes=[])
    with pytest.raises(PrincipalError):
        principal(bare)
    with pytest.raises(PrincipalError):
        principal(bare.model_copy(update={"claims": {"iss": "https://i"}}))
    full = bare.model_copy(update={"claims": {"iss": "https://i"}, "subject": "s"})
    assert principal(full) == ("https://i", "s")


# --------------------------------------------------------------------------- fuzz


@pytest.fixture(scope="module")
def fuzz_verifier() -> Iterator[JwtVerifier]:
    """One verifier (its JWKS fetched once) and issuer for every example."""
    for issuer in running_issuer():
        yield JwtVerifier(issuer.issuer, [AUDIENCE])


_HEADER = _b64(b'{"alg":"RS256","kid":"k1","typ":"JWT"}')
_segments = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_tokens = st.one_of(
    st.text(max_size=300),
    st.lists(st.text(max_size=40), min_size=1, max_size=5).map(".".join),
    st.tuples(_segments, _segments).map(lambda p: f"{_HEADER}.{p[0]}.{p[1]}"),
    st.binary(max_size=120).map(lambda b: f"{_HEADER}.{_b64(b)}.{_b64(b[::-1])}"),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(token=_tokens)
def test_arbitrary_text_never_raises(fuzz_verifier: JwtVerifier, token: str) -> None:
    assert verify(fuzz_verifier, token) is None
