"""Generic list pages beyond the basics: pages back and forth, per-user time zones."""

from __future__ import annotations

import datetime
import re

import pytest
from web_kit import csrf, post, web_client


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts"])


def _text(response) -> str:
    return response.get_data(as_text=True)


def _names(html: str) -> list[str]:
    return re.findall(r"نفر \d{3}", html)


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _people(app, count: int) -> None:
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        start = datetime.datetime(2025, 1, 1)
        Person.insert_many([{"last_name": f"نفر {i:03d}",
                             "created_at": start + datetime.timedelta(minutes=i % 7)}
                            for i in range(count)]).execute()


@pytest.mark.parametrize("sort", ["-id", "last_name", "-created_at"])
def test_previous_page_links_walk_back_exactly_over_the_pages_walked_forward(app, sort):
    _people(app, 120)
    client = web_client(app, "boss")
    url = f"/app/contacts/persons?sort={sort}"
    pages = [_text(client.get(url))]
    assert 'rel="prev"' not in pages[0]                     # the first page has no previous
    while (nxt := _link(pages[-1], "next")) is not None:
        pages.append(_text(client.get(nxt)))
    assert [len(_names(p)) for p in pages] == [50, 50, 20]
    seen = [n for p in pages for n in _names(p)]
    assert len(set(seen)) == 120                            # every record once, none twice
    # Back from the last page, one page at a time, to the first.
    current = pages[-1]
    for expected in reversed(pages[:-1]):
        back = _link(current, "prev")
        assert back is not None and "before=" in back
        current = _text(client.get(back))
        assert _names(current) == _names(expected)
    assert _link(current, "prev") is None                  # the first page again
    assert _names(_text(client.get(_link(current, "next")))) == _names(pages[1])
    assert "صفحه قبل" in pages[1] and "صفحه نخست" in pages[1]


def test_a_broken_before_cursor_is_refused_politely(app):
    client = web_client(app, "boss")
    response = client.get("/app/contacts/persons?before=not-a-cursor")
    assert response.status_code == 302


def test_service_pages_back_with_filters_and_scopes(app):
    """``EntityService.list(before=...)`` is the same query turned round: filters and the
    actor's scope apply to it as to the forward pages."""
    _people(app, 30)
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        service = kernel.service("contacts.person", "default")
        filters = {"last_name__contains": "نفر 01"}      # 010..019
        first = service.list(filters=filters, sort="last_name", limit=4)
        assert first.prev_cursor is None
        second = service.list(filters=filters, sort="last_name", limit=4,
                              cursor=first.next_cursor)
        assert [r["last_name"] for r in second.rows] == [f"نفر 01{i}" for i in range(4, 8)]
        back = service.list(filters=filters, sort="last_name", limit=4,
                            before=second.prev_cursor)
        assert [r["last_name"] for r in back.rows] == [r["last_name"] for r in first.rows]
        assert back.prev_cursor is None and back.next_cursor is not None


# -- time zones --------------------------------------------------------------------------------

def _set_zone(app, name: str, zone: str | None) -> None:
    from peyvand.identity import User

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        User.update(time_zone=zone).where(User.name == name).execute()
    kernel.bump_generation()


def test_each_user_sees_and_types_times_in_their_own_time_zone(app):
    from peyvand.custom_fields import add_field
    from peyvand.identity import User

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        add_field(kernel.entities("default"), "contacts.person", "meeting", "datetime",
                  label_en="Meeting", label_fa="جلسه")
    kernel.bump_generation()
    tehran = web_client(app, "shiraz")                       # the tenant's zone: Asia/Tehran
    london = web_client(app, "london", language="en", calendar="gregorian")
    _set_zone(app, "london", "Europe/London")
    # 20 March 2025 22:00 UTC is 01:30 on 21 March (1 Farvardin 1404) in Tehran.
    created = post(tehran, "/app/contacts/persons/new",
                   {"last_name": "زمانی", "cf_meeting": "۱۴۰۴/۰۱/۰۱ ۰۱:۳۰"})
    assert created.status_code == 302, _text(created)[:2000]
    url = created.headers["Location"]
    api = tehran.get(url.replace("/app/", "/api/v1/"))
    assert api.json["cf_meeting"] == "2025-03-20T22:00:00"   # stored in UTC
    assert "۱۴۰۴/۰۱/۰۱ ۰۱:۳۰" in _text(tehran.get(url))
    assert "2025-03-20 22:00" in _text(london.get(url))      # London is on UTC in March
    # London types its own local time: 09:00 in London in July is 08:00 UTC.
    edited = post(london, url + "/edit", {"version": "1", "last_name": "زمانی",
                                          "cf_meeting": "2025-07-01 09:00"},
                  page_url=url + "/edit")
    assert edited.status_code == 302, _text(edited)[:2000]
    assert tehran.get(url.replace("/app/", "/api/v1/")).json["cf_meeting"] == \
        "2025-07-01T08:00:00"
    assert "1404/04/10 11:30" in _text(tehran.get(url)).translate(
        str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))         # +03:30 in Tehran
    # The profile page changes it; an unknown zone is refused.
    page = tehran.get("/profile")
    assert "Europe/London" in _text(page)
    refused = tehran.post("/profile", data={"csrf_token": csrf(page), "form": "settings",
                                            "language": "fa", "calendar": "jalali",
                                            "time_zone": "Mars/Olympus"})
    assert refused.status_code == 400
    saved = tehran.post("/profile", data={"csrf_token": csrf(page), "form": "settings",
                                          "language": "fa", "calendar": "jalali",
                                          "time_zone": "UTC"})
    assert saved.status_code == 302
    with kernel.storage.bound("default"):
        assert User.get(User.name == "shiraz").time_zone == "UTC"
    assert "۱۴۰۴/۰۴/۱۰ ۰۸:۰۰" in _text(tehran.get(url))


def test_the_tenant_time_zone_is_the_default_until_a_user_picks_one(app):
    from peyvand.settings_store import set_setting

    kernel = app.extensions["peyvand"]
    client = web_client(app, "boss", language="en", calendar="gregorian")
    person = post(client, "/app/contacts/persons/new", {"last_name": "Zone"})
    url = person.headers["Location"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        Person.update(created_at=datetime.datetime(2025, 1, 1, 23, 0)).execute()
    assert "Created 2025-01-02 02:30" in _text(client.get(url))        # Asia/Tehran
    with kernel.storage.bound("default"):
        set_setting(kernel, "default", "peyvand.time_zone", "Asia/Tokyo")
    kernel.bump_generation()
    assert "Created 2025-01-02 08:00" in _text(client.get(url))        # the tenant's new zone
    page = _text(client.get("/profile"))
    assert "The workspace's (Asia/Tokyo)" in page.replace("&#39;", "'")
    _set_zone(app, "boss", "UTC")
    assert "Created 2025-01-01 23:00" in _text(client.get(url))        # the user's own


# -- saved views -------------------------------------------------------------------------------

def _view_id(location: str) -> str:
    return re.search(r"[?&]view=(\d+)", location).group(1)


def test_a_saved_view_keeps_filters_sort_and_columns_and_can_open_first(app):
    from urllib.parse import parse_qs, urlsplit

    _people(app, 5)
    client = web_client(app, "boss", teams=("فروش",))
    query = "q=&sort=last_name&columns=last_name&columns=email&last_name__contains=نفر 00"
    listed = client.get(f"/app/contacts/persons?{query}")
    assert listed.status_code == 302                          # one comma-separated columns value
    url = listed.headers["Location"]
    page = _text(client.get(url))
    assert _names(page) == [f"نفر {i:03d}" for i in range(5)]
    assert "<th scope=\"col\"><a href" in page and page.count('class="sort') == 3   # 2 + created
    saved = post(client, "/app/contacts/persons/views",
                 {"name": "نفرها", "visibility": "team", "default": "1",
                  "query": urlsplit(url).query}, page_url=url)
    assert saved.status_code == 302
    view_id = _view_id(saved.headers["Location"])
    stored = parse_qs(urlsplit(saved.headers["Location"]).query)
    assert stored["columns"] == ["last_name,email"] and stored["sort"] == ["last_name"]
    # The bare list now opens the default view; ?view= shows the plain list.
    opened = client.get("/app/contacts/persons")
    assert opened.status_code == 302 and f"view={view_id}" in opened.headers["Location"]
    plain = _text(client.get("/app/contacts/persons?view="))
    assert 'rel="next"' not in plain and "نفرها" in plain       # the menu still offers it
    # Picking it from the menu (?view=ID alone) opens it with its query.
    picked = client.get(f"/app/contacts/persons?view={view_id}")
    assert picked.status_code == 302 and "sort=last_name" in picked.headers["Location"]
    # A teammate sees a team view; someone outside the team does not.
    mate = web_client(app, "mate", roles=("manager",), teams=("فروش",))
    assert "نفرها" in _text(mate.get("/app/contacts/persons?view="))
    stranger = web_client(app, "stranger", roles=("manager",))
    assert "نفرها" not in _text(stranger.get("/app/contacts/persons?view="))
    assert stranger.get(f"/app/contacts/persons?view={view_id}").status_code == 302
    refused = post(mate, f"/app/contacts/persons/views/{view_id}", {"action": "delete"},
                   page_url="/app/contacts/persons?view=")
    assert refused.status_code == 403                          # not the owner, not an admin
    # Its owner changes it, then deletes it; the default goes with it.
    changed = post(client, f"/app/contacts/persons/views/{view_id}",
                   {"action": "update", "query": "sort=-id"}, page_url=url)
    assert "sort=-id" in changed.headers["Location"]
    # Deleting asks first, on a page of its own (no JavaScript needed); asking deletes nothing.
    asked = post(client, f"/app/contacts/persons/views/{view_id}", {"action": "delete"},
                 page_url=url)
    assert asked.status_code == 200
    question = _text(asked)
    assert "نمای «نفرها» حذف شود؟" in question and 'name="confirmed" value="1"' in question
    assert "نفرها" in _text(client.get("/app/contacts/persons?view="))
    post(client, f"/app/contacts/persons/views/{view_id}",
         {"action": "delete", "confirmed": "1"}, page_url=url)
    assert client.get("/app/contacts/persons").status_code == 200
    assert "نفرها" not in _text(client.get("/app/contacts/persons"))


def test_only_admins_share_a_view_with_everyone(app):
    seller = web_client(app, "reza", roles=("salesperson",))
    refused = post(seller, "/app/contacts/persons/views",
                   {"name": "همه", "visibility": "all", "query": ""},
                   page_url="/app/contacts/persons")
    assert refused.status_code == 400
    page = _text(seller.get("/app/contacts/persons"))
    assert 'value="all"' not in page.split('class="save-view"')[1].split("</details>")[0]


# -- bulk actions ------------------------------------------------------------------------------

def _ids(app, *names):
    kernel = app.extensions["peyvand"]
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        return [Person.get(Person.last_name == n).id for n in names]


def test_bulk_delete_reports_the_rows_it_may_not_touch(app):
    from peyvand.identity import User

    kernel = app.extensions["peyvand"]
    _people(app, 3)
    # Support reads every person; salesperson deletes only their own.
    mixed = web_client(app, "mina", roles=("support", "salesperson"))
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        mina = User.get(User.name == "mina")
        Person.update(owner_id=mina.id).where(Person.last_name != "نفر 002").execute()
    ids = _ids(app, "نفر 000", "نفر 001", "نفر 002")
    page = _text(mixed.get("/app/contacts/persons"))
    assert 'name="ids"' in page and 'value="delete"' in page
    confirm = post(mixed, "/app/contacts/persons/bulk",
                   {"action": "delete", "ids": [str(i) for i in ids], "query": ""},
                   page_url="/app/contacts/persons")
    assert confirm.status_code == 200 and "اعمال روی ۳ رکورد" in _text(confirm)
    done = post(mixed, "/app/contacts/persons/bulk",
                {"action": "delete", "step": "run", "ids": [str(i) for i in ids], "query": ""},
                page_url="/app/contacts/persons")
    assert done.status_code == 302
    report = _text(mixed.get(done.headers["Location"]))
    assert "۲ مورد انجام شد" in report
    assert "۱ مورد انجام نشد چون خارج از دسترسی شماست" in report
    with kernel.storage.bound("default"):
        alive = [p.last_name for p in Person.select().where(Person.deleted_at.is_null())]
        assert alive == ["نفر 002"]
        from peyvand.audit import Audit

        assert Audit.select().where(Audit.action == "delete").count() == 2


def test_bulk_change_owner_on_all_matching_the_filter(app):
    from peyvand.identity import User

    kernel = app.extensions["peyvand"]
    _people(app, 12)
    admin = web_client(app, "boss")
    make = web_client(app, "omid", roles=("salesperson",))
    with kernel.storage.bound("default"):
        omid = User.get(User.name == "omid")
    query = "last_name__contains=نفر 00"                       # 000..009
    confirm = post(admin, "/app/contacts/persons/bulk",
                   {"action": "owner", "all_matching": "1", "query": query},
                   page_url="/app/contacts/persons")
    assert "۱۰ مورد" in _text(confirm) and f'<option value="{omid.id}"' in _text(confirm)
    missing = post(admin, "/app/contacts/persons/bulk",
                   {"action": "owner", "step": "run", "ids": ["1"], "query": query},
                   page_url="/app/contacts/persons")
    assert missing.status_code == 400                           # the new owner is required
    ids = re.findall(r'name="ids" value="(\d+)"', _text(confirm))
    done = post(admin, "/app/contacts/persons/bulk",
                {"action": "owner", "step": "run", "ids": ids, "p:owner": str(omid.id),
                 "query": query}, page_url="/app/contacts/persons")
    assert "last_name__contains" in done.headers["Location"]   # back to the same list
    with kernel.storage.bound("default"):
        from peyvand_contacts.models import Person

        owned = Person.select().where(Person.owner_id == omid.id).count()
        assert owned == 10
    assert len(_names(_text(make.get("/app/contacts/persons")))) == 10   # omid sees them now
    nothing = post(admin, "/app/contacts/persons/bulk", {"action": "delete", "query": ""},
                   page_url="/app/contacts/persons")
    assert nothing.status_code == 302                           # nothing ticked


def test_bulk_actions_follow_the_users_rights(app):
    reader = web_client(app, "ro", roles=("readonly",))
    _people(app, 2)
    page = _text(reader.get("/app/contacts/persons"))
    assert 'name="ids"' not in page                              # no action: no checkboxes
    refused = post(reader, "/app/contacts/persons/bulk",
                   {"action": "delete", "ids": ["1"], "query": ""},
                   page_url="/app/contacts/persons")
    assert refused.status_code == 302                           # unknown to this user
    assert "نخست یک عملیات انتخاب کنید" in _text(reader.get(refused.headers["Location"]))
