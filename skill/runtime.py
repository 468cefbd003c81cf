"""Composition for the shells: settings, the store, the clock and the time-zone lookup.

Everything with I/O that the core is given is built here, never inside the core.
Environment variables (all optional):

* ``TOGETHER_STORE``: store URL, ``sqlite:///PATH`` (default: the user's data directory)
* ``TOGETHER_SKILL_ID``: the skill's application id; requests for any other are refused
* ``TOGETHER_DEV``: ``1`` for dev mode (no signature or timestamp checks, loopback only)
* ``TOGETHER_ID_SALT``: salt for the one-way hashes of Alexa ids (required in
  production: at least 16 characters, not the development salt in the source)
* ``TOGETHER_RETENTION_DAYS``: how long gratitudes and wins are kept (default 90)
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services import (
    ApiClient,
    ApiClientRequest,
    ApiClientResponse,
    ApiConfiguration,
    ServiceClientFactory,
    ServiceException,
)
from ask_sdk_model.services.reminder_management import (
    ReminderManagementServiceClient,
    ReminderRequest,
)

from skill.constants import (
    DEV_SALT,
    ENV_DEV,
    ENV_MCP_AUDIENCE,
    ENV_MCP_AUTHORIZATION_SERVER,
    ENV_MCP_AUTHORIZE_URL,
    ENV_MCP_ISSUER,
    ENV_MCP_RESOURCE,
    ENV_MCP_TOKEN_URL,
    ENV_RETENTION_DAYS,
    ENV_SALT,
    ENV_SKILL_ID,
    ENV_STORE,
    MIN_SALT_CHARS,
)
from skill.core.reminders import AlexaApiError
from skill.core.skill import Skill
from skill.core.turn import AlexaServices, Services
from skill.errors import ConfigError
from skill.store import HouseholdStore, default_store_url, open_store

log = logging.getLogger("skill.runtime")

ZONE_TIMEOUT_S = 1.0  # the settings API must not eat Alexa's 8 s
# The reminders API: one call per turn at most (an update that finds the reminder gone
# is followed by a create), so two of these stay well inside Alexa's 8 s.
REMINDERS_TIMEOUT_S = 2.5
ZONE_CACHE_S = 3600.0
ZONE_CACHE_SIZE = 4096


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Settings:
    store_url: str
    skill_id: str | None = None
    dev: bool = False
    salt: str = DEV_SALT
    retention_days: int = 90
    # Alexa+ (/mcp) in production: all of issuer, audiences and resource, or none
    mcp_issuer: str | None = None
    mcp_audiences: tuple[str, ...] = ()
    mcp_resource: str | None = None
    mcp_authorization_server: str | None = None
    mcp_authorize_url: str | None = None
    mcp_token_url: str | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        env = os.environ
        try:
            retention = int(env.get(ENV_RETENTION_DAYS) or 90)
        except ValueError as exc:
            raise ConfigError(f"{ENV_RETENTION_DAYS} must be a whole number of days") from exc
        values: dict[str, Any] = {
            "store_url": env.get(ENV_STORE) or default_store_url(),
            "skill_id": env.get(ENV_SKILL_ID) or None,
            "dev": _truthy(env.get(ENV_DEV)),
            "salt": env.get(ENV_SALT) or DEV_SALT,
            "retention_days": retention,
            "mcp_issuer": env.get(ENV_MCP_ISSUER) or None,
            "mcp_audiences": tuple(
                a.strip() for a in (env.get(ENV_MCP_AUDIENCE) or "").split(",") if a.strip()
            ),
            "mcp_resource": env.get(ENV_MCP_RESOURCE) or None,
            "mcp_authorization_server": env.get(ENV_MCP_AUTHORIZATION_SERVER) or None,
            "mcp_authorize_url": env.get(ENV_MCP_AUTHORIZE_URL) or None,
            "mcp_token_url": env.get(ENV_MCP_TOKEN_URL) or None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def check_production(self) -> None:
        """Refuse to serve Alexa for real without a skill id and a secret salt.

        The development salt is in the source, so hashes made with it are as good as
        raw ids to anyone who has the code: production needs its own, long enough not
        to be guessed (:data:`MIN_SALT_CHARS`)."""
        if not self.skill_id:
            raise ConfigError(f"production mode needs the skill id: set {ENV_SKILL_ID}")
        if self.salt == DEV_SALT or len(self.salt) < MIN_SALT_CHARS:
            raise ConfigError(
                f"production mode needs a secret salt: set {ENV_SALT} to at least "
                f"{MIN_SALT_CHARS} random characters (e.g. openssl rand -hex 32), "
                "and never change it after launch"
            )
        mcp = (self.mcp_issuer, self.mcp_audiences, self.mcp_resource)
        if any(mcp) and not all(mcp):
            raise ConfigError(
                f"Alexa+ (/mcp) needs all of {ENV_MCP_ISSUER}, {ENV_MCP_AUDIENCE} and "
                f"{ENV_MCP_RESOURCE}, or none of them (then /mcp is not served)"
            )
        urls = (
            self.mcp_issuer,
            self.mcp_resource,
            self.mcp_authorization_server,
            self.mcp_authorize_url,
            self.mcp_token_url,
        )
        for url in urls:
            if url and not url.startswith("https://"):
                raise ConfigError(f"Alexa+ (/mcp) URLs must be https: {url!r}")
        if bool(self.mcp_authorize_url) != bool(self.mcp_token_url):
            raise ConfigError(
                f"set both {ENV_MCP_AUTHORIZE_URL} and {ENV_MCP_TOKEN_URL}, or neither"
            )

    @property
    def mcp_served(self) -> bool:
        """/mcp is served: always in dev mode (no token, the local household), and in
        production when its OAuth settings are all given."""
        return self.dev or bool(self.mcp_issuer and self.mcp_audiences and self.mcp_resource)


def utc_now() -> datetime:
    return datetime.now(UTC)


class TimeoutApiClient(ApiClient):
    """ask-sdk-model ApiClient over urllib with a hard timeout (DefaultApiClient has none).

    https only; ``loopback_http`` lets plain http reach 127.0.0.1 (the fake Alexa API
    the tests start), and nothing else."""

    def __init__(self, timeout: float = ZONE_TIMEOUT_S, *, loopback_http: bool = False) -> None:
        self.timeout = timeout
        self.loopback_http = loopback_http

    def invoke(self, request: ApiClientRequest) -> ApiClientResponse:
        url = str(request.url)
        loopback = self.loopback_http and url.startswith("http://127.0.0.1:")
        if not (url.startswith("https://") or loopback):
            raise ValueError("only https endpoints")
        data = None
        if request.body:
            data = (
                request.body if isinstance(request.body, str) else json.dumps(request.body)
            ).encode()
        req = urllib.request.Request(  # noqa: S310 - https only, checked above
            request.url, data=data, method=request.method, headers=dict(request.headers or [])
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                body = resp.read(64 * 1024).decode("utf-8", "replace")
                return ApiClientResponse(
                    headers=list(resp.headers.items()), status_code=resp.status, body=body
                )
        except urllib.error.HTTPError as exc:
            # The SDK parses an error's body as JSON: an empty one would hide the status.
            body = exc.read(64 * 1024).decode("utf-8", "replace").strip() or "{}"
            return ApiClientResponse(headers=[], status_code=exc.code, body=body)


def service_clients(client: ApiClient, token: str, endpoint: str) -> ServiceClientFactory:
    """ask-sdk-model's service clients for one request: its API endpoint and token."""
    config = ApiConfiguration(
        serializer=DefaultSerializer(),
        api_client=client,
        authorization_value=token,
        api_endpoint=endpoint,
    )
    return ServiceClientFactory(api_configuration=config)


class AlexaZoneLookup:
    """The device's time zone from the Alexa settings API (ask-sdk-core's UPS client).

    Cached per device for an hour (bounded). On any failure returns None and the core
    falls back to the locale's zone (``skill/content/locales.toml``).
    """

    def __init__(self, api_client: ApiClient | None = None) -> None:
        self._client = api_client or TimeoutApiClient()
        self._cache: OrderedDict[str, tuple[float, str | None]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, envelope: RequestEnvelope) -> str | None:
        system = envelope.context.system if envelope.context else None
        device = system.device.device_id if system and system.device else None
        token = system.api_access_token if system else None
        if not (device and token and system and system.api_endpoint):
            return None
        with self._lock:
            hit = self._cache.get(device)
            if hit and hit[0] > time.monotonic():
                return hit[1]
        zone: object = None
        try:
            ups = service_clients(self._client, token, system.api_endpoint).get_ups_service()
            zone = ups.get_system_time_zone(device)
        except Exception as exc:
            log.info("settings API time zone unavailable: %s", type(exc).__name__)
        with self._lock:
            found = zone if isinstance(zone, str) else None
            self._cache[device] = (time.monotonic() + ZONE_CACHE_S, found)
            self._cache.move_to_end(device)
            while len(self._cache) > ZONE_CACHE_SIZE:
                self._cache.popitem(last=False)
        return found


class AlexaApiServices:
    """The Alexa service clients of a production turn (``Services.alexa``): the settings
    API's time zone (:class:`AlexaZoneLookup`) and ask-sdk-core's reminder management
    client. A failed reminder call raises :class:`AlexaApiError` with the HTTP status
    (0: not reached: a timeout, a refused connection, no endpoint)."""

    def __init__(
        self, api_client: ApiClient | None = None, reminders_client: ApiClient | None = None
    ) -> None:
        self._zone = AlexaZoneLookup(api_client)
        self._reminders_client = reminders_client or TimeoutApiClient(REMINDERS_TIMEOUT_S)

    def time_zone(self, envelope: RequestEnvelope) -> str | None:
        return self._zone(envelope)

    def create_reminder(self, envelope: RequestEnvelope, reminder: ReminderRequest) -> str:
        answer = self._call(envelope, lambda c: c.create_reminder(reminder))
        token = getattr(answer, "alert_token", None)
        if not isinstance(token, str) or not token:
            raise AlexaApiError(0, "the reminders API gave no alert token")
        return token

    def update_reminder(
        self, envelope: RequestEnvelope, token: str, reminder: ReminderRequest
    ) -> None:
        self._call(envelope, lambda c: c.update_reminder(token, reminder))

    def delete_reminder(self, envelope: RequestEnvelope, token: str) -> None:
        self._call(envelope, lambda c: c.delete_reminder(token))

    def _call(
        self, envelope: RequestEnvelope, call: Callable[[ReminderManagementServiceClient], Any]
    ) -> Any:
        system = envelope.context.system if envelope.context else None
        token = system.api_access_token if system else None
        if not (system and token and system.api_endpoint):
            raise AlexaApiError(0, "the request has no Alexa API endpoint or token")
        factory = service_clients(self._reminders_client, token, system.api_endpoint)
        client = factory.get_reminder_management_service()
        try:
            return call(client)
        except ServiceException as exc:
            raise AlexaApiError(int(exc.status_code or 0), "reminders API error") from exc
        except Exception as exc:  # an answer the SDK could not read
            raise AlexaApiError(0, type(exc).__name__) from exc


def build_skill(
    settings: Settings,
    *,
    store: HouseholdStore | None = None,
    clock: Callable[[], datetime] | None = None,
    alexa: AlexaServices | None = None,
) -> Skill:
    services = Services(
        store=store if store is not None else open_store(settings.store_url),
        clock=clock or utc_now,
        alexa=alexa if alexa is not None else AlexaApiServices(),
        salt=settings.salt,
        retention_days=settings.retention_days,
    )
    return Skill(services)
