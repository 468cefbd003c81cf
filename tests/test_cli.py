"""The command line contract: say (text and --json), chat, resolve, and serve under gunicorn."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from skill.cli import is_loopback, main
from skill.constants import DEV_SALT
from tests.conftest import fixture_envelope
from tests.helpers import free_port

JSON_FIELDS = {
    "utterance", "intent", "slots", "speech", "ssml", "reprompt",
    "end_session", "card", "directives",
}  # fmt: skip


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "skill", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_say_json_gives_one_object_per_turn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    code = main(
        [
            "say", "--json", "--store", store, "--now", "2026-11-25T20:00:00+00:00",
            "--timezone", "Europe/London", "--household", "cli",
            "open resilient together", "let's do box breathing for one minute",
        ]
    )  # fmt: skip
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 2
    for turn in lines:
        assert set(turn) >= JSON_FIELDS
    assert lines[0]["intent"] is None and lines[0]["end_session"] is False
    assert lines[1]["intent"] == "BreatheIntent"
    assert lines[1]["slots"] == {"pattern": "box", "minutes": "1", "length": None}
    assert "[" in lines[1]["speech"] and " s]" in lines[1]["speech"]  # pauses readable
    assert lines[1]["ssml"].startswith("<speak>")


def test_say_text_shows_intent_speech_and_reprompt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["say", "--store", store, "open resilient together", "help"]) == 0
    out = capsys.readouterr().out
    assert "You: open resilient together" in out and "Alexa: " in out
    assert "(AMAZON.HelpIntent)" in out and "(reprompt: " in out


def test_bad_options_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    assert main(["say", "--store", store, "--timezone", "Mars/Olympus", "hi"]) == 2
    assert "unknown time zone" in capsys.readouterr().err
    assert main(["say", "--store", store, "--now", "yesterday", "hi"]) == 2
    assert "ISO 8601" in capsys.readouterr().err


def test_chat_reads_turns_from_stdin(tmp_path: Path) -> None:
    result = run_cli(
        "chat", "--store", f"sqlite:///{tmp_path / 'chat.db'}",
        stdin="open resilient together\nwhat's today's reflection\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(ReflectionIntent)" in result.stdout
    assert "[card: " in result.stdout


def test_resolve_json() -> None:
    result = run_cli("resolve", "--json", "let's", "do", "box", "breathing")
    data = json.loads(result.stdout)
    assert data["intent"] == "BreatheIntent"
    assert data["slots"]["pattern"]["resolution"]["id"] == "box"
    assert data["considered"]


def test_serve_dev_refuses_anything_but_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--dev", "--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("192.168.1.2")


def test_serve_production_needs_a_skill_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "127.0.0.1"]) == 2
    assert "TOGETHER_SKILL_ID" in capsys.readouterr().err


@pytest.mark.parametrize("salt", [None, DEV_SALT, "fifteen-chars15"])
def test_serve_production_needs_a_secret_salt(
    salt: str | None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unset, the public development salt, or under 16 characters: refused at start."""
    monkeypatch.setenv("TOGETHER_SKILL_ID", "amzn1.ask.skill.abc")
    if salt is not None:
        monkeypatch.setenv("TOGETHER_ID_SALT", salt)
    assert main(["serve", "--host", "127.0.0.1"]) == 2
    assert "TOGETHER_ID_SALT" in capsys.readouterr().err


def test_the_gunicorn_app_factory_refuses_production_without_a_salt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from skill.errors import ConfigError
    from skill.web import server

    monkeypatch.setenv("TOGETHER_SKILL_ID", "amzn1.ask.skill.abc")
    with pytest.raises(ConfigError, match="TOGETHER_ID_SALT"):
        server.app()


def test_serve_dev_runs_gunicorn_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "skill", "serve", "--dev", "--port", str(port), "--workers", "1",
         "--store", f"sqlite:///{tmp_path / 'serve.db'}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    # gunicorn names itself, without a version: no banner details
                    assert resp.headers.get_all("Server") == ["gunicorn"]
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        body = json.dumps(fixture_envelope("launch-echo.json")).encode()
        req = urllib.request.Request(
            f"{base}/alexa", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            data = json.load(resp)
        assert data["response"]["shouldEndSession"] is False
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
    assert "DEV MODE" in err
