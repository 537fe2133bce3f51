"""``peyvand backup``, ``peyvand restore`` and ``peyvand export`` (the logic is in :mod:`.backup`).

Imported at the end of :mod:`.cli`, so the commands attach to its ``main`` group.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from . import backup as backups
from .cli import kernel_from, main, tenant_option

passphrase_option = click.option(
    "--passphrase-env", metavar="VAR",
    help="Name of the environment variable holding the passphrase (never the passphrase "
         "itself, which would show in the process list and shell history).")


def _passphrase(var: str | None) -> str | None:
    if var is None:
        return None
    value = os.environ.get(var)
    if not value:
        raise click.UsageError(f"--passphrase-env {var}: the environment variable {var} is not "
                               "set or is empty")
    return value


@main.command()
@tenant_option
@click.option("--output", "-o", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The archive file to write; it must not exist yet.")
@passphrase_option
@click.pass_context
def backup(ctx, tenant, output, passphrase_env):
    """Write one archive file with a consistent snapshot of the tenant.

    It holds the tenant's database, its plugin states, a manifest and its files folder.
    With --passphrase-env the archive is encrypted (AES-256-GCM, key from scrypt).
    """
    passphrase = _passphrase(passphrase_env)
    manifest = backups.backup(kernel_from(ctx), tenant, output, passphrase=passphrase)
    rows = sum(manifest["tables"].values())
    click.echo(f"tenant {tenant}: backed up {len(manifest['tables'])} tables ({rows} rows) and "
               f"{manifest['files']} files to {output}"
               + (" (encrypted)" if passphrase else ""))


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--tenant", default=None,
              help="The tenant to restore into (default: the one the backup was taken from). "
                   "It must be empty.")
@passphrase_option
@click.pass_context
def restore(ctx, archive, tenant, passphrase_env):
    """Bring a backup back into an empty tenant; all or nothing, never overwrites."""
    report = backups.restore(kernel_from(ctx), archive, tenant=tenant,
                             passphrase=_passphrase(passphrase_env))
    manifest = report.manifest
    click.echo(f"tenant {report.tenant}: restored {len(manifest['tables'])} tables and "
               f"{report.files} files from the backup of tenant {manifest['tenant']} taken "
               f"{manifest['created_at']} (kernel {manifest['kernel_version']})")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.pending:
        click.echo("migrations are pending (" + ", ".join(
            f"{p}: {len(s)}" for p, s in report.pending.items())
            + f"); run `peyvand db upgrade --tenant {report.tenant}`")


@main.command()
@tenant_option
@click.option("--output", "-o", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) folder to write to.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.pass_context
def export(ctx, tenant, output, fmt):
    """Write every table of the tenant (one file each) and a manifest, to leave with the data.

    CSV files are UTF-8 with a header row; text a spreadsheet would run as a formula is
    prefixed with a single quote. JSON files are lists of objects with the stored values.
    """
    manifest = backups.export(kernel_from(ctx), tenant, output, fmt=fmt)
    rows = sum(manifest["tables"].values())
    click.echo(f"tenant {tenant}: exported {len(manifest['tables'])} tables ({rows} rows) and "
               f"{manifest['files']} files as {fmt} to {output}")
