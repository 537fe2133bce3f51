"""``peyvand contacts import | import-undo | imports``: the import pipeline on the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from peyvand_sdk import PeyvandError, cli_actor, current_kernel, require_enabled

# The pipeline (phonenumbers, the models...) is imported inside the commands: this module is
# imported whenever `peyvand` starts, to list the commands.


def _fail(exc: Exception):
    raise click.ClickException(str(exc)) from None


def estimate_rows(path: Path) -> int | None:
    """A quick guess of a file's data rows, for the progress bar (``None``: no guess)."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            with open(path, "rb") as fh:
                newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
            return max(newlines - 1, 0)
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            workbook = openpyxl.load_workbook(path, read_only=True)
            try:
                rows = workbook.worksheets[0].max_row
            finally:
                workbook.close()
            return max(rows - 1, 0) if rows else None
    except Exception:   # a guess only; the import itself reports unreadable files
        return None
    return None


def commands():
    @click.group("contacts")
    def group():
        """People and organisations: import from CSV/Excel, undo an import."""

    @group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--mapping", "mapping_spec", metavar="M",
                  help="A JSON mapping file, or the name of a saved mapping.")
    @click.option("--save-mapping", metavar="NAME",
                  help="Save the mapping used (and --match rules) under this name for reuse.")
    @click.option("--match", "match", multiple=True, metavar="ON=ACTION",
                  help="A match rule, in order of precedence; ON is email/phone/name, ACTION "
                       "skip/update_empty/overwrite/create. Default: email=update_empty "
                       "phone=update_empty.")
    @click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
    @click.option("--all-or-nothing", is_flag=True,
                  help="Import nothing if any row has an error (default: import valid rows).")
    @click.option("--encoding", metavar="E", help="Text encoding of a CSV file (default: "
                  "detected: UTF-8, UTF-16 or Windows-1256).")
    @click.option("--sheet", metavar="S", help="Sheet of a workbook, by name or 0-based index.")
    @click.option("--errors-report", type=click.Path(dir_okay=False, path_type=Path),
                  metavar="F", help="Write the rows with errors to this CSV file.")
    @click.option("--preview", "preview_rows", type=click.IntRange(min=0), default=20,
                  show_default=True, help="Rows to show one by one on a dry run.")
    @click.option("--tenant", default="default", show_default=True,
                  help="The business (tenant) to import into.")
    @click.option("--as", "as_user", metavar="USER",
                  help="Import as this user (default: the first admin); needs the import right.")
    def import_command(file, mapping_spec, save_mapping, match, dry_run, all_or_nothing,
                       encoding, sheet, errors_report, preview_rows, tenant, as_user):
        """Import people from FILE (CSV, TSV, XLSX, XLS, ODS).

        Columns are mapped from their (Persian or English) headers unless --mapping is given;
        people already in the CRM are found by e-mail, then mobile number, and their empty
        fields are filled. Every import can be undone with `peyvand contacts import-undo`.
        """
        from .pipeline import ImportFailed, ImportOptions, import_people, load_mapping, parse_rule
        from .pipeline import save_mapping as store_mapping

        require_enabled("contacts", tenant)
        kernel = current_kernel()
        home = kernel.settings.home
        options = ImportOptions(dry_run=dry_run, all_or_nothing=all_or_nothing,
                                encoding=encoding, preview_rows=preview_rows)
        if sheet is not None:
            options.sheet = int(sheet) if sheet.isdigit() else sheet
        try:
            if mapping_spec:
                options.mapping, rules = load_mapping(mapping_spec, home)
                if rules:
                    options.rules = rules
            if match:
                options.rules = tuple(parse_rule(m) for m in match)
        except ImportFailed as exc:
            _fail(exc)

        total = estimate_rows(file)
        bars: dict[str, click.progressbar] = {}
        shown = {"read": 0, "write": 0}

        def progress(phase, done, total_):
            bar = bars.get(phase)
            if bar is None:
                length = total if phase == "read" else total_
                if not length:
                    return
                label = "Reading " if phase == "read" else "Writing "
                bar = bars[phase] = click.progressbar(length=length or 0, label=label,
                                                      file=sys.stderr,
                                                      show_pos=True)
                bar.__enter__()
            bar.update(done - shown[phase])
            shown[phase] = done

        try:
            with cli_actor(kernel, tenant, as_user):
                result = import_people(file, options=options, hooks=kernel.hooks(tenant),
                                       progress=progress)
        except (ImportFailed, PeyvandError) as exc:
            _fail(exc)
        finally:
            for bar in bars.values():
                bar.__exit__(None, None, None)

        for warning in result.warnings:
            click.echo(f"warning: {warning}", err=True)
        if result.not_imported:
            click.echo("columns not imported: " + ", ".join(result.not_imported))
        if save_mapping:
            try:
                path = store_mapping(home, save_mapping, result.mapping,
                                     options.rules if (match or mapping_spec) else None)
            except ImportFailed as exc:
                _fail(exc)
            click.echo(f"mapping saved as {save_mapping!r} ({path})")
        if dry_run:
            click.echo(f"Dry run of {result.file_name}: nothing was written.")
            for line in result.preview:
                click.echo(f"  {line}")
            if result.rows > len(result.preview):
                click.echo(f"  ... {result.rows - len(result.preview)} more rows")
        if result.errors:
            for error in result.errors[:10]:
                click.echo(f"  {error}", err=True)
            if len(result.errors) > 10:
                click.echo(f"  ... and {len(result.errors) - 10} more errors", err=True)
        if errors_report:
            result.write_error_report(errors_report)
            click.echo(f"error report: {errors_report} ({len(result.errors)} errors)")
        prefix = {"preview": "would import: ", "refused": "nothing imported (--all-or-nothing "
                  "and some rows have errors): ", "nothing": "nothing to import: ",
                  "done": "imported: "}[result.status]
        line = prefix + result.summary()
        if result.organizations_created:
            n = result.organizations_created
            line += f" ({n} new organisation{'s' if n != 1 else ''})"
        if result.batch_id is not None:
            line += (f"; batch {result.batch_id} (undo: peyvand contacts import-undo "
                     f"{result.batch_id}" + (f" --tenant {tenant}" if tenant != "default"
                                             else "") + ")")
        click.echo(line)
        if result.status == "refused":
            raise SystemExit(1)

    @group.command("import-undo")
    @click.argument("batch_id", type=int)
    @click.option("--force", is_flag=True,
                  help="Undo even records changed since the import (those changes are lost).")
    @click.option("--tenant", default="default", show_default=True)
    @click.option("--as", "as_user", metavar="USER", help="Act as this user (default: the "
                                                           "first admin).")
    def import_undo(batch_id, force, tenant, as_user):
        """Undo import BATCH_ID: people it created go to the trash, people it updated get
        their previous values back."""
        from .pipeline import ImportFailed, undo_import

        require_enabled("contacts", tenant)
        try:
            with cli_actor(current_kernel(), tenant, as_user):
                result = undo_import(batch_id, force=force)
        except (ImportFailed, PeyvandError) as exc:
            _fail(exc)
        click.echo(result.summary())

    @group.command("imports")
    @click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
    @click.option("--tenant", default="default", show_default=True)
    def imports(limit, tenant):
        """List the latest imports (newest first)."""
        from .pipeline import list_batches

        require_enabled("contacts", tenant)
        with current_kernel().storage.bound(tenant):
            batches = list_batches(limit)
        if not batches:
            click.echo(f"no imports yet for tenant {tenant}")
            return
        click.echo(f"{'batch':>5}  {'when (UTC)':<19}  {'status':<6}  {'created':>7}  "
                   f"{'updated':>7}  {'merged':>6}  {'skipped':>7}  {'failed':>6}  file")
        for b in batches:
            click.echo(f"{b.id:>5}  {b.created_at:%Y-%m-%d %H:%M:%S}  {b.status:<6}  "
                       f"{b.created:>7}  {b.updated:>7}  {b.merged:>6}  {b.skipped:>7}  "
                       f"{b.failed:>6}  {b.file_name}")

    @group.command("export")
    @click.option("--entity", type=click.Choice(["person", "organization"]), default="person",
                  show_default=True)
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv",
                  show_default=True)
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                  help="File to write (default: contacts-<entity>.<format>).")
    @click.option("--filter", "filters", multiple=True, metavar="FIELD=VALUE",
                  help="As the API's list filters: city=Tehran, lifecycle_stage__in=lead,customer")
    @click.option("--tenant", default="default", show_default=True)
    @click.option("--as", "as_user", metavar="USER",
                  help="Export as this user (default: the first admin); needs the export right.")
    def export_command(entity, fmt, output, filters, tenant, as_user):
        """Export people or organisations as CSV or XLSX, with the acting user's rights and
        field rules; the export is recorded in the audit trail."""
        from peyvand_sdk import InvalidRecord, export_entity

        require_enabled("contacts", tenant)
        parsed = {}
        for item in filters:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise click.BadParameter(f"{item!r}: use FIELD=VALUE", param_hint="--filter")
            parsed[key] = value
        target = output or Path(f"contacts-{entity}.{fmt}")
        try:
            with cli_actor(current_kernel(), tenant, as_user):
                data, rows = export_entity(f"contacts.{entity}", parsed, fmt)
        except InvalidRecord as exc:
            _fail(PeyvandError("; ".join(f"{k}: {', '.join(map(str, v))}"
                                         for k, v in exc.errors.items())))
        except PeyvandError as exc:
            _fail(exc)
        target.write_bytes(data)
        click.echo(f"{rows} rows written to {target}")

    return group
