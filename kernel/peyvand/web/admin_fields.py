"""Admin pages for custom fields (:mod:`peyvand.custom_fields`): the fields of every entity,
adding one, changing its labels, choices or whether it is required, and deleting it with its
values (after a confirmation that says how many values go). Live at once, audited as
``peyvand.custom_field``."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for

from ..custom_fields import (
    PREFIX,
    TYPES,
    CustomFieldError,
    CustomValue,
    add_field,
    definitions,
    remove_field,
    update_field,
)
from . import blueprint, i18n
from .admin import confirm, kernel, record, render, require_admin, write
from .i18n import N_, _

TYPE_LABELS = {
    "text": N_("Text"), "long_text": N_("Long text"), "integer": N_("Whole number"),
    "decimal": N_("Decimal number"), "date": N_("Date"), "datetime": N_("Date and time"),
    "boolean": N_("Yes or no"), "choice": N_("One of a list"),
    "multi_choice": N_("Several of a list"), "link": N_("Link to a record"),
}


def _entities() -> list[tuple[str, str]]:
    from .pages import entity_view

    return [(eid, entity_view(eid).label(plural=True))
            for eid in sorted(kernel().entities(g.tenant))]


def _choices(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace("\r", "").split("\n") if c.strip()]


def _field(entity_id: str, name: str):
    found = next((d for d in definitions(entity_id) if d.name == name), None)
    if found is None:
        from werkzeug.exceptions import NotFound

        raise NotFound()
    return found


@blueprint.route("/admin/fields", methods=["GET", "POST"])
def admin_fields():
    require_admin()
    entities = _entities()
    known = dict(entities)
    error, form = None, {}
    if request.method == "POST":
        form = request.form
        entity_id = form.get("entity") or ""
        try:
            def add():
                field = add_field(kernel().entities(g.tenant), entity_id,
                                  (form.get("name") or "").strip(), form.get("type") or "",
                                  label_en=(form.get("label_en") or "").strip() or None,
                                  label_fa=(form.get("label_fa") or "").strip() or None,
                                  choices=_choices(form.get("choices")),
                                  link_entity=form.get("link_entity") or None,
                                  required=form.get("required") == "1")
                record("peyvand.custom_field", field.id, "create",
                       {"field": (None, f"{entity_id}.{field.key}"), "type": (None, field.type)})
                return field

            field = write(add)
        except CustomFieldError as exc:
            error = str(exc)
        else:
            kernel().bump_generation()
            flash(_("Field %(name)s is added to %(entities)s.", name=field.key,
                    entities=known.get(entity_id, entity_id)), "success")
            return redirect(url_for("peyvand_web.admin_fields"))
    fields = [(eid, label, definitions(eid)) for eid, label in entities]
    return render("fields.html", fields=fields, entities=entities, types=TYPES,
                  type_labels=TYPE_LABELS, error=error, form=form, prefix=PREFIX), \
        (400 if error else 200)


@blueprint.route("/admin/fields/<entity_id>/<name>", methods=["GET", "POST"])
def admin_field(entity_id, name):
    require_admin()
    field = _field(entity_id, name)
    error = None
    if request.method == "POST":
        form = request.form
        try:
            def save():
                changes = update_field(
                    entity_id, name, label_en=form.get("label_en") or "",
                    label_fa=form.get("label_fa") or "",
                    choices=_choices(form.get("choices")) if "choices" in form else None,
                    required=form.get("required") == "1")
                if changes:
                    record("peyvand.custom_field", field.id, "update", changes)
                return changes

            changes = write(save)
        except CustomFieldError as exc:
            error = str(exc)
        else:
            kernel().bump_generation()
            flash(_("Saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("peyvand_web.admin_fields"))
    return render("field.html", field=field, entity_id=entity_id,
                  entity_label=dict(_entities()).get(entity_id, entity_id),
                  type_labels=TYPE_LABELS, error=error), (400 if error else 200)


@blueprint.route("/admin/fields/<entity_id>/<name>/delete", methods=["GET", "POST"])
def admin_field_delete(entity_id, name):
    require_admin()
    field = _field(entity_id, name)
    if request.method == "POST":
        def run():
            gone = remove_field(entity_id, name)
            record("peyvand.custom_field", field.id, "delete",
                   {"field": (f"{entity_id}.{field.key}", None), "values": (gone, None)})
            return gone

        gone = write(run)
        kernel().bump_generation()
        flash(_("Field %(name)s is deleted with its %(count)s values.", name=field.key,
                count=gone), "success")
        return redirect(url_for("peyvand_web.admin_fields"))
    values = (CustomValue.select(CustomValue.record_id).where(CustomValue.field_id == field.id)
              .distinct().count())
    label = i18n.label(field.label, field.name)
    return confirm(
        _("Delete field “%(name)s”?", name=label),
        _("The field disappears from forms, lists, filters, imports and exports."),
        url_for("peyvand_web.admin_field_delete", entity_id=entity_id, name=name),
        items=[_("%(count)s records lose their value in it, for good.", count=values)],
        button=_("Delete"), cancel=url_for("peyvand_web.admin_field", entity_id=entity_id,
                                           name=name))
