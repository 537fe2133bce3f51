"""Languages, calendars, digits and amounts of the web workspace.

Every user-visible string goes through :func:`gettext` (``_`` in templates). The catalogues are
gettext ``.po`` files: the kernel's in ``peyvand/translations/<lang>/LC_MESSAGES/messages.po``
and each plugin's in ``<plugin package>/translations/<lang>/LC_MESSAGES/messages.po``. They are
read and compiled in memory once per process, so a fresh clone installed with ``pip install -e``
works without a build step, and no compiled ``.mo`` file is kept in the repository.

English is the source language (no catalogue needed); Persian (``fa``) is right-to-left and is
shown with Persian digits. Dates are shown in the user's calendar (Jalali through ``jdatetime``,
or Gregorian), in the instance's time zone (``PEYVAND_TIME_ZONE``, default ``Asia/Tehran``).
"""

from __future__ import annotations

import datetime
import decimal
import functools
import io
import os
import re
import threading
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from flask import g, has_request_context

LANGUAGES = ("fa", "en")
CALENDARS = ("jalali", "gregorian")
DEFAULT_LANGUAGE = "fa"
RTL = frozenset({"fa"})
KERNEL_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_lock = threading.Lock()
_catalogues: dict[tuple, NullTranslations] = {}
_plugin_dirs: list[Path] = []


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translated where shown)."""
    return message


#: Words the templates translate from data (plugin states, audit actions), listed for the
#: catalogue extractor.
DATA_WORDS = (
    N_("Installed"), N_("Enabled"), N_("Disabled"), N_("Purged"), N_("Failed"),
    N_("Create"), N_("Update"), N_("Delete"), N_("Restore"), N_("Print"), N_("Export"),
    N_("Bypass"), N_("Merge"), N_("Import"),
    N_("Reassign"), N_("Enable"), N_("Disable"), N_("Purge"), N_("Password"),
    N_("Member-add"), N_("Member-remove"), N_("Two-factor-reset"), N_("Token-create"),
    N_("Token-revoke"),
)


# -- catalogues --------------------------------------------------------------------------------

def register_translations(folder: Path) -> None:
    """Add a plugin's ``translations`` folder (``<lang>/LC_MESSAGES/messages.po``)."""
    folder = Path(folder)
    with _lock:
        if folder.is_dir() and folder not in _plugin_dirs:
            _plugin_dirs.append(folder)
            _catalogues.clear()


def _load_po(path: Path, lang: str) -> Translations | None:
    if not path.is_file():
        return None
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as msgfmt does
    buffer.seek(0)
    return Translations(fp=buffer)


def translations(lang: str) -> NullTranslations:
    """The merged catalogue for ``lang``: every plugin's, then the kernel's (which wins)."""
    key = (lang, tuple(_plugin_dirs))
    found = _catalogues.get(key)
    if found is not None:
        return found
    with _lock:
        merged: NullTranslations | None = None
        for folder in [*_plugin_dirs, KERNEL_TRANSLATIONS]:
            loaded = _load_po(folder / lang / "LC_MESSAGES" / "messages.po", lang)
            if loaded is None:
                continue
            if merged is None:
                merged = loaded
            else:
                merged.merge(loaded)
        merged = merged or NullTranslations()
        _catalogues[key] = merged
        return merged


def current_language() -> str:
    if has_request_context():
        return getattr(g, "lang", None) or DEFAULT_LANGUAGE
    return "en"


def current_calendar() -> str:
    if has_request_context():
        return getattr(g, "calendar", None) or ("jalali" if current_language() == "fa"
                                                else "gregorian")
    return "gregorian"


def gettext(message: str) -> str:
    """``message`` in the current language (unformatted: Jinja formats its own)."""
    lang = current_language()
    if lang == "en":
        return message
    return translations(lang).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    lang = current_language()
    if lang == "en":
        return singular if n == 1 else plural
    return translations(lang).ungettext(singular, plural, n)


def _(message: str, **values) -> str:
    """Translate ``message`` and fill ``%(name)s`` placeholders (numbers in local digits)."""
    text = gettext(message)
    if values:
        text = text % {k: digits(v) if isinstance(v, int | float | decimal.Decimal) else v
                       for k, v in values.items()}
    return text


def label(mapping, fallback: str = "") -> str:
    """A ``{"en": ..., "fa": ...}`` label in the current language."""
    if not mapping:
        return fallback
    return mapping.get(current_language()) or mapping.get("en") or fallback


def humanize(name: str, link: bool = False) -> str:
    """``"first_name"`` → ``"First name"``; a link ``"organization_id"`` → ``"Organization"``."""
    base = name[:-3] if link and name.endswith("_id") and len(name) > 3 else name
    text = base.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def direction(lang: str | None = None) -> str:
    return "rtl" if (lang or current_language()) in RTL else "ltr"


def best_language(accept) -> str:
    """The best of :data:`LANGUAGES` for an ``Accept-Language`` header (Persian by default)."""
    return accept.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) if accept else DEFAULT_LANGUAGE


# -- digits and numbers ------------------------------------------------------------------------

def digits(value, lang: str | None = None) -> str:
    """``value`` as text, with Persian digits when the language is Persian."""
    if value is None:
        return ""
    text = str(value)
    if (lang or current_language()) == "fa":
        return text.translate(_PERSIAN_DIGITS)
    return text


def ascii_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits as ASCII, for parsing what users type."""
    return text.translate(_ASCII_DIGITS)


def number(value, lang: str | None = None, places: int | None = None) -> str:
    """A number grouped the local way (``1,234`` / ``۱٬۲۳۴``); ``places`` fixes decimals."""
    if value is None or value == "":
        return ""
    lang = lang or current_language()
    try:
        amount = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return digits(value, lang)
    pattern = None if places is None else "#,##0." + "0" * places if places else "#,##0"
    text = format_decimal(amount, format=pattern, locale="fa_IR" if lang == "fa" else "en",
                          decimal_quantization=places is not None, numbering_system="default")
    return digits(text, lang)


CURRENCY_NAMES = {
    "IRR": {"en": "Rials", "fa": "ریال"},
    "IRT": {"en": "Toman", "fa": "تومان"},
}


def amount(value, currency: str | None = "IRR", lang: str | None = None) -> str:
    """An amount with its currency: ``۱۲٬۳۴۵٬۰۰۰ ریال``, ``12,345,000 Rials``, ``1,200 USD``.

    Rial and Toman amounts are whole numbers; other currencies keep two decimals.
    """
    if value is None or value == "":
        return ""
    lang = lang if lang in LANGUAGES else current_language()
    try:
        value = decimal.Decimal(str(value))
    except decimal.InvalidOperation:
        return digits(value, lang)
    currency = (currency or "IRR").upper()
    if currency in CURRENCY_NAMES:
        return f"{number(value, lang, 0)} {CURRENCY_NAMES[currency][lang]}"
    return f"{number(value, lang, 2)} {currency}"


# -- dates -------------------------------------------------------------------------------------

def default_time_zone_name() -> str:
    """The instance's time zone name (``PEYVAND_TIME_ZONE``, default Asia/Tehran): the
    default of the tenant setting ``peyvand.time_zone``."""
    return os.environ.get("PEYVAND_TIME_ZONE") or "Asia/Tehran"


def time_zone():
    """The display time zone: the user's own (profile), else the tenant's
    (``peyvand.time_zone``), else ``PEYVAND_TIME_ZONE`` (default Asia/Tehran); UTC if the
    name is unknown. Every datetime shown is converted to it, and every datetime typed is
    read in it."""
    name = None
    if has_request_context():
        name = getattr(g, "time_zone", None)
    return _zone(name or default_time_zone_name())


def time_zone_name() -> str:
    return getattr(time_zone(), "key", "UTC")


@functools.lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """The IANA zones a user may choose (regions only, no legacy aliases): Iran's first (our
    first market's, picked most often), then the rest sorted, then UTC."""
    from zoneinfo import available_timezones

    regions = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/",
               "Europe/", "Indian/", "Pacific/")
    first = ("Asia/Tehran",)
    rest = sorted(n for n in available_timezones() if n.startswith(regions) and n not in first)
    return (*first, *rest, "UTC")


def valid_time_zone(name: str | None) -> bool:
    return bool(name) and name in time_zone_names()


@functools.lru_cache(maxsize=8)
def _zone(name: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def _as_datetime(value) -> datetime.datetime | None:
    """A naive-UTC datetime or an ISO text (``2025-03-21T08:00:00Z``) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value
    return None


def _as_date(value) -> datetime.date | None:
    """A date; a moment (a datetime, or ISO text with a time) becomes its local date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime) or (isinstance(value, str) and len(value) > 10):
        moment = _as_datetime(value)
        return moment.astimezone(time_zone()).date() if moment else None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def date_text(value, calendar: str | None = None, lang: str | None = None) -> str:
    """A date as ``1404/01/15`` (Jalali) or ``2025-04-04`` (Gregorian), local digits."""
    day = _as_date(value)
    if day is None:
        return "" if value in (None, "") else digits(value, lang)
    return _day_text(day, calendar or current_calendar(), lang or current_language())


@functools.lru_cache(maxsize=4096)
def _day_text(day: datetime.date, calendar: str, lang: str) -> str:
    if calendar == "jalali":
        import jdatetime

        j = jdatetime.date.fromgregorian(date=day)
        text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
    else:
        text = day.isoformat() if lang == "en" else f"{day.year:04d}/{day.month:02d}/{day.day:02d}"
    return digits(text, lang)


def long_date(value, calendar: str | None = None, lang: str | None = None) -> str:
    """A date with the month's name: ``۱۵ فروردین ۱۴۰۴``, ``4 April 2025``."""
    day = _as_date(value)
    if day is None:
        return ""
    lang = lang or current_language()
    calendar = calendar or current_calendar()
    if calendar == "jalali":
        import jdatetime

        j = jdatetime.date.fromgregorian(date=day, locale="fa_IR" if lang == "fa" else "en_US")
        return digits(f"{j.day} {j.strftime('%B')} {j.year}", lang)
    from babel.dates import format_date

    return digits(format_date(day, format="long", locale="fa_IR" if lang == "fa" else "en"),
                  lang)


def datetime_text(value, calendar: str | None = None, lang: str | None = None) -> str:
    """A moment (stored in UTC) in the display time zone: ``1404/01/15 ۱۴:۳۰``."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value in (None, "") else digits(value, lang)
    local = moment.astimezone(time_zone())
    return f"{date_text(local.date(), calendar, lang)} {digits(local.strftime('%H:%M'), lang)}"


def date_input_value(value, calendar: str | None = None) -> str:
    """A stored date as the text a date field shows for editing (local digits)."""
    return date_text(value, calendar)


_DATE = re.compile(r"^\s*(\d{1,4})\s*[/\-.\s]\s*(\d{1,2})\s*[/\-.\s]\s*(\d{1,4})\s*$")


class DateInputError(ValueError):
    pass


def parse_date(text: str, calendar: str | None = None) -> datetime.date | None:
    """What a user typed in a date field, as a Gregorian date; ``None`` when empty.

    Accepts ``1404/01/15``, ``۱۴۰۴-۱-۱۵``, ``2025-04-04``, Persian or ASCII digits. A year below
    1700 is read as Jalali and one from 1700 on as Gregorian, whatever the user's calendar, so
    either can be typed; a day-first Gregorian date (``04/04/2025``) is accepted too.
    """
    text = ascii_digits((text or "").strip())
    if not text:
        return None
    match = _DATE.match(text)
    if not match:
        raise DateInputError(text)
    a, b, c = (int(x) for x in match.groups())
    year, month, day = (a, b, c) if len(match.group(1)) >= 3 or a > 31 else (c, b, a)
    try:
        if year < 1700:
            import jdatetime

            return jdatetime.date(year, month, day).togregorian()
        return datetime.date(year, month, day)
    except ValueError:
        raise DateInputError(text) from None


def parse_datetime(text: str, calendar: str | None = None) -> datetime.datetime | None:
    """``1404/01/15 14:30`` (local time) as a naive UTC datetime; ``None`` when empty."""
    text = ascii_digits((text or "").strip())
    if not text:
        return None
    date_part, _, time_part = text.partition(" ")
    day = parse_date(date_part, calendar)
    hours, minutes = 0, 0
    if time_part.strip():
        found = re.match(r"^\s*(\d{1,2}):(\d{2})\s*$", time_part)
        if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
            raise DateInputError(text)
        hours, minutes = int(found.group(1)), int(found.group(2))
    local = datetime.datetime(day.year, day.month, day.day, hours, minutes, tzinfo=time_zone())
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def day_start_utc(day: datetime.date) -> datetime.datetime:
    """The UTC moment a local day starts (for "created from/to" filters)."""
    local = datetime.datetime(day.year, day.month, day.day, tzinfo=time_zone())
    return local.astimezone(datetime.UTC).replace(tzinfo=None)


def today_iso() -> str:
    """Today in the user's time zone, as ``2025-04-04`` (the date picker's "today")."""
    return datetime.datetime.now(time_zone()).date().isoformat()


def date_example(calendar: str | None = None) -> str:
    """Today as an example of what to type in a date field."""
    return date_text(datetime.datetime.now(time_zone()).date(), calendar)


# -- validation messages -----------------------------------------------------------------------

_MESSAGES = (
    # marshmallow's messages, with their numbers
    (re.compile(r"^Longer than maximum length (\d+)\.$"),
     N_("Too long: at most %(n)s characters.")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"),
     N_("Too short: at least %(n)s characters.")),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     N_("Use %(n)s to %(m)s characters.")),
    (re.compile(r"^Must be greater than or equal to (-?[\d.]+)\.$"), N_("Use %(n)s or more.")),
    (re.compile(r"^Must be less than or equal to (-?[\d.]+)\.$"), N_("Use %(n)s or less.")),
    (re.compile(r"^Must be greater than or equal to (-?[\d.]+) and less than or equal to "
                r"(-?[\d.]+)\.$"), N_("Use a number from %(n)s to %(m)s.")),
    (re.compile(r"^Must be one of: .*\.$"), N_("Choose one of the offered values.")),
)
_PLAIN = {
    "Missing data for required field.": N_("This field is required."),
    "Field may not be null.": N_("This field is required."),
    "Not a valid string.": N_("Enter text here."),
    "Not a valid integer.": N_("Enter a whole number."),
    "Not a valid number.": N_("Enter a number."),
    "Not a valid decimal.": N_("Enter a number."),
    "Not a valid boolean.": N_("Choose yes or no."),
    "Not a valid date.": N_("Enter a date."),
    "Not a valid datetime.": N_("Enter a date and time."),
    "Not a valid list.": N_("Choose from the list."),
    "Unknown field.": N_("This field is not part of the form."),
    "unknown field": N_("This field is not part of the form."),
    "read-only for your role": N_("Your role may not change this field."),
}
_INVALID = re.compile(r"^Invalid (?P<thing>[^'\"]+?) (?P<value>'.*'|\".*\"): (?P<reason>.+)$")


def translate_error(message: str) -> str:
    """A validation message (marshmallow's, a plugin's veto) in the user's language.

    Known messages are translated; a plugin's ``Invalid <thing> '<value>': <reason>`` is
    translated part by part from the catalogues (the plugin's catalogue names its things and
    reasons); anything else is shown as it is.
    """
    message = str(message)
    if message in _PLAIN:
        return _(_PLAIN[message])
    for pattern, msgid in _MESSAGES:
        found = pattern.match(message)
        if found:
            groups = found.groups()
            return _(msgid, n=_number_text(groups[0]) if groups else "",
                     m=_number_text(groups[1]) if len(groups) > 1 else "")
    found = _INVALID.match(message)
    if found:
        thing, reason = found["thing"], found["reason"]
        return _("%(thing)s %(value)s is not valid: %(reason)s",
                 thing=_lookup(thing[:1].upper() + thing[1:]),
                 value=found["value"].strip("'\""), reason=_lookup(reason))
    return _lookup(message)


_lookup = gettext  # a name the catalogue extractor does not read as a message


def _number_text(text: str) -> str:
    return number(text)
