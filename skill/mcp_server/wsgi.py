"""/mcp inside the WSGI app that serves /alexa: one process, one address, every shell.

``together serve`` (gunicorn's threaded workers), the container and Lambda (apig-wsgi)
all run one WSGI app. :class:`McpRoute` sends /mcp and the OAuth protected-resource
metadata to the MCP server's ASGI app through a2wsgi (an event loop on one thread of
the worker; the tools' store calls run on its thread pool), and everything else on to
the app it wraps, untouched: the Alexa path pays one string comparison.

The MCP server is built on the first request that needs it (the Alexa path's cold
start does not import the SDK), and its lifespan (the SDK's session manager) is run on
the loop once, for the life of the worker.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from skill.web.alexa import SECURITY_HEADERS

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from starlette.applications import Starlette

log = logging.getLogger("skill.mcp")

PREFIXES = (
    "/mcp",
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-authorization-server",
)
START_TIMEOUT_S = 10.0


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def is_mcp_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PREFIXES)


class McpRoute:
    """WSGI middleware: MCP paths to the ASGI app ``build()`` makes, the rest to ``app``."""

    def __init__(
        self, app: WSGIApplication, build: Callable[[], Starlette], *, loopback_only: bool = False
    ) -> None:
        self.app = app
        self._build = build
        # Dev mode (no token): answered only for a client on this machine, whatever the
        # server was bound to (gunicorn run by hand with TOGETHER_DEV, say).
        self.loopback_only = loopback_only
        self._lock = threading.Lock()
        self._wsgi: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not is_mcp_path(environ.get("PATH_INFO") or ""):
            return self.app(environ, start_response)
        if self.loopback_only and not _loopback(environ.get("REMOTE_ADDR") or ""):
            log.warning("mcp refused reason=dev_mode_not_loopback")
            body = b'{"error": "forbidden", "message": "dev mode answers only on loopback"}'
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            start_response("403 Forbidden", [*headers, *SECURITY_HEADERS.items()])
            return [body]
        mcp = self._wsgi or self._start()

        def secured(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            names = {name.lower() for name, _ in headers}
            extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k.lower() not in names]
            return start_response(status, headers + extra, *rest)

        return mcp(environ, secured)

    def _start(self) -> WSGIApplication:
        with self._lock:
            if self._wsgi is not None:
                return self._wsgi
            import asyncio

            from a2wsgi import ASGIMiddleware

            asgi = self._build()
            bridge = ASGIMiddleware(asgi)  # type: ignore[arg-type]
            started = threading.Event()
            failed: list[BaseException] = []
            asyncio.run_coroutine_threadsafe(_lifespan(asgi, started, failed), bridge.loop)
            if not started.wait(START_TIMEOUT_S) or failed:
                raise RuntimeError("the MCP server did not start") from (
                    failed[0] if failed else None
                )
            self._wsgi = bridge  # type: ignore[assignment]
            log.info("mcp server started")
            return bridge  # type: ignore[return-value]


async def _lifespan(asgi: Starlette, started: threading.Event, failed: list[BaseException]) -> None:
    """Enter the app's lifespan (the SDK's session manager) and stay in it."""
    import asyncio

    try:
        async with asgi.router.lifespan_context(asgi):
            started.set()
            await asyncio.Event().wait()
    except BaseException as exc:
        failed.append(exc)
        started.set()
        raise
