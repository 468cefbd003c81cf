"""Every HouseholdStore backend the contract suite runs on (fixture helpers).

* ``sqlite``: a SQLite file in the test's tmp dir;
* ``moto``: DynamoDB on moto in-process (``mock_aws``: no socket at all);
* ``moto-server``: DynamoDB through a :class:`SerialisedMotoServer` on 127.0.0.1 (a
  random port), over real HTTP with the production client configuration. It handles one
  request at a time (a lock around moto's WSGI app), as DynamoDB applies each request
  atomically; moto alone is not atomic under concurrent requests (an ``ADD`` can be
  lost, a transaction can raise "dictionary changed size during iteration"), so without
  the lock concurrency tests would pass or fail by chance instead of by the skill.

A :class:`Spec` is picklable, so a spawned process can open the same store (SQLite and
moto-server only: moto in-process lives in one process). Nothing here can reach AWS:
tests/conftest.py sets fake credentials and a region, and the DynamoDB clients either
run under ``mock_aws`` or point at the loopback server.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from moto.core.responses import BaseResponse

from skill.store.base import HouseholdStore
from skill.store.dynamodb import DynamoStore, create_table, make_client
from skill.store.moto_server import SerialisedMotoServer
from skill.store.sqlite import SqliteStore

BACKENDS = ("sqlite", "moto", "moto-server")
DYNAMO_BACKENDS = ("moto", "moto-server")


@dataclass(frozen=True)
class Spec:
    """How to open one backend's store (again, in another thread or process)."""

    backend: str
    path: str = ""  # sqlite
    table: str = ""  # dynamodb
    endpoint: str | None = None  # moto-server

    def open(self) -> HouseholdStore:
        if self.backend == "sqlite":
            return SqliteStore(self.path)
        return DynamoStore(self.table, make_client(endpoint_url=self.endpoint))

    def url(self) -> str:
        return f"sqlite:///{self.path}" if self.backend == "sqlite" else f"dynamodb://{self.table}"


_MOTO_LOCK = threading.RLock()


@contextmanager
def serialised_moto() -> Iterator[None]:
    """Handle one in-process moto request at a time (``mock_aws``), as DynamoDB does.

    The loopback server has its own lock (:class:`SerialisedMotoServer`). moto is not
    thread-safe: ``transact_write_items`` deep-copies the table while another
    thread's request changes it ("RuntimeError: dictionary changed size during
    iteration"), and its read-modify-write of ``ADD`` can interleave. Both backends
    (in-process and the server thread) dispatch through ``BaseResponse._dispatch``.
    """
    original = BaseResponse._dispatch

    def locked(self: BaseResponse, *args: Any, **kwargs: Any) -> Any:
        with _MOTO_LOCK:
            return original(self, *args, **kwargs)

    BaseResponse._dispatch = locked  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseResponse._dispatch = original  # type: ignore[method-assign]


def start_moto_server() -> tuple[SerialisedMotoServer, str]:
    server = SerialisedMotoServer()
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def moto_server_url() -> Iterator[str]:
    """For a module-scoped ``moto_server`` fixture: one loopback moto server, its URL."""
    server, url = start_moto_server()
    yield url
    server.stop()


def open_spec(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Spec]:
    """For a ``spec`` fixture: a fresh, empty store of ``backend`` (a new table each time).

    moto-server needs a ``moto_server`` fixture (the URL) in the requesting module."""
    table = f"together-{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        yield Spec("sqlite", path=str(tmp_path / "together.db"))
    elif backend == "moto":
        with mock_aws(), serialised_moto():
            client = make_client()
            create_table(client, table)
            client.close()
            yield Spec("moto", table=table)
    elif backend == "moto-server":
        url: str = request.getfixturevalue("moto_server")
        client = make_client(endpoint_url=url)
        create_table(client, table)
        yield Spec("moto-server", table=table, endpoint=url)
        client.delete_table(TableName=table)
        client.close()
    else:  # pragma: no cover
        raise ValueError(backend)


def count_rows(store: HouseholdStore, household: str, *, live_at: datetime | None = None) -> int:
    """Rows/items of ``household``. SQLite purges expired entries on write; DynamoDB's
    TTL deletes them later, so for DynamoDB ``live_at`` counts what TTL keeps."""
    if isinstance(store, SqliteStore):
        return store.count_rows(household)
    assert isinstance(store, DynamoStore)
    return store.count_rows(household, live_at=live_at)


def raw_contents(store: HouseholdStore) -> bytes:
    """Everything the backend holds, as bytes (for "no raw id stored" checks)."""
    if isinstance(store, SqliteStore):
        wal = Path(f"{store.path}-wal")
        return store.path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert isinstance(store, DynamoStore)
    items: list[Any] = []
    paginator = store.client.get_paginator("scan")
    for page in paginator.paginate(TableName=store.table, ConsistentRead=True):
        items.extend(page.get("Items", []))
    return json.dumps(items).encode()
