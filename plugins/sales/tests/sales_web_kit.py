"""Logging in to the web workspace in the sales plugin's page tests."""

from __future__ import annotations

import re

PASSWORD = "Tehran-1404-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(response) -> str:
    found = CSRF.search(response.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def web_login(app, name, roles=("admin",), teams=(), language="fa"):
    """A test client logged in through the login form as a new user ``name``."""
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
    client.peyvand_user = user
    page = client.get("/login", headers={"Authorization": ""})
    response = client.post("/login", data={"csrf_token": csrf(page), "name": name,
                                           "password": PASSWORD},
                           headers={"Authorization": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return client
