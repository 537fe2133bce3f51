"""``peyvand fields``: custom fields on any entity, live at once."""

from __future__ import annotations

import click

from .cli import kernel_from, main, tenant_option
from .custom_fields import TYPES, CustomFieldError, add_field, definitions, remove_field


@main.group()
def fields():
    """Add, list and remove custom fields (shown in the API as cf_<name>)."""


@fields.command("add")
@click.argument("entity")
@click.argument("name")
@click.option("--type", "type_", type=click.Choice(TYPES), required=True)
@click.option("--choices", help="Comma-separated, for choice and multi_choice.")
@click.option("--link", help="The entity a link field points to, e.g. contacts.organization.")
@click.option("--label-en")
@click.option("--label-fa")
@click.option("--required", is_flag=True)
@tenant_option
@click.pass_context
def fields_add(ctx, entity, name, type_, choices, link, label_en, label_fa, required, tenant):
    """Add custom field NAME to ENTITY (e.g. `fields add contacts.person shoe_size --type
    integer`)."""
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    db = kernel.storage.database_for(tenant)
    try:
        with kernel.storage.bound(tenant), db.atomic():
            field = add_field(kernel.entities(tenant), entity, name, type_, label_en=label_en,
                              label_fa=label_fa, choices=(choices or "").split(","),
                              link_entity=link, required=required)
    except CustomFieldError as exc:
        raise click.ClickException(str(exc)) from None
    kernel.bump_generation()
    click.echo(f"{entity}: custom field {field.key} ({field.type}) added")


@fields.command("list")
@click.argument("entity", required=False)
@tenant_option
@click.pass_context
def fields_list(ctx, entity, tenant):
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with kernel.storage.bound(tenant):
        rows = definitions(entity)
    if not rows:
        click.echo("no custom fields")
    for d in rows:
        extra = f" choices={','.join(d.choices)}" if d.choices else ""
        extra += f" link={d.link_entity}" if d.link_entity else ""
        click.echo(f"{d.entity:<24} {d.key:<24} {d.type:<12}{' required' if d.required else ''}"
                   f"{extra}")


@fields.command("remove")
@click.argument("entity")
@click.argument("name")
@click.option("--yes", is_flag=True, required=True, help="Confirm: its values are deleted.")
@tenant_option
@click.pass_context
def fields_remove(ctx, entity, name, yes, tenant):
    kernel = kernel_from(ctx)
    db = kernel.storage.database_for(tenant)
    try:
        with kernel.storage.bound(tenant), db.atomic():
            gone = remove_field(entity, name)
    except CustomFieldError as exc:
        raise click.ClickException(str(exc)) from None
    kernel.bump_generation()
    click.echo(f"{entity}: custom field cf_{name} removed with {gone} values")


@main.group()
def trash():
    """Deleted records: restorable for PEYVAND_TRASH_DAYS (default 30), then purged."""


@trash.command("purge")
@click.option("--older-than", "days", type=int, help="Days (default: PEYVAND_TRASH_DAYS).")
@tenant_option
@click.pass_context
def trash_purge(ctx, days, tenant):
    """Purge now what the daily job would purge (records, custom values, attachments)."""
    from .trash import purge

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with kernel.storage.bound(tenant):
        done = purge(kernel, tenant, older_than_days=days)
    if not done:
        click.echo("nothing to purge")
    for entity_id, count in done.items():
        click.echo(f"{entity_id}: {count} records purged")


@main.group()
def settings():
    """Settings the enabled plugins declare, per tenant."""


@settings.command("list")
@tenant_option
@click.pass_context
def settings_list(ctx, tenant):
    from .settings_store import declared, values

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with kernel.storage.bound(tenant):
        current = values(kernel, tenant)
        found = declared(kernel, tenant)
    if not found:
        click.echo("no enabled plugin declares settings")
    for key, s in found.items():
        changed = "" if current[key] == s.default else f"  (default {s.default!r})"
        click.echo(f"{key:<40} {s.type:<8} {current[key]!r}{changed}")


@settings.command("set")
@click.argument("key")
@click.argument("value")
@tenant_option
@click.pass_context
def settings_set(ctx, key, value, tenant):
    """Set KEY to VALUE (JSON: 42, true, "text"; plain text is taken as text)."""
    import json

    from .settings_store import SettingError, set_setting

    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    db = kernel.storage.database_for(tenant)
    try:
        with kernel.storage.bound(tenant), db.atomic():
            stored = set_setting(kernel, tenant, key, parsed, via="cli")
    except SettingError as exc:
        raise click.ClickException(str(exc)) from None
    kernel.bump_generation()
    click.echo(f"{key} = {stored!r}")
