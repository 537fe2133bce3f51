"""Forecast and target periods in the Jalali (هجری شمسی) or Gregorian calendar.

A period is written ``YYYY`` (a year), ``YYYY-Qn`` (a quarter) or ``YYYY-MM`` (a month),
Persian digits allowed. The calendar is the one named, or else taken from the year: before
1700 is Jalali (``1403-Q1`` is Farvardin to Khordad 1403, 20 March to 21 June 2024), from 1700
on Gregorian. Every period becomes a half-open range of Gregorian dates ``[start, end)``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import jdatetime

CALENDARS = ("jalali", "gregorian")
_PATTERN = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2})))?$")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


class BadPeriod(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    key: str
    calendar: str
    kind: str                 # "year", "quarter" or "month"
    start: datetime.date      # Gregorian, inclusive
    end: datetime.date        # Gregorian, exclusive

    def as_dict(self) -> dict:
        return {"key": self.key, "calendar": self.calendar, "kind": self.kind,
                "start": self.start.isoformat(),
                "end": (self.end - datetime.timedelta(days=1)).isoformat()}


def _first_day(calendar: str, year: int, month: int) -> datetime.date:
    if month > 12:
        year, month = year + 1, month - 12
    if calendar == "jalali":
        return jdatetime.date(year, month, 1).togregorian()
    return datetime.date(year, month, 1)


def _build(calendar: str, year: int, kind: str, number: int) -> Period:
    if kind == "year":
        first, months, key = 1, 12, f"{year}"
    elif kind == "quarter":
        first, months, key = 3 * (number - 1) + 1, 3, f"{year}-Q{number}"
    else:
        first, months, key = number, 1, f"{year}-{number:02d}"
    return Period(key, calendar, kind, _first_day(calendar, year, first),
                  _first_day(calendar, year, first + months))


def parse(text: str, calendar: str | None = None) -> Period:
    """The period ``text`` names; :class:`BadPeriod` with a message otherwise."""
    match = _PATTERN.match((text or "").strip().translate(_DIGITS).upper())
    if match is None:
        raise BadPeriod(f"{text!r} is not a period: write 1403, 1403-Q2, 1403-07, 2025-Q1…")
    year = int(match.group(1))
    if calendar is None:
        calendar = "jalali" if year < 1700 else "gregorian"
    if calendar not in CALENDARS:
        raise BadPeriod(f"calendar is one of {', '.join(CALENDARS)}")
    if match.group(2):
        return _build(calendar, year, "quarter", int(match.group(2)))
    if match.group(3):
        month = int(match.group(3))
        if not 1 <= month <= 12:
            raise BadPeriod(f"{text!r}: months are 01 to 12")
        return _build(calendar, year, "month", month)
    return _build(calendar, year, "year", 0)


def current(kind: str = "quarter", calendar: str = "jalali",
            today: datetime.date | None = None) -> Period:
    """The period of ``kind`` that contains ``today``."""
    today = today or datetime.date.today()
    if calendar == "jalali":
        local = jdatetime.date.fromgregorian(date=today)
        year, month = local.year, local.month
    else:
        year, month = today.year, today.month
    number = {"year": 0, "quarter": (month - 1) // 3 + 1, "month": month}[kind]
    return _build(calendar, year, kind, number)
