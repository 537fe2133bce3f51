"""What plugins add to the generic pages: record tabs (``register_record_tabs``) and bulk
actions (``register_bulk_actions``), proven with a throwaway plugin."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest
from markupsafe import Markup, escape
from web_kit import post, web_client

from peyvand_sdk import Manifest, Veto, hookimpl


class Notes:
    """A plugin adding tabs and a bulk action to people."""

    manifest = Manifest(label={"en": "Notes", "fa": "یادداشت"}, requires={"contacts": ">=0.1"})

    def __init__(self):
        self.rendered = []

    @hookimpl
    def register_record_tabs(self):
        def notes(record, row, lang):
            self.rendered.append(record.id)
            return Markup("<p class='note'>") + escape(
                f"{'یادداشت' if lang == 'fa' else 'Notes'} {row['last_name']} <b>") + \
                Markup("</p>")

        def broken(record):
            raise RuntimeError("the notes server is down")

        return [
            {"id": "notes.tab", "label": {"en": "Notes", "fa": "یادداشت‌ها"},
             "entity": "contacts.person", "permission": "contacts.person.read",
             "render": notes, "order": 10},
            {"id": "notes.secret", "label": {"en": "Secret"}, "entity": "contacts.person",
             "permission": "contacts.person.export", "render": lambda: "secret"},
            {"id": "notes.everywhere", "label": {"en": "Everywhere"}, "entity": "*",
             "url": lambda entity, record: f"/x/notes/{entity}/{record.id}"},
            {"id": "notes.broken", "label": {"en": "Broken"}, "entity": "contacts.organization",
             "render": broken},
            {"id": "notes.bad"},                                   # malformed: dropped
        ]

    @hookimpl
    def register_bulk_actions(self):
        def rename(record, params, actor):
            if record.last_name.startswith("VIP"):
                raise Veto("VIP records are locked")
            record.last_name = f"{params['prefix']} {record.last_name}"
            record.save()

        return [
            {"id": "notes.rename", "label": {"en": "Add a prefix", "fa": "افزودن پیشوند"},
             "entity": "contacts.person", "permission": "update", "run": rename,
             "params": [{"name": "prefix", "label": {"en": "Prefix", "fa": "پیشوند"}}]},
            {"id": "notes.export_only", "label": {"en": "Needs export"}, "entity": "*",
             "permission": "contacts.person.export", "run": lambda record: None},
        ]


@pytest.fixture
def notes():
    return Notes()


@pytest.fixture
def app(peyvand_app_factory, notes):
    app = peyvand_app_factory(plugins=["contacts"], extra_plugins=[("notes", notes, "1.0")])
    kernel = app.extensions["peyvand"]
    kernel.settings = dataclasses.replace(kernel.settings, strict_plugins=False)
    return app


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _person(client, name) -> str:
    created = post(client, "/app/contacts/persons/new", {"last_name": name})
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    return created.headers["Location"]


def test_plugin_tabs_show_for_their_entity_and_render_only_when_opened(app, notes):
    admin = web_client(app, "boss")
    url = _person(admin, "کریمی")
    page = _text(admin.get(url))
    tabs = re.findall(r'data-tab="([^"]+)"', page)
    assert tabs == ["details", "contacts.notes", "notes.tab", "contacts.timeline",
                    "contacts.vcard", "notes.everywhere", "notes.secret",
                    "history"]   # contacts' own tabs too
    assert notes.rendered == []                                  # not opened: not rendered
    assert 'href="/x/notes/contacts.person/' in page               # a link tab
    raw = admin.get(url + "?tab=notes.tab").get_data(as_text=True)
    assert "<p class='note'>یادداشت کریمی &lt;b&gt;</p>" in raw   # the plugin's HTML, as is
    opened = html.unescape(raw)
    assert 'data-tab-body="notes.tab"' in opened and 'class="fields"' not in opened
    assert len(notes.rendered) == 1
    history = _text(admin.get(url + "?tab=history"))
    assert 'class="timeline"' in history
    # The tab's permission is checked: a salesperson has no export right.
    seller = web_client(app, "reza", roles=("salesperson",))
    mine = _person(seller, "رضایی")
    assert re.findall(r'data-tab="([^"]+)"', _text(seller.get(mine))) == \
        ["details", "contacts.notes", "notes.tab", "contacts.timeline", "contacts.vcard",
         "notes.everywhere", "history"]
    assert 'data-tab-body' not in _text(seller.get(mine + "?tab=notes.secret"))


def test_plugin_output_is_escaped_by_the_plugin_and_a_failing_tab_is_contained(app):
    admin = web_client(app, "boss")
    url = _person(admin, "<script>x</script>")
    opened = admin.get(url + "?tab=notes.tab").get_data(as_text=True)
    assert "<script>x</script>" not in opened and "&lt;script&gt;" in opened
    org = post(admin, "/app/contacts/organizations/new", {"name": "آریا"})
    broken = admin.get(org.headers["Location"] + "?tab=notes.broken")
    assert broken.status_code == 200
    assert "این زبانه نمایش داده نشد" in _text(broken)


def test_a_plugin_bulk_action_asks_its_params_and_reports_vetoed_records(app):
    admin = web_client(app, "boss")
    for name in ("Ahmadi", "VIP Rostami", "Karimi"):
        _person(admin, name)
    page = _text(admin.get("/app/contacts/persons"))
    assert '<option value="notes.rename">افزودن پیشوند</option>' in page
    assert 'value="notes.export_only"' in page
    confirm = post(admin, "/app/contacts/persons/bulk",
                   {"action": "notes.rename", "all_matching": "1", "query": ""},
                   page_url="/app/contacts/persons")
    assert "پیشوند" in _text(confirm) and 'name="p:prefix"' in _text(confirm)
    ids = re.findall(r'name="ids" value="(\d+)"', _text(confirm))
    assert len(ids) == 3
    done = post(admin, "/app/contacts/persons/bulk",
                {"action": "notes.rename", "step": "run", "ids": ids, "p:prefix": "Dr",
                 "query": ""}, page_url="/app/contacts/persons")
    report = _text(admin.get(done.headers["Location"]))
    assert "۲ مورد انجام شد" in report and "VIP records are locked" in report
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        names = sorted(p.last_name for p in Person.select())
    assert names == ["Dr Ahmadi", "Dr Karimi", "VIP Rostami"]


def test_a_bulk_action_guarded_by_a_permission_key_is_hidden_without_it(app):
    seller = web_client(app, "reza", roles=("salesperson",))
    _person(seller, "Moradi")
    page = _text(seller.get("/app/contacts/persons"))
    assert 'value="notes.rename"' in page and 'value="notes.export_only"' not in page


def test_hook_contracts_are_in_the_hookspecs():
    from peyvand import hookspecs

    for name in ("register_record_tabs", "register_bulk_actions"):
        doc = getattr(hookspecs, name).__doc__
        assert doc and "return" in doc and "permission" in doc
