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

    return group
