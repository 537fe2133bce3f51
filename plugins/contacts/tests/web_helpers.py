"""Logging into the web workspace from the contacts plugin's page tests (Flask test client)."""

from __future__ import annotations

import re

PASSWORD = "Tehran-1404-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def text(response) -> str:
    return response.get_data(as_text=True)


def csrf(response) -> str:
    found = CSRF.search(text(response))
    assert found, "the page has no CSRF token"
    return found.group(1)


def user_client(app, name, roles=("admin",), language="en", teams=()):
    """A test client logged in (through the login form) as a new user ``name``."""
    from peyvand.identity import IdentityError, User, create_team, create_user, get_team

    kernel = app.extensions["peyvand"]
    with kernel.storage.bound(app.config["PEYVAND_TENANT"]):
        for team in teams:
            try:
                get_team(team)
            except IdentityError:
                create_team(team)
        user = create_user(name, roles=roles, teams=teams, password=PASSWORD)
        User.update(language=language).where(User.id == user.id).execute()
    kernel.bump_generation()
    client = app.test_client()
    client.peyvand_token = None          # the pages use the session, never a token
    page = client.get("/login")
    answer = client.post("/login", data={"csrf_token": csrf(page), "name": name,
                                         "password": PASSWORD})
    assert answer.status_code == 302, text(answer)[:2000]
    client.user_id = user.id
    return client


def token(client) -> str:
    """The session's CSRF token (from any page with a form)."""
    return csrf(client.get("/profile"))
