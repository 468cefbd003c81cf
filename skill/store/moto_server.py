"""A loopback moto server that handles one request at a time (tests and ``make moto``).

DynamoDB applies each request atomically; moto's server alone does not under concurrent
requests (its read-modify-write of ``ADD`` can interleave, and a transaction deep-copies
a table while another request changes it: "dictionary changed size during iteration").
A lock around moto's WSGI app makes the server as atomic as DynamoDB, so a concurrency
result is about the skill, not about moto. Dev only: moto is a dev dependency.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server


class SerialisedMotoServer(ThreadedMotoServer):
    """A ``ThreadedMotoServer`` whose WSGI app handles one request at a time.

    ``delay(operation, seconds)`` holds back the answer to the next request for
    ``operation`` (``"UpdateItem"``...) after moto has applied it, outside the lock: the
    write is done, its answer is late (a lost or slow response), and the client's retry
    is served meanwhile. ``seen`` counts the requests per operation."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self._lock = threading.Lock()
        self._delays: dict[str, list[float]] = {}
        self.seen: dict[str, int] = {}

    def delay(self, operation: str, seconds: float) -> None:
        with self._lock:
            self._delays.setdefault(operation, []).append(seconds)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).rpartition(".")[2]
        with self._lock:
            self.seen[operation] = self.seen.get(operation, 0) + 1
            body = b"".join(self._moto(environ, start_response))
            pending = self._delays.get(operation)
            late = pending.pop(0) if pending else 0.0
        if late:
            time.sleep(late)
        return [body]

    def _server_entry(self) -> None:
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._server = make_server(
            self._ip_address,
            self._port,
            self._app,
            True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()
