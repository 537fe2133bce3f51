"""Optional TOTP two-factor login (web, API, CLI reset) and password reset by an e-mail link."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlsplit

import pyotp
import pytest
from web_kit import PASSWORD, csrf, log_in, make_user, post

from peyvand_sdk import Manifest, hookimpl

SECRET = re.compile(r"<code dir=\"ltr\">([A-Z2-7]{16,})</code>")
RECOVERY = re.compile(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>")


class Mailer:
    """A throwaway e-mail plugin: keeps the links it was asked to send."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []
        self.manifest = Manifest(label={"en": "Mailer", "fa": "ایمیل"})

    @hookimpl
    def send_password_reset(self, user, link):
        self.sent.append((user.name, link))
        return True


@pytest.fixture
def app(peyvand_app_factory):
    return peyvand_app_factory(plugins=[])


def _text(response) -> str:
    return response.get_data(as_text=True)


def _bound(app):
    return app.extensions["peyvand"].storage.bound("default")


def _fresh_code(app, name, secret) -> str:
    """The current code, as if no code of this step had been used yet (each step's code is
    accepted once; tests log in more often than every 30 seconds)."""
    from peyvand.identity import User, UserTotp

    with _bound(app):
        user = User.get(User.name == name)
        UserTotp.update(last_step=None).where(UserTotp.user == user.id).execute()
    return pyotp.TOTP(secret).now()


def _enrol(app, name) -> tuple[object, str, list[str]]:
    """Log ``name`` in and turn two-factor login on through the profile page."""
    client = log_in(app.test_client(), name)
    page = post(client, "/profile/two-factor", {"action": "begin"}, page_url="/profile")
    assert page.status_code == 200
    text = _text(page)
    secret = SECRET.search(text).group(1)
    assert f"otpauth://totp/Peyvand:{name}?secret={secret}" in text.replace("&amp;", "&")
    assert 'src="data:image/svg+xml' in text  # the QR code, drawn locally
    done = post(client, "/profile/two-factor", {"action": "confirm",
                                                "code": pyotp.TOTP(secret).now()},
                page_url="/profile")
    assert done.status_code == 200, _text(done)[:2000]
    codes = RECOVERY.findall(_text(done))
    assert len(codes) == 10
    return client, secret, codes


def _login_password(client, name, password=PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"csrf_token": csrf(page), "name": name,
                                       "password": password})


def _api_login(app, **body):
    return app.test_client().post("/api/v1/auth/token", json=body,
                                  headers={"Authorization": ""})


# -- enrolment -------------------------------------------------------------------------------

def test_enrolment_needs_a_right_first_code_and_stores_no_usable_secret(app):
    from peyvand.identity import RecoveryCode, User, UserTotp

    make_user(app, "maryam")
    client = log_in(app.test_client(), "maryam")
    profile = client.get("/profile")
    assert "ورود دومرحله‌ای" in _text(profile)
    page = post(client, "/profile/two-factor", {"action": "begin"}, page_url="/profile")
    secret = SECRET.search(_text(page)).group(1)
    wrong = post(client, "/profile/two-factor", {"action": "confirm", "code": "000000"},
                 page_url="/profile")
    assert wrong.status_code == 400
    with _bound(app):
        user = User.get(User.name == "maryam")
        row = UserTotp.get(UserTotp.user == user.id)
        assert row.confirmed_at is None
    # Until confirmed, login asks for no code.
    assert _login_password(app.test_client(), "maryam").headers["Location"] == "/"
    _, secret, codes = _enrol(app, "maryam")
    with _bound(app):
        row = UserTotp.get(UserTotp.user == user.id)
        assert row.confirmed_at is not None
        assert secret not in row.secret  # encrypted with the instance key
        stored = [r.code_hash for r in RecoveryCode.select().where(RecoveryCode.user == user.id)]
        assert len(stored) == 10 and not set(codes) & set(stored)
    assert "۱۰" in _text(log_in_with_code(app, "maryam", secret).get("/profile"))


def log_in_with_code(app, name, secret):
    client = app.test_client()
    first = _login_password(client, name)
    assert first.headers["Location"] == "/login/code"
    page = client.get("/login/code")
    done = client.post("/login/code", data={"csrf_token": csrf(page),
                                            "code": _fresh_code(app, name, secret)})
    assert done.status_code == 302 and done.headers["Location"] == "/", _text(done)[:2000]
    return client


# -- web login -------------------------------------------------------------------------------

def test_web_login_asks_for_the_code_after_the_password(app):
    make_user(app, "reza")
    _, secret, _codes = _enrol(app, "reza")
    client = app.test_client()
    first = _login_password(client, "reza")
    assert first.status_code == 302 and first.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # not logged in yet
    page = client.get("/login/code")
    missing = client.post("/login/code", data={"csrf_token": csrf(page), "code": ""})
    assert missing.status_code == 401
    wrong = client.post("/login/code", data={"csrf_token": csrf(page), "code": "123456"})
    assert wrong.status_code == 401 and "نادرست" in _text(wrong)
    assert client.get("/").status_code == 302
    code = _fresh_code(app, "reza", secret)
    right = client.post("/login/code", data={"csrf_token": csrf(page), "code": code})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    # The same code cannot be used a second time.
    other = app.test_client()
    _login_password(other, "reza")
    replay = other.post("/login/code", data={"csrf_token": csrf(other.get("/login/code")),
                                             "code": code})
    assert replay.status_code == 401
    # Without a right password first there is no code step.
    stranger = app.test_client()
    assert stranger.get("/login/code").headers["Location"] == "/login"


def test_disable_with_the_password_or_a_code(app):
    from peyvand.audit import Audit

    make_user(app, "sara")
    client, secret, _codes = _enrol(app, "sara")
    refused = post(client, "/profile/two-factor", {"action": "disable", "password": "nope"},
                   page_url="/profile")
    assert refused.status_code == 400
    off = post(client, "/profile/two-factor", {"action": "disable", "password": PASSWORD},
               page_url="/profile")
    assert off.status_code == 302
    assert _login_password(app.test_client(), "sara").headers["Location"] == "/"
    client, secret, _codes = _enrol(app, "sara")
    off = post(client, "/profile/two-factor",
               {"action": "disable", "code": _fresh_code(app, "sara", secret)},
               page_url="/profile")
    assert off.status_code == 302
    assert _login_password(app.test_client(), "sara").headers["Location"] == "/"
    with _bound(app):
        actions = [a for (a,) in Audit.select(Audit.action).where(Audit.entity == "peyvand.user")
                   .order_by(Audit.id).tuples()]
    assert actions == ["two-factor-on", "two-factor-off"] * 2


# -- API -------------------------------------------------------------------------------------

def test_api_login_needs_the_code_and_a_recovery_code_works_once(app):
    make_user(app, "nasrin")
    _, secret, codes = _enrol(app, "nasrin")
    missing = _api_login(app, name="nasrin", password=PASSWORD)
    assert missing.status_code == 401 and '"code"' in missing.json["message"]
    wrong = _api_login(app, name="nasrin", password=PASSWORD, code="999999")
    assert wrong.status_code == 401 and missing.json["message"] != wrong.json["message"]
    assert "wrong two-factor code" in wrong.json["message"]
    # The code does not rescue a wrong password.
    bad = _api_login(app, name="nasrin", password="Wrong-pass-1",
                     code=_fresh_code(app, "nasrin", secret))
    assert bad.status_code == 401 and "user name or password" in bad.json["message"]
    ok = _api_login(app, name="nasrin", password=PASSWORD,
                    code=_fresh_code(app, "nasrin", secret))
    assert ok.status_code == 200 and ok.json["token"].startswith("pv_")
    spare = codes[3]
    first = _api_login(app, name="nasrin", password=PASSWORD, code=spare.upper())
    assert first.status_code == 200
    again = _api_login(app, name="nasrin", password=PASSWORD, code=spare)
    assert again.status_code == 401
    # Recovery codes work at the web login too.
    client = app.test_client()
    _login_password(client, "nasrin")
    done = client.post("/login/code", data={"csrf_token": csrf(client.get("/login/code")),
                                            "code": codes[4]})
    assert done.status_code == 302


def test_wrong_codes_count_toward_the_lockout(app):
    from peyvand.identity import LOCK_AFTER, User

    make_user(app, "omid")
    _, secret, _codes = _enrol(app, "omid")
    for _ in range(LOCK_AFTER):
        wrong = _api_login(app, name="omid", password=PASSWORD, code="000000")
        assert wrong.status_code == 401
    with _bound(app):
        assert User.get(User.name == "omid").locked_until is not None
    locked = _api_login(app, name="omid", password=PASSWORD,
                        code=_fresh_code(app, "omid", secret))
    assert locked.status_code == 401 and "too many failed logins" in locked.json["message"]
    # ...and on the web, where the code step is refused too.
    client = app.test_client()
    assert _login_password(client, "omid").status_code == 401


def test_web_code_step_counts_failures_and_a_right_password_does_not_reset_them(app):
    from peyvand.identity import LOCK_AFTER, User

    make_user(app, "kaveh")
    _, secret, _codes = _enrol(app, "kaveh")
    for _ in range(LOCK_AFTER):
        client = app.test_client()
        assert _login_password(client, "kaveh").headers["Location"] == "/login/code"
        client.post("/login/code", data={"csrf_token": csrf(client.get("/login/code")),
                                         "code": "000000"})
    with _bound(app):
        assert User.get(User.name == "kaveh").locked_until is not None


def test_admin_resets_two_factor_from_the_cli(app, peyvand_cli):
    from peyvand.audit import Audit

    make_user(app, "hamid")
    _enrol(app, "hamid")
    assert _api_login(app, name="hamid", password=PASSWORD).status_code == 401
    result = peyvand_cli("users", "reset-2fa", "hamid")
    assert result.exit_code == 0, result.output
    assert _api_login(app, name="hamid", password=PASSWORD).status_code == 200
    with _bound(app):
        row = Audit.get(Audit.action == "two-factor-reset")
        assert row.via == "cli"
    again = peyvand_cli("users", "reset-2fa", "hamid")
    assert again.exit_code == 1 and "no two-factor login" in again.output


# -- password reset by e-mail link ----------------------------------------------------------

def test_without_an_email_plugin_the_page_sends_users_to_an_admin(app):
    client = app.test_client()
    page = client.get("/forgot-password")
    assert page.status_code == 200 and "peyvand users reset-password" in _text(page)
    assert "/forgot-password" in _text(client.get("/login"))


def test_reset_link_flow(peyvand_app_factory):
    from peyvand.identity import PasswordReset, User

    mailer = Mailer()
    app = peyvand_app_factory(plugins=[], extra_plugins=[("mailer", mailer, "1.0")])
    make_user(app, "leila")
    with _bound(app):
        User.update(email="Leila@example.com").where(User.name == "leila").execute()
    client = app.test_client()
    page = client.get("/forgot-password")
    assert 'name="name"' in _text(page)
    unknown = client.post("/forgot-password", data={"csrf_token": csrf(page), "name": "ghost"})
    known = client.post("/forgot-password", data={"csrf_token": csrf(page),
                                                  "name": "leila@example.com"})
    assert unknown.status_code == known.status_code == 200
    assert _text(unknown) == _text(known)  # no account enumeration
    assert [name for name, _ in mailer.sent] == ["leila"]
    link = mailer.sent[0][1]
    assert link.startswith("http://")
    path = urlsplit(link).path
    with _bound(app):
        token = path.rsplit("/", 1)[1]
        assert not PasswordReset.select().where(PasswordReset.token_hash == token).exists()
    form = client.get(path)
    assert form.status_code == 200
    weak = client.post(path, data={"csrf_token": csrf(form), "new": "short", "new2": "short"})
    assert weak.status_code == 400  # the policy applies; the link still works
    new = "Isfahan-1404-fresh"
    done = client.post(path, data={"csrf_token": csrf(form), "new": new, "new2": new})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert _login_password(app.test_client(), "leila", new).headers["Location"] == "/"
    assert _login_password(app.test_client(), "leila").status_code == 401
    # Used once, the link is dead.
    assert client.get(path).status_code == 400
    again = client.post(path, data={"csrf_token": csrf(client.get("/forgot-password")),
                                    "new": "Another-1404-pass", "new2": "Another-1404-pass"})
    assert again.status_code == 400
    assert _login_password(app.test_client(), "leila", new).status_code == 302


def test_an_expired_link_is_refused_and_links_are_limited(peyvand_app_factory):
    from peyvand.identity import PasswordReset
    from peyvand.password_reset import MAX_WAITING

    mailer = Mailer()
    app = peyvand_app_factory(plugins=[], extra_plugins=[("mailer", mailer, "1.0")])
    make_user(app, "bahar")
    client = app.test_client()
    for _ in range(MAX_WAITING + 2):
        post(client, "/forgot-password", {"name": "bahar"})
    assert len(mailer.sent) == MAX_WAITING
    with _bound(app):
        PasswordReset.update(expires_at=datetime.datetime(2020, 1, 1)).execute()
    path = urlsplit(mailer.sent[0][1]).path
    assert client.get(path).status_code == 400
    refused = client.post(path, data={"csrf_token": csrf(client.get("/forgot-password")),
                                      "new": "Tabriz-1404-pass", "new2": "Tabriz-1404-pass"})
    assert refused.status_code == 400
    assert client.get("/reset-password/not-a-token").status_code == 400
    assert _login_password(app.test_client(), "bahar").status_code == 302
