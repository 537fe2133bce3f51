"""``peyvand contacts duplicates | merge | merge-undo | merges``: duplicates and merges on the
command line (the same functions as the API, acting as ``--as USER``)."""

from __future__ import annotations

import json

import click

from peyvand_sdk import InvalidRecord, PeyvandError, cli_actor, current_kernel, require_enabled


def _fail(exc: Exception):
    if isinstance(exc, InvalidRecord):
        raise click.ClickException("; ".join(
            f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in exc.errors.items())) from None
    raise click.ClickException(str(exc)) from None


def _describe(group: dict) -> str:
    head = f"{group['rule']}"
    if group.get("score") is not None:
        head += f" {group['score']}%"
    if group.get("value") not in (None, ""):
        head += f" {group['value']}"
    lines = [f"{head} ({group['count']} records)"]
    for record in group["records"]:
        extra = ", ".join(str(record[k]) for k in ("email", "phone", "organization")
                          if record.get(k))
        lines.append(f"    {record['id']:>7}  {record['title']}" + (f"  <{extra}>" if extra
                                                                        else ""))
    return "\n".join(lines)


def add_commands(group: click.Group) -> click.Group:
    @group.command("duplicates")
    @click.option("--entity", type=click.Choice(["person", "organization"]), default="person",
                  show_default=True)
    @click.option("--rule", "rules", multiple=True,
                  type=click.Choice(["email", "phone", "national_id", "name", "fuzzy"]),
                  help="Only these rules (default: all; fuzzy needs the admin's threshold, "
                       "setting contacts.fuzzy_name_threshold).")
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100000),
                  help="Groups to show.")
    @click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON lines.")
    @click.option("--tenant", default="default", show_default=True)
    @click.option("--as", "as_user", metavar="USER",
                  help="List what this user may read (default: the first admin).")
    def duplicates(entity, rules, limit, as_json, tenant, as_user):
        """List likely duplicate people (or organisations): the same e-mail, mobile, national
        id, or name in the same organisation, and similar names when the admin set a
        threshold. Merge them with `peyvand contacts merge`."""
        from .duplicates import parse_rules, suggestions

        require_enabled("contacts", tenant)
        shown = 0
        try:
            with cli_actor(current_kernel(), tenant, as_user):
                chosen = parse_rules(",".join(rules), entity)
                cursor = None
                while shown < limit:
                    page = suggestions(entity, rules=chosen, limit=min(200, limit - shown),
                                       cursor=cursor)
                    for item in page["data"]:
                        click.echo(json.dumps(item, ensure_ascii=False, default=str)
                                   if as_json else _describe(item))
                    shown += len(page["data"])
                    cursor = page["next_cursor"]
                    if cursor is None:
                        break
        except (InvalidRecord, PeyvandError) as exc:
            _fail(exc)
        if not as_json:
            click.echo(f"{shown} group{'s' if shown != 1 else ''} of likely duplicates"
                       + (" (more with --limit)" if shown >= limit and cursor else ""))

    @group.command("merge")
    @click.argument("survivor", type=int)
    @click.argument("merged", type=int, nargs=-1, required=True)
    @click.option("--entity", type=click.Choice(["person", "organization"]), default="person",
                  show_default=True)
    @click.option("--take", "takes", multiple=True, metavar="FIELD=ID",
                  help="Take FIELD from record ID (default: the survivor's value, or the "
                       "first merged record's when the survivor's is empty).")
    @click.option("--dry-run", is_flag=True, help="Show the merged record; write nothing.")
    @click.option("--tenant", default="default", show_default=True)
    @click.option("--as", "as_user", metavar="USER", help="Act as this user (default: the "
                                                           "first admin).")
    def merge_command(survivor, merged, entity, takes, dry_run, tenant, as_user):
        """Merge the MERGED records into SURVIVOR: fields by --take, lists unioned, related
        records re-pointed, the merged ones to the trash. Undo with `merge-undo`."""
        from .merging import merge

        require_enabled("contacts", tenant)
        fields = {}
        for take in takes:
            name, sep, record = take.partition("=")
            if not sep or not record.strip().isdigit():
                raise click.BadParameter(f"{take!r}: use FIELD=ID", param_hint="--take")
            fields[name.strip()] = int(record)
        try:
            with cli_actor(current_kernel(), tenant, as_user):
                result = merge(entity, survivor, list(merged), fields, dry_run=dry_run)
        except (InvalidRecord, PeyvandError) as exc:
            _fail(exc)
        for name, (old, new) in result["changes"].items():
            click.echo(f"  {name}: {old!r} -> {new!r} (from {result['sources'].get(name)})")
        for where, count in result["repointed"].items():
            click.echo(f"  {where}: {count} row{'s' if count != 1 else ''} re-pointed")
        if dry_run:
            click.echo(f"dry run: nothing was written ({len(merged)} into {survivor})")
        else:
            click.echo(f"merge {result['id']}: {', '.join(map(str, merged))} merged into "
                       f"{survivor} (undo: peyvand contacts merge-undo {result['id']})")

    @group.command("merge-undo")
    @click.argument("merge_id", type=int)
    @click.option("--force", is_flag=True, help="Undo what can be undone; keep what was "
                                                "changed since the merge.")
    @click.option("--tenant", default="default", show_default=True)
    @click.option("--as", "as_user", metavar="USER")
    def merge_undo(merge_id, force, tenant, as_user):
        """Undo merge MERGE_ID: the merged records come back from the trash, the survivor
        gets its previous values, re-pointed rows point back."""
        from .merging import undo

        require_enabled("contacts", tenant)
        try:
            with cli_actor(current_kernel(), tenant, as_user):
                result = undo(merge_id, force=force)
        except (InvalidRecord, PeyvandError) as exc:
            _fail(exc)
        click.echo(f"merge {merge_id} undone: restored {', '.join(map(str, result['restored']))}"
                   f"; {result['rows_restored']} rows point back")

    @group.command("merges")
    @click.option("--entity", type=click.Choice(["person", "organization"]))
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 200))
    @click.option("--tenant", default="default", show_default=True)
    @click.option("--as", "as_user", metavar="USER")
    def merges(entity, limit, tenant, as_user):
        """List the latest merges (newest first)."""
        from .merging import list_merges

        require_enabled("contacts", tenant)
        with cli_actor(current_kernel(), tenant, as_user):
            page, _ = list_merges(entity, limit)
        if not page:
            click.echo("no merges yet")
        for m in page:
            click.echo(f"{m['id']:>5}  {m['created_at'][:19]}  {m['status']:<6}  {m['entity']:<12}"
                       f"  {', '.join(map(str, m['merged_ids']))} -> {m['survivor_id']}"
                       f"  {m['user'] or ''}")

    return group
