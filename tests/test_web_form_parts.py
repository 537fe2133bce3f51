"""The ``register_form_parts`` hook: a plugin's template inside another entity's generic
create/edit form, for the forms and users it names, gone when the plugin is disabled."""

from __future__ import annotations

import flask
import pytest
from web_kit import web_client

from peyvand_sdk import Manifest, hookimpl


class FormHelper:
    """A plugin that adds a hint to the people's create form for users with the export
    right."""

    def __init__(self, folder):
        self.manifest = Manifest(label={"en": "Helper", "fa": "کمک"},
                                 requires={"contacts": ">=0.1"})
        (folder / "helper").mkdir()
        (folder / "helper" / "_hint.html").write_text(
            '<p class="helper-hint" data-entity="{{ view.id }}">'
            '{{ "edit" if record else "create" }}</p>', encoding="utf-8")
        self._blueprint = flask.Blueprint("helper_web", __name__, template_folder=str(folder))

    @hookimpl
    def register_blueprints(self):
        return [self._blueprint]

    @hookimpl
    def register_form_parts(self):
        return [{"entity": "contacts.person", "template": "helper/_hint.html",
                 "forms": ["create"], "permission": "contacts.person.export", "order": 5}]


@pytest.fixture
def app(peyvand_app_factory, tmp_path):
    return peyvand_app_factory(plugins=["contacts"],
                               extra_plugins=[("helper", FormHelper(tmp_path), "1.0.0")])


def test_a_plugins_part_shows_on_the_forms_and_to_the_users_it_names(app):
    admin = web_client(app, "boss")
    page = admin.get("/app/contacts/persons/new").get_data(as_text=True)
    assert '<p class="helper-hint" data-entity="contacts.person">create</p>' in page
    # Inside the form, after the fields and before the buttons.
    assert page.index("form-grid") < page.index("helper-hint") < page.index("form-actions")
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        person = kernel.service("contacts.person", "default").create({"last_name": "Amini"})
    edit = admin.get(f"/app/contacts/persons/{person.id}/edit").get_data(as_text=True)
    assert "helper-hint" not in edit                       # "forms": ["create"] only
    other = admin.get("/app/contacts/organizations/new").get_data(as_text=True)
    assert "helper-hint" not in other                      # another entity's form

    # A salesperson may create people but not export them: no part for them.
    seller = web_client(app, "reza", roles=("salesperson",))
    page = seller.get("/app/contacts/persons/new").get_data(as_text=True)
    assert "record-form" in page and "helper-hint" not in page

    kernel.disable("helper")
    page = admin.get("/app/contacts/persons/new").get_data(as_text=True)
    assert "record-form" in page and "helper-hint" not in page


def test_a_malformed_part_is_named_in_the_error():
    from peyvand.errors import PluginError
    from peyvand.web.pages import _form_part

    with pytest.raises(PluginError, match="'entity' and 'template'"):
        _form_part("helper", {"template": "x.html"})
    with pytest.raises(PluginError, match="use 'create' and/or 'edit'"):
        _form_part("helper", {"entity": "contacts.person", "template": "x.html",
                              "forms": ["list"]})
    part = _form_part("helper", {"entity": "contacts.person", "template": "x.html",
                                 "forms": "edit"})
    assert part.forms == frozenset({"edit"}) and part.order == 100
