"""``peyvand tags``: the tenant's tag definitions (records are tagged through the API)."""

from __future__ import annotations

import click

from .cli import kernel_from, main, tenant_option


@main.group("tags")
def tags_group():
    """List, create and delete tags (coloured labels on any record)."""


@tags_group.command("list")
@tenant_option
@click.pass_context
def tags_list(ctx, tenant):
    """Every tag with its colour and how many records carry it."""
    from .tags import Tag, TagLink

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with kernel.storage.bound(tenant):
        import peewee

        rows = (Tag.select(Tag.id, Tag.name, Tag.colour, peewee.fn.COUNT(TagLink.id))
                .join(TagLink, peewee.JOIN.LEFT_OUTER).group_by(Tag.id, Tag.name, Tag.colour)
                .order_by(Tag.key).tuples())
        rows = list(rows)
    if not rows:
        click.echo("no tags")
    for tag_id, name, colour, count in rows:
        click.echo(f"{tag_id:>5}  {colour}  {name}  ({count} records)")


@tags_group.command("create")
@click.argument("name")
@click.option("--colour", "--color", "colour", help="#rrggbb; one of a palette if left out.")
@tenant_option
@click.pass_context
def tags_create(ctx, name, colour, tenant):
    """Create tag NAME (e.g. `peyvand tags create "مشتری ویژه" --colour "#d97706"`)."""
    from .tags import TagError, create_tag

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    db = kernel.storage.database_for(tenant)
    try:
        with kernel.storage.bound(tenant), db.atomic():
            tag = create_tag(name, colour, via="cli")
    except TagError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"tag {tag.id} {tag.name!r} ({tag.colour}) created")


@tags_group.command("delete")
@click.argument("tag")
@click.option("--yes", is_flag=True, required=True,
              help="Confirm: the tag is taken off every record.")
@tenant_option
@click.pass_context
def tags_delete(ctx, tag, yes, tenant):
    """Delete TAG (its id or name) and take it off every record."""
    from .tags import delete_tag, find_tag

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    db = kernel.storage.database_for(tenant)
    with kernel.storage.bound(tenant), db.atomic():
        found = find_tag(tag)
        if found is None:
            raise click.ClickException(f"there is no tag {tag!r}; `peyvand tags list` shows them")
        count = delete_tag(found, via="cli")
    click.echo(f"tag {found.name!r} deleted; {count} records carried it")
