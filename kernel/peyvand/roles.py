"""The role policy as a document: export it, keep it under version control, import it back."""

from __future__ import annotations

from . import audit
from .identity import FieldRule, Grant, Role
from .permissions import RULES, SCOPES
from .records import InvalidRecord


def export_policy() -> dict:
    """The roles document: every role with its grants and field rules, sorted."""
    roles = []
    for role in Role.select().order_by(Role.key):
        grants = {p: s for p, s in Grant.select(Grant.permission, Grant.scope)
                  .where(Grant.role == role).order_by(Grant.permission).tuples()}
        rules: dict[str, dict[str, str]] = {}
        for entity, fname, rule in (FieldRule.select(FieldRule.entity, FieldRule.field,
                                                     FieldRule.rule)
                                    .where(FieldRule.role == role)
                                    .order_by(FieldRule.entity, FieldRule.field).tuples()):
            rules.setdefault(entity, {})[fname] = rule
        roles.append({"key": role.key, "label": {"en": role.label_en, "fa": role.label_fa},
                      "builtin": role.builtin, "grants": grants, "field_rules": rules})
    return {"format": "peyvand.roles/1", "roles": roles}


def import_policy(document: dict, actor=None) -> dict:
    """Replace grants and field rules of the roles in ``document``; create missing roles.

    Validates everything before writing anything; the caller runs it in one transaction.
    """
    if not isinstance(document, dict) or document.get("format") != "peyvand.roles/1":
        raise InvalidRecord({"format": ["expected a document with format 'peyvand.roles/1'"]})
    errors: dict[str, list[str]] = {}
    for i, role in enumerate(document.get("roles") or []):
        where = f"roles[{i}]"
        if not isinstance(role, dict) or not str(role.get("key", "")).strip():
            errors[where] = ["each role needs a key"]
            continue
        for perm, scope in (role.get("grants") or {}).items():
            if scope not in SCOPES:
                errors[f"{where}.grants.{perm}"] = [f"scope must be one of {', '.join(SCOPES)}"]
        for entity, fields in (role.get("field_rules") or {}).items():
            for fname, rule in (fields or {}).items():
                if rule not in RULES:
                    errors[f"{where}.field_rules.{entity}.{fname}"] = [
                        f"rule must be one of {', '.join(RULES)}"]
    if errors:
        raise InvalidRecord(errors)
    changed = []
    for role in document["roles"]:
        label = role.get("label") or {}
        row, _ = Role.get_or_create(key=role["key"], defaults={
            "label_en": label.get("en") or role["key"], "label_fa": label.get("fa")})
        before = {p: s for p, s in Grant.select(Grant.permission, Grant.scope)
                  .where(Grant.role == row).tuples()}
        Grant.delete().where(Grant.role == row).execute()
        FieldRule.delete().where(FieldRule.role == row).execute()
        grants = role.get("grants") or {}
        if grants:
            Grant.insert_many([(row.id, p, s) for p, s in sorted(grants.items())],
                              fields=[Grant.role, Grant.permission, Grant.scope]).execute()
        rules = [(row.id, e, f, r) for e, fields in sorted((role.get("field_rules") or {}).items())
                 for f, r in sorted(fields.items())]
        if rules:
            FieldRule.insert_many(rules, fields=[FieldRule.role, FieldRule.entity,
                                                 FieldRule.field, FieldRule.rule]).execute()
        diff = {p: (before.get(p), grants.get(p)) for p in set(before) | set(grants)
                if before.get(p) != grants.get(p)}
        audit.record("peyvand.role", row.id, "update", diff,
                     via=getattr(actor, "via", None) or "cli",
                     user_id=getattr(actor, "id", None), user_name=getattr(actor, "name", None))
        changed.append(row.key)
    return {"changed": changed}


def set_role_policy(role: Role, grants: dict[str, str], rules: dict[tuple[str, str], str],
                    *, via: str, user_id: int | None = None, user_name: str | None = None
                    ) -> dict:
    """Set some of ``role``'s grants (``{permission: scope}``) and field rules
    (``{(entity, field): rule}``, ``"edit"`` removing the rule); keys not given are left as
    they are. Validates everything first (:class:`InvalidRecord`, nothing written); audits the
    changes as one ``update`` of ``peyvand.role``. Returns ``{what: (old, new)}``. The caller
    runs it in a transaction and moves the generation."""
    errors = {}
    for key, scope in grants.items():
        if scope not in SCOPES:
            errors[key] = [f"scope must be one of {', '.join(SCOPES)}"]
    for (entity, fname), rule in rules.items():
        if rule not in RULES:
            errors[f"{entity}.{fname}"] = [f"rule must be one of {', '.join(RULES)}"]
    if errors:
        raise InvalidRecord(errors)
    current = dict(Grant.select(Grant.permission, Grant.scope).where(Grant.role == role)
                   .tuples())
    current_rules = {(e, f): r for e, f, r in
                     FieldRule.select(FieldRule.entity, FieldRule.field, FieldRule.rule)
                     .where(FieldRule.role == role).tuples()}
    changes = {}
    for key, scope in sorted(grants.items()):
        old = current.get(key)
        if old == scope:
            continue
        # "none" is stored too: without a row, enabling a plugin would seed the default again.
        Grant.insert(role=role, permission=key, scope=scope).on_conflict(
            conflict_target=[Grant.role, Grant.permission],
            update={Grant.scope: scope}).execute()
        if (old or "none") != scope:
            changes[key] = (old or "none", scope)
    for (entity, fname), rule in sorted(rules.items()):
        old = current_rules.get((entity, fname))
        if (old or "edit") == rule:
            continue
        where = ((FieldRule.role == role) & (FieldRule.entity == entity)
                 & (FieldRule.field == fname))
        if rule == "edit":
            FieldRule.delete().where(where).execute()
        else:
            FieldRule.insert(role=role, entity=entity, field=fname, rule=rule).on_conflict(
                conflict_target=[FieldRule.role, FieldRule.entity, FieldRule.field],
                update={FieldRule.rule: rule}).execute()
        changes[f"field {entity}.{fname}"] = (old, None if rule == "edit" else rule)
    if changes:
        audit.record("peyvand.role", role.id, "update", changes, via=via, user_id=user_id,
                     user_name=user_name)
    return changes
