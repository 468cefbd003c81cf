"""The daily reminder, as pure rules: what time was asked for, how it is said back, and
the Reminders API request that sets it. No I/O: the handlers call the Alexa service
clients through ``Services.alexa`` (``skill.runtime.AlexaApiServices`` in production,
``skill.sim.alexa.SimAlexaServices`` in the simulator and the dialog scripts).

Decisions written down here:

* One reminder per household: a daily one, at a time the household chose. "Move our
  reminder to nine" changes it (an update of the same alert token); there is never a
  second.
* The time comes from AMAZON.TIME ("20:00", or a part of the day: "EV") and the
  optional ``part`` slot ("every *evening* at eight"). "Eight" with "evening" or "night"
  is 20:00; a bare hour is the reading nearer the reminder being moved, or the one that
  comes round next; a part of the day alone ("remind us in the evening") is asked about,
  never guessed. The time is always said back, with the recurrence, and set only after
  a yes: Amazon's guidance is informed consent for every reminder.
* The reminder repeats daily by an RRULE in the device's time zone, starting at its next
  occurrence; its text is the content's ``reminder_text`` (plain words, the locale's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ask_sdk_model import RequestEnvelope
from ask_sdk_model.services.reminder_management import (
    AlertInfo,
    PushNotification,
    PushNotificationStatus,
    Recurrence,
    ReminderRequest,
    SpokenInfo,
    SpokenText,
    Trigger,
    TriggerType,
)

SCOPE = "alexa::alerts:reminders:skill:readwrite"

# AMAZON.TIME's parts of the day: morning, afternoon, evening, night.
PARTS = frozenset({"MO", "AF", "EV", "NI"})

# The ``part`` slot's canonical ids (the DayPart type) as AMAZON.TIME's part codes.
PART_IDS = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"}

LATE_PARTS = frozenset({"AF", "EV", "NI"})

EARLIEST_BARE_HOUR = 7  # a bare "one" to "six" is p.m.

_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class AlexaApiError(Exception):
    """An Alexa service API answered with an error (``status``: the HTTP status, 0 when
    it could not be reached at all)."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message or f"Alexa API status {status}")
        self.status = status

    @property
    def kind(self) -> str:
        """What the household hears about it: permission, forbidden, busy, unavailable,
        gone (the reminder was deleted elsewhere, in the Alexa app)."""
        if self.status == 401:
            return "permission"
        if self.status == 403:
            return "forbidden"
        if self.status == 404:
            return "gone"
        if self.status == 429:
            return "busy"
        return "unavailable"


@dataclass(frozen=True)
class Planned:
    """A daily time: hour and minute on the household's clock."""

    hour: int
    minute: int

    @property
    def slot(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"

    @classmethod
    def parse(cls, value: str | None) -> Planned | None:
        """A stored "HH:MM" back as a time, or None."""
        found = _HH_MM.match(value or "")
        return cls(int(found.group(1)), int(found.group(2))) if found else None


def part_of(time_value: str | None, part_id: str | None) -> str | None:
    """The part of the day named ("EV"), by the part slot (its id, "evening", or a code
    already read, "EV") or by AMAZON.TIME alone."""
    part = PART_IDS.get(part_id or "") or (part_id if part_id in PARTS else None)
    value = (time_value or "").strip().upper()
    return part or (value if value in PARTS else None)


def plan(
    time_value: str | None,
    part_id: str | None,
    near: Planned | None = None,
    *,
    now: Planned | None = None,
) -> Planned | None:
    """The daily time a household asked for, from AMAZON.TIME and the part-of-day slot
    (a slot id, "evening", or AMAZON.TIME's own code, "EV"); None when no clock time was
    said: a part of the day alone is asked about ("what time in the evening?"), never
    guessed. A bare hour from one to eleven is read as the nearer of its two readings to
    the reminder it moves (``near``: "move it to eight" from 9 p.m. is 8 p.m.), or else as
    the one that comes round next after ``now`` (at 6:30 p.m., "nine" is 9 p.m.)."""
    part = part_of(time_value, part_id)
    exact = Planned.parse((time_value or "").strip())
    if exact is None:
        return None
    hour = exact.hour
    if part in LATE_PARTS and hour < 12:
        hour += 12
    elif part == "MO" and hour == 12:
        hour = 0
    elif part is None and near is not None and 1 <= hour < 12:
        hour = min((hour, hour + 12), key=lambda h: _apart(h * 60 + exact.minute, near))
    elif part is None and now is not None and 1 <= hour < 12:
        hour = min((hour, hour + 12), key=lambda h: _ahead(h * 60 + exact.minute, now))
    elif part is None and 1 <= hour < EARLIEST_BARE_HOUR:
        hour += 12
    return Planned(hour, exact.minute)


def _ahead(minutes: int, now: Planned) -> int:
    """Minutes from ``now`` until a time of day comes round."""
    return (minutes - (now.hour * 60 + now.minute)) % (24 * 60)


def _apart(minutes: int, other: Planned) -> int:
    """Minutes between two times of day, round the clock."""
    gap = abs(minutes - (other.hour * 60 + other.minute))
    return min(gap, 24 * 60 - gap)


def granted(envelope: RequestEnvelope) -> bool:
    """The household has allowed this skill's reminders (the request's permission
    scopes say so)."""
    system = envelope.context.system if envelope.context else None
    user = system.user if system else None
    permissions = user.permissions if user else None
    scopes = permissions.scopes if permissions else None
    scope = (scopes or {}).get(SCOPE)
    status = getattr(scope, "status", None)
    return str(getattr(status, "value", status)) == "GRANTED"


def next_at(daily: Planned, now: datetime, zone: ZoneInfo) -> datetime:
    """The next local moment of the daily time (naive, on the household's clock)."""
    local = now.astimezone(zone).replace(tzinfo=None, microsecond=0)
    at = datetime.combine(local.date(), time(daily.hour, daily.minute))
    return at if at > local else at + timedelta(days=1)


def request(
    daily: Planned, *, now: datetime, zone: ZoneInfo, locale: str, text: str
) -> ReminderRequest:
    """The Reminders API body: daily at ``daily`` in ``zone``, saying ``text``."""
    start = next_at(daily, now, zone)
    rule = f"FREQ=DAILY;BYHOUR={daily.hour};BYMINUTE={daily.minute};BYSECOND=0;INTERVAL=1"
    return ReminderRequest(
        request_time=now.astimezone(zone).replace(tzinfo=None, microsecond=0),
        trigger=Trigger(
            object_type=TriggerType.SCHEDULED_ABSOLUTE,
            scheduled_time=start,
            time_zone_id=zone.key,
            recurrence=Recurrence(start_date_time=start, recurrence_rules=[rule]),
        ),
        alert_info=AlertInfo(
            spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=text)])
        ),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def said_time(daily: Planned, clock: dict[str, Any]) -> str:
    """How the time is said ("8 in the evening", "7:30 in the morning", "midday"), by
    the content's ``[clock]`` words."""
    if (daily.hour, daily.minute) == (12, 0):
        return str(clock["noon"])
    if (daily.hour, daily.minute) == (0, 0):
        return str(clock["midnight"])
    hour12 = daily.hour % 12 or 12
    shape = str(clock["on_the_hour"] if daily.minute == 0 else clock["with_minutes"])
    said = shape.format(hour=hour12, minute=f"{daily.minute:02d}")
    part = ""
    for starts, words in clock["parts"]:
        if daily.hour >= int(starts):
            part = str(words)
    return f"{said} {part}".strip()
