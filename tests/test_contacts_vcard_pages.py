"""Importing a .vcf on the web (``/app/contacts/vcard-import``): one line per card — created,
a likely duplicate named and linked, or not created with the card's number, name and
reason — in the user's language; files that cannot be read create nothing; only users who
may create people see the link and the page. (tests/ui/test_contacts_browser.py drives it in a
real browser.)"""

from __future__ import annotations

import io
import re

import pytest
from web_kit import csrf, web_client

URL = "/app/contacts/vcard-import"
CARDS = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:کریمی;سارا;;;\r\nFN:سارا کریمی\r\n"
         "TEL;TYPE=CELL:0935 111 2233\r\nEND:VCARD\r\n"
         "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Miller;John;;;\r\nFN:John Miller\r\n"
         "TEL;TYPE=CELL:12\r\nEND:VCARD\r\n"
         "BEGIN:VCARD\r\nVERSION:3.0\r\nN:حسینی;نگار;;;\r\nFN:نگار حسینی\r\n"
         "EMAIL;TYPE=work:negar@aryasoft.ir\r\nORG:آریاسافت\r\nEND:VCARD\r\n")


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def text(response) -> str:
    return response.get_data(as_text=True)


def upload(client, data: bytes, name="contacts.vcf"):
    return client.post(URL, data={"csrf_token": csrf(client.get("/profile")),
                                  "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def people(app) -> list[tuple]:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return [(p.first_name, p.last_name, p.phone, p.email) for p in
                Person.select().where(Person.deleted_at.is_null()).order_by(Person.id)]


def ids(app, last_name) -> list[int]:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return [p.id for p in Person.select(Person.id).where(Person.last_name == last_name)]


def _existing(app) -> int:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return kernel.service("contacts.person", "default").create(
            {"first_name": "سارا", "last_name": "کریمی", "phone": "09351112233"}).id


def test_an_address_book_is_imported_card_by_card_with_duplicates_and_errors(app):
    existing = _existing(app)
    client = web_client(app, "boss")                              # Persian
    page = text(client.get("/app/contacts/import"))
    assert f'href="{URL}" data-vcard-import>درون‌ریزی کارت ویزیت' in page
    page = text(client.get(URL))
    assert 'class="panel stack vcard-upload"' in page and "هیچ چیز ساخته نمی‌شود" in page

    answer = upload(client, CARDS.encode("utf-8"))
    assert answer.status_code == 200
    page = text(answer)
    rows = dict(re.findall(r'<tr data-card="(\d)" data-outcome="(\w+)">', page))
    assert rows == {"1": "duplicate", "2": "error", "3": "created"}
    created = [p for p in people(app) if p[1] in ("کریمی", "حسینی")]
    assert [p[:2] for p in created] == [("سارا", "کریمی"), ("سارا", "کریمی"),
                                        ("نگار", "حسینی")]
    assert not [p for p in people(app) if p[1] == "Miller"]
    card1 = re.search(r'<tr data-card="1".*?</tr>', page, re.S).group(0)
    # Created, with the person already in the CRM named and linked, and a way to merge them.
    [new] = [i for i in ids(app, last_name="کریمی") if i != existing]
    assert f'<a href="/app/contacts/persons/{new}"><bdi>سارا کریمی</bdi></a>' in card1
    assert "به مخاطبین افزوده شد" in card1
    assert f'href="/app/contacts/persons/{existing}" data-duplicate="{existing}"' in card1
    assert "شاید همان شخصِ زیر باشد" in card1 and "data-merge" in card1
    # Not created: the card's number and name, and what is wrong, in Persian.
    card2 = re.search(r'<tr data-card="2".*?</tr>', page, re.S).group(0)
    assert "<td>۲</td>" in card2 and "John Miller" in card2
    assert "ساخته نشد" in card2 and "رقم‌های آن کم است" in card2
    assert re.search(r"<td>۱</td>", card1)
    assert re.search(r'data-count="created"><strong>۲</strong>', page)
    assert re.search(r'data-count="failed"><strong[^>]*>۱</strong>', page)


def test_the_page_in_english_names_the_card_and_the_field(app):
    client = web_client(app, "sara", language="en")
    page = text(upload(client, CARDS.encode("utf-8")))
    card2 = re.search(r'<tr data-card="2".*?</tr>', page, re.S).group(0)
    assert "John Miller" in card2 and "Not created: Phones:" in card2
    assert "What became of each card" in page


def test_a_file_that_cannot_be_read_creates_nothing_and_says_why(app):
    client = web_client(app, "boss")
    before = people(app)
    answer = upload(client, b"hello, not a card")
    assert answer.status_code == 422 and "فایل vCard نیست" in text(answer)
    answer = upload(client, b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    assert answer.status_code == 422
    assert "هیچ کارتی (BEGIN:VCARD … END:VCARD) نیست" in text(answer)
    answer = upload(client, "BEGIN:VCARD\r\nVERSION:3.0\r\nN:علي;;;;\r\nFN:علي\r\n"
                    "END:VCARD\r\n".encode("cp1256"))          # Windows Arabic, not UTF-8
    assert answer.status_code == 422 and "UTF-8" in text(answer)
    many = ("BEGIN:VCARD\r\nVERSION:3.0\r\nN:X;;;;\r\nFN:X\r\nEND:VCARD\r\n" * 1001)
    answer = upload(client, many.encode("utf-8"))
    assert answer.status_code == 422 and "هر بار حداکثر ۱۰۰۰ کارت" in text(answer)
    answer = upload(client, b"BEGIN:VCARD\r\n" + b"x" * (5 * 1024 * 1024))
    assert answer.status_code == 413 and "بزرگ‌تر از ۵ مگابایت" in text(answer)
    answer = client.post(URL, data={"csrf_token": csrf(client.get("/profile"))},
                         content_type="multipart/form-data")
    assert answer.status_code == 422 and "فایل ‎.vcf‎ را برای درون‌ریزی انتخاب کنید" in text(
        answer)
    assert people(app) == before
    english = web_client(app, "sara", language="en")
    answer = upload(english, b"hello")
    assert "not a vCard file: " in text(answer)


def test_only_users_who_may_create_people_see_the_link_and_may_import(app):
    reader = web_client(app, "nima", roles=("readonly",))
    assert 'data-menu="contacts.vcard_import"' not in text(reader.get("/"))
    assert reader.get(URL).status_code == 403
    assert upload(reader, CARDS.encode("utf-8")).status_code == 403
    assert people(app) == []
    # A salesperson may create people (their own) but not run the import wizard: the menu
    # leads them to the vCard page, and the people are theirs.
    seller = web_client(app, "reza", roles=("salesperson",))
    assert 'data-menu="contacts.vcard_import"' in text(seller.get("/"))
    assert seller.get("/app/contacts/import").status_code == 403
    page = text(upload(seller, CARDS.encode("utf-8")))
    assert 'data-outcome="created"' in page
    assert "data-duplicate" not in page                  # nobody else's people are named
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.identity import User
        from peyvand_contacts.models import Person

        reza = User.get(User.name == "reza").id
        assert {p.owner_id for p in Person.select()} == {reza}
    admin = web_client(app, "boss")
    assert 'data-menu="contacts.vcard_import"' in text(admin.get("/"))


def test_the_import_page_hides_the_vcard_link_from_importers_who_may_not_create(app):
    from peyvand.identity import Grant, Role

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        manager = Role.get(Role.key == "manager").id
        changed = (Grant.update(scope="none")
                   .where((Grant.role == manager)
                          & (Grant.permission == "contacts.person.create")).execute())
        assert changed == 1
    kernel.bump_generation()
    mina = web_client(app, "mina", roles=("manager",))
    page = text(mina.get("/app/contacts/import"))            # may import, not create
    assert "import-upload" in page and "data-vcard-import" not in page
    assert 'data-menu="contacts.vcard_import"' not in page
    assert mina.get(URL).status_code == 403
