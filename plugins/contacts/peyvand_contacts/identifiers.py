"""Validators for Iranian identifiers: national id, company id, economic code, postal code.

Every validator takes what a user typed or a spreadsheet held and returns the
normalised identifier as a string of ASCII digits, or raises
:class:`InvalidIdentifier` with an English message that names the identifier
and the reason (suitable for an import report or a form error).

Normalisation, common to all validators:

* Persian (۰-۹) and Arabic-Indic (٠-٩) digits become ASCII;
* whitespace, dashes (including Unicode dashes) and invisible bidi marks are
  removed, so ``"001-354241-9"`` and ``" ۰۰۱۳۵۴۲۴۱۹ "`` are both accepted;
* an ``int`` is accepted too (spreadsheet cells);
* anything else that is not a digit is an error.

Identifiers are kept as strings because leading zeros are significant.
"""

from __future__ import annotations

from peyvand_contacts.text import fold_digits

__all__ = [
    "PERSIAN_NAMES",
    "InvalidIdentifier",
    "company_national_id",
    "economic_code",
    "national_id",
    "postal_code",
]


class InvalidIdentifier(ValueError):
    """Raised when a value is not a valid identifier of the requested kind.

    ``identifier`` is the English name of the kind (``"national id"``,
    ``"company national id"``, ``"economic code"``, ``"postal code"``; see
    :data:`PERSIAN_NAMES` for the Persian ones), ``value`` is the input as
    given and ``reason`` the English explanation that ends the message.
    """

    def __init__(self, identifier: str, value: object, reason: str) -> None:
        super().__init__(f"Invalid {identifier} {value!r}: {reason}")
        self.identifier = identifier
        self.value = value
        self.reason = reason


_REMOVED = (
    " \t\r\n\u00a0\u2007\u202f"
    "-_\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u0640"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u061c\ufeff"
)
_CLEAN_TABLE = str.maketrans({ch: None for ch in _REMOVED})

_NATIONAL_ID = "national id"
_COMPANY_ID = "company national id"
_ECONOMIC_CODE = "economic code"
_POSTAL_CODE = "postal code"

#: Persian names of the identifiers, keyed by :attr:`InvalidIdentifier.identifier`,
#: for user interfaces that report errors in Persian.
PERSIAN_NAMES = {
    _NATIONAL_ID: "کد ملی",
    _COMPANY_ID: "شناسه ملی",
    _ECONOMIC_CODE: "کد اقتصادی",
    _POSTAL_CODE: "کد پستی",
}

_COMPANY_WEIGHTS = (29, 27, 23, 19, 17, 29, 27, 23, 19, 17)


def _digits(identifier: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidIdentifier(identifier, value, f"expected text, got {type(value).__name__}")
    digits = fold_digits(str(value)).translate(_CLEAN_TABLE)
    if not digits:
        raise InvalidIdentifier(identifier, value, "it is empty")
    if not (digits.isascii() and digits.isdigit()):
        raise InvalidIdentifier(identifier, value, "it may contain only digits")
    return digits


def _national_id_check_digit(first_nine: str) -> int:
    total = sum(int(d) * (10 - i) for i, d in enumerate(first_nine))
    remainder = total % 11
    return remainder if remainder < 2 else 11 - remainder


def _company_id_check_digit(first_ten: str) -> int:
    offset = int(first_ten[9]) + 2
    total = sum((int(d) + offset) * w for d, w in zip(first_ten, _COMPANY_WEIGHTS, strict=True))
    remainder = total % 11
    return 0 if remainder == 10 else remainder


def _validate_national_id(identifier: str, value: object, digits: str) -> str:
    if len(digits) in (8, 9):
        # Spreadsheets store national ids as numbers and drop leading zeros
        # (Tehran ids start with 00); the check digit still guards the result.
        digits = digits.zfill(10)
    if len(digits) != 10:
        raise InvalidIdentifier(identifier, value, f"it must have 10 digits, not {len(digits)}")
    if digits == digits[0] * 10:
        raise InvalidIdentifier(identifier, value, "all ten digits are the same")
    if _national_id_check_digit(digits[:9]) != int(digits[9]):
        raise InvalidIdentifier(identifier, value, "the check digit does not match")
    return digits


def _validate_company_id(identifier: str, value: object, digits: str) -> str:
    if len(digits) != 11:
        raise InvalidIdentifier(identifier, value, f"it must have 11 digits, not {len(digits)}")
    if _company_id_check_digit(digits[:10]) != int(digits[10]):
        raise InvalidIdentifier(identifier, value, "the check digit does not match")
    return digits


def national_id(value: str | int) -> str:
    """Validate an Iranian national id (کد ملی) and return its 10 digits.

    The last digit is a check digit over the first nine:
    ``s = sum(d[i] * (10 - i) for i in 0..8)``, ``r = s % 11``, and the check
    digit is ``r`` if ``r < 2`` else ``11 - r``.  Ids whose ten digits are
    all the same (``1111111111``) pass that check but are not issued, so they
    are rejected.

    8- or 9-digit inputs are left-padded with zeros first, because
    spreadsheets that treat the id as a number drop its leading zeros.

    >>> national_id("۰۰۱-۳۵۴۲۴۱-۹")
    '0013542419'
    >>> national_id(13542419)
    '0013542419'
    """
    return _validate_national_id(_NATIONAL_ID, value, _digits(_NATIONAL_ID, value))


def company_national_id(value: str | int) -> str:
    """Validate a legal entity's national id (شناسه ملی اشخاص حقوقی); return 11 digits.

    The 11th digit is a check digit over the first ten: with
    ``k = d[9] + 2``, ``s = sum((d[i] + k) * w[i] for i in 0..9)`` where
    ``w = 29, 27, 23, 19, 17, 29, 27, 23, 19, 17``; the check digit is
    ``s % 11``, or ``0`` when that is ``10``.

    Unlike :func:`national_id`, no zero-padding is applied: issued company
    ids start with 1 in practice, so a short value is a typing mistake
    rather than a spreadsheet that dropped leading zeros.

    >>> company_national_id("10100302746")
    '10100302746'
    """
    return _validate_company_id(_COMPANY_ID, value, _digits(_COMPANY_ID, value))


def economic_code(value: str | int) -> str:
    """Validate an economic code (کد اقتصادی) and return its digits.

    Since 1397 (2018) the tax administration uses the national identifiers
    as economic codes: a legal entity's economic code is its 11-digit
    company national id and a person's is their 10-digit national id.  Codes
    issued before that are 12 digits long.  Enforced:

    * 10 digits (or 8-9 digits, zero-padded as for :func:`national_id`):
      validated as a person's national id, check digit included;
    * 11 digits: validated as a company national id, check digit included;
    * 12 digits: the legacy format, whose check rule is not public, so only
      the length is checked (and an all-zero code is rejected);
    * any other length is an error.
    """
    digits = _digits(_ECONOMIC_CODE, value)
    if len(digits) < 8 or len(digits) > 12:
        raise InvalidIdentifier(
            _ECONOMIC_CODE, value, f"it must have 10, 11 or 12 digits, not {len(digits)}"
        )
    if len(digits) <= 10:
        return _validate_national_id(_ECONOMIC_CODE, value, digits)
    if len(digits) == 11:
        return _validate_company_id(_ECONOMIC_CODE, value, digits)
    if digits == "0" * 12:
        raise InvalidIdentifier(_ECONOMIC_CODE, value, "it is all zeros")
    return digits


def postal_code(value: str | int) -> str:
    """Validate a 10-digit Iranian postal code (کد پستی) and return its digits.

    Enforced:

    * exactly 10 digits (the common ``12345-67890`` spelling is accepted);
    * none of the first five digits is 0 or 2: Iran Post leaves them out of
      the five-digit area part because handwritten they are confused with 5
      and 3;
    * the fifth digit is not 5.

    Not enforced: rules that appear in some third-party validators but that
    we could not trace to Iran Post (no 2 in the last five digits, no run of
    four equal digits at the start).  There is no check digit.

    >>> postal_code("۱۳۱۸۹-۱۴۵۶۸")
    '1318914568'
    """
    digits = _digits(_POSTAL_CODE, value)
    if len(digits) != 10:
        raise InvalidIdentifier(_POSTAL_CODE, value, f"it must have 10 digits, not {len(digits)}")
    for position, digit in enumerate(digits[:5], start=1):
        if digit in "02":
            raise InvalidIdentifier(
                _POSTAL_CODE,
                value,
                f"digit {position} is {digit}, but the first five digits never contain 0 or 2",
            )
    if digits[4] == "5":
        raise InvalidIdentifier(_POSTAL_CODE, value, "the fifth digit is never 5")
    return digits
