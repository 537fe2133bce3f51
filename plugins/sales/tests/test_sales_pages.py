"""The sales pages of the web workspace: menu, kanban board (moves checked by the server, with
or without JavaScript), my work, forecast, lead forms admin and a deal's products."""

import datetime
import re

import pytest
from sales_web_kit import csrf, web_login

pytestmark = pytest.mark.peyvand_plugins("contacts", "sales")


def text(response) -> str:
    return response.get_data(as_text=True)


def make_deal(app, title="کارتخوان", stage="qualified", owner=None, **values):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_sales.models import Deal

        deal = Deal.create(title=title, pipeline_id=1, stage=stage, amount=values.pop(
            "amount", 1000000), currency="IRR", owner_id=owner, **values)
    return deal


def test_the_menu_has_the_sales_pages_in_persian(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    home = text(admin.get("/"))
    for url, label in (("/app/sales/board", "تابلوی معاملات"), ("/app/sales/deals", "معاملات"),
                       ("/app/sales/leads", "سرنخ‌ها"), ("/app/sales/my-work", "کارهای من"),
                       ("/app/sales/forecast", "پیش‌بینی فروش"),
                       ("/app/sales/lead-forms", "فرم‌های سرنخ")):
        assert re.search(rf'<a href="{url}"[^>]*>{label}</a>', home), label
    seller = web_login(peyvand_app, "reza", roles=("salesperson",))
    menu = text(seller.get("/"))
    assert "/app/sales/board" in menu and "/app/sales/lead-forms" not in menu
    assert seller.get("/app/sales/lead-forms").status_code == 403
    english = web_login(peyvand_app, "john", language="en")
    assert ">Deals board</a>" in text(english.get("/"))


def test_the_board_shows_columns_and_cards(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    make_deal(peyvand_app, "پشتیبانی سالانه", "proposal", amount=450000000)
    make_deal(peyvand_app, "کارتخوان", "qualified", expected_close=datetime.date(2025, 3, 21))
    page = text(admin.get("/app/sales/board"))
    assert '<h2 id="col-qualified">واجد شرایط</h2>' in page
    assert '<h2 id="col-proposal">ارسال پیشنهاد</h2>' in page
    assert "۴۵۰٬۰۰۰٬۰۰۰ ریال" in page and "۱۴۰۴/۰۱/۰۱" in page
    assert page.count('class="deal-card" draggable="true"') == 2
    assert "board.js" in page


def test_moving_a_card_without_javascript(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    deal = make_deal(peyvand_app)
    page = admin.get("/app/sales/board")
    moved = admin.post("/app/sales/board/move", data={
        "csrf_token": csrf(page), "deal_id": deal.id, "version": deal.version,
        "stage": "negotiation", "pipeline_id": 1})
    assert moved.status_code == 302
    after = text(admin.get(moved.headers["Location"]))
    assert "«کارتخوان» جابه‌جا شد." in after
    section = after.split('id="col-negotiation"')[1].split("</section>")[0]
    assert f'data-deal="{deal.id}"' in section
    # a stage the pipeline does not have is refused, with the reason
    refused = admin.post("/app/sales/board/move", data={
        "csrf_token": csrf(page), "deal_id": deal.id, "stage": "nowhere"})
    assert refused.status_code == 302
    assert "nowhere" in text(admin.get(refused.headers["Location"]))
    # no CSRF token, no move
    assert admin.post("/app/sales/board/move", data={"deal_id": deal.id,
                                                     "stage": "closing"}).status_code == 400


def test_a_drop_is_checked_by_the_server_and_answers_json(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    deal = make_deal(peyvand_app)
    token = csrf(admin.get("/app/sales/board"))
    headers = {"Accept": "application/json", "X-CSRF-Token": token}
    ok = admin.post("/app/sales/board/move", headers=headers, data={
        "csrf_token": token, "deal_id": deal.id, "version": deal.version, "stage": "proposal"})
    assert ok.status_code == 200, text(ok)
    assert ok.json["deal"] == {"id": deal.id, "stage": "proposal", "version": deal.version + 1}
    assert ok.json["columns"]["proposal"]["count"] == 1
    assert ok.json["columns"]["proposal"]["amount_text"] == "۱٬۰۰۰٬۰۰۰ ریال"
    assert ok.json["columns"]["qualified"] == {"count": 0, "count_text": "۰", "amount": {},
                                               "amount_text": "—"}
    stale = admin.post("/app/sales/board/move", headers=headers, data={
        "csrf_token": token, "deal_id": deal.id, "version": deal.version, "stage": "closing"})
    assert stale.status_code == 409
    bad = admin.post("/app/sales/board/move", headers=headers, data={
        "csrf_token": token, "deal_id": deal.id, "stage": "nowhere"})
    assert bad.status_code == 422 and "nowhere" in bad.json["message"]
    seller = web_login(peyvand_app, "reza", roles=("salesperson",))
    seller_token = csrf(seller.get("/app/sales/board"))
    hidden = seller.post("/app/sales/board/move", headers={
        "Accept": "application/json", "X-CSRF-Token": seller_token}, data={
        "csrf_token": seller_token, "deal_id": deal.id, "stage": "closing"})
    assert hidden.status_code == 404           # not their deal: as if it did not exist
    readonly = web_login(peyvand_app, "olga", roles=("readonly",))
    seen = text(readonly.get("/app/sales/board"))
    assert 'draggable="false"' in seen and "Move to" not in seen and "انتقال به" not in seen
    ro_token = csrf(readonly.get("/"))
    assert readonly.post("/app/sales/board/move", headers={
        "Accept": "application/json", "X-CSRF-Token": ro_token}, data={
        "csrf_token": ro_token, "deal_id": deal.id, "stage": "closing"}).status_code == 403


def test_my_work_lists_what_is_due_and_marks_it_done(peyvand_app):
    seller = web_login(peyvand_app, "reza", roles=("salesperson",))
    kernel = peyvand_app.extensions["peyvand"]
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    deal = make_deal(peyvand_app, "قرارداد آریا", owner=seller.peyvand_user.id)
    with kernel.storage.bound("default"):
        from peyvand_sales.models import Activity

        late = Activity.create(subject="تماس با آقای رضایی", kind="call", status="open",
                               owner_id=seller.peyvand_user.id,
                               assignee_id=seller.peyvand_user.id,
                               due_at=now - datetime.timedelta(hours=3), priority="high",
                               entity="sales.deal", record_id=deal.id)
        Activity.create(subject="ارسال پیش‌فاکتور", kind="task", status="open",
                        owner_id=seller.peyvand_user.id, assignee_id=seller.peyvand_user.id,
                        due_at=now + datetime.timedelta(days=3))
    page = text(seller.get("/app/sales/my-work"))
    overdue = page.split('id="work-overdue"')[1].split("</section>")[0]
    assert "تماس با آقای رضایی" in overdue and "قرارداد آریا" in overdue
    upcoming = page.split('id="work-upcoming"')[1].split("</section>")[0]
    assert "ارسال پیش‌فاکتور" in upcoming
    done = seller.post("/app/sales/my-work/done", data={
        "csrf_token": csrf(seller.get("/app/sales/my-work")), "activity_id": late.id,
        "version": late.version})
    assert done.status_code == 302
    again = text(seller.get("/app/sales/my-work"))
    assert "تماس با آقای رضایی" not in again.split('id="work-overdue"')[1].split(
        "</section>")[0]


def test_the_forecast_page(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    seller = web_login(peyvand_app, "reza", roles=("salesperson",))
    make_deal(peyvand_app, "بسته", "closing", owner=seller.peyvand_user.id,
              amount=300000000, expected_close=datetime.date(2025, 5, 1),
              forecast_category="commit")
    page = text(admin.get("/app/sales/forecast?period=2025-Q2"))
    assert "<h1>پیش‌بینی فروش: ۲۰۲۵-Q۲</h1>" in page
    assert "<th scope=\"row\">reza</th>" in page
    assert "۳۰۰٬۰۰۰٬۰۰۰ ریال" in page
    assert "2025-Q1" in page and "2025-Q3" in page         # previous and next periods
    bad = text(admin.get("/app/sales/forecast?period=soon"))
    assert 'role="alert"' in bad


def test_lead_forms_admin_builds_a_form_with_its_snippet(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    assert "هنوز فرم سرنخی ساخته نشده است." in text(admin.get("/app/sales/lead-forms"))
    page = admin.get("/app/sales/lead-forms/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf(page), "title_fa": "درخواست دمو", "title_en": "",
            "language": "fa", "source": "web_form", "type": "marketing", "enabled": "1",
            "notify_owner": "1", "use": ["last_name", "phone"], "required_last_name": "1",
            "label_fa_phone": "تلفن همراه", "order_phone": "1", "order_last_name": "2",
            "thank_you_fa": "ممنون"}
    missing_title = admin.post("/app/sales/lead-forms/new", data={**data, "title_fa": ""})
    assert missing_title.status_code == 422 and "title" in text(missing_title)
    saved = admin.post("/app/sales/lead-forms/new", data=data)
    assert saved.status_code == 302
    edit = text(admin.get(saved.headers["Location"]))
    assert 'id="snippet"' in edit and "/f/" in edit and "تلفن همراه" in edit
    snippet = edit.split('id="snippet" class="snippet" readonly>')[1].split("</textarea>")[0]
    assert snippet.index("name=&#34;phone&#34;") < snippet.index("name=&#34;last_name&#34;")
    listing = text(admin.get("/app/sales/lead-forms"))
    assert "درخواست دمو" in listing
    form_id = int(saved.headers["Location"].rstrip("/").split("/")[-1])
    asked = admin.post(f"/app/sales/lead-forms/{form_id}/delete",
                       data={"csrf_token": csrf(admin.get(saved.headers["Location"]))})
    assert asked.status_code == 200 and 'name="confirmed" value="1"' in text(asked)
    assert admin.get(saved.headers["Location"]).status_code == 200     # asked: still there
    deleted = admin.post(f"/app/sales/lead-forms/{form_id}/delete",
                         data={"csrf_token": csrf(asked), "confirmed": "1"})
    assert deleted.status_code == 302
    assert admin.get(saved.headers["Location"]).status_code == 404


def test_a_deals_products_tab_when_a_plugin_sells_products(peyvand_app_factory):
    from test_sales_products import Shop, line

    shop = Shop()
    app = peyvand_app_factory(plugins=["contacts", "sales"], extra_plugins=[("shop", shop, "1.0")])
    deal = make_deal(app, "بیست کارتخوان")
    shop.lines[deal.id] = [line("کارتخوان X200", "20", "60000000", tax="108000000")]
    admin = web_login(app, "maryam")
    board = text(admin.get("/app/sales/board"))
    assert f"/app/sales/deals/{deal.id}?tab=sales.products" in board
    page = text(admin.get(f"/app/sales/deals/{deal.id}?tab=sales.products"))
    assert "کارتخوان X200" in page and "۱٬۳۰۸٬۰۰۰٬۰۰۰ ریال" in page
    # without such a plugin there is no Products tab (and no link on the board)
    app.extensions["peyvand"].disable("shop")
    assert "tab=sales.products" not in text(admin.get(f"/app/sales/deals/{deal.id}"))
    assert "tab=sales.products" not in text(admin.get("/app/sales/board"))


def test_every_record_has_an_activities_tab(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    client = peyvand_app.test_client()
    person = client.post("/api/v1/contacts/persons", json={"last_name": "رضایی"}).json
    client.post("/api/v1/sales/activities", json={
        "subject": "تماس معرفی", "entity": "contacts.person", "record_id": person["id"]})
    page = text(admin.get(f"/app/contacts/persons/{person['id']}?tab=sales.activities"))
    assert "تماس معرفی" in page
    assert (f"/app/sales/activities/new?entity=contacts.person&amp;record_id={person['id']}"
            in page)


def test_a_contacts_timeline_tab_shows_its_deals_in_persian(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    client = peyvand_app.test_client()
    person = client.post("/api/v1/contacts/persons", json={"last_name": "کریمی"}).json
    deal = client.post("/api/v1/sales/deals", json={
        "title": "قرارداد پشتیبانی", "pipeline_id": 1, "stage": "qualified",
        "amount": "5000000", "person_id": person["id"]}).json
    client.post(f"/api/v1/sales/deals/{deal['id']}/move", json={"stage": "proposal"})
    page = text(admin.get(f"/app/contacts/persons/{person['id']}?tab=contacts.timeline"))
    assert "قرارداد پشتیبانی" in page
    assert "به مرحله «ارسال پیشنهاد» رفت" in page
    assert "معامله ایجاد شد (۵٬۰۰۰٬۰۰۰ ریال)" in page


def test_the_team_calendar_shows_the_week_day_by_day_in_the_users_time_zone(peyvand_app):
    admin = web_login(peyvand_app, "maryam")
    seller = web_login(peyvand_app, "reza", roles=("salesperson",))
    other = web_login(peyvand_app, "sara", roles=("salesperson",))
    kernel = peyvand_app.extensions["peyvand"]
    # Tuesday 2025-03-25, 21:00 UTC is Wednesday 00:30 in Tehran (UTC+3:30).
    late_tuesday = datetime.datetime(2025, 3, 25, 21, 0)
    with kernel.storage.bound("default"):
        from peyvand_sales.models import Activity

        for client, subject, due in ((seller, "جلسه با آریا", late_tuesday),
                                     (other, "تماس سارا", late_tuesday),
                                     (seller, "پیگیری دیرتر", late_tuesday
                                      + datetime.timedelta(days=7))):
            Activity.create(subject=subject, kind="meeting", status="open",
                            owner_id=client.peyvand_user.id,
                            assignee_id=client.peyvand_user.id, due_at=due)
    page = text(admin.get("/app/sales/calendar?week=2025-03-24"))
    # A Jalali user's week starts on Saturday: 2025-03-22 .. 2025-03-28.
    days = re.findall(r'data-day="([0-9-]+)"', page)
    assert days == [f"2025-03-{d}" for d in range(22, 29)]
    wednesday = page.split('data-day="2025-03-26"')[1].split("</section>")[0]
    assert "جلسه با آریا" in wednesday and "تماس سارا" in wednesday and "۰۰:۳۰" in wednesday
    assert "پیگیری دیرتر" not in page
    assert 'href="?week=2025-03-29"' in page and 'href="?week=2025-03-15"' in page
    one = text(admin.get(f"/app/sales/calendar?week=2025-03-24&owner_id={seller.peyvand_user.id}"))
    assert "جلسه با آریا" in one and "تماس سارا" not in one
    own = text(seller.get("/app/sales/calendar?week=2025-03-26"))   # only what they may read
    assert "جلسه با آریا" in own and "تماس سارا" not in own
    english = web_login(peyvand_app, "john", language="en")
    assert ">Team calendar</a>" in text(english.get("/"))
