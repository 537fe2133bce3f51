"""Helpers for the web workspace's tests: users with passwords, logging in through the form."""

from __future__ import annotations

import re

PASSWORD = "Tehran-1404-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(response) -> str:
    found = CSRF.search(response.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def make_user(app, name, roles=("admin",), language="fa", calendar="jalali", teams=(),
              superuser=False, password=PASSWORD):
    from peyvand.identity import IdentityError, User, create_team, create_user, get_team

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound(app.config["PEYVAND_TENANT"]):
        for team in teams:
            try:
                get_team(team)
            except IdentityError:
                create_team(team)
        user = create_user(name, roles=roles, teams=teams, password=password,
                           superuser=superuser)
        User.update(language=language, calendar=calendar).where(User.id == user.id).execute()
    kernel.bump_generation()
    return user


def log_in(client, name, password=PASSWORD):
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf(page), "name": name,
                                           "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client


def web_client(app, name, roles=("admin",), **kw):
    make_user(app, name, roles, **kw)
    return log_in(app.test_client(), name)


def post(client, url, data, page_url=None):
    """POST a form the way a browser does: with the CSRF token of the page it came from."""
    page = client.get(page_url or url)
    return client.post(url, data={"csrf_token": csrf(page), **data})
