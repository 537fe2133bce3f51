"""A real Peyvand server (waitress, in a thread, on 127.0.0.1) and headless Chromium.

The browser is Debian's ``chromium`` (``/usr/bin/chromium``, installed by scripts/test.sh),
driven by Playwright; Playwright's own browser download is never used. Screenshots go to
``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Tehran-1404-secret"


@dataclass
class Live:
    url: str
    kernel: object
    app: object
    state: dict = field(default_factory=dict)


def _database_url(home: Path) -> tuple[str, str | None]:
    url = os.environ.get("PEYVAND_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{home / 'control.sqlite3'}", None
    prefix = f"ui{uuid.uuid4().hex[:10]}_"
    return f"{url}{'&' if '?' in url else '?'}schema_prefix={prefix}", prefix


@pytest.fixture(scope="module")
def live(request, tmp_path_factory):
    """The server for a test module: contacts enabled, or the plugins the module names in
    ``LIVE_PLUGINS`` (in dependency order)."""
    import waitress

    from peyvand.app import create_app
    from peyvand.config import load_settings
    from peyvand.custom_fields import add_field
    from peyvand.identity import User, create_user
    from peyvand.kernel import Kernel

    ARTIFACTS.mkdir(exist_ok=True)
    home = tmp_path_factory.mktemp("ui-instance")
    url, prefix = _database_url(home)
    settings = load_settings(home=home, database_url=url, strict_plugins=True)
    plugins = list(getattr(request.module, "LIVE_PLUGINS", ("contacts",)))
    kernel = Kernel(settings, only=plugins)
    kernel.ensure_tenant("default")
    for plugin in plugins:
        kernel.enable(plugin)
    with kernel.storage.bound("default"):
        for name, role, language in (("maryam", "admin", "fa"), ("nima", "admin", "fa"),
                                     ("reza", "salesperson", "fa")):
            user = create_user(name, roles=(role,), password=PASSWORD)
            User.update(language=language).where(User.id == user.id).execute()
        add_field(kernel.entities("default"), "contacts.person", "contract", "date",
                  label_en="Contract date", label_fa="تاریخ قرارداد")
    kernel.bump_generation()
    app = create_app({}, kernel=kernel)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4,
                                    ident="peyvand-test")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield Live(f"http://127.0.0.1:{server.effective_port}", kernel, app)
    finally:
        server.close()
        thread.join(timeout=5)
        kernel.storage.close()
        if prefix:
            from peyvand_sdk.testing import _drop_schemas

            _drop_schemas(url, prefix)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser, live):
    """``open(user=None, **context_options)``: a fresh browser context, logged in as ``user``."""
    contexts = []

    def open_page(user: str | None = None, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        if user:
            log_in(page, live.url, user)
        return page

    yield open_page
    for context in contexts:
        context.close()


def log_in(page, base: str, user: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", user)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert "/login" not in page.url, page.content()[:2000]
