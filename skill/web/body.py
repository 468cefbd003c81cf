"""Reading a request body under an overall deadline, so a slow client cannot pin a thread.

Under gunicorn's threaded worker each request holds a thread while its body is read, and
a socket timeout is per ``recv``: a client that trickles one byte a second keeps a
thread for as long as it likes (12 such connections made ``/healthz`` unanswerable).
So the body is read with an overall deadline (:data:`BODY_DEADLINE_S`): one watchdog
thread per process shuts the read side of the socket of any request still reading when
its deadline passes; the read then ends, and the request is answered 408 and closed.

Alexa's requests are a few KB sent at once; 2 s is far more than any of them needs.
Headers are gunicorn's to read before the app runs; a container also needs a buffering
proxy in front (any TLS terminator Alexa accepts: nginx with its default
``proxy_request_buffering on`` and ``client_header_timeout``, an ALB, API Gateway)
so a client trickling headers never reaches a worker (see docs/PERFORMANCE.md).
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from typing import IO, Any

from skill.errors import TogetherError

BODY_DEADLINE_S = 2.0
_CHUNK = 64 * 1024


class BodyError(TogetherError):
    """The body could not be read: ``status`` 400 (malformed), 408 (too slow), 413."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Watchdog:
    """One thread that shuts the read side of sockets whose deadline has passed.

    It looks every :data:`TICK_S` (a deadline is kept to within that), so a request
    costs a heap push and a dict entry, never a wake-up of the thread: waking it per
    request cost more CPU than the rest of the body read."""

    TICK_S = 0.25

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._socks: dict[int, socket.socket] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        with self._lock:
            while True:
                if not self._heap:
                    self._lock.wait()  # idle: woken by the next guard
                    continue
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _due, token = heapq.heappop(self._heap)
                    sock = self._socks.pop(token, None)
                    if sock is not None:
                        with suppress(OSError):
                            sock.shutdown(socket.SHUT_RD)
                self._lock.wait(self.TICK_S)

    @contextmanager
    def guard(self, sock: socket.socket, seconds: float) -> Iterator[None]:
        token = next(self._ids)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="body-deadline", daemon=True)
                self._thread.start()
            self._socks[token] = sock
            idle = not self._heap
            heapq.heappush(self._heap, (time.monotonic() + seconds, token))
            if idle:
                self._lock.notify()
        try:
            yield
        finally:
            with self._lock:
                self._socks.pop(token, None)


_WATCHDOG = Watchdog()


def read_body(
    environ: dict[str, Any], stream: IO[bytes], *, limit: int, deadline_s: float = BODY_DEADLINE_S
) -> bytes:
    """The whole body (at most ``limit`` bytes), read within ``deadline_s`` seconds."""
    sock = environ.get("gunicorn.socket")
    started = time.monotonic()
    chunks: list[bytes] = []
    size = 0
    guarded = isinstance(sock, socket.socket)
    try:
        with (
            _WATCHDOG.guard(sock, deadline_s) if isinstance(sock, socket.socket) else nullcontext()
        ):
            while True:
                chunk = stream.read(min(_CHUNK, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    raise BodyError(413, "body_too_large", "request body too large")
    except BodyError:
        raise
    except Exception as exc:  # gunicorn's InvalidChunkSize, NoMoreData, a reset...
        # (a body shorter than its Content-Length ends here too: the caller's
        # LimitedStream raises ClientDisconnected)
        if time.monotonic() - started >= deadline_s:
            raise BodyError(408, "body_timeout", "request body not received in time") from exc
        raise BodyError(400, "body_unreadable", "request body could not be read") from exc
    if guarded and time.monotonic() - started >= deadline_s:
        raise BodyError(408, "body_timeout", "request body not received in time")
    return b"".join(chunks)
