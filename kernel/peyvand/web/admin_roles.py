"""Admin pages for roles: the list, new roles (optionally copied from another), deleting a
role of the workspace's own, and each role's permission matrix (rows: the entities of the
enabled plugins and the plugins' own permission keys; columns: the actions; each cell a scope)
with its field rules (hidden / read-only per field). Saving validates everything, writes only
what changed, audits it (``peyvand.role``) and takes effect on the next request; the page also
explains any decision for a user (:func:`peyvand.permissions.explain`)."""

from __future__ import annotations

import re

from flask import abort, flash, g, redirect, request, url_for
from peewee import fn

from ..identity import FieldRule, Grant, IdentityError, Role, User, UserRole, get_user
from ..permissions import ACTIONS, RULES, SCOPES, declared_permissions, explain
from ..records import InvalidRecord
from ..roles import set_role_policy
from . import blueprint, i18n
from .admin import confirm, kernel, record, render, require_admin, write
from .admin_people import role_label
from .i18n import N_, _

ROLE_KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
SCOPE_LABELS = {"none": N_("None"), "own": N_("Own"), "team": N_("Team and sub-teams"),
                "all": N_("All")}
RULE_LABELS = {"hidden": N_("Hidden"), "read": N_("Read-only"), "edit": N_("Editable")}
ACTION_LABELS = {"read": N_("Read"), "create": N_("Create"), "update": N_("Update"),
                 "delete": N_("Delete"), "export": N_("Export"), "import": N_("Import"),
                 "print": N_("Print")}


@blueprint.route("/admin/roles", methods=["GET", "POST"])
def admin_roles():
    require_admin()
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form
        key = (form.get("key") or "").strip()
        label_en = (form.get("label_en") or "").strip()[:100]
        label_fa = (form.get("label_fa") or "").strip()[:100] or None
        source = Role.get_or_none(Role.key == form.get("copy_from")) \
            if form.get("copy_from") else None
        if not ROLE_KEY.match(key):
            errors["key"] = _("Use 2 to 64 lower-case English letters, digits and _, starting "
                              "with a letter.")
        elif Role.select().where(Role.key == key).exists():
            errors["key"] = _("A role with this key exists.")
        if not label_en:
            errors["label_en"] = _("Give the role an English name.")
        if not errors:
            def create():
                role = Role.create(key=key, label_en=label_en, label_fa=label_fa)
                grants = {}
                if source is not None:
                    grants = dict(Grant.select(Grant.permission, Grant.scope)
                                  .where(Grant.role == source).tuples())
                    if grants:
                        Grant.insert_many([(role.id, p, s) for p, s in grants.items()],
                                          fields=[Grant.role, Grant.permission,
                                                  Grant.scope]).execute()
                    rules = list(FieldRule.select(FieldRule.entity, FieldRule.field,
                                                  FieldRule.rule)
                                 .where(FieldRule.role == source).tuples())
                    if rules:
                        FieldRule.insert_many([(role.id, *r) for r in rules],
                                              fields=[FieldRule.role, FieldRule.entity,
                                                      FieldRule.field, FieldRule.rule]).execute()
                record("peyvand.role", role.id, "create",
                       {"key": (None, key), "copied_from": (None, source.key if source else None)})
                return role

            role = write(create)
            kernel().bump_generation()
            flash(_("Role %(name)s is created; set what it may do.", name=label_en), "success")
            return redirect(url_for("peyvand_web.admin_role", key=role.key))
    roles = list(Role.select().order_by(Role.builtin.desc(), Role.key))
    counts = dict(UserRole.select(UserRole.role, fn.COUNT(UserRole.user))
                  .group_by(UserRole.role).tuples())
    return render("roles.html", roles=roles, counts=counts, errors=errors, form=form,
                  role_label=role_label), (400 if errors else 200)


def _role(key: str) -> Role:
    role = Role.get_or_none(Role.key == key)
    if role is None:
        abort(404)
    return role


def _matrix() -> tuple[list[dict], list[dict]]:
    """``(entity rows, other permission rows)`` of the enabled plugins, for the matrix."""
    from .pages import entity_view

    k = kernel()
    declared = declared_permissions(k, g.tenant)
    entities = k.entities(g.tenant)
    rows = []
    for entity_id in sorted(entities, key=lambda e: (entities[e].plugin, e)):
        view = entity_view(entity_id)
        rows.append({"id": entity_id, "label": view.label(plural=True),
                     "keys": [f"{entity_id}.{a}" for a in ACTIONS],
                     "fields": [(m.name, m.title()) for m in view.metas]})
    standard = {key for row in rows for key in row["keys"]}
    others = [{"key": key, "label": i18n.label(p.label, key)}
              for key, p in sorted(declared.items()) if key not in standard]
    return rows, others


def _explain(role: Role) -> dict | None:
    args = request.args
    if not args.get("explain_user"):
        return None
    k = kernel()
    out = {"user": args.get("explain_user"), "entity": args.get("explain_entity", ""),
           "action": args.get("explain_action", "read"), "id": args.get("explain_id", "")}
    try:
        user = get_user(out["user"])
    except IdentityError:
        out["error"] = _("There is no user %(name)s.", name=out["user"])
        return out
    entity = k.entities(g.tenant).get(out["entity"])
    if entity is None:
        out["error"] = _("Choose a kind of record.")
        return out
    target = None
    if out["id"].strip():
        digits = i18n.ascii_digits(out["id"].strip())
        target = entity.model.get_or_none(entity.model.id == int(digits)) \
            if digits.isdigit() else None
        if target is None:
            out["error"] = _("There is no record %(id)s of this kind.", id=out["id"])
            return out
    out["result"] = explain(k, g.tenant, user, out["action"], out["entity"], target)
    return out


@blueprint.route("/admin/roles/<key>", methods=["GET", "POST"])
def admin_role(key):
    require_admin()
    role = _role(key)
    rows, others = _matrix()
    if request.method == "POST":
        form = request.form
        grants = {}
        for permission in [k for row in rows for k in row["keys"]] + [o["key"] for o in others]:
            value = form.get(f"g:{permission}")
            if value is not None:
                grants[permission] = value
        rules = {}
        for row in rows:
            for name, _label in row["fields"]:
                value = form.get(f"r:{row['id']}:{name}")
                if value is not None:
                    rules[(row["id"], name)] = value
        label_en = (form.get("label_en") or "").strip()[:100] or role.label_en
        label_fa = ((form.get("label_fa") or "").strip()[:100] or None) if "label_fa" in form \
            else role.label_fa

        def save():
            changes = set_role_policy(role, grants, rules, via="web", user_id=g.web_user.id,
                                      user_name=g.web_user.name)
            if (label_en, label_fa) != (role.label_en, role.label_fa):
                record("peyvand.role", role.id, "update",
                       {"label": ([role.label_en, role.label_fa], [label_en, label_fa])})
                role.label_en, role.label_fa = label_en, label_fa
                role.save(only=[Role.label_en, Role.label_fa])
                changes["label"] = True
            return changes

        try:
            changes = write(save)
        except InvalidRecord as exc:
            flash(_("Nothing was saved: %(problems)s",
                    problems="; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())),
                  "error")
            return redirect(url_for("peyvand_web.admin_role", key=role.key))
        kernel().bump_generation()
        if changes:
            flash(_("Saved %(count)s changes. They apply from the next page each user opens.",
                    count=len(changes)), "success")
        else:
            flash(_("Nothing changed."), "success")
        return redirect(url_for("peyvand_web.admin_role", key=role.key))
    grants = dict(Grant.select(Grant.permission, Grant.scope).where(Grant.role == role).tuples())
    rules = {(e, f): r for e, f, r in FieldRule.select(FieldRule.entity, FieldRule.field,
                                                      FieldRule.rule)
             .where(FieldRule.role == role).tuples()}
    users = list(User.select(User.name).where(User.is_active).order_by(User.name).tuples())
    return render("role.html", role=role, rows=rows, others=others, grants=grants, rules=rules,
                  actions=ACTIONS, scopes=SCOPES, rule_names=RULES, scope_labels=SCOPE_LABELS,
                  rule_labels=RULE_LABELS, action_labels=ACTION_LABELS, role_label=role_label,
                  explained=_explain(role), users=[u for (u,) in users],
                  members=UserRole.select().where(UserRole.role == role).count())


@blueprint.route("/admin/roles/<key>/delete", methods=["GET", "POST"])
def admin_role_delete(key):
    require_admin()
    role = _role(key)
    back = url_for("peyvand_web.admin_role", key=role.key)
    if role.builtin:
        flash(_("Built-in roles cannot be deleted; take their rights away instead."), "error")
        return redirect(back)
    holders = [n for (n,) in User.select(User.name).join(UserRole)
               .where(UserRole.role == role).order_by(User.name).tuples()]
    if request.method == "POST":
        def run():
            record("peyvand.role", role.id, "delete", {"key": (role.key, None),
                                                        "users": (holders, None)})
            for model in (Grant, FieldRule, UserRole):
                model.delete().where(model.role == role).execute()
            role.delete_instance()

        write(run)
        kernel().bump_generation()
        flash(_("Role %(name)s is deleted.", name=role_label(role)), "success")
        return redirect(url_for("peyvand_web.admin_roles"))
    items = [_("These users lose it: %(names)s", names=", ".join(holders))] if holders else []
    return confirm(_("Delete role %(name)s?", name=role_label(role)),
                   _("Its grants and field rules are deleted with it."),
                   url_for("peyvand_web.admin_role_delete", key=role.key), items=items,
                   button=_("Delete"), cancel=back)
