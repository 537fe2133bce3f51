"""The list pages' filter controls (built from the schema, no plugin named) and the global
search box's suggestions."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from web_kit import log_in, make_user, post, web_client

PEOPLE = "/app/contacts/persons"


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _text(response) -> str:
    return response.get_data(as_text=True)


def _control(page: str, name: str) -> str:
    """The markup of one filter control (its ``<select>`` or ``<input>``)."""
    found = re.search(rf'<select name="{re.escape(name)}">.*?</select>|'
                      rf'<input name="{re.escape(name)}"[^>]*>', page, re.S)
    assert found, f"no filter control {name}"
    return found.group(0)


def _rows(page: str) -> list[str]:
    body = page[page.index("<tbody>"):page.index("</tbody>")] if "<tbody>" in page else ""
    return sorted(set(re.findall(
        r'<td[^>]*>(?:<a href="[^"]*">)?(Karimi|Ahmadi|Rostami|Sadeghi)(?:</a>)?</td>', body)))


def _seed(app, owners: dict[str, int] | None = None):
    """People through the record service (so the search index knows them), an organisation,
    two tags; ``owners`` maps a last name to its owner's user id."""
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.tags import create_tag, find_tag
        from peyvand_contacts.models import Person

        for name, colour in (("VIP", "#dc2626"), ("نمایشگاه", "#fde68a")):
            if find_tag(name) is None:
                create_tag(name, colour)
        orgs = kernel.service("contacts.organization", "default")
        acme = orgs.create({"name": "بازرگانی آلفا", "city": "تهران"}).id
        other = orgs.create({"name": "صنایع بتا"}).id
        people = kernel.service("contacts.person", "default")
        made = {}
        for last, values in (
                ("Karimi", {"lifecycle_stage": "customer", "city": "شیراز",
                            "organization_id": acme, "tags": ["VIP"], "consent_sms": True}),
                ("Ahmadi", {"lifecycle_stage": "customer", "city": "تبریز",
                            "organization_id": other}),
                ("Rostami", {"lifecycle_stage": "lead", "city": "شیراز",
                             "tags": ["نمایشگاه"]}),
                ("Sadeghi", {"lifecycle_stage": "lead", "city": "اصفهان",
                             "organization_id": acme})):
            made[last] = people.create({"last_name": last, **values}).id
        for last, owner in (owners or {}).items():
            Person.update(owner_id=owner).where(Person.id == made[last]).execute()
    return made


def test_the_filter_controls_come_from_the_schema_translated(app):
    _seed(app)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.identity import create_team

        create_team("فروش شمال")
    make_user(app, "zahra", roles=("salesperson",))
    client = web_client(app, "boss")
    page = _text(client.get(f"{PEOPLE}?view="))
    assert '<details class="filter-pick">' in page and "<summary>پالایه‌ها</summary>" in page
    stage = _control(page, "lifecycle_stage")
    assert '<option value="">هر کدام</option>' in stage
    assert '<option value="customer">مشتری</option>' in stage
    assert '<option value="former_customer">مشتری پیشین</option>' in stage
    assert re.findall(r'<option value="(\w+)">(\w+)</option>',
                      _control(page, "consent_sms")) == [("true", "بله"), ("false", "خیر")]
    owners = re.findall(r'<option value="(\w*)">([^<]+)</option>', _control(page, "owner_id"))
    assert owners[:2] == [("", "هر کدام"), ("me", "خودم")]          # "me" first
    assert "zahra" in {label for _v, label in owners} and "boss" not in {
        label for _v, label in owners}                            # the viewer is "me"
    assert ">فروش شمال</option>" in _control(page, "team_id")
    tag = _control(page, "tag")
    assert re.search(r'<option value="VIP" style="background:#dc2626;color:#fff">VIP</option>',
                     tag)
    assert 'placeholder="نام…"' in _control(page, "organization_id__q")
    assert 'placeholder="دارای…"' in _control(page, "city__contains")
    # The search box covers names, e-mails and phones: no box of their own.
    assert 'name="last_name__contains"' not in page and 'name="email__contains"' not in page
    # In English, the same menus in English.
    english = web_client(app, "eve", language="en", calendar="gregorian")
    page = _text(english.get(f"{PEOPLE}?view="))
    assert "<summary>Filters</summary>" in page
    assert '<option value="former_customer">Former customer</option>' in _control(
        page, "lifecycle_stage")
    assert '<option value="me">Me</option>' in _control(page, "owner_id")


def test_a_field_the_role_may_not_see_gets_no_filter(app):
    _seed(app)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.identity import FieldRule, ensure_builtin_roles, get_role

        ensure_builtin_roles()
        FieldRule.create(role=get_role("manager"), entity="contacts.person", field="city",
                         rule="hidden")
    kernel.bump_generation()
    client = web_client(app, "mina", roles=("manager",))
    page = _text(client.get(f"{PEOPLE}?view="))
    assert 'name="lifecycle_stage"' in page and 'name="city__contains"' not in page


def test_chosen_filters_apply_show_as_chips_and_each_chip_removes_its_filter(app):
    _seed(app)
    client = web_client(app, "boss")
    # What the form sends: every control, most of them left empty.
    sent = client.get(f"{PEOPLE}?q=&from=&to=&view=&owner_id=&tag=&lifecycle_stage=customer"
                      "&consent_sms=&organization_id__q=&city__contains=شیر&job_title__contains=")
    assert sent.status_code == 302                       # the unused controls are left out
    url = sent.headers["Location"]
    assert parse_qs(urlsplit(url).query, keep_blank_values=True) == {
        "view": [""], "lifecycle_stage": ["customer"], "city__contains": ["شیر"]}
    page = _text(client.get(url))
    assert _rows(page) == ["Karimi"]
    assert '<option value="customer" selected>' in _control(page, "lifecycle_stage")
    assert 'value="شیر"' in _control(page, "city__contains")
    assert "<summary>پالایه‌ها (۲)</summary>" in page                # how many are chosen
    chips = re.findall(r'<span class="chip"[^>]*data-filter="([^"]+)">([^<]+)<bdi>([^<]+)</bdi>'
                       r' <a href="([^"]+)"', page)
    assert [(key, label, value) for key, label, value, _r in chips] == [
        ("lifecycle_stage", "مرحله مشتری: ", "مشتری"), ("city__contains", "شهر: ", "دارای «شیر»")]
    # Removing the stage keeps the city (and the view), and back on the first page.
    removal = dict((key, link) for key, _l, _v, link in chips)["lifecycle_stage"]
    removal = removal.replace("&amp;", "&")
    assert parse_qs(urlsplit(removal).query, keep_blank_values=True) == {
        "view": [""], "city__contains": ["شیر"]}
    assert _rows(_text(client.get(removal))) == ["Karimi", "Rostami"]
    # The filter form keeps them: the controls carry them, not hidden copies as well.
    assert page.count('name="lifecycle_stage"') == 1
    # Several stages typed in the address: named in the chip too.
    page = _text(client.get(f"{PEOPLE}?view=&lifecycle_stage__in=lead,customer"))
    assert "مرحله مشتری: <bdi>سرنخ، مشتری</bdi>" in page and len(_rows(page)) == 4
    # Yes/no, tag, linked record by name.
    assert _rows(_text(client.get(f"{PEOPLE}?view=&consent_sms=true"))) == ["Karimi"]
    page = _text(client.get(f"{PEOPLE}?view=&tag=VIP"))
    assert _rows(page) == ["Karimi"]
    assert re.search(r'<span class="chip" style="background:#dc2626;color:#fff" '
                     r'data-filter="tag">برچسب: <bdi>VIP</bdi>', page)
    page = _text(client.get(f"{PEOPLE}?view=&organization_id__q=آلفا"))
    assert _rows(page) == ["Karimi", "Sadeghi"]
    assert "سازمان: <bdi>دارای «آلفا»</bdi>" in page
    assert _rows(_text(client.get(f"{PEOPLE}?view=&organization_id__q=هیچ‌کجا"))) == []
    # The tag menu follows a renamed, recoloured tag at once (it is cached between changes).
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.tags import find_tag, update_tag

        update_tag(find_tag("VIP"), name="ویژه", colour="#fde68a")
    tag = _control(_text(client.get(f"{PEOPLE}?view=")), "tag")
    assert '<option value="ویژه" style="background:#fde68a;color:#111">ویژه</option>' in tag
    assert ">VIP<" not in tag


def test_owner_me_is_each_viewer_and_a_saved_view_keeps_the_filters(app):
    boss = make_user(app, "boss", teams=("فروش",))
    mate = make_user(app, "mate", teams=("فروش",))
    _seed(app, owners={"Karimi": boss.id, "Ahmadi": mate.id, "Rostami": mate.id})
    client = log_in(app.test_client(), "boss")
    url = f"{PEOPLE}?view=&owner_id=me&lifecycle_stage=customer"
    page = _text(client.get(url))
    assert _rows(page) == ["Karimi"]
    assert "مسئول: <bdi>خودم</bdi>" in page
    assert '<option value="me" selected>' in _control(page, "owner_id")
    page = _text(client.get(f"{PEOPLE}?view=&owner_id={mate.id}"))
    assert _rows(page) == ["Ahmadi", "Rostami"] and "مسئول: <bdi>mate</bdi>" in page
    saved = post(client, f"{PEOPLE}/views", {"name": "مشتریان من", "visibility": "team",
                                             "query": urlsplit(url).query}, page_url=url)
    assert saved.status_code == 302
    stored = parse_qs(urlsplit(saved.headers["Location"]).query)
    assert stored["owner_id"] == ["me"] and stored["lifecycle_stage"] == ["customer"]
    view_id = stored["view"][0]
    # A teammate opening the shared view sees *their* customers, with the filters as chips.
    teammate = log_in(app.test_client(), "mate")
    opened = teammate.get(f"{PEOPLE}?view={view_id}")
    assert opened.status_code == 302
    page = _text(teammate.get(opened.headers["Location"]))
    assert _rows(page) == ["Ahmadi"]
    assert 'data-filter="owner_id"' in page and 'data-filter="lifecycle_stage"' in page
    assert '<option value="customer" selected>' in _control(page, "lifecycle_stage")
    # Taking the view's filters off, from the chips or the emptied menus, shows every record
    # with the view marked changed, rather than opening the view's filters again.
    here = opened.headers["Location"]
    for chip in ("owner_id", "lifecycle_stage"):
        link = re.search(rf'data-filter="{chip}">.*?<a href="([^"]+)"', page).group(1)
        answer = teammate.get(link.replace("&amp;", "&"))
        assert answer.status_code == 200
        page = _text(answer)
    everyone = ["Ahmadi", "Karimi", "Rostami", "Sadeghi"]
    assert _rows(page) == everyone and "(تغییر کرده)" in page
    emptied = teammate.get(f"{PEOPLE}?view={view_id}&q=&owner_id=&lifecycle_stage=")
    assert emptied.status_code == 200 and _rows(_text(emptied)) == everyone
    assert teammate.get(here).status_code == 200


def test_owner_menu_lists_only_the_users_the_viewer_may_see(app):
    make_user(app, "ali", roles=("manager",), teams=("شمال",))
    make_user(app, "bahar", roles=("salesperson",), teams=("شمال",))
    make_user(app, "cyrus", roles=("salesperson",), teams=("جنوب",))
    _seed(app)
    def owners(name):
        page = _text(log_in(app.test_client(), name).get(f"{PEOPLE}?view="))
        return [label for _v, label in re.findall(r'<option value="(\w+)">([^<]+)</option>',
                                                  _control(page, "owner_id"))]

    assert owners("ali") == ["خودم", "bahar"]            # team scope: the team's members
    assert owners("bahar") == ["خودم"]                    # own scope: only "me"


def test_many_users_are_capped_in_the_owner_menu(app, monkeypatch):
    from peyvand.web import pages

    monkeypatch.setattr(pages, "FILTER_OPTIONS", 3)
    for name in ("u1", "u2", "u3", "u4", "u5"):
        make_user(app, name, roles=("salesperson",))
    client = web_client(app, "boss")
    page = _text(client.get(f"{PEOPLE}?view="))
    assert _control(page, "owner_id").count("<option") == 1 + 1 + 3    # any, me, first 3
    assert "فهرست‌های بلند تنها ۳ گزینهٔ نخست خود را نشان می‌دهند." in page


# -- suggestions -------------------------------------------------------------------------------

def test_suggestions_answer_with_records_the_user_may_read(app):
    seller = make_user(app, "sara", roles=("salesperson",))
    _seed(app, owners={"Karimi": seller.id})
    admin = web_client(app, "boss")
    answer = admin.get("/search/suggest?q=Karimi")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store"
    items = answer.json["items"]
    assert [i["title"] for i in items] == ["Karimi"]
    assert items[0]["entity"] == "شخص" and re.fullmatch(r"/app/contacts/persons/\d+",
                                                        items[0]["url"])
    assert answer.json["more"] == "/search?q=Karimi"
    found = {(i["title"], i["entity"]) for i in admin.get("/search/suggest?q=آلفا").json["items"]}
    assert ("بازرگانی آلفا", "سازمان") in found and ("Sadeghi", "شخص") in found
    # The salesperson reads only what they own: Karimi, not Ahmadi nor the organisations.
    seller_client = log_in(app.test_client(), "sara")
    assert [i["title"] for i in seller_client.get("/search/suggest?q=Karimi").json["items"]] \
        == ["Karimi"]
    assert seller_client.get("/search/suggest?q=Ahmadi").json["items"] == []
    assert {i["title"] for i in seller_client.get("/search/suggest?q=آلفا").json["items"]} \
        == {"Karimi"}                                     # not Sadeghi, not the organisation
    assert admin.get("/search/suggest?q=Ahmadi").json["items"] != []
    # Too short a query asks nothing; logged-out visitors are sent to log in.
    assert admin.get("/search/suggest?q=K").json["items"] == []
    assert app.test_client().get("/search/suggest?q=Karimi").status_code == 302


def test_the_search_box_offers_suggestions_and_still_works_without_javascript(app):
    client = web_client(app, "boss")
    page = _text(client.get("/"))
    form = re.search(r'<form class="global-search"[^>]*>', page).group(0)
    assert 'action="/search"' in form and 'method="get"' in form
    assert 'data-suggest="/search/suggest"' in form and 'data-suggest-label="پیشنهادها"' in form


def test_custom_fields_get_filters_too(app):
    made = _seed(app)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand.custom_fields import add_field

        entities = kernel.entities("default")
        add_field(entities, "contacts.person", "grade", "choice", label_en="Grade",
                  label_fa="درجه", choices=("طلایی", "نقره‌ای"))
        add_field(entities, "contacts.person", "vip_ok", "boolean", label_en="Approved",
                  label_fa="تأییدشده")
        add_field(entities, "contacts.person", "branch", "text", label_en="Branch",
                  label_fa="شعبه")
    kernel.bump_generation()
    with kernel.storage.bound("default"):
        people = kernel.service("contacts.person", "default")
        people.update(made["Karimi"], {"cf_grade": "طلایی", "cf_vip_ok": True,
                                       "cf_branch": "شعبه مرکزی"})
        people.update(made["Ahmadi"], {"cf_grade": "نقره‌ای", "cf_branch": "شعبه غرب"})
    client = web_client(app, "boss")
    page = _text(client.get(f"{PEOPLE}?view="))
    assert '<option value="طلایی">طلایی</option>' in _control(page, "cf_grade")
    assert "<label>درجه" in page and "<label>شعبه" in page
    assert '<option value="true">بله</option>' in _control(page, "cf_vip_ok")
    _control(page, "cf_branch__contains")
    assert _rows(_text(client.get(f"{PEOPLE}?view=&cf_grade=نقره‌ای"))) == ["Ahmadi"]
    assert _rows(_text(client.get(f"{PEOPLE}?view=&cf_vip_ok=true"))) == ["Karimi"]
    page = _text(client.get(f"{PEOPLE}?view=&cf_branch__contains=مرکز"))
    assert _rows(page) == ["Karimi"] and "شعبه: <bdi>دارای «مرکز»</bdi>" in page


def test_amount_and_date_ranges_typed_in_persian(peyvand_app_factory):
    """Number and date fields get "from" and "to" boxes; Persian digits and a Jalali date
    work, and a date that cannot be read is named instead of ignored."""
    app = peyvand_app_factory(plugins=["contacts", "sales"])
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        deals = kernel.service("sales.deal", "default")
        made = {title: deals.create({"title": title, "pipeline_id": 1, "stage": "qualified",
                                     "amount": amount, "currency": "IRR",
                                     "expected_close": close}).id
                for title, amount, close in (("کوچک", "500000", "2026-03-25"),
                                             ("میانه", "2000000", "2026-04-10"),
                                             ("بزرگ", "90000000", "2026-06-01"))}
    client = web_client(app, "boss")
    page = _text(client.get("/app/sales/deals"))
    assert 'name="amount__gte"' in _control(page, "amount__gte")
    assert 'class="date-input"' in _control(page, "expected_close__lte")
    assert 'name="person_id__gte"' not in page and 'name="pipeline_id__gte"' not in page

    def shown(url):
        body = _text(client.get(url))
        return {t for t, i in made.items() if f'/app/sales/deals/{i}"' in body}, body

    found, body = shown("/app/sales/deals?amount__gte=۱٬۰۰۰٬۰۰۰&amount__lte=۵۰٬۰۰۰٬۰۰۰")
    assert found == {"میانه"}
    assert "مبلغ از" in body and "مبلغ تا" in body                  # the chips say which end
    # 1405/01/05 is 2026-03-25 and 1405/01/21 is 2026-04-10: both ends are taken in.
    found, _ = shown("/app/sales/deals?expected_close__gte=۱۴۰۵/۰۱/۰۵"
                     "&expected_close__lte=۱۴۰۵/۰۱/۲۱")
    assert found == {"کوچک", "میانه"}
    refused = client.get("/app/sales/deals?expected_close__gte=soon")
    assert refused.status_code == 200 and "تاریخی مانند" in _text(refused)
