"""How the generic web pages show values, in Persian (RTL) and English: related-data lists
(a contact's phones, e-mails, addresses) as items through ``RelatedData.display_items``,
structured values (a pipeline's stages, a lead's score details) never as Python text, keys
named through ``Entity.value_labels`` (a deal's stage, an activity's entity), the history's
arrows, the search page and the contacts import preview."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
from web_kit import csrf, web_client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def create(app, entity_id, values) -> int:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        return kernel.service(entity_id, "default").create(values).id


def update(app, entity_id, record_id, values) -> None:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service(entity_id, "default")
        service.update(record_id, values, via="web")


def field(page: str, label: str) -> str:
    """The ``<dd>`` of the record page's field labelled ``label``."""
    found = re.search(r"<dt>" + re.escape(label) + r"</dt>\s*<dd>(.*?)</dd>", page, re.S)
    assert found, label
    return found.group(1)


PHONES = [{"value": "09121234567", "type": "mobile", "primary": True},
          {"value": "02188776601", "type": "work"}]
EMAILS = [{"value": "ali@example.ir", "type": "work"}]


def _person(app) -> int:
    return create(app, "contacts.person", {
        "first_name": "علی", "last_name": "کریمی", "phones": PHONES, "emails": EMAILS,
        "addresses": [{"type": "home", "city": "تهران", "postal_code": "1968913751"},
                      {"type": "shipping", "line": "جاده مخصوص، انبار 4", "city": "کرج"}]})


# -- 1. related lists ----------------------------------------------------------------------------

def test_a_persons_phones_emails_and_addresses_show_as_items_in_persian(app):
    person = _person(app)
    client = web_client(app, "boss")
    page = text(client.get(f"/app/contacts/persons/{person}"))
    phones = field(page, "شماره‌های تلفن")
    assert "(mobile)" not in page and "(work)" not in page and ";" not in phones
    # One item a line, the primary first and marked; a tel: link with the ASCII number and
    # the number shown left-to-right in Persian digits; the type in Persian.
    items = re.findall(r"<li[^>]*>(.*?)</li>", phones)
    assert len(items) == 2
    assert '<a href="tel:+989121234567"><bdi dir="ltr">+۹۸۹۱۲۱۲۳۴۵۶۷</bdi></a>' in items[0]
    assert "موبایل" in items[0] and "اصلی" in items[0]
    assert '<a href="tel:+982188776601"><bdi dir="ltr">+۹۸۲۱۸۸۷۷۶۶۰۱</bdi></a>' in items[1]
    assert "محل کار" in items[1] and "اصلی" not in items[1]
    emails = field(page, "ایمیل‌ها")
    assert '<a href="mailto:ali@example.ir"><bdi dir="ltr">ali@example.ir</bdi></a>' in emails
    assert "محل کار" in emails and "اصلی" not in emails        # a single item: not marked
    addresses = field(page, "نشانی‌ها")
    assert "<bdi>تهران، ۱۹۶۸۹۱۳۷۵۱</bdi>" in addresses            # empty parts left out
    assert "<bdi>جاده مخصوص، انبار ۴، کرج</bdi>" in addresses and "خانه" in addresses
    assert "، ،" not in addresses and "()" not in addresses

    # The print view shows the same items.
    printed = text(client.get(f"/app/contacts/persons/{person}?print=1"))
    assert '<bdi dir="ltr">+۹۸۹۱۲۱۲۳۴۵۶۷</bdi>' in field(printed, "شماره‌های تلفن")


def test_the_same_lists_in_english_keep_latin_digits(app):
    person = _person(app)
    client = web_client(app, "boss", language="en", calendar="gregorian")
    page = text(client.get(f"/app/contacts/persons/{person}"))
    phones = field(page, "Phone numbers")
    assert '<a href="tel:+989121234567"><bdi dir="ltr">+989121234567</bdi></a>' in phones
    assert "Mobile" in phones and "Primary" in phones and "Work" in phones
    assert "1968913751" in field(page, "Addresses")


def test_list_cells_show_the_primary_item_and_how_many_more(app):
    person = _person(app)
    client = web_client(app, "boss")
    page = text(client.get("/app/contacts/persons?columns=last_name,phones,emails"))
    row = re.search(rf'<tr[^>]*>\s*<td class="pick"><input[^>]*value="{person}">(.*?)</tr>',
                    page, re.S).group(1)
    assert '<a href="tel:+989121234567"><bdi dir="ltr">+۹۸۹۱۲۱۲۳۴۵۶۷</bdi></a>' in row
    assert '<bdi dir="ltr" class="more muted">+۱</bdi>' in row
    assert "+۹۸۲۱۸۸۷۷۶۶۰۱" not in row and "<ul" not in row and "(work)" not in row


def test_an_organisation_address_with_only_a_city_shows_no_empty_brackets(app):
    org = create(app, "contacts.organization", {
        "name": "نوین", "city": "تهران",
        "addresses": [{"type": "work", "city": "تهران"},
                      {"type": "shipping", "line": "انبار ۴", "city": "تهران"}]})
    page = text(web_client(app, "boss").get(f"/app/contacts/organizations/{org}"))
    addresses = field(page, "نشانی‌ها")
    assert "(work)" not in addresses and "(shipping)" not in addresses and ";" not in addresses
    assert "<bdi>تهران</bdi>" in addresses and "<bdi>انبار ۴، تهران</bdi>" in addresses
    assert "ارسال کالا" in addresses


def test_the_demo_stores_the_extra_addresses(peyvand_app_factory):
    app = peyvand_app_factory(plugins=["contacts"])
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts import demo
        from peyvand_contacts.models import Detail

        demo.load()
        lines = [d.line for d in Detail.select().where(Detail.kind == "address")]
    assert lines and all(lines)


def test_a_related_value_without_display_items_is_shown_generically():
    from markupsafe import Markup

    from peyvand.related import RelatedData
    from peyvand.web import forms

    assert RelatedData().display_items("lines", [{"sku": "A1", "qty": 2}]) is None
    meta = forms.FieldMeta(name="lines", kind="related", items=lambda value: None)
    html = str(forms.display(meta, "lines", [{"sku": "A1", "qty": 2}], {}))
    assert "{" not in html and "Sku: <bdi>A1</bdi>" in html and "Qty: 2" in html
    # Only safe link schemes are kept.
    items = [{"text": "x", "href": "javascript:alert(1)"}, {"text": "y", "href": "tel:+1"}]
    html = str(forms.related_items(items))
    assert "javascript" not in html and '<a href="tel:+1">' in html
    assert isinstance(forms.related_items([]), Markup)


# -- 2. structured values and value labels ---------------------------------------------------------

def test_a_pipelines_stages_show_their_labels_never_python_text(app):
    client = web_client(app, "boss")
    page = text(client.get("/app/sales/pipelines/1"))
    stages = field(page, "مراحل")
    assert "{" not in stages and "&#39;" not in stages and "qualified" not in stages
    assert "<li><bdi>واجد شرایط</bdi>" in stages and "احتمال: ۱۰" in stages
    english = web_client(app, "anna", language="en", calendar="gregorian")
    stages = field(text(english.get("/app/sales/pipelines/1")), "Stages")
    assert "<li><bdi>Qualified</bdi>" in stages and "Probability: 10" in stages


def test_a_pipelines_stages_are_edited_as_json_on_its_form(app):
    """A structured field has no ready-made input: the generic form edits the API's JSON
    (it showed empty checkboxes, so a pipeline could not be edited from the web)."""
    import json

    from web_kit import post

    client = web_client(app, "boss")
    form = text(client.get("/app/sales/pipelines/1/edit"))
    box = re.search(r'<textarea id="f-stages" name="stages"[^>]*>(.*?)</textarea>', form, re.S)
    assert box is not None and 'type="checkbox" name="stages"' not in form
    stages = json.loads(html.unescape(box.group(1)))
    assert stages[0]["key"] and stages[0]["label"]["fa"]
    stages[0]["label"]["fa"] = "تماس نخست"
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    saved = post(client, "/app/sales/pipelines/1/edit",
                 {"name": "فروش", "stages": json.dumps(stages, ensure_ascii=False),
                  "version": version})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    assert "تماس نخست" in field(text(client.get("/app/sales/pipelines/1")), "مراحل")
    broken = post(client, "/app/sales/pipelines/1/edit", {"name": "فروش", "stages": "[{"})
    assert broken.status_code == 422
    assert "این JSON درست نیست (سطر ۱، ستون ۳)" in html.unescape(broken.get_data(as_text=True))
    assert "تماس نخست" in field(text(client.get("/app/sales/pipelines/1")), "مراحل")


def test_a_leads_score_details_read_as_items(app):
    kernel = app.extensions["peyvand"]
    lead = create(app, "sales.lead", {"last_name": "حسینی", "source": "web_form"})
    with kernel.storage.bound("default"):
        import json

        from peyvand_sales.models import Lead

        Lead.update(score_details=json.dumps([
            {"criterion": 5, "label": "بدون شماره تماس", "points": -10}],
            ensure_ascii=False)).where(Lead.id == lead).execute()
    page = text(web_client(app, "boss").get(f"/app/sales/leads/{lead}"))
    details = field(page, "جزئیات امتیاز")
    assert "{" not in details and "criterion" not in details
    assert "<bdi>بدون شماره تماس</bdi>" in details and "امتیاز: -۱۰" in details


def test_structured_values_in_general():
    from peyvand.web import forms

    nested = {"city": "Tehran", "geo": {"lat": 35.7, "lng": 51.4}, "tags": ["a", "b"]}
    html = str(forms.structured(nested))
    assert "City: <bdi>Tehran</bdi>" in html and "Geo: (Lat: 35.7 · Lng: 51.4)" in html
    assert "{" not in html and "[" not in html
    # A list is a run of the page's direction: a dir="auto" element around it finds no letter
    # outside the items' isolates, and would lay them out left-to-right in Persian.
    assert str(forms.structured(["a", "b"])) == \
        '<span dir="ltr"><bdi>a</bdi>, <bdi>b</bdi></span>'
    assert str(forms.structured(["a"])) == "<bdi>a</bdi>"
    cell = str(forms.structured([{"label": {"en": "One"}}, {"label": {"en": "Two"}}], "cell"))
    assert cell.startswith("<bdi>One</bdi>") and "+1" in cell and "Two" not in cell


def test_a_deals_stage_and_an_activitys_entity_show_their_labels(app):
    deal = create(app, "sales.deal", {"title": "کارتخوان", "pipeline_id": 1,
                                      "stage": "negotiation", "amount": "10",
                                      "currency": "IRR"})
    activity = create(app, "sales.activity", {"subject": "تماس", "kind": "call",
                                              "entity": "sales.deal", "record_id": deal})
    client = web_client(app, "boss")
    listing = text(client.get("/app/sales/deals?columns=title,stage"))
    assert "<td><bdi>مذاکره</bdi></td>" in listing and ">negotiation<" not in listing
    # The stage's label comes from its pipeline, even when the list does not show it.
    assert "/app/sales/pipelines/1" not in listing
    assert field(text(client.get(f"/app/sales/deals/{deal}")), "مرحله") == "<bdi>مذاکره</bdi>"
    # Its status "open" reads as a state (باز), not as the verb of the kernel's button.
    assert field(text(client.get(f"/app/sales/deals/{deal}")), "وضعیت") == "باز"
    page = text(client.get(f"/app/sales/activities/{activity}"))
    assert field(page, "نوع رکورد مرتبط") == "<bdi>معامله</bdi>" and ">sales.deal<" not in page
    # The record it is about: the deal's title, linked to its page (Entity.record_links).
    assert field(page, "رکورد مرتبط") == f'<a href="/app/sales/deals/{deal}">کارتخوان</a>'
    english = web_client(app, "anna", language="en", calendar="gregorian")
    assert field(text(english.get(f"/app/sales/deals/{deal}")), "Stage") == \
        "<bdi>Negotiation</bdi>"
    # The API keeps the stored keys.
    assert app.test_client().get(f"/api/v1/sales/deals/{deal}").get_json()["stage"] == \
        "negotiation"


# -- 3. history arrows -----------------------------------------------------------------------------

def test_history_arrows_follow_the_direction_of_the_language(app):
    deal = create(app, "sales.deal", {"title": "قدیم", "pipeline_id": 1, "stage": "qualified",
                                      "amount": "10", "currency": "IRR"})
    update(app, "sales.deal", deal, {"title": "جدید", "stage": "closing"})
    client = web_client(app, "boss")
    page = text(client.get(f"/app/sales/deals/{deal}?tab=history"))
    assert '<bdi class="old">قدیم</bdi> ← <bdi class="new">جدید</bdi>' in page
    assert '<bdi class="old"><bdi>واجد شرایط</bdi></bdi> ← ' \
        '<bdi class="new"><bdi>در حال بستن</bdi></bdi>' in page
    assert "→" not in page
    audit = text(client.get(f"/admin/audit?entity=sales.deal&record={deal}"))
    assert '<bdi class="old">قدیم</bdi> ← <bdi class="new">جدید</bdi>' in audit
    english = web_client(app, "anna", language="en", calendar="gregorian")
    page = text(english.get(f"/app/sales/deals/{deal}?tab=history"))
    assert '<bdi class="old">قدیم</bdi> → <bdi class="new">جدید</bdi>' in page
    assert "←" not in page


def test_history_shows_related_lists_on_one_line(app):
    person = _person(app)
    update(app, "contacts.person", person, {"phones": [PHONES[0]]})
    page = text(web_client(app, "boss").get(f"/app/contacts/persons/{person}?tab=history"))
    assert "+۹۸۲۱۸۸۷۷۶۶۰۱</bdi></a> (محل کار)</span>" in page and "(work)" not in page
    assert '<bdi class="old"><span dir="rtl"><a href="tel:' in page


# -- 4. long text ----------------------------------------------------------------------------------

def test_only_the_value_of_a_long_text_field_keeps_its_line_breaks():
    import peyvand

    css = (Path(peyvand.__file__).parent / "static/peyvand/app.css").read_text("utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = {selector.strip(): body for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}",
                                                                      css)}
    assert "white-space" not in rules[".field-textarea"]
    assert "pre-wrap" in rules[".field-textarea dd"]


# -- 5. import preview -----------------------------------------------------------------------------

def test_the_import_preview_names_failed_rows_and_isolates_ltr_values(app):
    client = web_client(app, "boss")
    data = ("نام,نام خانوادگی,موبایل,ایمیل\r\n"
            "علی,کریمی,09121234567,ali@example.ir\r\n"
            "مریم,احمدی,12,maryam@example.ir\r\n").encode("utf-8-sig")
    answer = client.post("/app/contacts/import", data={
        "csrf_token": csrf(client.get("/profile")), "encoding": "",
        "file": (io.BytesIO(data), "people.csv")}, content_type="multipart/form-data")
    mapping_url = answer.headers["Location"]
    answer = client.post(mapping_url, data={
        "map:0": "first_name", "map:1": "last_name", "map:2": "mobile", "map:3": "email",
        "match_on": ["email"], "match_action": "update_empty",
        "csrf_token": csrf(client.get("/profile"))})
    page = text(client.get(answer.headers["Location"]))
    created = re.search(r'data-row="2" data-action="create">(.*?)</tr>', page, re.S).group(1)
    assert '<bdi dir="ltr">ali@example.ir</bdi>' in created
    assert '<bdi dir="ltr">+۹۸۹۱۲۱۲۳۴۵۶۷</bdi>' in created
    failed = re.search(r'data-row="3" data-action="fail">(.*?)</tr>', page, re.S).group(1)
    assert "<bdi>مریم احمدی</bdi>" in failed                  # whose row failed
    assert '<bdi dir="ltr">maryam@example.ir</bdi>' in failed


# -- 6. search -------------------------------------------------------------------------------------

def test_search_hits_show_phone_numbers_left_to_right_in_persian_digits(app):
    create(app, "contacts.person", {"first_name": "سعید", "last_name": "نوری",
                                    "phone": "09127770011"})
    create(app, "contacts.person", {"first_name": "سعید", "last_name": "Bahrami",
                                    "email": "saeed@example.ir"})
    client = web_client(app, "boss")
    page = text(client.get("/search?q=سعید"))
    assert '<span class="muted"><bdi dir="ltr">+۹۸۹۱۲۷۷۷۰۰۱۱</bdi></span>' in page
    assert '<span class="muted"><bdi dir="ltr">saeed@example.ir</bdi></span>' in page
    assert '<ol class="hits">' in page
    # The header's search box keeps the query on the results page.
    assert re.search(r'<input type="search" name="q" value="سعید"\s[^>]*id="global-q"', page)
    english = web_client(app, "anna", language="en", calendar="gregorian")
    page = text(english.get("/search?q=Bahrami"))
    assert '<bdi dir="ltr">saeed@example.ir</bdi>' in page


def test_search_results_are_numbered_in_persian_digits_in_persian():
    import peyvand

    css = (Path(peyvand.__file__).parent / "static/peyvand/app.css").read_text("utf-8")
    assert re.search(r":lang\(fa\) \.hits \{ list-style-type: persian; \}", css)
    # The header's box shows the kept query (inputs inherit colour: not the bar's white).
    box = re.search(r"\.global-search input \{([^}]*)\}", css).group(1)
    assert "color: var(--ink)" in box and "background: #fff" in box


def test_a_subtitle_without_a_field_is_isolated_by_its_letters(app):
    from peyvand.web.account import _subtitle

    with app.test_request_context("/"):
        assert str(_subtitle({"entity": "x.y", "subtitle": "a@b.ir"})) == \
            '<bdi dir="ltr">a@b.ir</bdi>'
        assert str(_subtitle({"entity": "x.y", "subtitle": "تهران"})) == "<bdi>تهران</bdi>"
        assert _subtitle({"entity": "x.y", "subtitle": None}) is None


def test_a_single_field_a_list_stands_for_is_not_shown_twice(app):
    """The record page shows the phone numbers once: the list, not also the primary number
    beside it; likewise e-mails."""
    person = _person(app)
    page = text(web_client(app, "boss").get(f"/app/contacts/persons/{person}"))
    assert "<dt>شماره‌های تلفن</dt>" in page and "<dt>ایمیل‌ها</dt>" in page
    assert "<dt>تلفن</dt>" not in page and "<dt>ایمیل</dt>" not in page


def test_a_list_row_without_a_first_name_is_named_by_its_title(app):
    """The first cell links to the record; for a person with no first name the last name's
    cell does, rather than a "(no name)" link."""
    person = create(app, "contacts.person", {"last_name": "صدری"})
    page = text(web_client(app, "boss").get("/app/contacts/persons"))
    assert f'<a href="/app/contacts/persons/{person}">صدری</a>' in page
    assert "(بی‌نام)" not in page
