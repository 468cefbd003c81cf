"""Asserting what the skill said by content key, not by wording (variants differ); a free
port and a dev server for tests that go over HTTP."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from skill import models
from skill.constants import DEV_SALT
from skill.content import load
from skill.sim import script
from skill.sim.nlu import Parse
from skill.store.base import hash_id


def spoke(ssml: str | None, key: str, locale: str = "en-US") -> bool:
    """True when ``ssml`` contains one of the variants of ``key`` (as dialog scripts
    judge it: :func:`skill.sim.script.spoke`)."""
    return script.spoke(ssml, key, locale)


def keys_spoken(ssml: str | None, keys: list[str], locale: str = "en-US") -> list[str]:
    return [k for k in keys if spoke(ssml, k, locale)]


def answered_as(parse: Parse, locale: str = "en-US") -> str:
    """What the skill will make of a parse (``skill.models.answered_as``)."""
    content = load(locale)
    return models.answered_as(
        parse.intent, (f.value for f in parse.slots.values()), content.screen, content
    )


def free_port() -> int:
    """A port free on 127.0.0.1 now (for a server a test or the bench starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def household_key(name: str = "test") -> str:
    """The store key of the simulated account ``amzn1.ask.account.<name>`` (dev salt)."""
    return hash_id(f"amzn1.ask.account.{name}", salt=DEV_SALT)


@contextlib.contextmanager
def serving_dev(
    tmp: Path, *, threads: int, store: str = "g.db"
) -> Iterator[tuple[int, Path, Path]]:
    """``together serve --dev`` (gunicorn, one worker) on a free loopback port with a new
    SQLite file, until the block ends: the port, the store file and the stderr log."""
    port = free_port()
    db = tmp / store
    err = tmp / "stderr.log"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "skill", "serve", "--dev", "--port", str(port),
             "--workers", "1", "--threads", str(threads), "--store", f"sqlite:///{db}"],
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.2)
            yield port, db, err
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
