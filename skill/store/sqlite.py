"""The embedded store: one SQLite file in WAL mode.

Writers queue, they do not sleep. Inside a process, a write first takes a
``threading.Lock``; across processes (gunicorn workers) it then takes an exclusive
``flock`` on ``<db>.lock``. Both block in the kernel and wake the next writer the moment
the last one commits, so SQLite's busy handler (which sleeps in steps of 1 to 100 ms and
made two connections slower than one) is left for what we do not queue: checkpoints and
other programs opening the file. Each write is one short ``BEGIN IMMEDIATE`` transaction.

The schema and WAL mode are set up once per file, under the same ``flock``, so any
number of workers starting together on a new file all boot. Each thread keeps its own
connection; after any SQLite error that connection is dropped and the next call opens a
fresh one (a connection opened during a read-only spell stays read-only for ever).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from skill.store.base import (
    ONCE_KEEP_S,
    Change,
    Conflict,
    Entry,
    Snapshot,
    StoreError,
    Value,
    check_expect,
    merged,
    once_marker,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locking only
    fcntl = None  # type: ignore[assignment]

SCHEMA_VERSION = 3
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
CREATE INDEX IF NOT EXISTS entries_by_expiry ON entries (household, expires_at);
CREATE TABLE IF NOT EXISTS applied (
    household TEXT NOT NULL,
    marker    TEXT NOT NULL,
    at        REAL NOT NULL,
    PRIMARY KEY (household, marker)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS applied_by_age ON applied (household, at);
CREATE TABLE IF NOT EXISTS health (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL
);
"""

# With writers queued on the locks above, the busy handler only waits for a checkpoint
# or another program: long enough to ride one out, short enough to answer in time.
BUSY_TIMEOUT_S = 3.0
# A commit never checkpoints the WAL: a checkpoint copies pages back and syncs (5-8 ms,
# about once every 200 writes), inside one writer's turn and so in front of every
# writer queued behind it. A thread per process checkpoints (PASSIVE: it never blocks a
# writer) once a second after writes; SQLite's own autocheckpoint stays as a backstop,
# at a size the thread keeps the WAL far below.
CHECKPOINT_EVERY_S = 1.0
BACKSTOP_PAGES = 20_000


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class _FileLock:
    """An exclusive ``flock`` on a side file, shared by the threads of one process.

    flock locks belong to an open file description, which a forked child shares with its
    parent: the descriptor is reopened when the process id changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = self._descriptor()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


class _Checkpointer:
    """Checkpoints the WAL off the request path, once a second after writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.dirty = False
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._pid == os.getpid() and self._thread.is_alive()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stop.wait(CHECKPOINT_EVERY_S):
            if not self.dirty:
                continue
            self.dirty = False
            try:
                if conn is None:
                    conn = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:  # busy or broken: the next round tries again, afresh
                if conn is not None:
                    with suppress(sqlite3.Error):
                        conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread() and self._pid == os.getpid():
            self._thread.join(timeout=2 * CHECKPOINT_EVERY_S)


class SqliteStore:
    """HouseholdStore on a SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()  # guards _all
        self._writer = threading.Lock()  # writers of this process queue here
        self._file_lock = _FileLock(Path(f"{self.path}.lock"))
        self._checkpointer: _Checkpointer | None = None
        self._setup()

    # -- plumbing -----------------------------------------------------------------
    def _setup(self) -> None:
        """WAL mode and the schema, once per file, whoever else is starting."""
        with self._errors(), self._writer, self._file_lock.held():
            conn = self._conn()
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version >= SCHEMA_VERSION:
                return
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
            except sqlite3.Error:
                conn.close()
                raise
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _drop(self) -> None:
        """Forget this thread's connection: the next call opens a fresh one."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            with suppress(sqlite3.Error):
                conn.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            self._drop()
            raise StoreError(f"sqlite: {type(exc).__name__}") from exc
        except OSError as exc:  # the lock file
            raise StoreError(f"sqlite lock: {type(exc).__name__}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._errors(), self._writer, self._file_lock.held():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        checkpointer = self._checkpointer
        if checkpointer is None or not checkpointer.alive():
            with self._lock:  # one per process (a forked worker starts its own)
                if self._checkpointer is None or not self._checkpointer.alive():
                    self._checkpointer = _Checkpointer(self.path)
            checkpointer = self._checkpointer
        checkpointer.dirty = True

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
        self,
        household: str,
        change: Change,
        *,
        now: datetime,
        base: Snapshot | None = None,
        once: str | None = None,
    ) -> Snapshot:
        marker = once_marker(once) if once is not None else None
        with self._write() as conn:
            # The profile and whether this write was applied already, in one statement.
            text, seen = conn.execute(
                "SELECT (SELECT attrs FROM households WHERE household = ?1), "
                "EXISTS (SELECT 1 FROM applied WHERE household = ?1 AND marker = ?2)",
                (household, marker or ""),
            ).fetchone()
            attrs: dict[str, Value] = json.loads(text) if text is not None else {}
            if seen:  # a retry or a replay: already applied
                return Snapshot(attrs)
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
            if change.drop is not None:
                gone = conn.execute(
                    "DELETE FROM entries WHERE id = (SELECT id FROM entries WHERE "
                    "household = ? AND kind = ? AND at = ? AND text = ? LIMIT 1)",
                    (household, change.drop.kind, _iso(change.drop.at), change.drop.text),
                ).rowcount
                if gone != 1:
                    raise Conflict("the entry to remove is not there")
            conn.execute(
                "DELETE FROM entries WHERE household = ? AND expires_at <= ?",
                (household, _iso(now)),
            )
            if marker is not None:
                stamp = now.timestamp()
                conn.execute(
                    "INSERT INTO applied (household, marker, at) VALUES (?, ?, ?)",
                    (household, marker, stamp),
                )
                # Rows cost nothing per turn here (unlike DynamoDB's item size), so the
                # markers are bounded by age alone: a few per household per hour.
                conn.execute(
                    "DELETE FROM applied WHERE household = ? AND at < ?",
                    (household, stamp - ONCE_KEEP_S),
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
            conn.execute("DELETE FROM applied WHERE household = ?", (household,))

    def ping(self) -> None:
        """Prove the store can write: one tiny transaction on a one-row table."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO health (id, at) VALUES (1, julianday('now')) "
                "ON CONFLICT(id) DO UPDATE SET at = excluded.at"
            )

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
            if self._checkpointer is not None:
                self._checkpointer.stop()
                self._checkpointer = None
        self._local = threading.local()
        self._file_lock.close()

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
            (c,) = conn.execute(
                "SELECT COUNT(*) FROM applied WHERE household = ?", (household,)
            ).fetchone()
        return int(a) + int(b) + int(c)
