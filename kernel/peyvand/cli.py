"""The ``peyvand`` command line."""

from __future__ import annotations

import json
import sys

import click

from .errors import PeyvandError
from .kernel import DEFAULT_TENANT, Kernel

tenant_option = click.option("--tenant", default=DEFAULT_TENANT, show_default=True,
                             help="The business (tenant) to act on.")


class KernelGroup(click.Group):
    """Adds the commands plugins contribute; turns kernel errors into clean messages."""

    def _kernel(self, ctx: click.Context) -> Kernel:
        obj = ctx.ensure_object(dict)
        if "kernel" not in obj:
            obj["kernel"] = Kernel()
        return obj["kernel"]

    def list_commands(self, ctx):
        names = set(super().list_commands(ctx))
        names |= {cmd.name for cmd in self._plugin_commands(ctx)}
        return sorted(names)

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        for cmd in self._plugin_commands(ctx):
            if cmd.name == name:
                return cmd
        return None

    def _plugin_commands(self, ctx):
        try:
            kernel = self._kernel(ctx)
        except PeyvandError as exc:
            raise click.ClickException(str(exc)) from None
        return [cmd for _, cmd in kernel.collect("register_cli_commands")]

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PeyvandError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=KernelGroup)
@click.version_option(package_name="peyvand")
def main():
    """Peyvand CRM: manage plugins, the database, and serve the product.

    The instance folder is PEYVAND_HOME (default ./instance); the database is
    PEYVAND_DATABASE_URL (default: SQLite files in the instance folder).
    """


def kernel_from(ctx: click.Context) -> Kernel:
    return ctx.find_root().command._kernel(ctx.find_root())


# -- plugins ------------------------------------------------------------------------------------

@main.group()
def plugins():
    """List, enable, disable and purge plugins, per tenant."""


@plugins.command("list")
@tenant_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON, as GET /api/v1/plugins.")
@click.pass_context
def plugins_list(ctx, tenant, as_json):
    """Show every installed plugin and its state for the tenant."""
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    rows = kernel.describe(tenant)
    if as_json:
        click.echo(json.dumps({"data": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("No plugin is installed. Install one with `pip install ./plugins/<name>`.")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        line = f"{r['name']:<{width}}  {r['version']:<10} {r['state']:<9}"
        if r["requires"]:
            line += "  requires " + ", ".join(f"{k}{v}" for k, v in r["requires"].items())
        click.echo(line)
        if r["error"]:
            click.echo(f"{'':<{width}}  error: {r['error']}")


@plugins.command("enable")
@click.argument("name")
@tenant_option
@click.pass_context
def plugins_enable(ctx, name, tenant):
    """Enable NAME for the tenant: apply its migrations, activate hooks and routes."""
    if kernel_from(ctx).enable(name, tenant):
        click.echo(f"{name}: enabled for tenant {tenant}")
    else:
        click.echo(f"{name}: already enabled for tenant {tenant}")


@plugins.command("disable")
@click.argument("name")
@click.option("--cascade", is_flag=True, help="Also disable the enabled plugins that need NAME.")
@tenant_option
@click.pass_context
def plugins_disable(ctx, name, cascade, tenant):
    """Disable NAME for the tenant. Its data is kept; enable it again to get it back."""
    done = kernel_from(ctx).disable(name, tenant, cascade=cascade)
    if not done:
        click.echo(f"{name}: not enabled for tenant {tenant}; nothing to do")
    for victim in done:
        click.echo(f"{victim}: disabled for tenant {tenant} (data kept)")


@plugins.command("purge")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="List the tables and row counts that would go.")
@click.option("--yes", is_flag=True, help="Really drop them.")
@tenant_option
@click.pass_context
def plugins_purge(ctx, name, dry_run, yes, tenant):
    """Drop NAME's tables for the tenant, for good. NAME must be disabled first."""
    if dry_run == yes:
        raise click.UsageError("give exactly one of --dry-run (to see what would be dropped) "
                               "or --yes (to drop it)")
    kernel = kernel_from(ctx)
    plan = kernel.purge_plan(name, tenant) if dry_run else kernel.purge(name, tenant)
    verb = "would drop" if dry_run else "dropped"
    if not plan:
        click.echo(f"{name}: no tables to drop for tenant {tenant}")
    for table, rows in plan:
        click.echo(f"{verb} table {table} ({rows} rows)")


# -- database -----------------------------------------------------------------------------------

@main.group()
def db():
    """Database migrations."""


@db.command("upgrade")
@click.option("--tenant", default=None, help="Only this tenant (default: every tenant).")
@click.pass_context
def db_upgrade(ctx, tenant):
    """Apply pending migrations of the kernel and every enabled plugin."""
    kernel = kernel_from(ctx)
    tenants = [tenant] if tenant else (kernel.tenants() or [DEFAULT_TENANT])
    for t in tenants:
        done = kernel.upgrade(t)
        if not done:
            click.echo(f"tenant {t}: up to date")
        for plugin, steps in done.items():
            click.echo(f"tenant {t}: {plugin}: applied {', '.join(steps)}")


@db.command("status")
@tenant_option
@click.pass_context
def db_status(ctx, tenant):
    """Show applied and pending migration steps per plugin."""
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with kernel.storage.bound(tenant):
        for name in kernel.order:
            if name not in kernel.enabled(tenant):
                continue
            for step in kernel.migrations(name, tenant).status():
                mark = "applied" if step.applied else "PENDING"
                click.echo(f"{name:<12} {step.step:<40} {mark}")


# -- running ------------------------------------------------------------------------------------

@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--worker/--no-worker", "with_worker", default=False, show_default=True,
              help="Also run background work (imports, webhooks, periodic tasks) in this "
                   "process, as `peyvand worker` does: for a single-machine setup.")
@click.option("--worker-concurrency", default=2, show_default=True,
              type=click.IntRange(1, 256), help="Jobs the built-in worker runs at a time.")
@click.pass_context
def serve(ctx, host, port, threads, with_worker, worker_concurrency):
    """Serve the web UI and the API (waitress, a production WSGI server).

    Background work needs a worker: `--worker` runs one inside this process (stopped with
    it); otherwise start `peyvand worker` beside the server.
    """
    import os
    import signal

    from .app import create_app

    kernel = kernel_from(ctx)
    pending = kernel.pending_migrations()
    if pending:
        raise click.ClickException(
            "migrations are pending (" + ", ".join(f"{p}: {len(s)}" for p, s in pending.items())
            + "); run `peyvand db upgrade` first")
    app = create_app(kernel=kernel)
    import logging

    from waitress.server import create_server

    logging.basicConfig()  # as waitress.serve does: its warnings (and the worker's) are shown
    try:  # bind first: a port in use stops here, before any worker starts
        server = create_server(app, host=host, port=port, threads=threads, ident="peyvand")
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    runner = None
    if with_worker:
        from . import jobs
        from .queue import describe
        from .worker import Worker

        settings = jobs.job_settings()
        # A kernel of its own: the worker's threads never share the server's state.
        runner = Worker(Kernel(), concurrency=worker_concurrency,
                        settings=settings).start()
        click.echo(f"Background work runs in this process ({worker_concurrency} at a time, "
                   f"queue {describe(settings.queue_url)}).")

    def on_term(signum, frame):
        raise SystemExit(0)  # like Ctrl+C: leave the server's loop and stop the worker

    signal.signal(signal.SIGTERM, on_term)
    click.echo(f"Peyvand is running: open http://{host}:{port}/  (Ctrl+C to stop)")
    sys.stdout.flush()
    try:
        server.run()   # closes the server and returns on Ctrl+C or SIGTERM
    finally:
        if runner is not None:
            def at_once(signum, frame):
                # A second Ctrl+C: stop now. An unfinished job commits nothing and runs again
                # when its lease expires.
                os._exit(130)

            signal.signal(signal.SIGINT, at_once)
            signal.signal(signal.SIGTERM, at_once)
            click.echo("Stopping: the running background jobs finish first (Ctrl+C again to "
                       "stop at once).")
            runner.stop()


@main.command()
@tenant_option
@click.pass_context
def demo(ctx, tenant):
    """Enable every installed plugin and fill the tenant with a demo business."""
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    for name in kernel.order:
        record = kernel.records[name]
        if record.loaded and not record.internal:
            try:
                kernel.enable(name, tenant)
            except PeyvandError as exc:
                click.echo(f"{name}: not enabled: {exc}", err=True)
    kernel.upgrade(tenant)
    enabled = sorted(kernel.enabled(tenant))
    db = kernel.storage.database_for(tenant)
    for name in kernel.order:
        if name not in enabled or "load_demo_data" not in kernel.records[name].hooks:
            continue
        with kernel.storage.bound(tenant), db.atomic():
            line = kernel.call_plugin(name, "load_demo_data", tenant=tenant, plugins=enabled)
        if line:
            click.echo(f"{name}: {line}")
    with kernel.storage.bound(tenant), db.atomic():
        logins = _demo_users(kernel, tenant)
    kernel.bump_generation()
    click.echo(f"Demo data is ready in {kernel.settings.home} (tenant {tenant}).")
    for line in logins:
        click.echo(line)


DEMO_USERS = (
    # name, roles, team
    ("maryam", ("manager",), "فروش تهران"),
    ("reza", ("salesperson",), "فروش تهران"),
    ("sara", ("salesperson",), "Export sales"),
)


def _demo_users(kernel: Kernel, tenant: str) -> list[str]:
    """An admin, a manager and two salespeople in two teams; records shared out among the
    salespeople, so the demo shows what each role sees."""
    import os
    import secrets

    from .identity import User, create_team, create_token, create_user, get_team, user_teams

    if User.select().exists():
        return ["Users exist already: log in with the passwords printed when they were made "
                "(`peyvand users reset-password NAME` sets a new one)."]
    password = os.environ.get("PEYVAND_PASSWORD") or secrets.token_urlsafe(9) + "-7"
    admin = create_user("admin", roles=("admin",), password=password)
    create_team("فروش تهران")
    create_team("Export sales")
    sellers = []
    for name, roles, team in DEMO_USERS:
        get_team(team)
        user = create_user(name, roles=roles, teams=(team,), password=password)
        if "salesperson" in roles:
            sellers.append((user.id, user_teams(user)[1]))
    for entity in kernel.entities(tenant).values():
        model = entity.model
        for i, (record_id,) in enumerate(model.select(model.id).where(model.owner_id.is_null())
                                         .order_by(model.id).tuples()):
            owner, team = sellers[i % len(sellers)]
            model.update(owner_id=owner, team_id=team).where(model.id == record_id).execute()
    token = create_token(admin, label="demo")
    return [
        f"Users: admin (all access), maryam (manager, team فروش تهران), reza and sara "
        f"(salespeople); password for all of them: {password}",
        f"API token of admin (shown once): {token}",
        "Try: curl -H 'Authorization: Bearer <token>' "
        f"http://{os.environ.get('PEYVAND_HOST') or '127.0.0.1'}:"
        f"{os.environ.get('PEYVAND_PORT') or '8000'}/api/v1/contacts/persons",
    ]


# Command groups live in their own modules and attach themselves to `main`.
from . import cli_data, cli_fields, cli_identity  # noqa: E402,F401,I001
from . import cli_events  # noqa: E402,F401,I001
from . import cli_tags  # noqa: E402,F401,I001
