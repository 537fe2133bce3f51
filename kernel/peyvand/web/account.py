"""The start page, global search, profile, log in / out, first-admin setup, web app manifest."""

from __future__ import annotations

import re
import time

from flask import (
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from .. import two_factor
from ..identity import (
    IdentityError,
    User,
    address_failures,
    check_password_policy,
    clear_failed_logins,
    create_user,
    set_password,
    verify_password,
)
from . import blueprint, i18n, search
from . import session as web_session
from .i18n import _

SEARCH_LIMIT = 30


def _kernel():
    return current_app.extensions["peyvand"]


def _write(fn):
    """Run ``fn`` in one transaction of the tenant's database."""
    with _kernel().storage.database_for(g.tenant).atomic():
        return fn()


def _entity_url(entity_id: str, record_id: int | None = None) -> str | None:
    entity = _kernel().entities(g.tenant).get(entity_id)
    if entity is None:
        return None
    if record_id is None:
        return url_for("peyvand_web.list_page", plugin=entity.plugin, plural=entity.plural)
    return url_for("peyvand_web.record_page", plugin=entity.plugin, plural=entity.plural,
                   record_id=record_id)


@blueprint.get("/")
def home():
    """The start page: the user's sections, and the plugins' states for administrators."""
    user = g.web_user
    kernel = _kernel()
    plugins = None
    if user.superuser or "admin" in user.actor.roles:
        plugins = [p for p in kernel.describe(g.tenant)]
    return render_template("peyvand/home.html", plugins=plugins, tenant=g.tenant)


# -- log in / out ------------------------------------------------------------------------------

def _no_user_yet() -> bool:
    return not User.select(User.id).exists()


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if g.web_user is not None and request.method == "GET":
        return redirect(web_session.safe_next(request.args.get("next")))
    if _no_user_yet():
        return render_template("peyvand/setup.html", errors={}, form={})
    error = None
    name = ""
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        password = request.form.get("password") or ""
        address = request.remote_addr or ""
        if not name or not password:
            error = _("Enter your user name and password.")
        else:
            try:
                # Outside a transaction: the failure counters must stay written when this fails.
                # The count is cleared only once a second factor (if any) is right too.
                user = verify_password(name, password, address, clear_failures=False)
            except IdentityError as exc:
                time.sleep(min(0.1 * address_failures(address), 2.0))
                error = (_("Too many failed attempts. Wait 15 minutes and try again.")
                         if "too many" in str(exc) else _("Wrong user name or password."))
            else:
                if two_factor.enabled(user):
                    return security.start_second_step(user, request.args.get("next"))
                clear_failed_logins(user)
                web_session.log_in(user, g.tenant)
                return redirect(web_session.safe_next(request.args.get("next")))
    return render_template("peyvand/login.html", error=error, name=name), \
        (401 if error else 200)


@blueprint.post("/setup")
def setup():
    """Create the tenant's first administrator; refused once any user exists."""
    if not _no_user_yet():
        flash(_("This workspace already has users. Log in, or ask an administrator."), "error")
        return redirect(url_for("peyvand_web.login"))
    form = request.form
    name = (form.get("name") or "").strip()
    password = form.get("password") or ""
    errors = {}
    if not name:
        errors["name"] = _("Choose a user name.")
    elif len(name) > 150 or any(ch.isspace() for ch in name):
        errors["name"] = _("Use a user name without spaces, at most 150 characters.")
    if password != (form.get("password2") or ""):
        errors["password2"] = _("The two passwords differ.")
    if not errors.get("name"):
        try:
            check_password_policy(password, name)
        except IdentityError:
            errors["password"] = password_rules()
    if errors:
        return render_template("peyvand/setup.html", errors=errors, form=form), 400
    language = form.get("language") if form.get("language") in i18n.LANGUAGES else g.lang

    def create():
        if not _no_user_yet():  # someone else was quicker
            return None
        user = create_user(name, roles=("admin",), password=password)
        user.language = language
        user.calendar = "jalali" if language == "fa" else "gregorian"
        user.save(only=[User.language, User.calendar])
        return user

    user = _write(create)
    if user is None:
        return redirect(url_for("peyvand_web.login"))
    _kernel().bump_generation()
    web_session.log_in(user, g.tenant)
    flash(_("Welcome! You are this workspace's administrator."), "success")
    return redirect(url_for("peyvand_web.home"))


def password_rules() -> str:
    return _("Use at least %(n)s characters, mixing letters with digits or symbols, without "
             "your user name.", n=10)


@blueprint.post("/logout")
def logout():
    web_session.log_out()
    flash(_("You have logged out."), "success")
    return redirect(url_for("peyvand_web.login"))


@blueprint.route("/language", methods=["GET", "POST"])
def set_language():
    """Switch the language: for the session, and for a logged-in user their saved choice."""
    lang = request.values.get("lang")
    if lang in i18n.LANGUAGES:
        session["lang"] = lang
        user = g.web_user
        if user is not None and request.method == "POST":
            calendar = user.calendar
            _write(lambda: User.update(language=lang).where(User.id == user.id).execute())
            g.lang, g.calendar = lang, calendar
    return redirect(web_session.safe_next(request.values.get("next")))


# -- profile -----------------------------------------------------------------------------------

@blueprint.route("/profile", methods=["GET", "POST"])
def profile():
    user = g.web_user
    errors = {}
    if request.method == "POST" and request.form.get("form") == "settings":
        language = request.form.get("language")
        calendar = request.form.get("calendar")
        display_name = (request.form.get("display_name") or "").strip()[:200] or None
        zone = (request.form.get("time_zone") or "").strip() or None
        if language not in i18n.LANGUAGES:
            errors["language"] = _("Choose a language.")
        if calendar not in i18n.CALENDARS:
            errors["calendar"] = _("Choose a calendar.")
        if zone is not None and not i18n.valid_time_zone(zone):
            errors["time_zone"] = _("Choose a time zone from the list.")
        if not errors:
            _write(lambda: User.update(language=language, calendar=calendar,
                                       display_name=display_name, time_zone=zone)
                   .where(User.id == user.id).execute())
            session["lang"] = language
            g.lang, g.calendar = language, calendar
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("peyvand_web.profile"))
    elif request.method == "POST" and request.form.get("form") == "password":
        current = request.form.get("current") or ""
        new = request.form.get("new") or ""
        if new != (request.form.get("new2") or ""):
            errors["new2"] = _("The two passwords differ.")
        else:
            try:
                row = verify_password(user.name, current, request.remote_addr or "")
            except IdentityError:
                errors["current"] = _("Your current password is not right.")
            else:
                try:
                    _write(lambda: set_password(row, new))
                except IdentityError:
                    errors["new"] = password_rules()
                else:
                    row = User.get_by_id(user.id)
                    session["fp"] = web_session.password_fingerprint(row)
                    flash(_("Your password is changed. Other sessions are logged out."),
                          "success")
                    return redirect(url_for("peyvand_web.profile"))
    row = User.get_by_id(user.id)
    return render_template("peyvand/profile.html", row=row, errors=errors,
                           roles=sorted(user.actor.roles), **profile_zones(),
                           two_factor=security.profile_context(row)), (400 if errors else 200)


# -- API tokens --------------------------------------------------------------------------------

@blueprint.app_template_global()
def my_tokens() -> list:
    """The logged-in user's API tokens, newest first (never their secrets: only hashes are
    kept)."""
    from ..identity import Token

    user = g.web_user
    if user is None:
        return []
    return list(Token.select().where(Token.user == user.id).order_by(Token.id.desc())
                .limit(100))


@blueprint.post("/profile/tokens")
def profile_tokens():
    """Create an API token (shown once) or revoke one of your own."""
    import json

    from .. import audit
    from ..identity import Token, create_token, revoke_token

    user = g.web_user
    row = User.get_by_id(user.id)
    action = request.form.get("action")
    if action == "revoke":
        token = Token.get_or_none((Token.id == (request.form.get("id") or 0))
                                  & (Token.user == user.id))
        if token is not None and token.revoked_at is None \
                and request.form.get("confirmed") != "1":
            return _confirm_revoke(token)
        if token is not None and token.revoked_at is None:
            _write(lambda: (revoke_token(token.id),
                            audit.record("peyvand.user", user.id, "token-revoke",
                                         {"token": (token.id, None)}, via="web",
                                         user_id=user.id, user_name=user.name)))
            _kernel().bump_generation()  # verified tokens are cached until it moves
            flash(_("The token is revoked: programs using it are refused from now on."),
                  "success")
        return redirect(url_for("peyvand_web.profile") + "#tokens")
    if action != "create":
        return redirect(url_for("peyvand_web.profile"))
    errors = {}
    label = " ".join((request.form.get("label") or "").split())[:100] or None
    days_text = i18n.ascii_digits((request.form.get("days") or "").strip())
    days = int(days_text) if days_text.isdigit() else None
    if days_text and (days is None or not 1 <= days <= 3650):
        errors["token_days"] = _("Give a number of days from 1 to 3650, or leave it empty.")
    mine = sorted(user.actor.roles)
    roles = [r for r in request.form.getlist("roles") if r in mine]
    if errors:
        return _profile_page(row, errors)
    secret = _write(lambda: (create_token(row, roles=roles or None, days=days, label=label),
                             audit.record("peyvand.user", user.id, "token-create",
                                          {"token": (None, json.dumps(
                                              {"label": label, "days": days, "roles": roles},
                                              ensure_ascii=False))},
                                          via="web", user_id=user.id,
                                          user_name=user.name))[0])
    _kernel().bump_generation()
    return _profile_page(row, {}, new_token=secret)


def _confirm_revoke(token):
    """The confirmation page before a token is revoked (works without JavaScript)."""
    back = url_for("peyvand_web.profile") + "#tokens"
    items = [_("Programs that send it are refused from now on; this cannot be undone."),
             _("Create a new token for a program that still needs the API.")]
    last_used = (_("Last used: %(when)s", when=i18n.datetime_text(token.last_used_at))
                 if token.last_used_at else _("It was never used."))
    name = token.label or f"#{token.id}"
    return render_template(
        "peyvand/confirm.html", title=_("Revoke the token “%(name)s”?", name=name),
        message=last_used, items=items, action=url_for("peyvand_web.profile_tokens"),
        fields={"action": "revoke", "id": str(token.id), "confirmed": "1"},
        button=_("Revoke"), cancel=back)


@blueprint.get("/profile/tokens/<int:token_id>/revoke")
def profile_token_revoke(token_id):
    """Ask before revoking one of your own API tokens (the form posts to ``/profile/tokens``)."""
    from ..identity import Token

    token = Token.get_or_none((Token.id == token_id) & (Token.user == g.web_user.id))
    if token is None or token.revoked_at is not None:
        return redirect(url_for("peyvand_web.profile") + "#tokens")
    return _confirm_revoke(token)


def _profile_page(row, errors, **extra):
    return render_template("peyvand/profile.html", row=row, errors=errors,
                           roles=sorted(g.web_user.actor.roles), **profile_zones(),
                           two_factor=security.profile_context(row), **extra), \
        (400 if errors else 200)


def profile_zones() -> dict:
    """The time zone choices of the profile page, and the tenant's default."""
    return {"zones": i18n.time_zone_names(),
            "tenant_zone": web_session.tenant_time_zone(_kernel(), g.tenant)
            or i18n.default_time_zone_name()}


# -- search ------------------------------------------------------------------------------------

@blueprint.get("/search")
def search_page():
    """Global search over every enabled plugin (the ``search`` hook)."""
    query = (request.args.get("q") or "").strip()
    hits = []
    if query:
        kernel = _kernel()
        entities = kernel.entities(g.tenant)
        for hit in search.search(kernel, g.tenant, query, SEARCH_LIMIT):
            entity = entities.get(hit["entity"])
            if entity is None:
                continue
            hits.append({**hit, "url": _entity_url(hit["entity"], hit["id"]),
                         "entity_label": i18n.label(entity.label, entity.name),
                         "subtitle_html": _subtitle(hit)})
    return render_template("peyvand/search.html", query=query, hits=hits)


_RTL_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")


def _subtitle(hit: dict):
    """A hit's subtitle as HTML: as its entity's field ``subtitle_field`` is shown on record
    pages (a phone number left-to-right, in the user's digits), else isolated, left-to-right
    when it has no right-to-left letters (an e-mail address)."""
    from markupsafe import Markup, escape

    from . import forms
    from .pages import entity_view

    text = hit.get("subtitle")
    if text in (None, ""):
        return None
    name = hit.get("subtitle_field")
    view = entity_view(hit["entity"]) if name else None
    meta = view.by_name.get(name) if view is not None else None
    if meta is not None and meta.kind in ("email", "tel"):
        return forms.display(meta, name, text, {})
    ltr = not _RTL_LETTERS.search(str(text))
    return Markup('<bdi dir="ltr">' if ltr else "<bdi>") + escape(str(text)) + Markup("</bdi>")


#: Suggestions under the global search box at most, and the shortest query that asks.
SUGGEST_LIMIT = 8
SUGGEST_MIN = 2


@blueprint.get("/search/suggest")
def search_suggest():
    """What the global search box suggests as the user types (JSON, for app.js): the same
    ``search`` hook as ``/search``, so only records the user may read, best first:
    ``{"query", "items": [{"title", "subtitle", "entity", "url"}], "more"}``."""
    query = " ".join((request.args.get("q") or "").split())[:200]
    items = []
    if len(query) >= SUGGEST_MIN:
        kernel = _kernel()
        entities = kernel.entities(g.tenant)
        for hit in search.search(kernel, g.tenant, query, SUGGEST_LIMIT):
            entity = entities.get(hit["entity"])
            if entity is None:
                continue
            items.append({"title": hit["title"], "subtitle": hit.get("subtitle") or "",
                          "entity": i18n.label(entity.label, entity.name),
                          "url": _entity_url(hit["entity"], hit["id"])})
    response = jsonify({"query": query, "items": items,
                        "more": url_for("peyvand_web.search_page", q=query)})
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -- installable web app -----------------------------------------------------------------------

@blueprint.get("/manifest.webmanifest")
def web_manifest():
    lang = g.lang
    response = jsonify({
        "name": "پیوند — Peyvand CRM" if lang == "fa" else "Peyvand CRM — پیوند",
        "short_name": "پیوند" if lang == "fa" else "Peyvand",
        "lang": lang,
        "dir": i18n.direction(lang),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7fb",
        "theme_color": "#1f4e79",
        "id": "/",
        "icons": [{"src": url_for("static", filename="peyvand/icon.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"},
                  {"src": url_for("static", filename="peyvand/icon-192.png"),
                   "sizes": "192x192", "type": "image/png", "purpose": "any"},
                  {"src": url_for("static", filename="peyvand/icon-512.png"),
                   "sizes": "512x512", "type": "image/png", "purpose": "any"}],
    })
    response.mimetype = "application/manifest+json"
    return response


# The two-factor and password-reset pages register on the same blueprint.
from . import security  # noqa: E402
