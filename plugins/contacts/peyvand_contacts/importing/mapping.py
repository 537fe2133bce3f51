"""Guess which import column holds which contact field, from the header names.

The guess pre-fills the column-mapping screen of an import; the user confirms
or corrects it, so it aims to be right for the common spreadsheets (Persian
office files, Google and Outlook exports) and to leave a column unmapped
rather than map it to something surprising.

Headers and synonyms are compared as *keys*: :func:`~peyvand_contacts.text.fold`
applied, then everything but letters and digits removed and ``آ`` read as
``ا`` (so ``"E-mail"``, ``"email "`` and ``"EMAIL"`` are the same key, and so
are ``"نام‌خانوادگی"``, ``"نام خانوادگي"`` and ``"نام_خانوادگی"``).

A plugin that imports other entities passes its own synonyms::

    guess_mapping(headers, {
        "name": ["=name", "company", "شرکت", "نام شرکت"],
        "economic_code": ["کد اقتصادی", "economic code"],
    })
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from peyvand_contacts.text import fold

__all__ = ["DEFAULT_PERSON_SYNONYMS", "custom_field_synonyms", "guess_mapping", "header_key"]

#: Synonyms for the fields of a person, in Persian and English.  A synonym
#: that starts with ``=`` matches only a header that is exactly that word:
#: bare "نام" or "name" inside a longer header ("نام پدر", "Middle Name",
#: "نام کاربری") is not the person's name.
DEFAULT_PERSON_SYNONYMS: Mapping[str, Sequence[str]] = {
    "first_name": (
        "=نام", "نام کوچک", "first name", "firstname", "given name", "forename",
    ),
    "last_name": (
        "نام خانوادگی", "فامیلی", "=فامیل", "family", "family name", "surname",
        "last name", "lastname",
    ),
    "full_name": (
        "نام و نام خانوادگی", "نام کامل", "=name", "full name", "fullname", "display name",
        "contact name",
    ),
    "email": (
        "ایمیل", "ای میل", "پست الکترونیک", "پست الکترونیکی", "رایانامه", "email",
        "e-mail", "email address", "mail",
    ),
    "mobile": (
        "موبایل", "همراه", "تلفن همراه", "شماره همراه", "شماره موبایل", "mobile",
        "mobile phone", "mobile number", "=cell", "cell phone", "cellphone",
    ),
    "phone": (
        "تلفن", "شماره تماس", "تلفن ثابت", "شماره تلفن", "تلفن تماس", "phone",
        "phone number", "telephone", "=tel", "landline",
    ),
    "organization": (
        "شرکت", "سازمان", "نام شرکت", "نام سازمان", "company", "company name",
        "organisation", "organization",
    ),
    "job_title": (
        "سمت", "عنوان شغلی", "شغل", "title", "job title", "position", "role",
    ),
    "national_id": (
        "کد ملی", "شماره ملی", "national id", "national code", "melli code",
    ),
    "postal_code": (
        "کد پستی", "postal code", "postcode", "post code", "zip", "zip code",
    ),
    "address": ("آدرس", "نشانی", "address", "street"),
    "city": ("شهر", "city"),
    "notes": ("توضیحات", "یادداشت", "ملاحظات", "notes", "note", "comments", "description"),
    "tags": ("برچسب", "برچسب‌ها", "tags", "=tag", "labels", "categories"),
}

_NOT_ALNUM = re.compile(r"[\W_]+")


def custom_field_synonyms(fields: Iterable) -> dict[str, tuple[str, ...]]:
    """Synonyms for an admin's custom fields (objects with ``key``, ``name`` and ``label``
    ``{"en", "fa"}``, as ``peyvand_sdk.custom_fields`` returns them): the key (``cf_tier``),
    the name and both labels, each matching only a header that is exactly that text.

    Pass them *after* the built-in synonyms: on a tie the built-in field wins, since
    :func:`guess_mapping` gives an exact key to the first field that names it.
    """
    out: dict[str, tuple[str, ...]] = {}
    for f in fields:
        label = getattr(f, "label", None) or {}
        words = (f.key, f.name, label.get("en"), label.get("fa"))
        out[f.key] = tuple(dict.fromkeys("=" + w for w in words if w and w.strip()))
    return out


def header_key(text: str) -> str:
    """Return the comparison key used for headers and synonyms.

    Exposed so that a mapping screen can, for example, remember a user's
    manual choices under the same key.
    """
    return _NOT_ALNUM.sub("", fold(text)).replace("آ", "ا")


def guess_mapping(
    headers: Iterable[str],
    fields: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, str | None]:
    """Map each header to a field name, or to ``None`` when nothing fits.

    ``fields`` maps a field name to its synonyms (default:
    :data:`DEFAULT_PERSON_SYNONYMS`); the field name itself counts as a
    synonym, so a header ``first_name`` maps to ``first_name``.  Rules:

    1. Exact: a header whose key equals a synonym's key gets that field.
       All headers are matched exactly before any containment match, so an
       exact "نام" wins ``first_name`` even if "نام پدر" comes first.
    2. Containment: a header still unmapped gets the field whose synonym key
       is the longest one contained in the header key ("شماره موبایل مدیر"
       → ``mobile``; "Company Name" → ``organization``, not a name field).
       Synonyms written with a leading ``=`` take part in rule 1 only.
    3. A field is given to one header only; the first header (left to
       right) that claims it wins and a later claimant gets ``None``; it does
       not fall back to a weaker match, which would usually be wrong (a
       second mobile column would otherwise land in ``phone``).

    The result has one entry per distinct header, in header order.
    """
    if fields is None:
        fields = DEFAULT_PERSON_SYNONYMS

    exact: dict[str, str] = {}
    contained: list[tuple[str, str]] = []
    for field_name, synonyms in fields.items():
        for synonym in (field_name, *synonyms):
            exact_only = synonym.startswith("=")
            key = header_key(synonym[1:] if exact_only else synonym)
            if not key:
                continue
            exact.setdefault(key, field_name)
            if not exact_only:
                contained.append((key, field_name))
    # Longest synonym first; sort is stable, so ties keep the fields' order.
    contained.sort(key=lambda item: -len(item[0]))

    result: dict[str, str | None] = {}
    keys: dict[str, str] = {}
    for header in headers:
        if header not in result:
            result[header] = None
            keys[header] = header_key(header)

    taken: set[str] = set()
    for header, key in keys.items():
        field_name = exact.get(key)
        if field_name is not None and field_name not in taken:
            result[header] = field_name
            taken.add(field_name)

    for header, key in keys.items():
        if result[header] is not None or not key or key in exact:
            continue
        for synonym_key, field_name in contained:
            if synonym_key in key:
                if field_name not in taken:
                    result[header] = field_name
                    taken.add(field_name)
                break
    return result
