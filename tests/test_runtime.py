"""The shell's services: the device time zone through ask-sdk-core's UPS client (a fake
ApiClient stands in for Amazon's API), its cache and its fallback; settings from env."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_model.services import ApiClient, ApiClientRequest, ApiClientResponse

from skill.content import load
from skill.core.skill import Skill
from skill.core.turn import Services, Turn
from skill.runtime import AlexaApiServices, AlexaZoneLookup, Settings, TimeoutApiClient
from skill.store.sqlite import SqliteStore
from tests.conftest import Clock, fixture_envelope

NOW_UTC = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


class FakeSettingsApi(ApiClient):
    """Answers the Alexa settings API's time-zone call; records what it was asked."""

    def __init__(self, zone: str | None = "Europe/Berlin", status: int = 200) -> None:
        self.zone, self.status = zone, status
        self.calls: list[ApiClientRequest] = []

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        self.calls.append(request)
        body = json.dumps(self.zone) if self.status == 200 else ""
        return ApiClientResponse(headers=[], status_code=self.status, body=body)


def parsed(skill: Skill, name: str = "launch-echo.json") -> Any:
    return skill.parse(fixture_envelope(name))


def test_zone_comes_from_the_settings_api_and_is_cached_per_device(skill: Skill) -> None:
    api = FakeSettingsApi()
    lookup = AlexaZoneLookup(api)
    envelope = parsed(skill)
    assert lookup(envelope) == "Europe/Berlin"
    assert lookup(envelope) == "Europe/Berlin"
    assert len(api.calls) == 1
    call = api.calls[0]
    assert call.method == "GET"
    assert call.url == (
        "https://api.amazonalexa.com/v2/devices/amzn1.ask.device.EXAMPLE_DEVICE_ID"
        "/settings/System.timeZone"
    )
    assert ("Authorization", "Bearer EXAMPLE_API_ACCESS_TOKEN") in call.headers


def test_zone_lookup_failures_fall_back_to_none(skill: Skill) -> None:
    for api in (FakeSettingsApi(status=403), FakeSettingsApi(status=500)):
        assert AlexaZoneLookup(api)(parsed(skill)) is None
    envelope = parsed(skill)
    envelope.context.system.api_access_token = None
    api = FakeSettingsApi()
    assert AlexaZoneLookup(api)(envelope) is None and api.calls == []


def test_timeout_client_refuses_plain_http() -> None:
    request = ApiClientRequest(url="http://example.invalid/x", method="GET", headers=[])
    with pytest.raises(ValueError, match="https"):
        TimeoutApiClient().invoke(request)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOGETHER_STORE", "sqlite:///x.db")
    monkeypatch.setenv("TOGETHER_SKILL_ID", "amzn1.ask.skill.abc")
    monkeypatch.setenv("TOGETHER_DEV", "yes")
    monkeypatch.setenv("TOGETHER_RETENTION_DAYS", "30")
    settings = Settings.from_env()
    assert (settings.store_url, settings.skill_id, settings.dev, settings.retention_days) == (
        "sqlite:///x.db",
        "amzn1.ask.skill.abc",
        True,
        30,
    )
    assert Settings.from_env(store_url="sqlite:///y.db").store_url == "sqlite:///y.db"


def test_the_alexa_services_member_is_where_a_turn_gets_its_zone(tmp_path: Path) -> None:
    """``Services.alexa`` is the one place a turn calls Alexa's service APIs: production's
    goes to the settings API, and a turn's local day follows the zone it answers."""
    api = FakeSettingsApi(zone="Pacific/Auckland")
    alexa = AlexaApiServices(api)
    store = SqliteStore(tmp_path / "z.db")
    services = Services(store=store, clock=Clock(NOW_UTC), alexa=alexa)
    envelope = parsed(Skill(services))
    assert alexa.time_zone(envelope) == "Pacific/Auckland" and len(api.calls) == 1
    turn = Turn(services, envelope, load("en-US"), {}, NOW_UTC, random.Random(0))
    assert str(turn.zone) == "Pacific/Auckland"
    assert turn.today.isoformat() == "2026-12-02"  # 20:00 UTC on 1 December is the 2nd there
    store.close()
