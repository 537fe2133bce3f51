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
