"""A fake Alexa API on 127.0.0.1 for tests: the reminders API and the settings API's time
zone, as plain http (the skill's API client allows http to loopback only when told to).

Every request is recorded (method, path, Authorization header, JSON body). Answers are
the API's usual ones: a create returns a new ``alertToken``; an update or delete of a
token it never gave is 404. ``fail(status, times=1)`` makes the next calls answer that
status (401, 403, 429, 5xx) with the API's error body; ``delay`` holds every answer
(to test the client's timeout).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REMINDERS = "/v1/alerts/reminders"


@dataclass
class Call:
    method: str
    path: str
    authorization: str | None
    body: Any


@dataclass
class FakeAlexaApi:
    zone: str = "Europe/London"
    calls: list[Call] = field(default_factory=list)
    reminders: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0
    _failures: list[int] = field(default_factory=list)
    _next: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def reminder_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(REMINDERS)]

    def start(self) -> FakeAlexaApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                status, out = api.handle(
                    self.command, self.path, self.headers.get("Authorization"), body
                )
                if api.delay:
                    time.sleep(api.delay)
                data = json.dumps(out).encode() if out is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def handle(
        self, method: str, path: str, authorization: str | None, body: Any
    ) -> tuple[int, Any]:
        with self._lock:
            self.calls.append(Call(method, path, authorization, body))
            if path.endswith("/settings/System.timeZone"):
                return 200, self.zone
            if self._failures:
                status = self._failures.pop(0)
                return status, {"code": f"ERROR_{status}", "message": "fake failure"}
            if method == "POST" and path == REMINDERS:
                token = f"token-{self._next}"
                self._next += 1
                self.reminders[token] = body
                return 200, {"alertToken": token, "status": "ON", "version": "1"}
            token = path[len(REMINDERS) + 1 :] if path.startswith(REMINDERS + "/") else ""
            if token not in self.reminders:
                return 404, {"code": "NOT_FOUND", "message": "no such reminder"}
            if method == "PUT":
                self.reminders[token] = body
                return 200, {"alertToken": token, "status": "ON", "version": "2"}
            if method == "DELETE":
                del self.reminders[token]
                return 200, None
            return 405, {"code": "METHOD_NOT_ALLOWED", "message": method}
