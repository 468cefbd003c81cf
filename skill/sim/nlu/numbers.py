"""Number, duration and time words to the values Alexa sends: AMAZON.NUMBER "21",
AMAZON.DURATION "PT5M", AMAZON.TIME "19:00" (the words from the language pack)."""

from __future__ import annotations

from collections.abc import Sequence

from skill.sim.nlu.words import ENGLISH as W

_UNITS: dict[str, int] = W.numbers("units")


_TEENS: dict[str, int] = W.numbers("teens")


_TENS: dict[str, int] = W.numbers("tens")


_SCALES: dict[str, int] = W.numbers("scales")


_DIGIT_WORDS = tuple(W.words("digit_words"))

_G = W.table("grammar")
_ZERO = frozenset(_G["zero"])
_HUNDRED = frozenset(_G["hundred"])
_JOINER = frozenset(_G["joiner"])
_ONE = frozenset(_G["one"])
_HALF = frozenset(_G["half"])
_QUARTER = frozenset(_G["quarter"])
_NOON = frozenset(_G["noon"])
_MIDNIGHT = frozenset(_G["midnight"])
_PAST = frozenset(_G["past"])
_TO = frozenset(_G["to"])
_TIME_NOISE = frozenset(_G["time_noise"])
_OH = frozenset(_G["oh"])
_AM = frozenset(_G["am"])
_PM = frozenset(_G["pm"])
_AM_LETTERS = _G["am_letters"]
_PM_LETTERS = _G["pm_letters"]
_SUFFIXES = tuple((s, False) for s in _G["morning"]) + tuple((s, True) for s in _G["after_noon"])
# What the number reader saw last (labels, not words).
_UNIT, _TEEN, _TEN, _HUNDREDS, _SCALE, _AND = "unit", "teen", "ten", "x100", "scale", "joined"


def parse_number(words: Sequence[str]) -> int | None:
    """Cardinal number words (or one digit string) to an int: "twenty one" -> 21,
    "a hundred and five" -> 105, "12" -> 12. None when the words are not one number."""
    ws = list(words)
    if not ws:
        return None
    if len(ws) == 1:
        if ws[0].isdigit():
            return int(ws[0])
        if ws[0] in _ZERO:
            return 0
    if ws[0] in _ONE:
        if len(ws) < 2 or (ws[1] not in _HUNDRED and ws[1] not in _SCALES):
            return None
        ws[0] = next(w for w, v in _UNITS.items() if v == 1)
    total = 0
    current = 0
    last: str | None = None
    for w in ws:
        if w in _UNITS:
            if last not in (None, _TEN, _HUNDREDS, _SCALE, _AND):
                return None
            current += _UNITS[w]
            last = _UNIT
        elif w in _TEENS:
            if last not in (None, _HUNDREDS, _SCALE, _AND):
                return None
            current += _TEENS[w]
            last = _TEEN
        elif w in _TENS:
            if last not in (None, _HUNDREDS, _SCALE, _AND):
                return None
            current += _TENS[w]
            last = _TEN
        elif w in _HUNDRED:
            if last not in (_UNIT, _TEEN) or (current % 100 == 0 and current):
                return None
            current *= 100
            last = _HUNDREDS
        elif w in _SCALES:
            if last not in (_UNIT, _TEEN, _TEN, _HUNDREDS):
                return None
            total += current * _SCALES[w]
            current = 0
            last = _SCALE
        elif w in _JOINER:
            if last not in (_HUNDREDS, _SCALE):
                return None
            last = _AND
        else:
            return None
    if last == _AND:
        return None
    return total + current


def _number_at(words: Sequence[str]) -> tuple[int, int] | None:
    """The longest number at the start of words: (value, words used)."""
    for end in range(min(len(words), 7), 0, -1):
        value = parse_number(words[:end])
        if value is not None:
            return value, end
    return None


_DURATION_UNITS: dict[str, str] = W.strings("duration_units")


def parse_duration(words: Sequence[str]) -> str | None:
    """Duration words to ISO 8601: "five minutes" -> "PT5M", "an hour and a half" ->
    "PT1H30M", "half an hour" -> "PT30M", "two weeks" -> "P2W". None if not a duration."""
    ws = [w for w in words if w not in _JOINER]
    if not ws:
        return None
    parts: dict[str, float] = {}
    i = 0
    while i < len(ws):
        if ws[i] in _HALF and i + 2 < len(ws) and ws[i + 1] in _ONE:
            unit = _DURATION_UNITS.get(ws[i + 2])
            if unit is None:
                return None
            parts[unit] = parts.get(unit, 0) + 0.5
            i += 3
            continue
        if ws[i] in _ONE and i + 1 < len(ws) and ws[i + 1] in _HALF:
            if not parts:
                return None
            last_unit = list(parts)[-1]
            parts[last_unit] += 0.5
            i += 2
            continue
        found = (1, 1) if ws[i] in _ONE else _number_at(ws[i:])
        if found is None:
            return None
        value, used = found
        i += used
        if i >= len(ws) or ws[i] not in _DURATION_UNITS:
            return None
        unit = _DURATION_UNITS[ws[i]]
        parts[unit] = parts.get(unit, 0) + value
        i += 1
    # carry halves down: 1.5 hours -> 1 hour 30 minutes
    carry = {"H": ("MI", 60), "MI": ("S", 60), "D": ("H", 24), "W": ("D", 7)}
    for unit, (lower, factor) in carry.items():
        if unit in parts and parts[unit] != int(parts[unit]):
            whole = int(parts[unit])
            parts[lower] = parts.get(lower, 0) + (parts[unit] - whole) * factor
            parts[unit] = whole
    date = "".join(
        f"{int(parts[u])}{code}"
        for u, code in (("Y", "Y"), ("MO", "M"), ("W", "W"), ("D", "D"))
        if parts.get(u)
    )
    time = "".join(
        f"{int(parts[u])}{code}"
        for u, code in (("H", "H"), ("MI", "M"), ("S", "S"))
        if parts.get(u)
    )
    if not date and not time:
        return None
    return "P" + date + ("T" + time if time else "")


_TIME_PERIODS: dict[str, str] = W.strings("time_periods")


def parse_time(words: Sequence[str]) -> str | None:
    """Time words to Alexa's AMAZON.TIME value: "seven pm" -> "19:00", "seven thirty" ->
    "07:30", "half past six in the evening" -> "18:30", "half seven" -> "07:30",
    "noon" -> "12:00",
    "evening" -> "EV". None if not a time."""
    ws = [w for w in words if w not in _TIME_NOISE]
    if len(ws) == 1 and ws[0] in _TIME_PERIODS:
        return _TIME_PERIODS[ws[0]]
    if len(ws) == 1 and ws[0] in _NOON:
        return "12:00"
    if len(ws) == 1 and ws[0] in _MIDNIGHT:
        return "00:00"
    if not ws:
        return None
    # trailing meridiem or period of day
    pm: bool | None = None
    tail = " ".join(ws[-3:])
    for suffix, is_pm in _SUFFIXES:
        if tail.endswith(suffix):
            pm = is_pm
            ws = ws[: -len(suffix.split())]
            break
    else:
        if ws[-2:] in (_PM_LETTERS, _AM_LETTERS):
            pm = ws[-2:] == _PM_LETTERS
            ws = ws[:-2]
        elif ws[-1] in _PM or ws[-1] in _AM:
            pm = ws[-1] in _PM
            ws = ws[:-1]
    if ws and ws[0] in _TIME_NOISE:
        ws = ws[1:]
    hour: int | None = None
    minute = 0
    if len(ws) == 2 and ws[0] in _HALF:  # British "half seven": half past seven
        h = parse_number(ws[1:])
        if h is None or not 1 <= h <= 12:
            return None
        hour, minute = h, 30
    elif len(ws) >= 3 and (ws[1] in _PAST or ws[1] in _TO):
        off = 30 if ws[0] in _HALF else 15 if ws[0] in _QUARTER else None
        rest = ws[2:]
        if off is None:
            found = _number_at(ws[:1])
            off = found[0] if found else None
            rest = ws[2:]
        h = parse_number(rest)
        if off is None or h is None or not 1 <= h <= 12 or off >= 60:
            return None
        if ws[1] in _PAST:
            hour, minute = h, off
        else:
            hour, minute = (h - 1) % 12 or 12, 60 - off
    else:
        if len(ws) == 1 and ws[0].isdigit() and len(ws[0]) in (3, 4):
            hour, minute = int(ws[0][:-2]), int(ws[0][-2:])
        else:
            found = _number_at(ws)
            if found is None:
                return None
            hour, used = found
            rest = ws[used:]
            if rest and rest[0] in _OH and len(rest) == 2:
                m = parse_number(rest[1:])
                if m is None or m > 9:
                    return None
                minute = m
            elif rest:
                m = parse_number(rest)
                if m is None or m > 59:
                    return None
                minute = m
            if hour > 23 and not rest and 100 <= hour <= 2359:
                hour, minute = divmod(hour, 100)
    if hour is None or hour > 23 or minute > 59:
        return None
    if pm is True and hour < 12:
        hour += 12
    elif pm is False and hour == 12:
        hour = 0
    return f"{hour:02d}:{minute:02d}"
