"""The Alexa service clients as the simulator has them: the device's zone, and a
reminders service kept in memory, as strict as the real one where it matters.

A reminder is refused with 401 unless the request carries the reminders permission
(``Device.granted`` in the simulator, given by a yes to Alexa's permission question or
by ``--grant reminders``); an unknown alert token is 404, as when a household deleted
the reminder in the Alexa app. ``reminders`` holds what was set, by token, in the
Reminders API's own JSON (``together say`` prints nothing of it; dialog scripts check
it with ``expect: {reminders: [...]}``).
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services.reminder_management import ReminderRequest

from skill.core.reminders import AlexaApiError, granted

_SERIALIZER = DefaultSerializer()


@dataclass
class SimAlexaServices:
    zone: str | None = None
    reminders: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def time_zone(self, envelope: RequestEnvelope) -> str | None:
        return self.zone

    def create_reminder(self, envelope: RequestEnvelope, reminder: ReminderRequest) -> str:
        self._allowed(envelope)
        with self._lock:
            token = f"sim-reminder-{next(self._ids)}"
            self.reminders[token] = _json(reminder)
        return token

    def update_reminder(
        self, envelope: RequestEnvelope, token: str, reminder: ReminderRequest
    ) -> None:
        self._allowed(envelope)
        with self._lock:
            if token not in self.reminders:
                raise AlexaApiError(404, "no such reminder")
            self.reminders[token] = _json(reminder)

    def delete_reminder(self, envelope: RequestEnvelope, token: str) -> None:
        self._allowed(envelope)
        with self._lock:
            if self.reminders.pop(token, None) is None:
                raise AlexaApiError(404, "no such reminder")

    def daily_times(self) -> list[str]:
        """The reminders set, as "HH:MM" daily times (for scripts and tests)."""
        times = []
        for body in self.reminders.values():
            rule = body["trigger"]["recurrence"]["recurrenceRules"][0]
            parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
            times.append(f"{int(parts['BYHOUR']):02d}:{int(parts['BYMINUTE']):02d}")
        return sorted(times)

    @staticmethod
    def _allowed(envelope: RequestEnvelope) -> None:
        if not granted(envelope):
            raise AlexaApiError(401, "the reminders permission was not granted")


def _json(reminder: ReminderRequest) -> dict[str, Any]:
    out = _SERIALIZER.serialize(reminder)
    assert isinstance(out, dict)
    return out
