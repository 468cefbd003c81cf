"""``together tools``: the Alexa+ tools driven from a terminal, with the SDK's own client.

In-process by default (the MCP server over the store ``--store`` names, as the local
household, like ``together say``), or over HTTP to a running server (``--url``, with
``--token`` in production). Arguments are ``key=value``; a value that reads as JSON
(``true``, ``3``) is that value, anything else is text.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TextIO, cast

from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.types import CallToolResult, TextContent

from skill.mcp_server.server import KEYS_META, build_server
from skill.runtime import Settings, build_skill


class ToolArgumentError(ValueError):
    """A ``key=value`` argument that is not one."""


def parse_arguments(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ToolArgumentError(f"arguments are key=value, not {pair!r}")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def run(
    name: str | None,
    arguments: dict[str, Any],
    *,
    url: str | None,
    token: str | None,
    locale: str | None,
    zone: str | None,
    store_url: str | None,
    clock: Callable[[], datetime],
    as_json: bool,
    out: TextIO,
) -> int:
    """List the tools (no ``name``), or call one and print what it answered."""
    return asyncio.run(
        _run(name, arguments, url, token, locale, zone, store_url, clock, as_json=as_json, out=out)
    )


async def _run(
    name: str | None,
    arguments: dict[str, Any],
    url: str | None,
    token: str | None,
    locale: str | None,
    zone: str | None,
    store_url: str | None,
    clock: Callable[[], datetime],
    *,
    as_json: bool,
    out: TextIO,
) -> int:
    meta = {k: v for k, v in (("locale", locale), ("timezone", zone)) if v} or None
    if url:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with (
            create_mcp_http_client(headers=headers) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):
            return await _use(client, name, arguments, meta, as_json=as_json, out=out)
    skill = build_skill(Settings.from_env(store_url=store_url), clock=clock)
    try:
        async with Client(build_server(skill.services, dev=True)) as client:
            return await _use(client, name, arguments, meta, as_json=as_json, out=out)
    finally:
        skill.services.store.close()


async def _use(
    client: Client,
    name: str | None,
    arguments: dict[str, Any],
    meta: dict[str, Any] | None,
    *,
    as_json: bool,
    out: TextIO,
) -> int:
    if name is None:
        listed = await client.list_tools()
        for tool in listed.tools:
            args = ", ".join((tool.input_schema.get("properties") or {}).keys())
            print(f"{tool.name}({args}): {tool.title or ''}", file=out)
        return 0
    result = await client.call_tool(name, arguments, meta=cast(Any, meta))
    if as_json:
        print(json.dumps(_as_dict(result), ensure_ascii=False), file=out)
    else:
        print(_text(result), file=out)
        spoken = ", ".join((result.meta or {}).get(KEYS_META) or [])
        print(f"  ({'error; ' if result.is_error else ''}keys: {spoken or '-'})", file=out)
    return 1 if result.is_error else 0


def _text(result: CallToolResult) -> str:
    return "\n".join(b.text for b in result.content if isinstance(b, TextContent))


def _as_dict(result: CallToolResult) -> dict[str, Any]:
    return {
        "text": _text(result),
        "is_error": bool(result.is_error),
        "keys": list((result.meta or {}).get(KEYS_META) or []),
        "data": result.structured_content,
    }
