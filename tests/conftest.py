"""Shared fixtures: a real SQLite file per test, a settable clock, conversations."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from skill.core.skill import Skill
from skill.core.turn import NoAlexaServices, Services
from skill.sim.envelope import Device
from skill.sim.session import Conversation
from skill.store.sqlite import SqliteStore
from tests.backends import BACKENDS, Spec, moto_server_url, open_spec

FIXTURES = Path(__file__).parent / "fixtures" / "alexa-requests"
#: A production-grade salt for tests that run the production shells.
PROD_SALT = "test-salt-0123456789abcdef"


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region: nothing in a test can reach real AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("TOGETHER_STORE", raising=False)
    monkeypatch.delenv("TOGETHER_SKILL_ID", raising=False)
    monkeypatch.delenv("TOGETHER_DEV", raising=False)
    monkeypatch.delenv("TOGETHER_ID_SALT", raising=False)
    for name in ("ISSUER", "AUDIENCE", "RESOURCE", "AUTHORIZATION_SERVER"):
        monkeypatch.delenv(f"TOGETHER_MCP_{name}", raising=False)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    """One loopback moto server per test module that asks for it (the moto-server backend)."""
    yield from moto_server_url()


@pytest.fixture(params=BACKENDS)
def spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Spec]:
    """A fresh, empty store of each backend in turn: SQLite, moto, moto-server."""
    yield from open_spec(request.param, tmp_path, request)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "together.db")
    yield s
    s.close()


class Zone:
    """The device's time zone, settable by a test (None: the locale fallback); no
    reminders API (tests/test_reminders.py has a fake one)."""

    def __init__(self) -> None:
        self.name: str | None = "America/New_York"
        self._none = NoAlexaServices()
        self.create_reminder = self._none.create_reminder
        self.update_reminder = self._none.update_reminder
        self.delete_reminder = self._none.delete_reminder

    def time_zone(self, _envelope: Any) -> str | None:
        return self.name


@pytest.fixture
def zone() -> Zone:
    return Zone()


@pytest.fixture
def skill(store: SqliteStore, clock: Clock, zone: Zone) -> Skill:
    return Skill(Services(store=store, clock=clock, alexa=zone))


Talk = Callable[..., Conversation]


@pytest.fixture
def talk(skill: Skill, clock: Clock) -> Talk:
    """A conversation factory: ``talk(household="a", locale="en-GB", person=None)``."""

    def make(
        household: str = "test", locale: str = "en-US", person: str | None = None
    ) -> Conversation:
        return Conversation(skill, Device(household=household, locale=locale, person=person), clock)

    return make


def fixture_envelope(name: str) -> dict[str, Any]:
    """A real captured envelope from tests/fixtures/alexa-requests (a fresh copy)."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return copy.deepcopy(data)
