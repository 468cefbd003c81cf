"""The Flask shell: a whole conversation over HTTP, the forged-request table through the
endpoint with the store untouched, fuzzing for 500s, headers, health, logs, Lambda."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill.core.skill import Skill
from skill.core.turn import Services
from skill.errors import ConfigError
from skill.runtime import Settings
from skill.sim.envelope import Device
from skill.sim.session import Conversation
from skill.store.sqlite import SqliteStore
from skill.web.app import create_app
from tests.certs import NOW, SKILL_ID, TestPKI, make_envelope
from tests.conftest import PROD_SALT, Clock, Zone, fixture_envelope
from tests.helpers import spoke
from tests.verify_cases import CASES


class HttpSkill:
    """The skill reached over HTTP through the Flask test client."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def invoke(self, envelope: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post("/alexa", json=envelope)
        assert response.status_code == 200, response.get_data(as_text=True)
        data: dict[str, Any] = response.get_json()
        return data


def dev_app(skill: Skill) -> Flask:
    return create_app(Settings(store_url="unused", dev=True), skill=skill)


def table_rows(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        (a,) = conn.execute("SELECT COUNT(*) FROM households").fetchone()
        (b,) = conn.execute("SELECT COUNT(*) FROM entries").fetchone()
    finally:
        conn.close()
    return int(a) + int(b)


# --- the conversation over HTTP ------------------------------------------------------------
def test_a_whole_conversation_through_flask(skill: Skill, clock: Clock, store: SqliteStore) -> None:
    client = dev_app(skill).test_client()
    convo = Conversation(HttpSkill(client), Device(household="web"), clock)
    assert spoke(convo.say("open resilient together").ssml, "launch_first")
    assert spoke(convo.say("let's do box breathing for one minute").ssml, "breathe_done")
    convo.say("open resilient together")
    convo.say("let's do a gratitude moment")
    reflected = convo.say("our long walk on sunday")
    assert spoke(reflected.ssml, "gratitude_reflect")
    win = convo.say("ask resilient together to celebrate that we kept our evening plans")
    assert spoke(win.ssml, "win_milestone_first")
    progress = convo.say("ask resilient together how are we doing")
    assert "1 breathing exercise" in progress.speech and "1 gratitude" in progress.speech
    assert table_rows(store.path) == 1 + 2  # one household, a gratitude and a win


def test_real_captured_envelopes_through_flask(skill: Skill) -> None:
    client = dev_app(skill).test_client()
    for name in (
        "launch-echo.json",
        "launch-echo-show.json",
        "intent-search-query.json",
        "intent-entity-resolution.json",
        "dialog-started.json",
        "session-ended-user-initiated.json",
        "skill-event-account-linked.json",
        "skill-event-permission-accepted.json",
        "skill-event-permission-changed.json",
        "skill-event-disabled.json",
    ):
        response = client.post("/alexa", json=fixture_envelope(name))
        assert response.status_code == 200, name
        assert response.get_json()["version"] == "1.0"


# --- what the endpoint refuses -----------------------------------------------------------------
@pytest.fixture
def prod(tmp_path: Path) -> tuple[FlaskClient, SqliteStore, TestPKI]:
    pki = TestPKI()
    store = SqliteStore(tmp_path / "prod.db")
    skill = Skill(Services(store=store, clock=Clock(NOW), alexa=Zone()))
    app = create_app(
        Settings(store_url="unused", skill_id=SKILL_ID), skill=skill, verifier=pki.verifier()
    )
    return app.test_client(), store, pki


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_forged_and_malformed_requests_never_reach_the_store(
    prod: tuple[FlaskClient, SqliteStore, TestPKI], case: Any
) -> None:
    client, store, pki = prod
    headers, body = case.build(pki)
    response = client.post("/alexa", data=body, headers=headers)
    if case.valid:
        assert response.status_code == 200
        assert "response" in response.get_json()
        return
    assert response.status_code == case.status
    payload = response.get_json()
    assert payload["error"] == case.reason
    assert "Traceback" not in response.get_data(as_text=True)
    assert table_rows(store.path) == 0


def test_a_signed_launch_is_answered_in_production(
    prod: tuple[FlaskClient, SqliteStore, TestPKI],
) -> None:
    client, store, pki = prod
    headers, body = pki.signed_request(make_envelope())
    response = client.post("/alexa", data=body, headers=headers)
    assert response.status_code == 200
    assert spoke(response.get_json()["response"]["outputSpeech"]["ssml"], "launch_first")
    assert table_rows(store.path) == 1


def test_a_valid_envelope_that_is_not_a_request_we_can_read_is_400(skill: Skill) -> None:
    client = dev_app(skill).test_client()
    envelope = fixture_envelope("launch-echo.json")
    envelope["request"] = {"type": 42, "requestId": "x", "timestamp": "2018-04-26T01:24:13Z"}
    response = client.post("/alexa", json=envelope)
    assert response.status_code == 400


@settings(
    max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["request", "type", "session", "context", "version", "x"]),
                    inner,
                    max_size=5,
                )
            ),
            max_leaves=20,
        ).map(lambda v: json.dumps(v).encode()),
    ),
    headers=st.dictionaries(
        st.sampled_from(["SignatureCertChainUrl", "Signature-256", "Signature", "Content-Type"]),
        st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
        max_size=4,
    ),
)
def test_fuzzed_bodies_and_headers_never_get_a_500(
    prod: tuple[FlaskClient, SqliteStore, TestPKI], body: bytes, headers: dict[str, str]
) -> None:
    client, store, _pki = prod
    response = client.post("/alexa", data=body, headers=headers)
    assert response.status_code in (400, 413)
    assert table_rows(store.path) == 0


def test_fuzzed_envelopes_in_dev_mode_never_get_a_500(skill: Skill) -> None:
    client = dev_app(skill).test_client()
    base = fixture_envelope("intent-search-query.json")

    @settings(max_examples=300, deadline=None)
    @given(
        request=st.dictionaries(
            st.sampled_from(
                ["type", "requestId", "timestamp", "locale", "intent", "dialogState", "reason"]
            ),
            st.one_of(
                st.none(),
                st.integers(),
                st.text(max_size=30),
                st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
            ),
            max_size=7,
        )
    )
    def run(request: dict[str, Any]) -> None:
        envelope = {**base, "request": request}
        response = client.post("/alexa", json=envelope)
        assert response.status_code in (200, 400)

    run()


# --- headers, health, errors ---------------------------------------------------------------------
def test_security_headers_health_and_json_errors(skill: Skill) -> None:
    client = dev_app(skill).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    # The Server header is gunicorn's: tests/test_cli.py checks it names no version.
    assert client.get("/alexa").status_code == 405
    assert client.get("/nope").get_json()["error"] == "not_found"


def test_health_reports_an_unreachable_store(skill: Skill, store: SqliteStore) -> None:
    client = dev_app(skill).test_client()
    store.close()
    store.path.unlink()
    store.path.mkdir()  # the database path is now a directory: sqlite cannot open it
    assert client.get("/healthz").status_code == 503


def test_oversize_body_is_413(skill: Skill) -> None:
    client = dev_app(skill).test_client()
    response = client.post("/alexa", data=b"{" + b" " * (300 * 1024) + b"}")
    assert response.status_code == 413


# --- logs -----------------------------------------------------------------------------------------
def test_logs_carry_no_user_id_and_nothing_anyone_said(
    skill: Skill, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = dev_app(skill).test_client()
    convo = Conversation(
        HttpSkill(client), Device(household="SECRETHOUSE42", person="VOICE9"), clock
    )
    convo.say("open resilient together")
    convo.say("I'm grateful for the marmalade sandwich")
    convo.say("ask resilient together to celebrate that zebra crossings got painted")
    convo.say("ask resilient together I want to end my life")
    client.post("/alexa", data=b'{"request": "SECRETHOUSE42 marmalade"}')
    text = caplog.text
    assert "request id=" in text and "GratitudeIntent" in text
    for secret in ("SECRETHOUSE42", "VOICE9", "marmalade", "zebra", "end my life"):
        assert secret not in text


# --- Lambda ---------------------------------------------------------------------------------
def test_lambda_handler_invokes_the_skill_and_checks_the_application_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skill import lambda_handler

    monkeypatch.setenv("TOGETHER_SKILL_ID", "amzn1.ask.skill.00000000-0000-0000-0000-000000000000")
    monkeypatch.setenv("TOGETHER_ID_SALT", PROD_SALT)
    monkeypatch.setenv("TOGETHER_STORE", f"sqlite:///{tmp_path / 'lambda.db'}")
    lambda_handler.reset()
    out = lambda_handler.handler(fixture_envelope("launch-echo.json"))
    assert out["response"]["shouldEndSession"] is False
    other = fixture_envelope("launch-echo.json")
    other["context"]["System"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    other["session"]["application"]["applicationId"] = "amzn1.ask.skill.someone-else"
    with pytest.raises(lambda_handler.RefusedRequest):
        lambda_handler.handler(other)
    monkeypatch.delenv("TOGETHER_SKILL_ID")
    lambda_handler.reset()
    with pytest.raises(ConfigError, match="TOGETHER_SKILL_ID"):
        lambda_handler.handler(fixture_envelope("launch-echo.json"))
    lambda_handler.reset()
