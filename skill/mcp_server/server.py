"""The MCP server for Alexa+: the practices as tools, on the official SDK (``mcp``).

A thin shell, as Flask is for classic Alexa. Each tool call becomes one
:class:`~skill.core.turn.Turn` (who, the locale, the clock, the store) and one call of
``skill.core.tools``, whose :class:`~skill.core.practices.Said` is answered as plain
text (the same warm words as on classic Alexa, from the content files), with its facts
as structured content and the content keys spoken in ``_meta`` (``together/keys``).

Who: in production the bearer token's issuer and subject (validated by
:class:`skill.mcp_server.auth.JwtVerifier`), salted and hashed like an Alexa userId; in
dev mode (loopback only) the local household, the one ``together chat`` talks as.
The locale: the call's ``_meta.locale``, else the first usable tag of the
``Accept-Language`` header, else en-US; "today" is the day in ``_meta.timezone`` (an
IANA zone) when the host passes one, else in the locale's zone. A store fault is
answered with the spoken apology (``isError``), never a failed request; nothing is
half-written (each practice is one store call).

Each tool call is applied once per call. MCP gives a call no id that survives a retry
(stateless JSON responses; JSON-RPC ids restart with every session), so a host that
resends a call after a timeout could save twice; the classic Alexa path keeps its
exactly-once rule by the Alexa request id. Decided: the turn's once-key is fresh per call.

This module keeps its annotations evaluated (no ``from __future__ import annotations``):
the tools' JSON schemas are built from them, with the argument descriptions read from
``<lang>/tools.toml``.
"""

import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio.to_thread
from ask_sdk_model import (
    Context as AlexaContext,
)
from ask_sdk_model import (
    Intent,
    IntentRequest,
    RequestEnvelope,
    Slot,
    User,
)
from ask_sdk_model.interfaces.system import SystemState
from mcp.server.apps import Apps
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from skill.constants import LOCAL_USER_ID, MAX_SLOT_CHARS
from skill.content import DEFAULT_LOCALE, app_view, content_locale, load, tool_texts
from skill.core import tools
from skill.core.practices import Said
from skill.core.ssml import to_plain
from skill.core.turn import NoAlexaServices, Services, Turn
from skill.mcp_server.auth import principal
from skill.store import StoreError

log = logging.getLogger("skill.mcp")

PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
AUTHORIZATION_SERVER_PATH = "/.well-known/oauth-authorization-server"
BREATHE_VIEW = "ui://resilient-together/breathe.html"
#: The household dev mode uses: the one ``together chat`` and ``together say`` talk as.
LOCAL_USER = LOCAL_USER_ID
#: Request bodies over this are refused by the SDK (413): a tool call is a few hundred bytes.
MAX_BODY = 256 * 1024
KEYS_META = "together/keys"
#: A text argument's limit, as a slot's on classic Alexa: four times what a voice says in
#: one go. Screened whole; longer is refused by the schema (a tool error naming the
#: limit), never cut, so no crisis words can fall off the end unheard.
MAX_TEXT = MAX_SLOT_CHARS
KINDS = ("gratitudes", "wins")


@dataclass(frozen=True)
class OAuth:
    """Production identity: tokens from ``issuer`` for one of ``audiences``, for the
    protected resource ``resource`` (the public URL of /mcp)."""

    issuer: str
    audiences: tuple[str, ...]
    resource: str
    authorization_server: str | None = None
    scopes: tuple[str, ...] = ()
    # Given for an issuer that publishes no RFC 8414 metadata (Cognito): this server then
    # publishes it, as the authorization server ``authorization_server`` names.
    authorize_url: str | None = None
    token_url: str | None = None


class ToolShell:
    """Tool calls as turns over the core, run in a worker thread (the store blocks)."""

    def __init__(self, services: Services, *, dev: bool) -> None:
        # No device here: no settings API, no reminders; the locale's zone is "today".
        self.services = replace(services, alexa=NoAlexaServices())
        self.dev = dev

    def who(self) -> str | None:
        """The raw id hashed into the household key: issuer and subject of the token."""
        if self.dev:
            return LOCAL_USER
        access = get_access_token()
        if access is None:  # the SDK's auth middleware refused it before this
            return None
        issuer, subject = principal(access)
        return f"oauth|{issuer}|{subject}"

    def run(
        self, name: str, ctx: Context, call: Callable[[Turn], Said], *texts: str | None
    ) -> CallToolResult:
        """One tool call: the turn, the practice, the plain-text answer."""
        user = self.who()
        if user is None:  # never reached: the SDK refuses a call without a good token
            raise PermissionError("no verified token for this call")
        locale = locale_of(ctx)
        turn = self.turn(user, locale, name, texts, zone=zone_of(ctx))
        log.info("tool name=%s locale=%s", name, turn.content.locale)
        try:
            said = call(turn)
        except StoreError as exc:
            log.error("tool store error name=%s error=%s", name, type(exc).__name__)
            apology = turn.voice.say("store_error")
            return answer(turn, Said(apology, data={"error": "store"}), error=True)
        return answer(turn, said)

    def turn(
        self,
        user: str | None,
        locale: str,
        name: str,
        texts: tuple[str | None, ...],
        *,
        zone: str | None = None,
    ) -> Turn:
        request_id = f"mcp.{uuid.uuid4()}"
        now = self.services.clock()
        slots = {
            f"text{i}": Slot(name=f"text{i}", value=t)
            for i, t in enumerate(texts)
            if isinstance(t, str)
        }
        envelope = RequestEnvelope(
            version="1.0",
            context=AlexaContext(system=SystemState(user=User(user_id=user) if user else None)),
            request=IntentRequest(
                request_id=request_id,
                timestamp=now,
                locale=locale,
                intent=Intent(name=f"tool.{name}", slots=slots),
            ),
        )
        services = replace(self.services, alexa=NoAlexaServices(zone)) if zone else self.services
        return Turn(
            services=services,
            envelope=envelope,
            content=load(locale),
            session={},
            now=now,
            rng=self.services.rng(request_id),
        )


def answer(turn: Turn, said: Said, *, error: bool = False) -> CallToolResult:
    text = sentences(to_plain(said.speech))
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=dict(said.data),
        is_error=error,
        _meta={KEYS_META: list(turn.voice.spoken)},
    )


def sentences(text: str) -> str:
    """Written, a sentence starts with a capital ("... newest first. Your wife made
    soup."); spoken, an echo inside a list is lower-cased."""
    return _SENTENCE.sub(lambda m: m.group(1) + m.group(2).upper(), text)


_SENTENCE = re.compile(r"([.!?]\s+)(\w)")


def locale_of(ctx: Context) -> str:
    """The call's ``_meta.locale``, else the first usable ``Accept-Language`` tag, else
    en-US. A tag is usable when it names a region and its language has content: a
    supported locale as itself, another region of the language (en-NZ) as the
    language's base content, whose helpline is the generic "your local emergency
    number", never another country's line."""
    params = ctx.request_context.params or {}
    meta = params.get("_meta") if isinstance(params, dict) else None
    asked = meta.get("locale") if isinstance(meta, dict) else None
    candidates = [asked] if isinstance(asked, str) else []
    header = (ctx.headers or {}).get("accept-language", "")
    candidates += [part.split(";")[0] for part in header.split(",")[:8]]
    for candidate in candidates:
        match = _TAG.fullmatch(candidate.strip().replace("_", "-"))
        if match is None:
            continue
        tag = f"{match.group(1).lower()}-{match.group(2).upper()}"
        if content_locale(tag) == tag:
            return tag
    return DEFAULT_LOCALE


_TAG = re.compile(r"([A-Za-z]{2})-([A-Za-z]{2})")


def zone_of(ctx: Context) -> str | None:
    """The household's IANA time zone when the host passes one (``_meta.timezone``), so
    "today" is their day; else None (the locale's zone, as on an Echo without one)."""
    params = ctx.request_context.params or {}
    meta = params.get("_meta") if isinstance(params, dict) else None
    zone = meta.get("timezone") if isinstance(meta, dict) else None
    if not isinstance(zone, str) or not 0 < len(zone) <= 64:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def build_server(
    services: Services,
    *,
    dev: bool,
    oauth: OAuth | None = None,
    verifier: TokenVerifier | None = None,
) -> MCPServer[Any]:
    """The MCP server over ``services``. Production (``dev`` false) needs ``oauth`` and a
    token verifier (``skill.mcp_server.auth.JwtVerifier``)."""
    texts = tool_texts()
    shell = ToolShell(services, dev=dev)
    auth = None
    if not dev:
        if oauth is None or verifier is None:
            raise ValueError("production MCP needs OAuth settings and a token verifier")
        auth = AuthSettings(
            issuer_url=oauth.authorization_server or oauth.issuer,  # type: ignore[arg-type]
            resource_server_url=oauth.resource,  # type: ignore[arg-type]
            validate_token_resource=False,  # the verifier checks the audience itself
            required_scopes=list(oauth.scopes) or None,
        )
    apps = Apps()

    def describe(name: str) -> dict[str, Any]:
        tool = texts.tools[name]
        return {
            "name": name,
            "title": tool.title,
            "description": tool.description,
            "annotations": ToolAnnotations(
                title=tool.title,
                read_only_hint=name in tools.READ_ONLY,
                destructive_hint=name == "delete_household_data",
                idempotent_hint=name in tools.READ_ONLY,
                open_world_hint=False,
            ),
        }

    def arg(tool: str, name: str) -> str:
        return texts.tools[tool].args[name]

    async def call(
        name: str, ctx: Context, do: Callable[[Turn], Said], *said: str | None
    ) -> CallToolResult:
        who_and_run = partial(shell.run, name, ctx, do, *said)
        return await anyio.to_thread.run_sync(who_and_run)

    @apps.tool(resource_uri=BREATHE_VIEW, **describe("breathe"))
    async def breathe(
        ctx: Context,
        pattern: Annotated[
            str | None, Field(description=arg("breathe", "pattern"), max_length=MAX_TEXT)
        ] = None,
        minutes: Annotated[float | None, Field(description=arg("breathe", "minutes"))] = None,
    ) -> CallToolResult:
        return await call("breathe", ctx, lambda t: tools.breathe(t, pattern, minutes), pattern)

    apps.add_html_resource(BREATHE_VIEW, app_view("breathe"), name="breathe")

    server: MCPServer[Any] = MCPServer(
        name="resilient-together",
        title=texts.title,
        instructions=texts.instructions,
        version="0.1.0",
        token_verifier=verifier if not dev else None,
        auth=auth,
        extensions=[apps],
        log_level="WARNING",
    )

    @server.tool(**describe("share_gratitude"))
    async def share_gratitude(
        ctx: Context,
        text: Annotated[
            str | None, Field(description=arg("share_gratitude", "text"), max_length=MAX_TEXT)
        ] = None,
    ) -> CallToolResult:
        return await call("share_gratitude", ctx, lambda t: tools.share_gratitude(t, text), text)

    @server.tool(**describe("celebrate_win"))
    async def celebrate_win(
        ctx: Context,
        text: Annotated[
            str | None, Field(description=arg("celebrate_win", "text"), max_length=MAX_TEXT)
        ] = None,
    ) -> CallToolResult:
        return await call("celebrate_win", ctx, lambda t: tools.celebrate_win(t, text), text)

    @server.tool(**describe("todays_reflection"))
    async def todays_reflection(ctx: Context) -> CallToolResult:
        return await call("todays_reflection", ctx, tools.todays_reflection)

    @server.tool(**describe("another_reflection"))
    async def another_reflection(ctx: Context) -> CallToolResult:
        return await call("another_reflection", ctx, tools.another_reflection)

    @server.tool(**describe("progress"))
    async def progress(ctx: Context) -> CallToolResult:
        return await call("progress", ctx, tools.progress)

    @server.tool(**describe("recall"))
    async def recall(
        ctx: Context,
        kind: Annotated[
            str | None,
            Field(
                description=arg("recall", "kind"),
                json_schema_extra={"enum": ["gratitudes", "wins"]},
            ),
        ] = None,
    ) -> CallToolResult:
        return await call("recall", ctx, lambda t: tools.recall(t, kind))

    @server.tool(**describe("find_help"))
    async def find_help(ctx: Context) -> CallToolResult:
        return await call("find_help", ctx, tools.find_help)

    @server.tool(**describe("delete_household_data"))
    async def delete_household_data(
        ctx: Context,
        # Declared a boolean; read as anything, so "yes" or 1 gets the question again
        # (tools.delete_household_data erases only for the JSON true), not an error.
        confirm: Annotated[
            Any,
            Field(
                description=arg("delete_household_data", "confirm"),
                json_schema_extra={"type": "boolean"},
            ),
        ] = False,
    ) -> CallToolResult:
        return await call(
            "delete_household_data", ctx, lambda t: tools.delete_household_data(t, confirm)
        )

    @server.tool(**describe("check_in"))
    async def check_in(
        ctx: Context,
        text: Annotated[
            str | None, Field(description=arg("check_in", "text"), max_length=MAX_TEXT)
        ] = None,
    ) -> CallToolResult:
        return await call("check_in", ctx, lambda t: tools.check_in(t, text), text)

    if oauth is not None and not dev:
        metadata = protected_resource_metadata(oauth)

        @server.custom_route(METADATA_PATH, methods=["GET"])  # type: ignore[untyped-decorator]
        async def resource_metadata(_request: Request) -> Response:
            return JSONResponse(metadata)

        if oauth.authorize_url and oauth.token_url:
            published = authorization_server_metadata(oauth)

            @server.custom_route(AUTHORIZATION_SERVER_PATH, methods=["GET"])  # type: ignore[untyped-decorator]
            async def authorization_metadata(_request: Request) -> Response:
                return JSONResponse(published)

    return server


def protected_resource_metadata(oauth: OAuth) -> dict[str, Any]:
    """RFC 9728 metadata, also at the bare well-known path (the SDK serves it at the
    path-suffixed one, ``/.well-known/oauth-protected-resource/mcp``)."""
    body: dict[str, Any] = {
        "resource": oauth.resource,
        "authorization_servers": [oauth.authorization_server or oauth.issuer],
        "bearer_methods_supported": ["header"],
        "resource_name": tool_texts().title,
    }
    if oauth.scopes:
        body["scopes_supported"] = list(oauth.scopes)
    return body


def authorization_server_metadata(oauth: OAuth) -> dict[str, Any]:
    """RFC 8414 metadata for an issuer that has none (Amazon Cognito publishes only
    OpenID discovery, without ``code_challenge_methods_supported`` or
    ``grant_types_supported``, which Alexa+'s checklist asks for). Its endpoints and keys
    are the issuer's; it is served by this service, as the authorization server its
    protected-resource metadata names."""
    assert oauth.authorize_url and oauth.token_url
    body: dict[str, Any] = {
        "issuer": oauth.authorization_server or oauth.issuer,
        "authorization_endpoint": oauth.authorize_url,
        "token_endpoint": oauth.token_url,
        "jwks_uri": oauth.issuer.rstrip("/") + "/.well-known/jwks.json",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }
    if oauth.scopes:
        body["scopes_supported"] = list(oauth.scopes)
    return body


def asgi_app(server: MCPServer[Any], *, dev: bool) -> Starlette:
    """Streamable HTTP at /mcp: stateless (each POST stands alone, as a voice turn does:
    any instance can answer it) with JSON responses. Dev mode checks the Host header
    against loopback (the SDK's DNS-rebinding protection)."""
    return server.streamable_http_app(
        streamable_http_path=PATH,
        stateless_http=True,
        json_response=True,
        max_request_body_size=MAX_BODY,
        host="127.0.0.1" if dev else "0.0.0.0",  # noqa: S104 - no socket: a Host check
    )
