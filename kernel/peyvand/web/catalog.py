"""Keep the gettext catalogues in step with the code.

``python -m peyvand.web.catalog check`` lists the kernel's messages (from ``peyvand/web/*.py``
and ``peyvand/templates``) that the Persian catalogue lacks; ``update`` adds them, untranslated,
to ``peyvand/translations/fa/LC_MESSAGES/messages.po`` (existing translations are kept), for a
translator to fill in. Plugins' field and choice labels are derived from their schemas by
:func:`entity_messages`; the test suite checks both.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

PACKAGE = Path(__file__).resolve().parent.parent
KERNEL_PO = PACKAGE / "translations" / "fa" / "LC_MESSAGES" / "messages.po"
METHODS = [("web/**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]


def kernel_messages() -> set[str]:
    """Every message id the kernel's web code and templates mark for translation."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), METHODS, options_map={"templates/**.html": {"trimmed": "false"}}):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found


def entity_messages(entities) -> set[str]:
    """Labels the generic pages derive from ``entities``' schemas: field names and choices."""
    import peewee
    from marshmallow import validate

    from .i18n import humanize

    found = set()
    for entity in entities:
        for name, field in entity.schema._declared_fields.items():
            column = entity.model._meta.columns.get(name)
            found.add(humanize(name, link=isinstance(column, peewee.ForeignKeyField)))
            for validator in [*field.validators, *getattr(getattr(field, "inner", None),
                                                         "validators", [])]:
                if isinstance(validator, validate.OneOf):
                    found.update(humanize(str(c)) for c in validator.choices)
    return found


def read(path: Path, lang: str = "fa") -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def missing(path: Path, messages: set[str], lang: str = "fa") -> list[str]:
    """Messages with no (non-fuzzy) translation in the catalogue at ``path``."""
    catalog = read(path, lang) if path.is_file() else Catalog(locale=lang)
    out = []
    for message in sorted(messages):
        entry = catalog.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            out.append(message)
    return out


def update(path: Path, messages: set[str], lang: str = "fa") -> int:
    """Add ``messages`` that the catalogue lacks (untranslated); returns how many."""
    catalog = read(path, lang) if path.is_file() else Catalog(locale=lang, project="Peyvand")
    added = 0
    for message in sorted(messages):
        if message not in catalog:
            catalog.add(message, "")
            added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, omit_header=False)
    return added


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    messages = kernel_messages()
    if command == "update":
        print(f"{update(KERNEL_PO, messages)} message(s) added to {KERNEL_PO}")
        return 0
    gaps = missing(KERNEL_PO, messages)
    for message in gaps:
        print(f"untranslated: {message!r}")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
