"""Every string the sales plugin shows (its Python messages, its templates, its entities'
field and choice labels) has a Persian translation in its own catalogue."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import peyvand_sales

PACKAGE = Path(peyvand_sales.__file__).resolve().parent
PO = PACKAGE / "translations" / "fa" / "LC_MESSAGES" / "messages.po"


def sales_messages() -> set[str]:
    from peyvand.web.catalog import entity_messages
    from peyvand_sales.plugin import register_entities

    found = set()
    methods = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(PACKAGE), methods, options_map={"templates/**.html": {"trimmed": "false"}}):
        if isinstance(message, tuple):
            found.update(m for m in message if m)
        elif message:
            found.add(message)
    return found | entity_messages(register_entities())


def test_every_sales_message_has_a_persian_translation():
    from peyvand.web.catalog import missing

    messages = sales_messages()
    assert {"Deal won", "Stage", "Lead captured"} <= messages
    assert missing(PO, messages) == []


@pytest.mark.peyvand_plugins("contacts", "sales")
def test_the_sdk_translates_from_the_plugin_catalogue(peyvand_app):
    from flask import g

    from peyvand_sdk import current_language, gettext

    with peyvand_app.test_request_context("/"):
        g.lang = "fa"
        assert current_language() == "fa"
        assert gettext("Deal won (%(amount)s)", amount="۱۰") == "معامله برنده شد (۱۰)"
        g.lang = "en"
        assert gettext("Deal won") == "Deal won"
