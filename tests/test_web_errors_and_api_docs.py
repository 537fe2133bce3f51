"""Error pages of the workspace (unknown addresses, wrong methods) in the user's language and
within the workspace's frame, JSON errors kept for the API; the API docs page reading the
OpenAPI document with the web session, and that session opening no other API call."""

from __future__ import annotations

import html

import pytest
from web_kit import web_client

NO_TOKEN = {"Authorization": ""}   # the test clients send an admin's token unless told not to


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=["contacts", "sales"])


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _framed(page: str) -> bool:
    return 'class="topbar"' in page and 'class="sidenav"' in page


@pytest.mark.parametrize("url", ["/app/nope", "/app/contacts/persons/abc", "/admin/xx",
                                 "/nothing/here"])
def test_an_unknown_address_answers_the_workspace_page_in_the_users_language(app, url):
    persian = web_client(app, "parisa")
    english = web_client(app, "anna", language="en", calendar="gregorian")
    fa = persian.get(url, headers=NO_TOKEN)
    assert fa.status_code == 404 and fa.mimetype == "text/html"
    page = _text(fa)
    assert '<html lang="fa" dir="rtl">' in page and _framed(page)
    assert "پیدا نشد" in page and "در این نشانی صفحه‌ای وجود ندارد." in page
    assert "۴۰۴" in page and "Not Found" not in page and "requested URL" not in page
    en = english.get(url, headers=NO_TOKEN)
    page = _text(en)
    assert en.status_code == 404 and '<html lang="en" dir="ltr">' in page and _framed(page)
    assert "There is no page at this address." in page


def test_a_visitor_who_is_not_logged_in_gets_a_proper_page_too(app):
    visitor = app.test_client()
    answer = visitor.get("/admin/xx", headers={**NO_TOKEN, "Accept-Language": "en"})
    page = _text(answer)
    assert answer.status_code == 404 and '<html lang="en"' in page
    assert "There is no page at this address." in page and "frame-public" in page
    assert not _framed(page) and "Go to the start page" in page
    answer = visitor.get("/nothing", headers={**NO_TOKEN, "Accept-Language": "fa"})
    assert answer.status_code == 404 and "در این نشانی صفحه‌ای وجود ندارد." in _text(answer)
    # Pages of the workspace still ask to log in first.
    assert visitor.get("/app/nope", headers=NO_TOKEN).status_code == 302


def test_a_wrong_method_answers_405_in_the_users_language(app):
    persian = web_client(app, "parisa")
    english = web_client(app, "anna", language="en", calendar="gregorian")
    url = "/admin/teams/1/members"           # takes POST only
    fa = persian.get(url, headers=NO_TOKEN)
    assert fa.status_code == 405 and "POST" in fa.headers["Allow"]
    page = _text(fa)
    assert _framed(page) and "از این راه شدنی نیست" in page and "۴۰۵" in page
    en = english.get(url, headers=NO_TOKEN)
    page = _text(en)
    assert en.status_code == 405 and _framed(page) and "Not possible this way" in page
    assert "Method Not Allowed" not in page
    visitor = app.test_client().get("/logout", headers={**NO_TOKEN, "Accept-Language": "en"})
    assert visitor.status_code == 405 and "Not possible this way" in _text(visitor)


def test_a_disabled_plugins_page_is_not_found_within_the_frame(app):
    kernel = app.extensions["peyvand"]
    english = web_client(app, "anna", language="en", calendar="gregorian")
    assert english.get("/app/sales/board", headers=NO_TOKEN).status_code == 200
    kernel.disable("sales", "default")
    gone = english.get("/app/sales/board", headers=NO_TOKEN)
    page = _text(gone)
    assert gone.status_code == 404 and _framed(page)
    assert "There is no page at this address." in page


def test_the_api_keeps_json_errors(app):
    client = app.test_client()
    answer = client.get("/api/v1/no/such-thing")
    assert answer.status_code == 404 and answer.is_json
    assert answer.get_json()["error"] == "Not Found"
    answer = client.delete("/api/v1/openapi.json")
    assert answer.status_code == 405 and answer.get_json()["error"] == "Method Not Allowed"
    answer = client.get("/api/nope", headers=NO_TOKEN)
    assert answer.status_code == 404 and answer.is_json


# -- the API docs ----------------------------------------------------------------------------

def test_the_openapi_document_is_readable_with_the_web_session_only_for_reading(app):
    client = web_client(app, "anna", language="en", calendar="gregorian")
    spec = client.get("/api/v1/openapi.json", headers=NO_TOKEN)
    assert spec.status_code == 200 and spec.is_json
    assert spec.get_json()["openapi"].startswith("3.")
    assert "/api/v1/contacts/persons" in spec.get_json()["paths"]
    # Anyone else needs a token.
    anonymous = app.test_client().get("/api/v1/openapi.json", headers=NO_TOKEN)
    assert anonymous.status_code == 401 and anonymous.is_json
    # The session cookie opens no other API call, reading or writing.
    for method, url in (("GET", "/api/v1/contacts/persons"), ("GET", "/api/v1/plugins"),
                        ("POST", "/api/v1/contacts/persons")):
        answer = client.open(url, method=method, headers=NO_TOKEN, json={"last_name": "x"})
        assert answer.status_code == 401, (method, url)
    # Nor does it make a bad token good, or the document writable.
    bad = client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert client.post("/api/v1/openapi.json", headers=NO_TOKEN).status_code == 401
    # A logged-out session is refused again.
    from web_kit import csrf

    client.post("/logout", data={"csrf_token": csrf(client.get("/profile"))})
    assert client.get("/api/v1/openapi.json", headers=NO_TOKEN).status_code == 401


def test_the_docs_page_speaks_the_users_language_and_the_profile_links_to_it(app):
    persian = web_client(app, "parisa")
    page = _text(persian.get("/api/docs", headers=NO_TOKEN))
    assert '<html lang="fa" dir="rtl">' in page
    assert "مستندات API" in page and "توکن API" in page and "به کار ببر" in page
    assert "شما با نام <bdi>parisa</bdi> وارد شده‌اید" in page and 'href="/profile#tokens"' in page
    assert '<bdi dir="ltr"><code>Authorization: Bearer …</code></bdi>' in page   # LTR in RTL
    english = web_client(app, "anna", language="en", calendar="gregorian")
    page = _text(english.get("/api/docs", headers=NO_TOKEN))
    assert '<html lang="en" dir="ltr">' in page and "You are logged in as <bdi>anna</bdi>" in page
    visitor = _text(app.test_client().get("/api/docs",
                                          headers={**NO_TOKEN, "Accept-Language": "en"}))
    assert "Paste an API token" in visitor and "/login?next=/api/docs" in visitor
    profile = _text(persian.get("/profile"))
    assert 'href="/api/docs" data-api-docs' in profile
    assert "مستندات API: همه نشانی‌های API" in profile
