"""Every string the contacts pages show (Python messages, templates, menu labels, field and
choice labels) has a Persian translation."""

from pathlib import Path

from babel.messages.extract import extract_from_dir

import peyvand_contacts

PACKAGE = Path(peyvand_contacts.__file__).resolve().parent
PO = PACKAGE / "translations" / "fa" / "LC_MESSAGES" / "messages.po"


def contacts_messages() -> set[str]:
    from peyvand.web.catalog import entity_messages
    from peyvand_contacts.entities import ORGANIZATION, PERSON

    found = set()
    # The pages, and the lower layers whose messages the pages show translated (merging,
    # importing and its readers, vCards, the timeline: ``messages.Message`` templates marked
    # with ``N_``).
    methods = [("pages/**.py", "python"), ("merging.py", "python"), ("vcards.py", "python"),
               ("timeline.py", "python"), ("importing/jobs.py", "python"),
               ("importing/pipeline.py", "python"),
               ("importing/readers.py", "python"),
               ("templates/**.html", "jinja2.ext:babel_extract")]
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), methods, options_map={"templates/**.html": {"trimmed": "false"}}):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    # The lists (emails, phones, addresses) as messages name them (``messages.field_term``).
    from peyvand_contacts.details import BY_ENTITY
    from peyvand_contacts.messages import humanize

    lists = {humanize(name) for details in BY_ENTITY.values() for name in details.fields}
    return found | lists | entity_messages([PERSON, ORGANIZATION])


def test_every_contacts_page_message_has_a_persian_translation():
    from peyvand.web.catalog import KERNEL_PO, read

    messages = contacts_messages()
    assert {"Likely duplicates", "Merge records", "Same e-mail", "Import a vCard (.vcf)",
            "Merged", "field %(field)s of %(entity)s %(id)s was changed after the merge",
            "at most %(n)s cards at a time"} <= messages
    ours, kernel = read(PO), read(KERNEL_PO)

    def translated(catalog, message):
        entry = catalog.get(message)
        return entry is not None and entry.string and not entry.fuzzy

    missing = sorted(m for m in messages if not translated(ours, m)
                     and not translated(kernel, m))
    assert missing == []


def test_menu_items_have_persian_labels():
    from peyvand_contacts.views import menu_items

    for item in menu_items():
        assert item["label"]["fa"] and item["label"]["en"]
