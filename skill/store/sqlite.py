"""The embedded store: one SQLite file in WAL mode.

Every write is one ``BEGIN IMMEDIATE`` transaction, so SQLite serialises writers across
threads and processes: two devices of one household talking at once lose nothing. Each
thread keeps its own connection (sqlite3 connections are not shared between threads).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from skill.store.base import (
    Change,
    Conflict,
    Entry,
    Snapshot,
    StoreError,
    Value,
    check_expect,
    merged,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS households (
    household TEXT PRIMARY KEY,
    attrs     TEXT NOT NULL,
    version   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    household  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    person     TEXT,
    text       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_by_household ON entries (household, kind, at);
"""

# Long enough to ride out another writer's transaction, short enough to answer in time.
BUSY_TIMEOUT_S = 3.0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class SqliteStore:
    """HouseholdStore on a SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        with self._errors():
            conn = self._conn()
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)

    # -- plumbing -----------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"sqlite: {type(exc).__name__}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._errors():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def _attrs(conn: sqlite3.Connection, household: str) -> dict[str, Value]:
        row = conn.execute(
            "SELECT attrs FROM households WHERE household = ?", (household,)
        ).fetchone()
        if row is None:
            return {}
        loaded: dict[str, Value] = json.loads(row[0])
        return loaded

    # -- contract -----------------------------------------------------------------
    def read(self, household: str) -> Snapshot:
        with self._errors():
            return Snapshot(self._attrs(self._conn(), household))

    def apply(
        self, household: str, change: Change, *, now: datetime, base: Snapshot | None = None
    ) -> Snapshot:
        with self._write() as conn:
            attrs = self._attrs(conn, household)
            if not check_expect(attrs, change.expect):
                raise Conflict("expectation failed")
            after = merged(attrs, change)
            conn.execute(
                "INSERT INTO households (household, attrs, version) VALUES (?, ?, 1) "
                "ON CONFLICT(household) DO UPDATE SET attrs = excluded.attrs, "
                "version = households.version + 1",
                (household, json.dumps(after, sort_keys=True)),
            )
            if change.entry is not None:
                entry = change.entry
                conn.execute(
                    "INSERT INTO entries (household, kind, at, expires_at, person, text) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        household,
                        entry.kind,
                        _iso(entry.at),
                        _iso(entry.expires_at),
                        entry.person,
                        entry.text,
                    ),
                )
            conn.execute(
                "DELETE FROM entries WHERE household = ? AND expires_at <= ?",
                (household, _iso(now)),
            )
            return Snapshot(after)

    def entries(self, household: str, kind: str, *, now: datetime, limit: int) -> list[Entry]:
        with self._errors():
            rows = (
                self._conn()
                .execute(
                    "SELECT kind, text, at, expires_at, person FROM entries "
                    "WHERE household = ? AND kind = ? AND expires_at > ? "
                    "ORDER BY at DESC, id DESC LIMIT ?",
                    (household, kind, _iso(now), limit),
                )
                .fetchall()
            )
        return [Entry(r[0], r[1], _parse(r[2]), _parse(r[3]), r[4]) for r in rows]

    def erase(self, household: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM entries WHERE household = ?", (household,))
            conn.execute("DELETE FROM households WHERE household = ?", (household,))

    def ping(self) -> None:
        with self._errors():
            self._conn().execute("SELECT 1").fetchone()

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    # -- for tests ----------------------------------------------------------------
    def count_rows(self, household: str) -> int:
        """Rows of any table that belong to ``household`` (deletion tests)."""
        with self._errors():
            conn = self._conn()
            (a,) = conn.execute(
                "SELECT COUNT(*) FROM households WHERE household = ?", (household,)
            ).fetchone()
            (b,) = conn.execute(
                "SELECT COUNT(*) FROM entries WHERE household = ?", (household,)
            ).fetchone()
        return int(a) + int(b)
