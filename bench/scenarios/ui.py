"""The web workspace's contact list page at ``ctx.rows`` contacts.

``ui.contact_list_ms``: server time of ``GET /app/contacts/persons`` (the first page: 50
people, newest first) for a logged-in administrator, through Flask, the session cookie, the
permission filter, the navigation and the Jinja templates (the WSGI test client, in-process;
target p50 < 30 ms). Baseline: the API answering the same 50 rows as JSON
(``GET /api/v1/contacts/persons?limit=50``), interleaved, so ``ratio`` is the price of the
HTML page over the bare API.
``ui.contact_list_kb``: the HTML weight of that page (target < 100 KB).
``ui.js_total_kb``: every script the page loads (files and inline; target < 50 KB).
"""

from __future__ import annotations

import re

from bench.harness import Context, measure_interleaved, scenario

PASSWORD = "Bench-1404-password"
LIST_URL = "/app/contacts/persons"


def _get(client, url, **kw):
    response = client.get(url, **kw)
    if response.status_code != 200:
        raise RuntimeError(f"{url} -> {response.status_code} {response.get_data()[:300]}")
    return response


def _logged_in_client(inst):
    from peyvand.identity import User, set_password

    with inst.kernel.storage.bound("default"):
        set_password(User.get(User.name == "bench-admin"), PASSWORD)
    client = inst.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "name": "bench-admin",
                                           "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"log in failed: {response.status_code}")
    return client


def _javascript_bytes(client, html: str) -> int:
    total = sum(len(body.encode()) for body in
                re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S))
    for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html):
        total += len(_get(client, src.replace("&amp;", "&")).get_data())
    return total


@scenario("ui", figures=("ui.contact_list_ms", "ui.contact_list_kb", "ui.js_total_kb"))
def ui_contact_list(ctx: Context) -> None:
    try:
        from bench import instance as fixture
    except ImportError as exc:
        ctx.missing(f"peyvand not installed: {exc}")
    inst = fixture.prepare(ctx)
    try:
        client = _logged_in_client(inst)
        api = inst.app.test_client()
        headers = {"Authorization": f"Bearer {inst.admin_token}"}
        html = _get(client, LIST_URL).get_data(as_text=True)
        rows = html.count("<tr>") - 1
        if rows != 50:
            raise RuntimeError(f"the list page shows {rows} rows, expected 50")
        fw, base = measure_interleaved(
            lambda: _get(client, LIST_URL),
            lambda: _get(api, "/api/v1/contacts/persons?limit=50", headers=headers),
            rounds=ctx.pick(200, 400), warmup=20)
        ctx.report_samples("ui.contact_list_ms", fw, "ms", base, rows=inst.rows, db="sqlite")
        ctx.report("ui.contact_list_kb", len(html.encode()) / 1024, "KB", rows=inst.rows,
                   db="sqlite")
        ctx.report("ui.js_total_kb", _javascript_bytes(client, html) / 1024, "KB",
                   rows=inst.rows, db="sqlite")
    finally:
        fixture.drop(inst)
