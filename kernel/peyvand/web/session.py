"""Web sessions: the signed session cookie, CSRF tokens and the acting user of each request.

The session cookie (Flask's, signed with a secret generated once and kept in
``<PEYVAND_HOME>/secret_key``) holds the user's id, their tenant, a fingerprint of their
password hash (changing the password logs out every other session) and the CSRF token. Every
request outside ``/api/`` with a logged-in user binds that user's
:class:`peyvand.access.Actor` (``via="web"``), so the permission engine applies to the pages as
it does to the API; the app's teardown unbinds it.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for

from ..access import bind

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Endpoints of the kernel's web blueprint that work without logging in.
PUBLIC_ENDPOINTS = frozenset({
    "peyvand_web.login", "peyvand_web.setup", "peyvand_web.set_language",
    "peyvand_web.web_manifest", "peyvand_web.api_docs", "peyvand_web.api_docs_asset",
    "peyvand_web.login_code", "peyvand_web.forgot_password", "peyvand_web.reset_password",
    "static",
})


@dataclass(frozen=True)
class WebUser:
    """The logged-in user as the pages need them."""

    id: int
    name: str
    display_name: str
    language: str
    calendar: str
    superuser: bool
    actor: object
    time_zone: str | None = None   # the user's own choice; None: the tenant's

    @property
    def is_admin(self) -> bool:
        """May use the admin pages (the ``admin`` role, or a superuser)."""
        return self.superuser or "admin" in self.actor.roles


def secret_key(home: Path) -> bytes:
    """The instance's session secret: read ``<home>/secret_key``, or create it (owner-only)."""
    path = Path(home) / "secret_key"
    try:
        data = path.read_bytes().strip()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def password_fingerprint(user) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def csrf_token() -> str:
    """This session's CSRF token (created on first use); every POST form carries it."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf") or ""
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def log_in(user, tenant: str) -> None:
    """Start a fresh session for ``user`` (a new CSRF token; old session data dropped)."""
    session.clear()
    session["uid"] = user.id
    session["tenant"] = tenant
    session["fp"] = password_fingerprint(user)
    session["csrf"] = secrets.token_urlsafe(32)
    session.permanent = True


def log_out() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if not target:
        return url_for("peyvand_web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("peyvand_web.home")
    return target


def _load_user(kernel, tenant: str, uid: int) -> WebUser | None:
    from ..identity import User

    user = User.get_or_none(User.id == uid)
    if user is None or not user.is_active:
        return None
    if session.get("fp") != password_fingerprint(user):
        return None
    # The actor (roles, teams, policy) is cached until the generation moves (a role, grant,
    # team or user change moves it); the user row itself is read on every request.
    actor = kernel.cache(f"web-actor:{tenant}:{uid}",
                         lambda: kernel.actor_for(user, tenant, via="web"))
    from .i18n import CALENDARS, LANGUAGES

    language = user.language if user.language in LANGUAGES else "fa"
    calendar = user.calendar if user.calendar in CALENDARS else "jalali"
    return WebUser(user.id, user.name, user.display_name or user.name, language, calendar,
                   user.is_superuser, actor, user.time_zone or None)


def tenant_time_zone(kernel, tenant: str) -> str | None:
    """The tenant's time zone (setting ``peyvand.time_zone``), or ``None`` for the instance's."""
    from ..settings_store import values

    return values(kernel, tenant).get("peyvand.time_zone")


def needs_login() -> bool:
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC_ENDPOINTS:
        return False
    return endpoint.startswith("peyvand_web.") or request.path.startswith("/app/")


def _public_view() -> bool:
    """A plugin's page marked ``@public`` (a public lead form): anyone may post to it, from
    other sites too, so it carries no CSRF token; it does its own checks."""
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "peyvand_public", False))


def before_request():
    """Registered on the app after the tenant binding: user, language, CSRF, login."""
    if (request.path.startswith("/api/") and request.endpoint != "peyvand_web.api_docs") \
            or request.endpoint == "static":
        return None  # the API authenticates each call with its token; assets are public
    identify()
    if request.method not in SAFE_METHODS and not _public_view() and not csrf_ok():
        from .i18n import _

        return render_template(
            "peyvand/error.html", code=400, title=_("The form has expired"),
            message=_("This form was not sent from a page of this site, or your session "
                      "changed since it was shown (CSRF check). Go back, reload the page and "
                      "send it again.")), 400
    if g.web_user is None and needs_login():
        return redirect(url_for("peyvand_web.login", next=request.full_path.rstrip("?")))
    return None


def identify() -> None:
    """Who asks (``g.web_user``: the logged-in user or ``None``, bound as the actor) and in
    which language, calendar and time zone the page answers."""
    from .i18n import LANGUAGES, best_language

    kernel = current_app.extensions["peyvand"]
    g.web_user = None
    lang = session.get("lang")
    g.lang = lang if lang in LANGUAGES else best_language(request.accept_languages)
    g.calendar = "jalali" if g.lang == "fa" else "gregorian"
    g.time_zone = tenant_time_zone(kernel, g.tenant)
    uid = session.get("uid")
    if uid is not None:
        user = None
        if session.get("tenant") == g.tenant:
            user = _load_user(kernel, g.tenant, uid)
        if user is None:
            log_out()
        else:
            g.web_user = user
            g.lang, g.calendar = user.language, user.calendar
            if user.time_zone:
                g.time_zone = user.time_zone
            g._peyvand_actor = bind(user.actor)
            if user.superuser and request.endpoint != "static":
                from .. import audit

                # The superuser bypass is explicit, and every use of it is recorded.
                audit.record("peyvand.superuser", 0, "bypass",
                             {"request": (None, f"{request.method} {request.full_path}")},
                             via="web", user_id=user.id, user_name=user.name)


def web_user_from_cookie(kernel, tenant: str) -> WebUser | None:
    """The user of the session cookie, if it is a valid login to ``tenant`` (nothing bound,
    the session left as it is). For the one API read the web session may make."""
    uid = session.get("uid")
    if uid is None or session.get("tenant") != tenant:
        return None
    return _load_user(kernel, tenant, uid)


def configure(app) -> None:
    """Secret key and cookie settings (HttpOnly, SameSite=Lax)."""
    kernel = app.extensions["peyvand"]
    if not app.secret_key:
        app.secret_key = secret_key(kernel.settings.home)
    app.config.setdefault("SESSION_COOKIE_NAME", "peyvand_session")
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    if os.environ.get("PEYVAND_COOKIE_SECURE", "").lower() in ("1", "true", "yes", "on"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", datetime.timedelta(hours=12))
