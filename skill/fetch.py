"""Bounded downloads for the shells: the Alexa signing certificate (``skill/web/verify``)
and an OAuth issuer's keys (``skill/mcp_server/auth``). No redirects, a byte limit, and an
overall deadline that a server trickling its answer cannot stretch (each socket operation
waits at most the time left)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import Any


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the validated URL is the only URL downloaded."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def socket_of(response: Any) -> Any:
    """The socket under an http.client response (None for anything else)."""
    raw = getattr(getattr(response, "fp", None), "raw", None)
    sock = getattr(raw, "_sock", None)
    return sock if hasattr(sock, "settimeout") else None


def read_bounded(
    response: Any,
    *,
    deadline: float,
    limit: int,
    too_slow: Callable[[], Exception],
    per_read: float | None = None,
) -> bytes:
    """The body of ``response``, read in chunks against ``deadline`` (``time.monotonic``),
    each socket read waiting at most the time left (and ``per_read``); at most ``limit``
    + 1 bytes, so the caller sees when it was too large. ``too_slow()`` is raised at the
    deadline."""
    sock = socket_of(response)
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        left = deadline - time.monotonic()
        if left <= 0:
            raise too_slow()
        if sock is not None:
            sock.settimeout(min(left, per_read) if per_read is not None else left)
        chunk = response.read1(limit + 1 - size)
        if not isinstance(chunk, bytes):
            raise TypeError("the response gave no bytes")
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
