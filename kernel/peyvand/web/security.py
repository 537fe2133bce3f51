"""Two-factor login (the code step, enrolment on the profile page) and password reset by an
e-mail link ("forgot password" and "set a new password")."""

from __future__ import annotations

import time

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from .. import password_reset, two_factor
from ..identity import IdentityError, User, address_failures, verify_password
from . import blueprint
from . import session as web_session
from .i18n import _

#: How long the code step waits after a right password before the login starts over.
PENDING_SECONDS = 300
PENDING_KEY = "pending_2fa"


def _kernel():
    return current_app.extensions["peyvand"]


def _home():
    return _kernel().settings.home


def _write(fn):
    with _kernel().storage.database_for(g.tenant).atomic():
        return fn()


def _audit(user_id: int, name: str, action: str, old: str, new: str) -> None:
    from .. import audit

    audit.record("peyvand.user", user_id, action, {"two_factor": (old, new)}, via="web",
                 user_id=user_id, user_name=name)


# -- the login's second step -------------------------------------------------------------------

def start_second_step(user, next_url: str | None):
    """After a right password for an account with two-factor login: remember who (in the
    signed session, not yet logged in) and ask for the code."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING_KEY] = {"uid": user.id, "tenant": g.tenant, "at": int(time.time()),
                            "fp": web_session.password_fingerprint(user),
                            "next": web_session.safe_next(next_url)}
    return redirect(url_for("peyvand_web.login_code"))


def _pending_user():
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("tenant") != g.tenant \
            or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = User.get_or_none(User.id == pending.get("uid"))
    if user is None or not user.is_active \
            or web_session.password_fingerprint(user) != pending.get("fp"):
        return None, None
    return user, pending


@blueprint.route("/login/code", methods=["GET", "POST"])
def login_code():
    user, pending = _pending_user()
    if user is None:
        session.pop(PENDING_KEY, None)
        if request.method == "POST":
            flash(_("Your login took too long. Log in again."), "error")
        return redirect(url_for("peyvand_web.login"))
    error = None
    if request.method == "POST":
        code = (request.form.get("code") or "").strip()
        address = request.remote_addr or ""
        if not code:
            error = _("Enter the code from your authenticator app.")
        else:
            try:
                # Outside a transaction: the failure counters must stay written when this fails.
                two_factor.check_login(user, code, address, _home())
            except IdentityError as exc:
                time.sleep(min(0.1 * address_failures(address), 2.0))
                if "too many" in str(exc):
                    session.pop(PENDING_KEY, None)
                    error = _("Too many failed attempts. Wait 15 minutes and try again.")
                else:
                    error = _("Wrong code. Try the current code, or one of your recovery "
                              "codes.")
            else:
                web_session.log_in(user, g.tenant)
                return redirect(pending["next"])
    return render_template("peyvand/login_code.html", error=error), (401 if error else 200)


# -- enrolment on the profile page ------------------------------------------------------------

def profile_context(row, new_codes=None) -> dict:
    """What the profile page's two-factor panel shows for ``row``."""
    state = two_factor.status(row)
    out = {"status": state, "new_codes": new_codes or [], "secret": None, "uri": None,
           "qr": None, "codes_left": 0}
    if state == "pending":
        try:
            secret = two_factor.pending_secret(row, _home())
        except IdentityError:
            secret = None
        if secret:
            uri = two_factor.provisioning_uri(row, secret)
            out.update(secret=secret, uri=uri, qr=two_factor.qr_svg(uri))
    elif state == "on":
        out["codes_left"] = two_factor.recovery_codes_left(row)
    return out


def _profile(row, errors=None, new_codes=None):
    errors = errors or {}
    from .account import profile_zones

    return render_template("peyvand/profile.html", row=row, errors=errors,
                           roles=sorted(g.web_user.actor.roles), **profile_zones(),
                           two_factor=profile_context(row, new_codes)), (400 if errors else 200)


@blueprint.post("/profile/two-factor")
def two_factor_settings():
    """Turn two-factor login on (start, then confirm with a first code) or off (with a code or
    the password)."""
    user = g.web_user
    row = User.get_by_id(user.id)
    action = request.form.get("action")
    home = _home()
    if action == "begin":
        if two_factor.enabled(row):
            return redirect(url_for("peyvand_web.profile"))
        _write(lambda: two_factor.begin(row, home))
        return _profile(row)
    if action == "confirm":
        code = (request.form.get("code") or "").strip()
        try:
            codes = _write(lambda: two_factor.confirm(row, code, home))
        except IdentityError:
            return _profile(row, {"tfa_code": _("Wrong code. Check the time on your phone and "
                                                "type the code it shows now.")})
        _write(lambda: _audit(row.id, row.name, "two-factor-on", "off", "on"))
        flash(_("Two-factor login is on. Keep your recovery codes somewhere safe."), "success")
        return _profile(row, new_codes=codes)
    if action == "cancel":
        if not two_factor.enabled(row):
            _write(lambda: two_factor.disable(row))
        return redirect(url_for("peyvand_web.profile"))
    if action == "disable":
        code = (request.form.get("code") or "").strip()
        password = request.form.get("password") or ""
        address = request.remote_addr or ""
        allowed = False
        if password:
            try:
                verify_password(row.name, password, address)
                allowed = True
            except IdentityError:
                pass
        elif code:
            allowed = two_factor.check_code(row, code, home)
            if not allowed:
                from ..identity import note_failed_login

                note_failed_login(row, address)
        if not allowed:
            return _profile(row, {"tfa_disable": _("Enter a right code or your password to turn "
                                                   "two-factor login off.")})
        _write(lambda: (two_factor.disable(row),
                        _audit(row.id, row.name, "two-factor-off", "on", "off")))
        flash(_("Two-factor login is off."), "success")
        return redirect(url_for("peyvand_web.profile"))
    return redirect(url_for("peyvand_web.profile"))


# -- password reset by e-mail link -------------------------------------------------------------

@blueprint.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not an account matched."""
    kernel = _kernel()
    available = password_reset.can_send(kernel, g.tenant)
    sent = False
    if request.method == "POST" and available:
        user = password_reset.find_user(request.form.get("name") or "")
        if user is not None:
            token = _write(lambda: password_reset.create_link_token(user))
            if token:
                link = url_for("peyvand_web.reset_password", token=token, _external=True)
                password_reset.send_link(kernel, g.tenant, user, link)
        sent = True
    return render_template("peyvand/forgot_password.html", available=available, sent=sent)


@blueprint.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Choose a new password through a reset link (once, within an hour)."""
    if password_reset.valid_reset(token) is None:
        return render_template("peyvand/reset_password.html", valid=False, errors={}), 400
    errors = {}
    if request.method == "POST":
        new = request.form.get("new") or ""
        if new != (request.form.get("new2") or ""):
            errors["new2"] = _("The two passwords differ.")
        else:
            try:
                _write(lambda: password_reset.complete(token, new))
            except IdentityError:
                if password_reset.valid_reset(token) is None:
                    return render_template("peyvand/reset_password.html", valid=False,
                                           errors={}), 400
                from .account import password_rules

                errors["new"] = password_rules()
            else:
                web_session.log_out()
                flash(_("Your password is changed. Log in with it."), "success")
                return redirect(url_for("peyvand_web.login"))
    return render_template("peyvand/reset_password.html", valid=True, errors=errors), \
        (400 if errors else 200)
