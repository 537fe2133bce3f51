"""What the contacts plugin adds to a person's and an organisation's record page: the
timeline tab (every plugin's items through ``contact_timeline``, newest first, paged, as the
viewer may see them)."""

from __future__ import annotations

import re

import pytest
from web_kit import log_in, make_user, web_client


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def _calls(app, person_id, count, owner=None):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service("sales.activity", "default")
        out = []
        for i in range(count):
            record = service.create({"subject": f"Call {i}", "kind": "call",
                                     "entity": "contacts.person", "record_id": person_id})
            if owner is not None:
                from peyvand_sales.models import Activity

                Activity.update(owner_id=owner, assignee_id=owner).where(
                    Activity.id == record.id).execute()
            out.append(record.id)
        return out


def _person(app, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return kernel.service("contacts.person", "default").create(
            {"last_name": "Karimi", **values}).id


def test_the_timeline_tab_pages_every_plugins_items_newest_first(app):
    person = _person(app)
    calls = _calls(app, person, 23)
    client = web_client(app, "boss", language="en")
    page = text(client.get(f"/app/contacts/persons/{person}"))
    assert 'data-tab="contacts.timeline"' in page and "Timeline" in page
    assert "contact-timeline" not in page                  # rendered only when opened
    page = text(client.get(f"/app/contacts/persons/{person}?tab=contacts.timeline"))
    keys = re.findall(r'data-key="sales\.activity:(\d+)"', page)
    assert [int(k) for k in keys] == calls[::-1][:20]
    assert f'href="/app/sales/activities/{calls[-1]}"' in page
    older = re.search(r'href="(\?tab=contacts\.timeline&amp;before=[^"]+)" rel="next"', page)
    assert older, "an Older link"
    page = text(client.get(f"/app/contacts/persons/{person}" + older.group(1).replace(
        "&amp;", "&")))
    keys = re.findall(r'data-key="sales\.activity:(\d+)"', page)
    assert [int(k) for k in keys] == calls[::-1][20:]
    assert "data-older" not in page and "Newest" in page
    # A cursor that is not one of ours shows the first page.
    page = text(client.get(f"/app/contacts/persons/{person}?tab=contacts.timeline&before=x"))
    assert len(re.findall(r'data-key="sales\.activity:', page)) == 20


def test_the_timeline_shows_only_what_the_viewer_may_read(app):
    reza = make_user(app, "reza", roles=("salesperson",))
    seller = log_in(app.test_client(), "reza")
    person = _person(app)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        Person.update(owner_id=reza.id).where(Person.id == person).execute()
    [theirs] = _calls(app, person, 1)                     # the admin's call
    [mine] = _calls(app, person, 1, owner=reza.id)
    page = text(seller.get(f"/app/contacts/persons/{person}?tab=contacts.timeline"))
    assert f'data-key="sales.activity:{mine}"' in page
    assert f'data-key="sales.activity:{theirs}"' not in page


def test_an_organisation_has_the_timeline_tab_with_its_creation(app):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        org = kernel.service("contacts.organization", "default").create({"name": "نوین"}).id
    client = web_client(app, "boss")
    page = text(client.get(f"/app/contacts/organizations/{org}?tab=contacts.timeline"))
    assert 'data-tab-body="contacts.timeline"' in page
    # Never empty: the contacts plugin puts the record's creation on it.
    assert f'data-key="contacts.organization:{org}:created"' in page
    assert "به مخاطبین افزوده شد" in page
