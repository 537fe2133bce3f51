"""Tags on the generic record page: coloured chips, add and remove, as the user's rights
allow."""

from __future__ import annotations

import re

import pytest
from web_kit import csrf, log_in, make_user, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def text(response) -> str:
    return response.get_data(as_text=True)


def _person(app, owner=None, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.tags import create_tag

        for name, colour in (("مشتری ویژه", "#dc2626"), ("نمایشگاه", "#fde68a")):
            from peyvand.tags import find_tag

            if find_tag(name) is None:
                create_tag(name, colour)
        person = kernel.service("contacts.person", "default").create(
            {"last_name": "Karimi", **values})
        if owner is not None:
            from peyvand_contacts.models import Person

            Person.update(owner_id=owner).where(Person.id == person.id).execute()
        return person.id


def _tags(app, person_id):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service("contacts.person", "default")
        return service.to_dict(service.get(person_id))["tags"]


def test_tags_show_as_coloured_chips_and_are_added_and_removed(app):
    person = _person(app, tags=["مشتری ويژه"])                     # Arabic ي: the same tag
    client = web_client(app, "boss")
    url = f"/app/contacts/persons/{person}"
    page = text(client.get(url))
    chip = re.search(r'<span class="tag-chip" data-tag="مشتری ویژه" style="([^"]+)"', page)
    assert chip and "#dc2626" in chip.group(1) and "color: #fff" in chip.group(1)
    assert '<option value="نمایشگاه">' in page                     # offered; not the one it has
    assert not re.search(r'<dt>برچسب‌ها</dt>', page)                 # chips, not a field

    answer = client.post(url + "/tags", data={"csrf_token": csrf(client.get(url)),
                                              "add": "نمایشگاه"})
    assert answer.status_code == 302
    page = text(client.get(url))
    assert "«نمایشگاه»" in page or "“نمایشگاه”" in page             # the flash
    chip = re.search(r'data-tag="نمایشگاه" style="([^"]+)"', page)
    assert chip and "color: #111" in chip.group(1)                  # dark text on light yellow
    assert sorted(_tags(app, person)) == ["مشتری ویژه", "نمایشگاه"]

    # An admin may create a tag by naming it.
    client.post(url + "/tags", data={"csrf_token": csrf(client.get(url)), "add": "VIP 2"})
    assert "VIP 2" in _tags(app, person)
    client.post(url + "/tags", data={"csrf_token": csrf(client.get(url)),
                                     "remove": "مشتری ویژه"})
    assert sorted(_tags(app, person)) == ["VIP 2", "نمایشگاه"]
    history = text(client.get(url + "?tab=history"))
    assert "برچسب‌ها" in history                                    # audited as an update


def test_who_may_tag(app):
    reza = make_user(app, "reza", roles=("salesperson",))
    seller = log_in(app.test_client(), "reza")
    own = _person(app, owner=reza.id)
    url = f"/app/contacts/persons/{own}"
    # A salesperson tags their own people with existing tags, but may not invent one.
    seller.post(url + "/tags", data={"csrf_token": csrf(seller.get(url)), "add": "نمایشگاه"})
    assert _tags(app, own) == ["نمایشگاه"]
    answer = seller.post(url + "/tags", data={"csrf_token": csrf(seller.get(url)),
                                              "add": "تازه"})
    assert answer.status_code == 302
    assert "برچسبی با نام «تازه» نیست" in text(seller.get(url))
    assert _tags(app, own) == ["نمایشگاه"]

    reader = web_client(app, "nima", roles=("readonly",))
    page = text(reader.get(url))
    assert 'data-tag="نمایشگاه"' in page
    assert 'class="tag-add' not in page and 'name="remove"' not in page
    assert reader.post(url + "/tags", data={"csrf_token": csrf(reader.get(url)),
                                            "remove": "نمایشگاه"}).status_code == 403
    assert _tags(app, own) == ["نمایشگاه"]

    # Someone else's person is not found.
    other = _person(app)
    assert seller.post(f"/app/contacts/persons/{other}/tags", data={
        "csrf_token": csrf(seller.get(url)), "add": "نمایشگاه"}).status_code == 404


def test_a_hidden_tags_field_shows_no_chips(app):
    from peyvand.identity import FieldRule, Role

    person = _person(app, tags=["نمایشگاه"])
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        role = Role.get(Role.key == "readonly")
        FieldRule.create(role=role, entity="contacts.person", field="tags", rule="hidden")
    kernel.bump_generation()
    reader = web_client(app, "nima", roles=("readonly",))
    page = text(reader.get(f"/app/contacts/persons/{person}"))
    assert "tag-chip" not in page and "نمایشگاه" not in page


def test_a_list_filtered_by_two_tags_shows_records_with_both(app):
    """``?tag=A&tag=B`` on a list page: records carrying every one of them, a chip per tag,
    each chip removing only its own tag (the web read the first tag alone)."""
    import html
    from urllib.parse import quote

    both = _person(app, last_name="هردو", tags=["مشتری ویژه", "نمایشگاه"])
    one = _person(app, last_name="یکی", tags=["مشتری ویژه"])
    admin = web_client(app, "boss")
    url = f"/app/contacts/persons?tag={quote('مشتری ویژه')}&tag={quote('نمایشگاه')}"
    page = html.unescape(text(admin.get(url)))
    assert f'/app/contacts/persons/{both}"' in page and f'/app/contacts/persons/{one}"' not in page
    removes = re.findall(r'data-filter="tag">.*?<a href="([^"]*)" class="chip-remove"', page)
    assert len(removes) == 2                           # a chip per tag
    for link in removes:
        assert link.count("tag=") == 1                 # each chip takes off one tag only
    wider = html.unescape(text(admin.get(removes[1])))
    assert f'/app/contacts/persons/{one}"' in wider    # only مشتری ویژه left
