"""E-mail address normalisation for storage and duplicate detection.

``normalize_email`` gives one spelling per address so that ``Ali@Example.COM``
and ``ali@example.com`` are recognised as the same contact.  It rejects only
what is *obviously* not an address (typos such as a missing ``@`` or a
domain without a dot); it never contacts a mail server, and it does not try
to implement RFC 5322, whose corner cases (quoted local parts, comments)
do not occur in CRM data.
"""

from __future__ import annotations

from peyvand_contacts.text import fold_digits

__all__ = ["InvalidEmail", "normalize_email"]


class InvalidEmail(ValueError):
    """Raised when a value is obviously not an e-mail address.

    The message is in English and names the value and the reason; ``value``
    holds the input as given.
    """

    def __init__(self, message: str, value: object = None) -> None:
        super().__init__(message)
        self.value = value


# Bidi marks and zero-width characters ride along when an address is copied
# from right-to-left text; they are invisible, so users cannot remove them.
_INVISIBLE_TABLE = str.maketrans(
    {
        ch: None
        for ch in (
            "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
            "\u2066\u2067\u2068\u2069\u061c\ufeff\u00ad"
        )
    }
)


def normalize_email(raw: str) -> str:
    """Return ``raw`` trimmed, case-folded and with ASCII digits.

    The whole address is case-folded, local part included: strictly the
    local part is case-sensitive, but no mainstream provider treats it so
    and users type it inconsistently, so folding avoids duplicate contacts.
    Persian and Arabic-Indic digits become ASCII, and invisible bidi or
    zero-width characters are removed.  Internationalised domains are kept
    as Unicode.

    Raises :class:`InvalidEmail` unless the result has exactly one ``@``, a
    non-empty local part, a domain containing a dot with no empty labels
    (``a..b``, ``.com``, ``com.``), and no whitespace.
    """
    if not isinstance(raw, str):
        raise InvalidEmail(f"Invalid e-mail address {raw!r}: expected text", raw)
    email = fold_digits(raw).translate(_INVISIBLE_TABLE).strip().casefold()

    def fail(reason: str) -> InvalidEmail:
        return InvalidEmail(f"Invalid e-mail address {raw!r}: {reason}", raw)

    if not email:
        raise fail("it is empty")
    if any(ch.isspace() for ch in email):
        raise fail("it contains spaces")
    count = email.count("@")
    if count != 1:
        raise fail("it has no @" if count == 0 else "it has more than one @")
    local, domain = email.split("@")
    if not local:
        raise fail("nothing before the @")
    if not domain:
        raise fail("nothing after the @")
    if "." not in domain:
        raise fail(f"the domain {domain!r} has no dot")
    if "" in domain.split("."):
        raise fail(f"the domain {domain!r} has an empty part (a leading, trailing or double dot)")
    return email
