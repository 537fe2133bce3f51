"""Admin pages of the workspace, for users with the ``admin`` role (or a superuser).

``/admin``                                   what each page does
``/admin/plugins``                           enable, disable, purge (typed confirmation)
``/admin/users``, ``/admin/teams``           :mod:`.admin_people`
``/admin/roles``                             :mod:`.admin_roles` (permission matrix, field rules)
``/admin/fields``                            :mod:`.admin_fields` (custom fields)
``/admin/tags``, ``/admin/settings``         :mod:`.admin_settings` (tags, tenant settings)
``/admin/audit``                             :mod:`.admin_audit` (the audit trail)

Every form carries the CSRF token (checked for every POST by :mod:`.session`), destructive
actions ask first on a page of their own, and every change is written to the audit trail with
the admin's name and ``via: web``. The ``admin`` role always reaches these pages, whatever its
grants, so nobody can lock the workspace's administrators out from the role editor.
"""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for

from .. import audit
from ..errors import PeyvandError
from ..permissions import Forbidden
from . import blueprint, i18n
from .i18n import N_, _

#: The admin pages, in the order of the admin menu: (endpoint, label).
SECTIONS = (
    ("peyvand_web.admin_plugins", N_("Plugins")),
    ("peyvand_web.admin_users", N_("Users")),
    ("peyvand_web.admin_teams", N_("Teams")),
    ("peyvand_web.admin_roles", N_("Roles and permissions")),
    ("peyvand_web.admin_fields", N_("Custom fields")),
    ("peyvand_web.admin_tags", N_("Tags")),
    ("peyvand_web.admin_settings", N_("Settings")),
    ("peyvand_web.admin_audit", N_("Audit trail")),
)


def kernel():
    return current_app.extensions["peyvand"]


def require_admin() -> None:
    """403 unless the logged-in user may administer the workspace."""
    user = g.web_user
    if user is None or not user.is_admin:
        raise Forbidden("the admin pages are for administrators")


def write(fn):
    """Run ``fn`` in one transaction of the tenant's database."""
    with kernel().storage.database_for(g.tenant).atomic():
        return fn()


def record(entity: str, record_id: int, action: str, changes: dict) -> None:
    """An audit row for an admin's change, with their name and ``via: web``."""
    user = g.web_user
    audit.record(entity, record_id, action, changes, via="web", user_id=user.id,
                 user_name=user.name)


def render(template: str, **context):
    return render_template(f"peyvand/admin/{template}", sections=SECTIONS, **context)


def confirm(title: str, message: str, action: str, *, items=(), fields=None, button: str,
            cancel: str, typed: str | None = None, extra: str | None = None, **context):
    """The confirmation page every destructive action shows first.

    ``fields`` are hidden inputs to send again; ``typed`` asks the admin to type that text
    (a plugin's name before a purge); ``extra`` names a template with more inputs, which get
    ``context``.
    """
    return render("confirm.html", title=title, message=message, action=action, items=items,
                  fields=fields or {}, button=button, cancel=cancel, typed=typed,
                  extra=extra, **context)


@blueprint.app_template_global()
def admin_sections():
    return SECTIONS


@blueprint.get("/admin")
def admin_home():
    require_admin()
    return render("index.html")


# -- plugins -----------------------------------------------------------------------------------

def _plugin_rows() -> list[dict]:
    k = kernel()
    rows = k.describe(g.tenant)
    states = {r["name"]: r["state"] for r in rows}
    installed = [n for n in k.records if not k.records[n].internal]
    for row in rows:
        row["required_by"] = [(d, states.get(d)) for d in k.dependents(row["name"], installed)]
        row["needs"] = [(d, spec, states.get(d, "missing")) for d, spec in row["requires"].items()]
    return rows


@blueprint.get("/admin/plugins")
def admin_plugins():
    require_admin()
    return render("plugins.html", plugins=_plugin_rows())


def _plugin(name: str) -> dict:
    for row in _plugin_rows():
        if row["name"] == name:
            return row
    abort(404)


def _refused(verb: str, name: str, exc: Exception):
    flash(_("%(action)s “%(name)s” was refused: %(reason)s", action=verb, name=name,
            reason=str(exc)), "error")
    return redirect(url_for("peyvand_web.admin_plugins"))


def _missing_dependencies(plugin: dict) -> str | None:
    """Why ``plugin`` cannot be enabled yet, in the admin's language, when a plugin it needs is
    not installed or not enabled (the kernel refuses the rest in its own words)."""
    labels = {row["name"]: i18n.label(row["label"], row["name"]) for row in _plugin_rows()}
    comma, quote = ("، ", "«%s»") if g.lang == "fa" else (", ", "“%s”")
    title = labels.get(plugin["name"], plugin["name"])
    absent = [f"{dep} {spec}".strip() for dep, spec, state in plugin["needs"]
              if state == "missing"]
    if absent:
        return _("“%(name)s” needs %(names)s, which is not installed: ask whoever runs the "
                 "server to install it.", name=title, names=comma.join(absent))
    off = [labels.get(dep, dep) for dep, _spec, state in plugin["needs"] if state != "enabled"]
    if off:
        return _("“%(name)s” needs %(names)s, which is not enabled: enable it first.",
                 name=title, names=comma.join(quote % n for n in off))
    return None


@blueprint.post("/admin/plugins/<name>/enable")
def admin_plugin_enable(name):
    require_admin()
    plugin = _plugin(name)
    refused = _missing_dependencies(plugin)
    if refused:
        flash(refused, "error")
        return redirect(url_for("peyvand_web.admin_plugins"))
    try:
        done = kernel().enable(name, g.tenant)
    except PeyvandError as exc:
        return _refused(_("Enabling"), name, exc)
    if done:
        write(lambda: record("peyvand.plugin", 0, "enable",
                             {"plugin": (None, name), "state": (plugin["state"], "enabled")}))
        flash(_("“%(name)s” is enabled: its menus, pages and data are back.",
                name=i18n.label(plugin["label"], name)), "success")
    return redirect(url_for("peyvand_web.admin_plugins"))


@blueprint.route("/admin/plugins/<name>/disable", methods=["GET", "POST"])
def admin_plugin_disable(name):
    require_admin()
    plugin = _plugin(name)
    k = kernel()
    dependents = k.dependents(name, k.enabled(g.tenant))
    title = i18n.label(plugin["label"], name)
    if request.method == "POST":
        cascade = request.form.get("cascade") == "1"
        try:
            done = k.disable(name, g.tenant, cascade=cascade)
        except PeyvandError as exc:
            return _refused(_("Disabling"), name, exc)
        write(lambda: [record("peyvand.plugin", 0, "disable",
                              {"plugin": (None, victim), "state": ("enabled", "disabled")})
                       for victim in done])
        if done:
            flash(_("Disabled: %(names)s. Their data is kept; enable them again to get it back.",
                    names="، ".join(done) if g.lang == "fa" else ", ".join(done)), "success")
        return redirect(url_for("peyvand_web.admin_plugins"))
    items = [_("Its menus and pages disappear for everybody, and its API answers 404."),
             _("Its data is kept; enabling it again brings everything back.")]
    fields = {}
    if dependents:
        items.append(_("These enabled plugins need it and will be disabled too: %(names)s",
                       names=", ".join(dependents)))
        fields["cascade"] = "1"
    return confirm(_("Disable “%(name)s”?", name=title), _("Disabling a plugin hides it."),
                   url_for("peyvand_web.admin_plugin_disable", name=name), items=items,
                   fields=fields, button=_("Disable"),
                   cancel=url_for("peyvand_web.admin_plugins"))


@blueprint.route("/admin/plugins/<name>/purge", methods=["GET", "POST"])
def admin_plugin_purge(name):
    require_admin()
    plugin = _plugin(name)
    k = kernel()
    title = i18n.label(plugin["label"], name)
    try:
        plan = k.purge_plan(name, g.tenant)
    except PeyvandError as exc:
        return _refused(_("Purging"), name, exc)
    if request.method == "POST":
        if (request.form.get("typed") or "").strip() != name:
            flash(_("Type the plugin's name, %(name)s, to purge it.", name=name), "error")
            return redirect(url_for("peyvand_web.admin_plugin_purge", name=name))
        try:
            dropped = k.purge(name, g.tenant)
        except PeyvandError as exc:
            return _refused(_("Purging"), name, exc)
        write(lambda: record("peyvand.plugin", 0, "purge",
                             {"plugin": (None, name), "state": (plugin["state"], "purged"),
                              "tables": (None, {t: n for t, n in dropped})}))
        flash(_("“%(name)s” is purged: %(count)s tables dropped.", name=title,
                count=len(dropped)), "success")
        return redirect(url_for("peyvand_web.admin_plugins"))
    if plugin["state"] == "enabled":
        flash(_("Disable “%(name)s” before purging it.", name=title), "error")
        return redirect(url_for("peyvand_web.admin_plugins"))
    items = [_("Table %(table)s: %(rows)s rows", table=t, rows=i18n.number(n)) for t, n in plan]
    return confirm(
        _("Purge “%(name)s” for good?", name=title),
        _("Purging drops the plugin's tables and every record in them. This cannot be undone: "
          "take a backup first (peyvand backup)."),
        url_for("peyvand_web.admin_plugin_purge", name=name), items=items or
        [_("It has no tables here.")], button=_("Purge"), typed=name,
        cancel=url_for("peyvand_web.admin_plugins"))


# The other admin pages register on the same blueprint.
from . import admin_audit, admin_fields, admin_people, admin_roles, admin_settings  # noqa: E402,F401,I001
