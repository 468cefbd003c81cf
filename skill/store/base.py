"""The HouseholdStore contract.

A household's progress is a flat map of attributes (the *profile*) plus a list of
entries (gratitudes and wins) that expire. The core never reads-modifies-writes the
profile: it reads a snapshot, computes a :class:`Change` with the pure rules in
``skill.core.progress``, and hands it to :meth:`HouseholdStore.apply`, which makes it
in one atomic step:

* ``add``: counters incremented (DynamoDB ``ADD``; SQLite ``+=`` inside one
  transaction), safe under any concurrency with no condition;
* ``set`` / ``remove``: values replaced or removed, guarded by ``expect``;
* ``expect``: attribute -> the value it must still have (``None``: absent). When it no
  longer holds, nothing at all is written and :class:`Conflict` is raised; the core
  re-reads and recomputes (bounded retry);
* ``entry``: one gratitude or win appended, written in the same atomic step;
* ``once``: a key (the Alexa request id and the write's number in the turn): a change
  whose key was already applied is not applied again, and the answer is the profile as
  it is (so a retried or replayed request is answered as if it had just succeeded).

Attribute names are plain strings with dots (``count.win``, ``day.2026-11-25.win``,
``streak.current``); values are ``int`` or ``str``. Household and person keys are
one-way hashes made by :func:`hash_id`; no backend ever sees a raw Alexa id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from skill.errors import TogetherError

Value = int | str

#: How long a store remembers that a ``once`` key was applied. The verifier refuses a
#: request more than 150 s old, a skill event more than an hour old; botocore's retries
#: happen within seconds. So a key older than this can never come again.
ONCE_KEEP_S = 3900
#: At most this many keys per household are kept (a household makes a few writes an
#: hour; the bound keeps the DynamoDB profile item small whatever happens).
ONCE_KEEP_MAX = 32


class StoreError(TogetherError):
    """The store could not do what was asked (unreachable, timed out, throttled)."""


class Conflict(StoreError):
    """An ``expect`` condition failed; nothing was written."""


@dataclass(frozen=True)
class Entry:
    """A gratitude or a win, in the household's own words."""

    kind: str  # "gratitude" | "win"
    text: str
    at: datetime  # aware, UTC
    expires_at: datetime  # aware, UTC
    person: str | None = None  # hashed person key, when Alexa recognised the voice


@dataclass(frozen=True)
class Change:
    """One turn's change to a household, applied atomically."""

    add: Mapping[str, int] = field(default_factory=dict)
    set: Mapping[str, Value] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    expect: Mapping[str, Value | None] = field(default_factory=dict)
    entry: Entry | None = None
    # An entry to remove, matched by kind, time and words ("undo that"); none matching is
    # a Conflict (nothing written), so the counts never move without the entry.
    drop: Entry | None = None

    def is_empty(self) -> bool:
        return not (self.add or self.set or self.remove or self.entry or self.drop)


@dataclass(frozen=True)
class Snapshot:
    """A household's profile as read at one moment."""

    attrs: Mapping[str, Value]
    # ``once`` markers seen with the profile (marker -> epoch seconds), for backends that
    # keep them in the profile item and prune them on the next write (DynamoDB).
    markers: Mapping[str, int] = field(default_factory=dict, compare=False)

    def int(self, name: str) -> int:
        value = self.attrs.get(name, 0)
        return value if isinstance(value, int) else 0

    def str(self, name: str) -> str | None:
        value = self.attrs.get(name)
        return value if isinstance(value, str) else None


class HouseholdStore(Protocol):
    """What every backend provides. Each method is one atomic operation."""

    def read(self, household: str) -> Snapshot:
        """The household's profile (empty when unknown). Never writes."""
        ...

    def apply(
        self,
        household: str,
        change: Change,
        *,
        now: datetime,
        base: Snapshot | None = None,
        once: str | None = None,
    ) -> Snapshot:
        """Apply ``change`` atomically and return the profile after it.

        ``once``: apply at most once per key (kept :data:`ONCE_KEEP_S` seconds). When the
        key was already applied nothing is written and the current profile is returned.

        ``base`` is the snapshot the change was computed from. A backend that cannot read
        the profile back in the same write (DynamoDB's TransactWriteItems returns no
        values) may answer ``merged(base, change)``: exact for everything the turn
        decided, possibly behind by increments another device made at the same moment.
        Expired entries of the household are dropped or skipped from ``now`` on.
        Raises :class:`Conflict` (nothing written) when ``expect`` fails.
        """
        ...

    def entries(self, household: str, kind: str, *, now: datetime, limit: int) -> list[Entry]:
        """The newest unexpired entries of one kind, newest first."""
        ...

    def erase(self, household: str) -> None:
        """Remove everything of the household: profile, entries, people."""
        ...

    def ping(self) -> None:
        """Raise StoreError when the store cannot be reached."""
        ...

    def close(self) -> None: ...


def hash_id(raw: str, *, salt: str) -> str:
    """A one-way key for an Alexa id (userId or personId): 32 hex characters."""
    digest = hashlib.sha256(f"{salt}\x00{raw}".encode()).hexdigest()
    return digest[:32]


def once_marker(once: str) -> str:
    """The short name a store keeps for a ``once`` key (16 hex of its SHA-256)."""
    return "once." + hashlib.sha256(once.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def check_expect(attrs: Mapping[str, Value], expect: Mapping[str, Value | None]) -> bool:
    """True when every expected attribute still has its expected value."""
    return all(attrs.get(name) == value for name, value in expect.items())


def merged(attrs: Mapping[str, Value], change: Change) -> dict[str, Value]:
    """The profile after ``change`` (for backends that store the profile whole)."""
    out = dict(attrs)
    for name, amount in change.add.items():
        current = out.get(name, 0)
        out[name] = (current if isinstance(current, int) else 0) + amount
    out.update(change.set)
    for name in change.remove:
        out.pop(name, None)
    return out
