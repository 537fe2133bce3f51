"""Destructive actions of the plugins' pages ask first, on a page of their own that works
without JavaScript: deleting a lead form, undoing a merge, undoing an import ("Undo anyway"
too). A POST without ``confirmed=1`` shows that page and changes nothing.
(Removing a team member and revoking a token: tests/test_web_admin.py.)"""

from __future__ import annotations

import html
import io
import re

import pytest
from events_kit import drain
from web_kit import csrf, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _asks(page: str, action: str, **fields) -> None:
    """``page`` is a confirmation page whose form posts to ``action`` with ``confirmed=1``."""
    assert 'class="notice confirm"' in page and f'action="{action}"' in page, page[:3000]
    assert 'name="confirmed" value="1"' in page
    for name, value in fields.items():
        assert f'name="{name}" value="{value}"' in page, name
    assert "data-confirm=" not in page and "onsubmit" not in page


def test_deleting_a_lead_form_asks_first(app):
    from peyvand_sales.models import LeadForm

    kernel = app.extensions["peyvand"]
    admin = web_client(app, "boss", language="en", calendar="gregorian")
    saved = admin.post("/app/sales/lead-forms/new", data={
        "csrf_token": csrf(admin.get("/app/sales/lead-forms/new")), "title_fa": "درخواست دمو",
        "title_en": "Demo request", "language": "fa", "source": "web_form",
        "type": "marketing", "enabled": "1", "use": ["last_name"],
        "required_last_name": "1"})
    edit_url = saved.headers["Location"]
    form_id = int(edit_url.rstrip("/").rsplit("/", 1)[-1])
    delete_url = f"/app/sales/lead-forms/{form_id}/delete"
    edit = _text(admin.get(edit_url))
    assert f'href="{delete_url}" data-delete-form' in edit and "confirm(" not in edit

    for asked in (admin.get(delete_url),
                  admin.post(delete_url, data={"csrf_token": csrf(admin.get(edit_url))})):
        assert asked.status_code == 200
        page = _text(asked)
        _asks(page, delete_url)
        assert "Delete the form “Demo request”?" in page and "/f/" in page
        assert f'href="{edit_url}"' in page                       # Cancel goes back
    with kernel.storage.bound("default"):
        assert LeadForm.select().where(LeadForm.id == form_id).exists()

    persian = web_client(app, "parisa")
    assert "فرم «درخواست دمو» حذف شود؟" in _text(persian.get(delete_url))
    done = admin.post(delete_url, data={"csrf_token": csrf(admin.get(delete_url)),
                                        "confirmed": "1"})
    assert done.status_code == 302
    with kernel.storage.bound("default"):
        assert not LeadForm.select().where(LeadForm.id == form_id).exists()
    assert admin.get(delete_url).status_code == 404


def _person(app, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return kernel.service("contacts.person", "default").create(values).id


def _deleted(app, person_id) -> bool:
    from peyvand_contacts.models import Person

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return Person.get_by_id(person_id).deleted_at is not None


def test_undoing_a_merge_asks_first_from_the_list_and_from_its_page(app):
    a = _person(app, first_name="Sara", last_name="Amini", email="sara@x.ir")
    b = _person(app, first_name="Sarah", last_name="Amini", email="sara@x.ir", city="Tehran")
    client = web_client(app, "boss", language="en", calendar="gregorian")
    done = client.post("/app/contacts/merge", data={
        "csrf_token": csrf(client.get("/profile")), "entity": "person", "ids": [a, b],
        "survivor": a, "take:city": str(b), "step": "confirm"})
    result_url = done.headers["Location"]
    undo_url = result_url + "/undo"
    assert f'href="{undo_url}" data-undo' in _text(client.get(result_url))
    assert f'href="{undo_url}" data-undo' in _text(client.get("/app/contacts/merges"))

    asked = client.get(undo_url)
    page = _text(asked)
    _asks(page, undo_url)
    assert "Undo the merge into “Sara Amini”?" in page and "Sarah Amini" in page
    assert f'href="{result_url}"' in page
    unconfirmed = client.post(undo_url, data={"csrf_token": csrf(asked)})
    assert unconfirmed.status_code == 200
    _asks(_text(unconfirmed), undo_url)
    assert _deleted(app, b)                                        # nothing undone yet

    persian = web_client(app, "parisa")
    assert "واگردانی ادغام در «Sara Amini»؟" in _text(persian.get(undo_url))
    seller = web_client(app, "reza", roles=("salesperson",))
    assert seller.get(undo_url).status_code in (403, 404)          # may not undo it

    undone = client.post(undo_url, data={"csrf_token": csrf(asked), "confirmed": "1"})
    assert undone.status_code == 302 and not _deleted(app, b)
    # Undone: nothing left to confirm.
    assert client.get(undo_url).headers["Location"].endswith(result_url)


def test_undoing_an_import_anyway_asks_first_and_keeps_the_force(app):
    client = web_client(app, "boss", language="en", calendar="gregorian")
    kernel = app.extensions["peyvand"]
    data = b"first_name,last_name,email\r\nAli,Karimi,ali@x.ir\r\n"
    job = client.post("/api/v1/contacts/imports", data={"file": (io.BytesIO(data), "p.csv")},
                      content_type="multipart/form-data").get_json()
    drain(kernel)
    status_url = f"/app/contacts/imports/{job['id']}"
    undo_url = status_url + "/undo"
    person = client.get("/api/v1/contacts/persons").get_json()["data"][0]
    with kernel.storage.bound("default"):
        kernel.service("contacts.person", "default").update(person["id"], {"city": "Karaj"})

    # The plain undo is refused (the person changed since): the page offers "Undo anyway".
    page = _text(client.get(undo_url))
    _asks(page, undo_url)
    assert "Undo import" in page and "1 people it created go to the trash." in page
    refused = client.post(undo_url, data={"csrf_token": csrf(client.get(undo_url)),
                                          "confirmed": "1"})
    page = _text(client.get(refused.headers["Location"]))
    assert "The import was not undone" in page
    force_url = re.search(r'href="([^"]+)" data-undo-force', page).group(1)
    assert force_url == undo_url + "?force=1"

    asked = client.get(force_url)
    page = _text(asked)
    _asks(page, undo_url, force="1")
    assert "Changes made to these people since the import are lost." in page
    unconfirmed = client.post(undo_url, data={"csrf_token": csrf(asked), "force": "1"})
    _asks(_text(unconfirmed), undo_url, force="1")
    assert len(client.get("/api/v1/contacts/persons").get_json()["data"]) == 1
    undone = client.post(undo_url, data={"csrf_token": csrf(asked), "force": "1",
                                         "confirmed": "1"})
    assert "The import is undone" in _text(client.get(undone.headers["Location"]))
    assert client.get("/api/v1/contacts/persons").get_json()["data"] == []
    assert client.get(undo_url).status_code == 302               # nothing left to undo
