"""Phone number normalisation to E.164, built on Google's libphonenumber port.

Store phone numbers as E.164 (``+989121234567``): one spelling per number makes
duplicate detection and lookups by caller id a plain string comparison.

``normalize_phone`` accepts what Iranian users and spreadsheets actually
contain, for example (all give ``+989121234567``)::

    09121234567          +98 912 123 4567      0098-912-123-4567
    9121234567           989121234567          ۰۹۱۲ ۱۲۳ ۴۵۶۷
    (0912) 123.45.67     +98 (0) 912 1234567

and landlines with their area code (``021-88776655`` → ``+982188776655``).
A landline without its area code (``88776655``) is rejected: the city cannot
be guessed.  Numbers of other countries are accepted when written with ``+``
or ``00`` and their country code.

Parsing goes through ``phonenumbers`` (the Python port of libphonenumber), so
the validity rules are the ones maintained by Google for every country.
Results are memoised: a bulk import that meets the same number again, or a
duplicate check that normalises both sides, pays for parsing only once.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import phonenumbers
from phonenumbers import (
    NumberParseException,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)

from peyvand_contacts.text import fold_digits

__all__ = ["InvalidPhone", "PhoneType", "normalize_phone", "phone_type"]

PhoneType = Literal["mobile", "landline", "other"]


class InvalidPhone(ValueError):
    """Raised when a value is not a valid phone number.

    The message is in English and names the offending value, so it can be
    shown next to the row in an import report.  ``value`` holds the input as
    given.
    """

    def __init__(self, message: str, value: object = None) -> None:
        super().__init__(message)
        self.value = value


# Separators people put in phone numbers, including the Unicode dashes Word
# substitutes and the bidi marks that come along when a number is copied from
# right-to-left text; they are deleted before parsing.
_SEPARATORS = (
    " \t\r\n\u00a0\u2007\u202f\u3000"
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u0640"
    "().[]/\\"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u061c\ufeff"
)
_CLEAN_TABLE = str.maketrans({ch: None for ch in _SEPARATORS})

# Big enough for the repeats within one import or one duplicate check; kept
# small because every worker process holds its own copy (about 3 MB when full).
_CACHE_SIZE = 8192

_TYPE_NAMES: dict[int, PhoneType] = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "landline",
}


_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "its country code is unknown",
    NumberParseException.NOT_A_NUMBER: "it is not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "it has too few digits",
    NumberParseException.TOO_SHORT_NSN: "it has too few digits",
    NumberParseException.TOO_LONG: "it has too many digits",
}

_LENGTH_ERRORS = {
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it lacks an area code (landlines need one, e.g. 021)",
    ValidationResult.TOO_SHORT: "it has too few digits",
    ValidationResult.TOO_LONG: "it has too many digits",
    ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
    ValidationResult.INVALID_COUNTRY_CODE: "its country code is unknown",
}


def _clean(raw: str) -> str:
    return fold_digits(raw).translate(_CLEAN_TABLE).replace("\uff0b", "+")


@lru_cache(maxsize=_CACHE_SIZE)
def _parse(raw: str, region: str | None) -> tuple[bool, str]:
    """Return ``(True, e164)`` or ``(False, reason)``.

    Failures are returned rather than raised so that lru_cache remembers them
    too: a bad number repeated in a file is then rejected without re-parsing.
    The cache is keyed on the raw text so that a hit skips the clean-up too.
    """
    cleaned = _clean(raw)
    if not cleaned:
        return False, "it is empty"
    if any(ch.isalpha() for ch in cleaned):
        # phonenumbers would read letters as a keypad word (0912ABC...) or as
        # an extension marker; neither can be stored in E.164.
        return False, "it contains letters (extensions are not supported)"
    if cleaned.startswith("00"):
        # The international call prefix in Iran and most of the world.
        cleaned = "+" + cleaned[2:]
    if not cleaned.startswith("+") and region is None:
        return False, "it has no country code (+...) and no default region was given"
    try:
        number = phonenumbers.parse(cleaned, region)
    except NumberParseException as exc:
        return False, _PARSE_ERRORS.get(exc.error_type, "it is not a phone number")
    if not phonenumbers.is_valid_number(number):
        reason = phonenumbers.is_possible_number_with_reason(number)
        return False, _LENGTH_ERRORS.get(
            reason, "no such number exists (check the digits and the area code)"
        )
    return True, phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_phone(raw: str | int, region: str | None = "IR") -> str:
    """Return ``raw`` as an E.164 string such as ``"+989121234567"``.

    ``raw`` may contain Persian or Arabic-Indic digits, spaces, dashes,
    parentheses, dots and slashes.  An ``int`` is accepted for values read
    from spreadsheets.  Numbers without a country code are read as numbers of
    ``region`` (an ISO 3166 alpha-2 code, default ``"IR"``); with
    ``region=None`` a ``+`` or ``00`` prefix is required.

    For Iran this accepts ``0912…``, ``+98912…``, ``0098912…``, ``98912…``
    and ``912…`` (a mobile number whose leading 0 a spreadsheet dropped),
    and area-coded landlines such as ``021…`` or ``21…``.

    Raises :class:`InvalidPhone` when the value is not a valid, assignable
    number.  Extensions are rejected rather than silently dropped, because
    E.164 has no room for them.
    """
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise InvalidPhone(
            f"Invalid phone number {raw!r}: expected text, got {type(raw).__name__}", raw
        )
    ok, result = _parse(str(raw), region.upper() if region else None)
    if not ok:
        raise InvalidPhone(f"Invalid phone number {str(raw)!r}: {result}", raw)
    return result


@lru_cache(maxsize=_CACHE_SIZE)
def _type_of(e164: str) -> PhoneType | None:
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return _TYPE_NAMES.get(phonenumbers.number_type(number), "other")


def phone_type(e164: str) -> PhoneType:
    """Classify an E.164 number as ``"mobile"``, ``"landline"`` or ``"other"``.

    Pass the output of :func:`normalize_phone`.  ``"other"`` covers VoIP,
    toll-free, premium-rate, pager and shared-cost numbers, and numbers of
    countries (such as the US and Canada) whose plan does not tell mobiles
    from landlines.

    Raises :class:`InvalidPhone` if ``e164`` is not a valid number with a
    leading ``+``.
    """
    if not isinstance(e164, str) or not e164.startswith("+"):
        raise InvalidPhone(
            f"Not an E.164 phone number: {e164!r} (expected +<country code><number>)", e164
        )
    kind = _type_of(e164)
    if kind is None:
        raise InvalidPhone(f"Not a valid E.164 phone number: {e164!r}", e164)
    return kind
