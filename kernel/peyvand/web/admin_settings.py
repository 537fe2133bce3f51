"""Admin pages for the workspace's settings and its tags.

``/admin/settings``   every setting the enabled plugins declare (``register_settings``),
                      grouped by plugin, each with its label and description in the admin's
                      language, its current value and its default. One form saves every
                      changed value in one transaction: a value that does not fit is named
                      next to its field and nothing is saved.
``/admin/tags``       the tags of the workspace with their colours and how many records carry
                      each: add, rename and recolour, delete (after a confirmation naming the
                      records it comes off). Admins and every role granted
                      ``peyvand.tags.manage`` reach it.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from .. import settings_store, tags
from ..permissions import Forbidden
from . import blueprint, i18n
from .admin import confirm, kernel, render, require_admin, write
from .i18n import _
from .tagging import text_colour

# -- settings ----------------------------------------------------------------------------------


def _setting_groups(current: dict) -> list[dict]:
    """The declared settings by plugin, in the plugins' order, labels in the admin's language."""
    k = kernel()
    labels = {row["name"]: i18n.label(row["label"], row["name"]) for row in k.describe(g.tenant)}
    groups: dict[str, dict] = {}
    for key, setting in settings_store.declared(k, g.tenant).items():
        plugin = setting.plugin or key.split(".", 1)[0]
        group = groups.setdefault(plugin, {
            "plugin": plugin,
            "label": _("General") if plugin == "peyvand" else labels.get(plugin, plugin),
            "settings": []})
        group["settings"].append({
            "key": key, "type": setting.type, "choices": setting.choices,
            "label": i18n.label(setting.label, key),
            "description": i18n.label(setting.description),
            "value": current.get(key, setting.default), "default": setting.default,
            "changed": current.get(key, setting.default) != setting.default})
    return sorted(groups.values(), key=lambda grp: (grp["plugin"] != "peyvand", grp["label"]))


def _parse(setting, raw: str | None):
    """What the admin typed, in the setting's type (Persian digits accepted); ``ValueError``
    with a translated message when it does not fit."""
    if setting.type == "boolean":
        return raw == "1"
    text = (raw or "").strip()
    if setting.type == "integer":
        text = i18n.ascii_digits(text).replace(",", "").replace("٬", "")
        try:
            return int(text)
        except ValueError:
            raise ValueError(_("Type a whole number, e.g. %(example)s.",
                               example=i18n.digits(10))) from None
    if setting.type == "decimal":
        text = i18n.ascii_digits(text).replace(",", "").replace("٬", "").replace("٫", ".")
        if not text:
            raise ValueError(_("Type a number, e.g. %(example)s.", example=i18n.digits("9.5")))
        return text
    if setting.type == "choice":
        for choice in setting.choices:
            if str(choice) == text:
                return choice
        raise ValueError(_("Pick one of the values in the list."))
    return raw or ""


@blueprint.route("/admin/settings", methods=["GET", "POST"])
def admin_settings():
    require_admin()
    k = kernel()
    declared = settings_store.declared(k, g.tenant)
    current = settings_store.values(k, g.tenant)
    errors: dict[str, str] = {}
    if request.method == "POST":
        wanted = {}
        for key, setting in declared.items():
            if key not in request.form and setting.type != "boolean":
                continue          # not on the form that was sent: leave it alone
            if setting.type == "boolean" and f"{key}.present" not in request.form:
                continue
            try:
                value = setting.check(_parse(setting, request.form.get(key)))
            except ValueError as exc:
                errors[key] = str(exc)
                continue
            except settings_store.SettingError:
                errors[key] = _("This value does not fit: %(what)s.", what=_type_hint(setting))
                continue
            if value != current.get(key):
                wanted[key] = value
        if not errors and wanted:
            user = g.web_user

            def save():
                for key, value in wanted.items():
                    settings_store.set_setting(k, g.tenant, key, value, user_id=user.id,
                                               user_name=user.name, via="web")

            write(save)
            k.bump_generation()
            names = [i18n.label(declared[key].label, key) for key in wanted]
            flash(_("Saved: %(names)s.", names=("، " if g.lang == "fa" else ", ").join(names)),
                  "success")
            return redirect(url_for("peyvand_web.admin_settings"))
        if not errors:
            flash(_("Nothing was changed."), "info")
            return redirect(url_for("peyvand_web.admin_settings"))
        flash(_("Nothing was saved: correct the fields marked below."), "error")
        current = {**current, **{key: request.form.get(key, "") for key in errors}}
    return render("settings.html", groups=_setting_groups(current),
                  errors=errors), 422 if errors else 200


def _type_hint(setting) -> str:
    return {"integer": _("a whole number"), "decimal": _("a number"),
            "boolean": _("yes or no"), "choice": _("one of the values in the list"),
            }.get(setting.type, _("a text"))


# -- tags --------------------------------------------------------------------------------------

def _require_tag_manager() -> None:
    from ..access import permission_scope

    user = g.web_user
    if user is None or not (user.is_admin or permission_scope(tags.MANAGE) != "none"):
        raise Forbidden("managing tags needs the permission peyvand.tags.manage")


def _tag_rows() -> list[dict]:
    import peewee

    counts = dict(tags.TagLink.select(tags.TagLink.tag, peewee.fn.COUNT(tags.TagLink.id))
                  .group_by(tags.TagLink.tag).tuples())
    return [{"id": t.id, "name": t.name, "colour": t.colour, "text": text_colour(t.colour),
             "records": counts.get(t.id, 0)} for t in tags.all_tags()]


def _tag_error(exc: tags.TagError) -> tuple[str, str]:
    """A tag's refusal as (field, message in the admin's language)."""
    if exc.code == "colour":
        return "colour", _("Pick a colour (#rrggbb).")
    if exc.code == "name_taken":
        return "name", _("A tag with this name already exists (Persian and Arabic letters, "
                         "digits and case are compared folded).")
    if exc.code == "name_too_long":
        return "name", _("A tag name has at most %(count)s characters.",
                         count=i18n.digits(tags.MAX_NAME))
    return "name", _("A tag needs a name.")


@blueprint.route("/admin/tags", methods=["GET", "POST"])
def admin_tags():
    _require_tag_manager()
    errors = {}
    if request.method == "POST":
        name, colour = request.form.get("name"), request.form.get("colour") or None
        try:
            tag = write(lambda: tags.create_tag(name, colour, via="web"))
        except tags.TagError as exc:
            field, message = _tag_error(exc)
            errors[field] = message
        else:
            flash(_("The tag “%(name)s” is added.", name=tag.name), "success")
            return redirect(url_for("peyvand_web.admin_tags"))
    return render("tags.html", rows=_tag_rows(), errors=errors,
                  palette=tags.PALETTE), 422 if errors else 200


def _tag_or_404(tag_id: int):
    tag = tags.Tag.get_or_none(tags.Tag.id == tag_id)
    if tag is None:
        abort(404)
    return tag


@blueprint.post("/admin/tags/<int:tag_id>")
def admin_tag_edit(tag_id):
    _require_tag_manager()
    tag = _tag_or_404(tag_id)
    try:
        write(lambda: tags.update_tag(tag, name=request.form.get("name"),
                                      colour=request.form.get("colour") or None, via="web"))
    except tags.TagError as exc:
        flash(_("The tag “%(name)s” was not changed: %(reason)s", name=tag.name,
                reason=_tag_error(exc)[1]), "error")
    else:
        flash(_("The tag “%(name)s” is saved.", name=tag.name), "success")
    return redirect(url_for("peyvand_web.admin_tags"))


@blueprint.route("/admin/tags/<int:tag_id>/delete", methods=["GET", "POST"])
def admin_tag_delete(tag_id):
    _require_tag_manager()
    tag = _tag_or_404(tag_id)
    if request.method == "POST":
        count = write(lambda: tags.delete_tag(tag, via="web"))
        flash(_("The tag “%(name)s” is deleted and taken off %(count)s records.",
                name=tag.name, count=i18n.number(count)), "success")
        return redirect(url_for("peyvand_web.admin_tags"))
    count = tags.TagLink.select().where(tags.TagLink.tag == tag.id).count()
    return confirm(
        _("Delete the tag “%(name)s”?", name=tag.name),
        _("The tag is taken off every record that has it; the records themselves stay."),
        url_for("peyvand_web.admin_tag_delete", tag_id=tag.id),
        items=[_("%(count)s records have it.", count=i18n.number(count))],
        button=_("Delete the tag"), cancel=url_for("peyvand_web.admin_tags"))
