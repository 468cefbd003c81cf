"""Alexa+: the MCP server at /mcp, driven by the SDK's own client over real HTTP.

* dev mode through ``together serve --dev`` (gunicorn, the same address as /alexa): no
  token, the local household (the one ``together chat`` uses);
* production through the same WSGI app with tokens from a test issuer started on
  127.0.0.1 (``tests/oauth_issuer.py``, keys made per run): no token, a wrong audience,
  an expired or forged token is a 401 naming the metadata, never a tool call;
* every text argument reaches the same crisis screen: the tuned and held-out crisis sets
  through the tools in every locale (recall and false alarms);
* Hypothesis on tool arguments and raw bodies: never a 500, never a broken session.

What the tools said is asserted by the content keys in ``_meta["together/keys"]``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult, TextContent
from werkzeug.serving import make_server

from skill.constants import DEV_SALT, SIM_SKILL_ID
from skill.content import load, supported_locales, tool_texts
from skill.core import tools
from skill.core.turn import Services
from skill.mcp_server.server import KEYS_META, LOCAL_USER, ToolShell, zone_of
from skill.runtime import Settings
from skill.store import StoreError, hash_id
from skill.store.sqlite import SqliteStore
from skill.web.app import create_app
from tests.conftest import PROD_SALT
from tests.crisis_eval import read_set
from tests.helpers import serving_dev
from tests.oauth_issuer import OAuthIssuer

TOOL_NAMES = list(tools.TOOLS)
RESOURCE = "https://together.example/mcp"
AUDIENCE = "together-test"
METADATA = "/.well-known/oauth-protected-resource"
FIXTURES_OK = [HealthCheck.function_scoped_fixture]


def DECEMBER() -> datetime:
    return datetime(2026, 12, 1, 18, tzinfo=UTC)


def text_of(result: CallToolResult) -> str:
    block = result.content[0]
    assert isinstance(block, TextContent)
    return block.text


def keys(result: CallToolResult) -> list[str]:
    meta = result.meta or {}
    return list(meta.get(KEYS_META) or [])


def call(url: str, name: str, args: dict[str, Any], **kw: Any) -> CallToolResult:
    async def go() -> CallToolResult:
        async with _client(url, **kw) as client:
            return await client.call_tool(name, args, meta=kw.get("meta"))

    return asyncio.run(go())


@asynccontextmanager
async def _client(url: str, *, token: str | None = None, **_: Any) -> AsyncIterator[Client]:
    """The SDK's client over Streamable HTTP (with a bearer token when given)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    """A raw POST: status, headers, body (JSON when it is)."""
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Accept", "application/json, text/event-stream")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            status, got = response.status, response.headers
    except urllib.error.HTTPError as exc:
        raw, status, got = exc.read(), exc.code, exc.headers
    try:
        return status, got, json.loads(raw)
    except ValueError:
        return status, got, raw


def rpc(method: str, params: dict[str, Any] | None = None, ident: int = 1) -> bytes:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": ident, "method": method}
    if params is not None:
        body["params"] = params
    return json.dumps(body).encode()


INIT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {},
    "clientInfo": {"name": "test", "version": "1"},
}


# --- dev mode: together serve --dev ------------------------------------------------------
@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``together serve --dev`` on a new SQLite file: the URL of /mcp and the file."""
    with serving_dev(tmp_path_factory.mktemp("mcp_dev"), threads=4, store="dev.db") as (
        port,
        db,
        err,
    ):
        yield f"http://127.0.0.1:{port}/mcp", db
    log = err.read_text()
    assert "Traceback" not in log, log[-2000:]


def local_snapshot(db: Path) -> dict[str, Any]:
    store = SqliteStore(str(db))
    try:
        return dict(store.read(hash_id(LOCAL_USER, salt=DEV_SALT)).attrs)
    finally:
        store.close()


def test_initialize_and_tools_list(dev: tuple[str, Path]) -> None:
    url, _db = dev

    async def go() -> tuple[Any, Any, Any, Any]:
        async with _client(url) as client:
            info, capabilities = client.server_info, client.server_capabilities
            return info, capabilities, client.instructions, await client.list_tools()

    info, capabilities, instructions, listed = asyncio.run(go())
    assert info is not None and info.name == "resilient-together"
    assert "Pass what people say" in (instructions or "")
    assert capabilities.tools is not None
    got = {t.name: t for t in listed.tools}
    assert list(got) == TOOL_NAMES
    texts = tool_texts()
    for name, tool in got.items():
        assert tool.description == texts.tools[name].description
        assert tool.annotations is not None
        assert tool.annotations.destructive_hint is (name == "delete_household_data")
        assert tool.annotations.read_only_hint is (name in tools.READ_ONLY)
    assert got["breathe"].meta == {"ui": {"resourceUri": "ui://resilient-together/breathe.html"}}
    confirm = got["delete_household_data"].input_schema["properties"]["confirm"]
    assert confirm["type"] == "boolean"
    assert got["share_gratitude"].input_schema["properties"]["text"]["description"]


def test_the_breathing_view_is_an_mcp_app_resource(dev: tuple[str, Path]) -> None:
    url, _db = dev

    async def go() -> Any:
        async with _client(url) as client:
            listed = await client.list_resources()
            read = await client.read_resource("ui://resilient-together/breathe.html")
            return listed, read

    listed, read = asyncio.run(go())
    assert [str(r.uri) for r in listed.resources] == ["ui://resilient-together/breathe.html"]
    content = read.contents[0]
    assert content.mime_type == "text/html;profile=mcp-app"
    assert "<html" in content.text.lower()


def test_a_gratitude_is_saved_for_the_local_household(dev: tuple[str, Path]) -> None:
    url, db = dev
    before = local_snapshot(db).get("count.gratitude", 0)
    result = call(url, "share_gratitude", {"text": "um, my partner made me soup"})
    assert not result.is_error
    assert keys(result) == ["gratitude_reflect"]
    assert result.structured_content is not None
    assert result.structured_content["count"] == before + 1
    assert "your partner made you soup" in text_of(result).lower()  # said back to them
    assert local_snapshot(db)["count.gratitude"] == before + 1
    recalled = call(url, "recall", {"kind": "gratitudes"})
    assert keys(recalled) == ["recall_gratitudes"]
    assert recalled.structured_content is not None
    assert "um, my partner made me soup" in recalled.structured_content["entries"]["gratitude"]


def test_a_mind_change_keeps_only_the_words_they_meant(dev: tuple[str, Path]) -> None:
    url, _db = dev
    result = call(url, "celebrate_win", {"text": "the dishes, no actually, I went for a run"})
    assert result.structured_content is not None
    assert result.structured_content["saved"].lower() == "you went for a run"


def test_empty_words_get_the_question_and_nothing_is_saved(dev: tuple[str, Path]) -> None:
    url, db = dev
    before = local_snapshot(db)
    asked = call(url, "share_gratitude", {"text": "um"})
    assert keys(asked) == ["gratitude_ask"]
    assert call(url, "celebrate_win", {}).structured_content == {"saved": False}
    for declined in (
        "nope",
        "honestly? nothing. nothing today",
        "um, er, not sure",
        "dunno, nothing springs to mind, sorry",
        "don't save that",
    ):
        for tool in ("share_gratitude", "celebrate_win"):
            result = call(url, tool, {"text": declined})
            assert keys(result) == ["capture_declined"], (tool, declined, keys(result))
    assert local_snapshot(db) == before


def test_breathe_gives_the_whole_paced_exercise(dev: tuple[str, Path]) -> None:
    url, _db = dev
    result = call(url, "breathe", {"pattern": "the square one", "minutes": 1})
    data = result.structured_content
    assert data is not None
    pattern = load().breathing.patterns["box"]
    assert data["pattern"] == "box"
    assert [(p["phase"], p["seconds"]) for p in data["phases"]] == list(pattern.phases)
    assert data["cycles"] * pattern.cycle_seconds == pytest.approx(60, abs=pattern.cycle_seconds)
    spoken = keys(result)
    assert spoken[0] == "breathe_intro" and spoken[-1] == "breathe_done"
    assert "[" in text_of(result)  # the pauses, written as [n s]
    longer = call(url, "breathe", {"minutes": 30})
    assert "breathe_minutes_adjusted" in keys(longer)
    assert longer.structured_content is not None
    assert longer.structured_content["pattern"] == load().breathing.default
    assert longer.structured_content["seconds"] == load().breathing.max_minutes * 60
    zero = call(url, "breathe", {"minutes": 0})  # nothing asked: the default length
    assert zero.structured_content is not None and not zero.is_error
    assert zero.structured_content["seconds"] == load().breathing.default_minutes * 60
    assert "breathe_minutes_adjusted" not in keys(zero)
    ninety = call(url, "breathe", {"pattern": "four_seven_eight", "minutes": 1.5})
    assert ninety.structured_content is not None
    assert ninety.structured_content["seconds"] == 90
    assert ninety.structured_content["pattern"] == "four_seven_eight"
    unknown = call(url, "breathe", {"pattern": "the humming bee one"})
    assert keys(unknown)[0] == "breathe_pattern_unknown"  # said, not swapped silently
    assert unknown.structured_content is not None
    assert unknown.structured_content["pattern"] == load().breathing.default
    assert call(url, "breathe", {"minutes": "five"}).is_error  # not a number: the schema


def test_progress_and_reflections(dev: tuple[str, Path]) -> None:
    url, _db = dev
    first = call(url, "todays_reflection", {})
    assert keys(first)[0] in ("reflection_today", "reflection_again")
    again = call(url, "todays_reflection", {})
    assert keys(again)[0] == "reflection_again"
    assert first.structured_content is not None and again.structured_content is not None
    assert again.structured_content["prompt"] == first.structured_content["prompt"]
    other = call(url, "another_reflection", {})
    assert keys(other)[0] in ("reflection_another", "reflection_enough")
    progress = call(url, "progress", {})
    assert progress.structured_content is not None
    assert progress.structured_content["counts"]["reflection"] >= 1
    assert set(progress.structured_content["week"]) == {"breathe", "gratitude", "win", "reflection"}
    assert keys(call(url, "find_help", {})) == ["find_help_lead", "find_help"]


def test_a_crisis_in_any_text_argument_gets_the_line_and_nothing_is_stored(
    dev: tuple[str, Path],
) -> None:
    url, db = dev
    before = local_snapshot(db)
    for name, args in [
        ("share_gratitude", {"text": "grateful for nothing, i just want to end it all"}),
        ("celebrate_win", {"text": "my win is i wrote the note for when i kill myself"}),
        ("breathe", {"pattern": "i took all my pills"}),
    ]:
        result = call(url, name, args)
        assert keys(result)[0] in ("crisis", "crisis_urgent"), (name, keys(result))
        assert result.structured_content is not None
        assert result.structured_content["crisis"] is True
        assert "988" in text_of(result)
    assert local_snapshot(db) == before


def test_the_locale_comes_from_the_request(dev: tuple[str, Path]) -> None:
    url, _db = dev
    text = "i don't want to be alive anymore"
    gb = call(url, "share_gratitude", {"text": text}, meta={"locale": "en-GB"})
    assert gb.structured_content is not None
    assert gb.structured_content["helpline"] == load("en-GB").helpline_text
    au = call(url, "find_help", {}, meta={"locale": "en_au"})
    assert au.structured_content is not None
    assert au.structured_content["helpline"] == load("en-AU").helpline_text
    status, _h, body = post(
        url,
        rpc("tools/call", {"name": "find_help", "arguments": {}}),
        {"Accept-Language": "fr-FR, en-IN;q=0.8"},
    )
    assert status == 200
    assert body["result"]["structuredContent"]["helpline"] == load("en-IN").helpline_text
    unknown = call(url, "find_help", {}, meta={"locale": "xx-YY"})
    assert unknown.structured_content is not None
    assert unknown.structured_content["helpline"] == load("en-US").helpline_text


def test_delete_needs_an_explicit_true(dev: tuple[str, Path]) -> None:
    url, db = dev
    call(url, "share_gratitude", {"text": "the sunshine this morning"})
    before = local_snapshot(db)
    assert keys(call(url, "delete_household_data", {})) == ["delete_confirm"]
    for almost in ("yes", "true", 1, "1", None, [True], {"confirm": True}):
        # not the JSON true: the question again, and nothing erased
        assert keys(call(url, "delete_household_data", {"confirm": almost})) == ["delete_confirm"]
    assert local_snapshot(db) == before
    done = call(url, "delete_household_data", {"confirm": True})
    assert keys(done) == ["delete_done"]
    assert local_snapshot(db) == {}


def test_an_older_protocol_version_is_negotiated(dev: tuple[str, Path]) -> None:
    """Amazon's lifecycle page shows Alexa+ initialising with 2025-03-26."""
    url, _db = dev
    status, _h, body = post(url, rpc("initialize", {**INIT, "protocolVersion": "2025-03-26"}))
    assert status == 200
    assert body["result"]["protocolVersion"] in ("2025-03-26", "2025-06-18", "2025-11-25")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"{}",
        b'{"jsonrpc": "2.0"}',
        b"\xff\xfe",
        b'{"jsonrpc":"2.0","id":1}',
    ],
)
def test_malformed_bodies_get_a_4xx_or_an_rpc_error(dev: tuple[str, Path], body: bytes) -> None:
    url, _db = dev
    status, headers, answer = post(url, body)
    assert status < 500, (status, answer)
    assert headers.get("X-Content-Type-Options") == "nosniff"
    if status == 200:
        assert "error" in answer


def test_a_huge_body_is_refused(dev: tuple[str, Path]) -> None:
    url, _db = dev
    big = rpc("tools/call", {"name": "share_gratitude", "arguments": {"text": "x" * 400_000}})
    status, _h, _b = post(url, big)
    assert status == 413


ARGS = st.dictionaries(
    st.sampled_from(["text", "pattern", "minutes", "kind", "confirm", "extra"]),
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.floats(allow_nan=False),
        st.text(max_size=60),
        st.lists(st.text(max_size=5), max_size=3),
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES_OK)
@given(
    calls=st.lists(st.tuples(st.sampled_from([*TOOL_NAMES, "nope"]), ARGS), min_size=1, max_size=4)
)
def test_any_arguments_answer_and_the_session_holds(
    dev: tuple[str, Path], calls: list[tuple[str, dict[str, Any]]]
) -> None:
    url, _db = dev

    async def go() -> None:
        async with _client(url) as client:
            for name, args in calls:
                if name == "delete_household_data" and args.get("confirm") is True:
                    args = {**args, "confirm": False}  # the household stays for the next
                result = await client.call_tool(name, args)
                assert result.content, (name, args)
                if not result.is_error:
                    assert keys(result), (name, args)
            listed = await client.list_tools()
            assert [t.name for t in listed.tools] == TOOL_NAMES

    asyncio.run(go())


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(
    params=st.one_of(
        st.none(),
        st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=8), st.integers())),
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(TOOL_NAMES),
                "arguments": st.one_of(st.text(), st.integers(), ARGS),
            }
        ),
    ),
    method=st.sampled_from(["tools/call", "tools/list", "initialize", "resources/read", "x"]),
)
def test_raw_json_rpc_never_a_500(
    dev: tuple[str, Path], params: dict[str, Any] | None, method: str
) -> None:
    url, _db = dev
    status, _h, answer = post(url, rpc(method, params))
    assert status < 500, (status, answer)


# --- the same screen, every statement of the crisis sets ----------------------------------
# Said, and what they mean, but nothing in the words alone says danger (as on classic
# Alexa: tests/test_crisis_sets.py KNOWN_MISSES).
KNOWN_MISSES = {"i've started again"}


@pytest.mark.parametrize("locale", supported_locales())
@pytest.mark.parametrize("name", ["tune.tsv", "tune2.tsv", "holdout5.tsv", "ordinary_stress.tsv"])
def test_the_crisis_sets_through_the_tools(tmp_path: Path, locale: str, name: str) -> None:
    """Recall 100% and no false alarm through a text argument, as in the voice's places."""
    store = SqliteStore(str(tmp_path / "c.db"))
    shell = ToolShell(Services(store=store, clock=DECEMBER), dev=True)
    missed, alarmed = [], []
    for statement in read_set(name):
        turn = shell.turn("amzn1.ask.account.crisis", locale, "share_gratitude", (statement.text,))
        tools.share_gratitude(turn, statement.text)
        crisis = bool({"crisis", "crisis_urgent"} & set(turn.voice.spoken))
        if statement.expect == "crisis" and not crisis and statement.text not in KNOWN_MISSES:
            missed.append(statement.text)
        if statement.expect != "crisis" and crisis:
            alarmed.append(statement.text)
    assert not missed and not alarmed, (missed, alarmed)
    assert store.read(hash_id("amzn1.ask.account.crisis", salt=DEV_SALT)).int("count.gratitude") < (
        len(read_set(name))
    )
    store.close()


class BrokenStore(SqliteStore):
    def apply(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreError("the disk is full")


def test_a_store_fault_is_the_spoken_apology(tmp_path: Path) -> None:
    store = BrokenStore(str(tmp_path / "b.db"))
    shell = ToolShell(Services(store=store, clock=DECEMBER), dev=True)

    ctx = SimpleNamespace(
        headers={}, request_context=SimpleNamespace(params={"_meta": {"locale": "en-GB"}})
    )
    result = shell.run("share_gratitude", cast(Any, ctx), lambda t: tools.share_gratitude(t, "tea"))
    assert result.is_error
    assert (result.meta or {})[KEYS_META] == ["store_error"]
    store.close()


# --- production: tokens from a test issuer ------------------------------------------------
@pytest.fixture(scope="module")
def issuer() -> Iterator[OAuthIssuer]:
    with OAuthIssuer() as running:
        yield running


@pytest.fixture(scope="module")
def prod(
    issuer: OAuthIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    """The production WSGI app (verification on) served on 127.0.0.1 in a thread."""
    db = tmp_path_factory.mktemp("mcp_prod") / "prod.db"
    settings = Settings(
        store_url=f"sqlite:///{db}",
        skill_id=SIM_SKILL_ID,
        dev=False,
        salt=PROD_SALT,
        mcp_issuer=issuer.issuer,
        mcp_audiences=(AUDIENCE, "cognito-client-id"),
        mcp_resource=RESOURCE,
        mcp_authorization_server="https://together.example",
        mcp_authorize_url="https://login.example/oauth2/authorize",
        mcp_token_url="https://login.example/oauth2/token",
    )
    server = make_server("127.0.0.1", 0, create_app(settings), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/mcp", db
    finally:
        server.shutdown()
        thread.join(timeout=10)


def household_of(db: Path, issuer: OAuthIssuer, subject: str) -> dict[str, Any]:
    store = SqliteStore(str(db))
    try:
        key = hash_id(f"oauth|{issuer.issuer}|{subject}", salt=PROD_SALT)
        return dict(store.read(key).attrs)
    finally:
        store.close()


def test_no_token_is_a_401_naming_the_metadata(prod: tuple[str, Path], issuer: OAuthIssuer) -> None:
    url, _db = prod
    status, headers, _b = post(url, rpc("initialize", INIT))
    assert status == 401
    challenge = headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer")
    assert (
        'resource_metadata="https://together.example/.well-known/oauth-protected-resource/mcp"'
        in (challenge)
    )
    base = url.removesuffix("/mcp")
    for path in (
        "/.well-known/oauth-protected-resource",
        "/.well-known/oauth-protected-resource/mcp",
    ):
        with urllib.request.urlopen(base + path, timeout=5) as response:
            meta = json.loads(response.read())
        assert meta["resource"] == RESOURCE
        assert meta["authorization_servers"] in (
            ["https://together.example"],
            ["https://together.example/"],
        )
    # RFC 8414 metadata for an issuer without its own (Cognito), served here
    with urllib.request.urlopen(base + "/.well-known/oauth-authorization-server") as response:
        server = json.loads(response.read())
    assert server["issuer"] == "https://together.example"
    assert server["authorization_endpoint"] == "https://login.example/oauth2/authorize"
    assert server["token_endpoint"] == "https://login.example/oauth2/token"
    assert server["jwks_uri"] == issuer.issuer + "/.well-known/jwks.json"
    assert server["code_challenge_methods_supported"] == ["S256"]
    assert "client_credentials" in server["grant_types_supported"]


def test_bad_tokens_are_refused_before_any_tool_runs(
    prod: tuple[str, Path], issuer: OAuthIssuer
) -> None:
    url, db = prod
    bad = {
        "wrong audience": issuer.token("h-bad", aud="someone-else"),
        "expired": issuer.token("h-bad", expires_in=-3600),
        "forged": issuer.forged("h-bad"),
        "alg none": issuer.token("h-bad", alg="none"),
        "garbage": "not.a.token",
    }
    body = rpc("tools/call", {"name": "share_gratitude", "arguments": {"text": "tea"}})
    for why, token in bad.items():
        status, headers, _b = post(url, body, {"Authorization": f"Bearer {token}"})
        assert status == 401, why
        assert "resource_metadata=" in headers.get("WWW-Authenticate", ""), why
    assert household_of(db, issuer, "h-bad") == {}


def test_a_valid_token_is_its_own_household(prod: tuple[str, Path], issuer: OAuthIssuer) -> None:
    url, db = prod
    ada = issuer.token("ada")
    bo = issuer.token("bo", alg="ES256")
    cognito_style = issuer.token("cy", aud=None, claims={"client_id": "cognito-client-id"})
    assert not call(url, "share_gratitude", {"text": "our walk"}, token=ada).is_error
    assert not call(url, "celebrate_win", {"text": "I called my sister"}, token=bo).is_error
    assert not call(url, "share_gratitude", {"text": "the rain"}, token=cognito_style).is_error
    assert household_of(db, issuer, "ada")["count.gratitude"] == 1
    assert "count.win" not in household_of(db, issuer, "ada")
    assert household_of(db, issuer, "bo")["count.win"] == 1
    assert household_of(db, issuer, "cy")["count.gratitude"] == 1
    recalled = call(url, "recall", {}, token=bo)
    assert recalled.structured_content is not None
    assert recalled.structured_content["entries"] == {
        "gratitude": [],
        "win": ["I called my sister"],
    }


def test_the_alexa_path_is_untouched_by_mcp(prod: tuple[str, Path]) -> None:
    url, _db = prod
    status, _h, body = post(url.removesuffix("/mcp") + "/alexa", b"{}")
    assert status == 400  # the verifier, not the MCP server, answered
    assert body["error"]


def test_together_tools_from_a_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``together tools``: in-process, on a store file, as the local household."""
    from skill.cli import main

    store = f"sqlite:///{tmp_path / 't.db'}"
    assert main(["tools", "--store", store]) == 0
    assert [line.split("(")[0] for line in capsys.readouterr().out.splitlines()] == TOOL_NAMES
    assert main(["tools", "--store", store, "share_gratitude", "text=tea with my mum"]) == 0
    assert "(keys: gratitude_reflect)" in capsys.readouterr().out
    assert main(["tools", "--store", store, "--json", "--locale", "en-GB", "progress"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["keys"] == ["progress_summary_no_streak"]
    assert answer["data"]["counts"]["gratitude"] == 1
    assert main(["tools", "--store", store, "delete_household_data", "confirm=yes"]) == 0
    assert "(keys: delete_confirm)" in capsys.readouterr().out  # asked, nothing erased
    assert main(["tools", "--store", store, "breathe", "minutes=five"]) == 1
    assert "error" in capsys.readouterr().out
    assert main(["tools", "--store", store, "--json", "recall"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["entries"]["gratitude"] == [
        "tea with my mum"
    ]
    assert main(["tools", "--store", store, "share_gratitude", "not-a-pair"]) == 2


def test_today_is_the_household_s_day_when_the_host_gives_its_zone(tmp_path: Path) -> None:
    """_meta.timezone: "today" in the household's zone; an unknown zone is ignored (the
    locale's zone, as for an Echo without one)."""
    store = SqliteStore(str(tmp_path / "z.db"))
    shell = ToolShell(
        Services(store=store, clock=lambda: datetime(2026, 12, 1, 12, tzinfo=UTC)), dev=True
    )

    def today(meta: dict[str, Any]) -> Any:
        ctx = cast(
            Any,
            SimpleNamespace(headers={}, request_context=SimpleNamespace(params={"_meta": meta})),
        )
        return shell.turn(LOCAL_USER, "en-US", "progress", (), zone=zone_of(ctx)).today

    assert today({"timezone": "Pacific/Kiritimati"}).isoformat() == "2026-12-02"
    assert today({"timezone": "Pacific/Pago_Pago"}).isoformat() == "2026-12-01"
    assert today({"timezone": "Not/AZone"}) == today({})  # the locale's zone
    assert today({"timezone": 7}) == today({})
    store.close()


def test_dev_mode_answers_mcp_only_on_loopback(tmp_path: Path) -> None:
    """No token in dev mode, so a client from elsewhere is refused (403) before the SDK,
    however the server was bound."""
    from werkzeug.test import Client as WsgiClient

    app = create_app(Settings(store_url=f"sqlite:///{tmp_path / 'd.db'}", dev=True))
    client = WsgiClient(app)
    body = rpc("tools/list")
    headers = {"Accept": "application/json, text/event-stream", "Host": "127.0.0.1:8000"}
    far = client.post(
        "/mcp", data=body, headers=headers, content_type="application/json",
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )  # fmt: skip
    assert far.status_code == 403
    near = client.post(
        "/mcp", data=body, headers=headers, content_type="application/json",
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )  # fmt: skip
    assert near.status_code == 200
    assert [t["name"] for t in near.get_json()["result"]["tools"]] == TOOL_NAMES


def test_text_over_the_slot_limit_is_refused_not_cut(dev: tuple[str, Path]) -> None:
    """Screened whole up to the limit; longer is a tool error, never clipped (crisis words
    at the end of a long text must not fall off unheard)."""
    url, db = dev
    before = local_snapshot(db)
    long = "we had a lovely walk by the river " * 40  # 1,360 characters
    refused = call(url, "share_gratitude", {"text": long + " and i want to kill myself"})
    assert refused.is_error and "1000" in text_of(refused)
    assert local_snapshot(db) == before
    edge = ("x" * 980) + " i want to die"
    assert keys(call(url, "celebrate_win", {"text": edge[:1000]}))[0] in ("crisis", "crisis_urgent")


def test_dev_mode_is_the_household_together_chat_uses() -> None:
    from skill.sim.envelope import Device

    assert Device().user_id == LOCAL_USER


def test_check_in_brings_how_someone_is_to_the_screen(dev: tuple[str, Path]) -> None:
    """On Alexa+ the assistant picks the tool: words that are not a practice reach the
    screen through check_in. Nothing is stored."""
    url, db = dev
    before = local_snapshot(db)
    said = {
        "i don't want to be here anymore": {"crisis", "crisis_urgent"},
        "i'm not coping, everything is too much": {"support"},
        "long day, we're knackered": {"weary"},
        "we're alright, just checking in": {"check_in_heard"},
    }
    for text, expected in said.items():
        got = keys(call(url, "check_in", {"text": text}, meta={"locale": "en-GB"}))
        assert got and got[0] in expected, (text, got)
    assert local_snapshot(db) == before


def test_a_mind_change_is_not_saved_and_names_what_they_wanted(dev: tuple[str, Path]) -> None:
    url, db = dev
    before = local_snapshot(db)
    switched = call(
        url, "share_gratitude", {"text": "a gratitude, wait no, actually, can we do a win instead"}
    )
    assert keys(switched) == ["capture_changed"]
    assert switched.structured_content == {"saved": False, "instead": "celebrate_win"}
    taken_back = call(url, "celebrate_win", {"text": "he slept, wait, no, he didn't, forget it"})
    assert keys(taken_back) == ["capture_changed"]
    assert keys(call(url, "share_gratitude", {"text": "idk"})) == ["gratitude_ask"]
    assert local_snapshot(db) == before
