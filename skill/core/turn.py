"""One turn: what a handler needs, given to it by the shell. No I/O of its own.

The shell passes :class:`Services` (the store, the clock and the time-zone lookup);
``invoke`` builds a :class:`Turn` per request and hands it to ask-sdk-core as the
dispatch context, so handlers reach everything through ``handler_input.context``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services.reminder_management import ReminderRequest

from skill.constants import DEV_SALT
from skill.content import Content
from skill.core.progress import week_key
from skill.core.reminders import AlexaApiError
from skill.core.screen import Verdict
from skill.core.ssml import Voice
from skill.store.base import Change, Conflict, HouseholdStore, Snapshot, hash_id

log = logging.getLogger("skill.core")

MAX_CONFLICT_RETRIES = 5

OFFERED = "reminder.offered"  # the local week the reminder was last mentioned in


class AlexaServices(Protocol):
    """The Alexa service clients a turn may call, behind one member of :class:`Services`:
    the shells inject the real ones (``skill.runtime.AlexaApiServices``), the simulator
    and tests inject fakes (``skill.sim.alexa.SimAlexaServices``). The settings API's
    time zone, and the reminders API. The reminder calls raise
    :class:`skill.core.reminders.AlexaApiError` with the HTTP status when they fail."""

    def time_zone(self, envelope: RequestEnvelope) -> str | None: ...

    def create_reminder(self, envelope: RequestEnvelope, reminder: ReminderRequest) -> str:
        """Create a reminder; its alert token."""
        ...

    def update_reminder(
        self, envelope: RequestEnvelope, token: str, reminder: ReminderRequest
    ) -> None: ...

    def delete_reminder(self, envelope: RequestEnvelope, token: str) -> None: ...


@dataclass(frozen=True)
class NoAlexaServices:
    """No device API (tests, the benchmark): the zone given, or None (the locale's zone
    is used); every reminder call fails as unreachable."""

    zone: str | None = None

    def time_zone(self, envelope: RequestEnvelope) -> str | None:
        return self.zone

    def create_reminder(self, envelope: RequestEnvelope, reminder: ReminderRequest) -> str:
        raise AlexaApiError(0, "no Alexa API here")

    def update_reminder(
        self, envelope: RequestEnvelope, token: str, reminder: ReminderRequest
    ) -> None:
        raise AlexaApiError(0, "no Alexa API here")

    def delete_reminder(self, envelope: RequestEnvelope, token: str) -> None:
        raise AlexaApiError(0, "no Alexa API here")


def _seeded(seed: str) -> random.Random:
    return random.Random(seed)


@dataclass
class Services:
    """Everything with I/O or time, passed in by the shell."""

    store: HouseholdStore
    clock: Callable[[], datetime]
    # The Alexa service clients (the settings API's time zone in production).
    alexa: AlexaServices = field(default_factory=NoAlexaServices)
    salt: str = DEV_SALT
    retention_days: int = 90
    # Variety: a Random per turn, seeded from the request id (tests get repeatable runs).
    rng: Callable[[str], random.Random] = _seeded


@dataclass
class Turn:
    services: Services
    envelope: RequestEnvelope
    content: Content
    session: dict[str, Any]
    now: datetime
    rng: random.Random
    voice: Voice = field(init=False)
    route: str | None = None  # the handler that took the turn (for logs)
    writes: int = field(default=0, init=False)  # writes applied so far in this turn
    # What the turn did, for the reply's record (tests and the simulator read it, never
    # Alexa): "breath" -> {"pattern", "seconds"} when breathing started.
    record: dict[str, Any] = field(default_factory=dict, init=False)
    # The household's profile as this turn last read or wrote it (None: not read yet).
    snap: Snapshot | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        recent = self.session.setdefault("recent", {})
        self.voice = Voice(self.content, self.rng, recent)

    # -- who --------------------------------------------------------------------
    @cached_property
    def household(self) -> str | None:
        system = self.envelope.context.system if self.envelope.context else None
        user = system.user if system else None
        if user is None and self.envelope.session is not None:
            user = self.envelope.session.user
        if user is None or not user.user_id:
            return None
        return hash_id(user.user_id, salt=self.services.salt)

    @cached_property
    def person_id(self) -> str | None:
        """The recognised voice's Alexa id, as sent (only ever said back to Alexa in
        ``<alexa:name>``; stored and logged as :attr:`person`, hashed)."""
        system = self.envelope.context.system if self.envelope.context else None
        person = getattr(system, "person", None) if system else None
        person_id = getattr(person, "person_id", None)
        return person_id if isinstance(person_id, str) and person_id else None

    @cached_property
    def person(self) -> str | None:
        person_id = self.person_id
        return hash_id(person_id, salt=self.services.salt) if person_id else None

    # -- when -------------------------------------------------------------------
    @cached_property
    def zone(self) -> ZoneInfo:
        name = None
        try:
            name = self.services.alexa.time_zone(self.envelope)
        except Exception as exc:  # the lookup is best effort; fall back below
            log.info("zone lookup failed: %s", type(exc).__name__)
        for candidate in (name, self.content.default_zone, "UTC"):
            if candidate:
                try:
                    return ZoneInfo(candidate)
                except (ZoneInfoNotFoundError, ValueError):
                    continue
        return ZoneInfo("UTC")

    @cached_property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def local_date(self, moment: datetime) -> date:
        """The household's local date of ``moment``."""
        return moment.astimezone(self.zone).date()

    @property
    def expires_at(self) -> datetime:
        return self.now + timedelta(days=self.services.retention_days)

    # -- store ------------------------------------------------------------------
    def read(self) -> Snapshot:
        if self.household is None:
            return Snapshot({})
        self.snap = self.services.store.read(self.household)
        return self.snap

    def update(
        self, build: Callable[[Snapshot], Change | None], snap: Snapshot | None = None
    ) -> Snapshot:
        """Read, compute a change with a pure rule, apply it; re-read on a conflict."""
        snap = snap if snap is not None else self.read()
        if self.household is None:
            return snap
        for _ in range(MAX_CONFLICT_RETRIES):
            change = build(snap)
            if change is None or change.is_empty():
                return snap
            change = self.quieted(change)
            try:
                after = self.services.store.apply(
                    self.household, change, now=self.now, base=snap, once=self.once_key()
                )
            except Conflict:
                snap = self.services.store.read(self.household)
            else:
                self.writes += 1
                self.snap = after
                return after
        raise Conflict("gave up after repeated conflicts")

    def quieted(self, change: Change) -> Change:
        """In a session that heard the crisis, support or weariness answer, any write also
        uses up this local week's one mention of a reminder, so the next session (a
        minute later, to the household the same sitting) does not bring it up either.
        Nothing of what was said is kept: only the week, as for a mention made."""
        if self.session.get("cared") is not True or OFFERED in change.set:
            return change
        return replace(change, set={**change.set, OFFERED: week_key(self.today)})

    def once_key(self) -> str | None:
        """This write's key for the store's at-most-once rule: the Alexa request id and
        the write's number in the turn. A retried or replayed request makes the same
        writes in the same order, so each is applied once."""
        request_id = getattr(self.envelope.request, "request_id", None)
        if not isinstance(request_id, str) or not request_id:
            return None
        return f"{request_id}#{self.writes}"

    # -- words ------------------------------------------------------------------
    @cached_property
    def verdict(self) -> Verdict:
        """The safety screen over every piece of text this request carries: each slot's
        value and the values entity resolution matched. Read once per turn."""
        return self.content.screen.check_all(request_texts(self.envelope))


def request_texts(envelope: RequestEnvelope) -> list[str]:
    request = envelope.request
    intent = getattr(request, "intent", None)
    texts: list[str] = []
    for slot in (getattr(intent, "slots", None) or {}).values():
        value = getattr(slot, "value", None)
        if isinstance(value, str):
            texts.append(value)
        resolutions = getattr(slot, "resolutions", None)
        for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
            for item in getattr(authority, "values", None) or []:
                name = getattr(getattr(item, "value", None), "name", None)
                if isinstance(name, str):
                    texts.append(name)
    return texts


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
