"""``peyvand worker``, ``peyvand jobs``, ``peyvand webhooks`` and ``peyvand events``.

Imported at the end of :mod:`.cli`, so the commands attach to its ``main`` group.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path

import click

from . import jobs
from .cli import kernel_from, main, tenant_option
from .errors import PeyvandError


@contextmanager
def _tenant(ctx, tenant: str, write: bool = False):
    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with kernel.storage.bound(tenant) as db:
        if write:
            with jobs.write_transaction(db):
                yield kernel
        else:
            yield kernel


def _audit(entity: str, record_id: int, action: str, changes: dict) -> None:
    from .audit import record

    record(entity, record_id, action, changes, via="cli")


# -- worker -------------------------------------------------------------------------------------

@main.command()
@click.option("--tenant", default=None,
              help="Serve only this tenant (default: every tenant of the instance).")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 256),
              help="Jobs run at the same time (threads).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.pass_context
def worker(ctx, tenant, concurrency, log_level):
    """Run background work: event delivery, webhooks, periodic and queued tasks.

    The queue is PEYVAND_QUEUE_URL (default: SQLite in the instance folder; redis://… for
    workers on several machines). Start as many workers as you like; stop one with Ctrl+C or
    SIGTERM (running jobs finish first).
    """
    from .queue import describe
    from .worker import Worker

    logging.basicConfig(level=getattr(logging, log_level),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)
    kernel = kernel_from(ctx)
    tenants = [tenant] if tenant else None
    for name in tenants or kernel.tenants():
        if tenant:
            kernel.ensure_tenant(name)
        pending = kernel.pending_migrations(name)
        if pending:
            raise click.ClickException(
                f"tenant {name}: migrations are pending ("
                + ", ".join(f"{p}: {len(s)}" for p, s in pending.items())
                + "); run `peyvand db upgrade` first")
    settings = jobs.job_settings()
    runner = Worker(kernel, tenants=tenants, concurrency=concurrency, settings=settings)
    click.echo(f"Peyvand worker: {'tenant ' + tenant if tenant else 'every tenant'}, "
               f"{concurrency} at a time, queue {describe(settings.queue_url)} "
               "(Ctrl+C to stop)", err=True)
    runner.run_forever()


# -- jobs ---------------------------------------------------------------------------------------

@main.group("jobs")
def jobs_group():
    """Background jobs: list them, see the dead-letter list, replay, enqueue."""


def _print_jobs(rows) -> None:
    if not rows:
        click.echo("no jobs")
    for job in rows:
        error = (job.last_error or "").splitlines()[0][:80] if job.last_error else ""
        click.echo(f"{job.id:>6}  {job.state:<9} {job.attempts}/{job.max_attempts}  "
                   f"{job.task:<28} {job.created_at:%Y-%m-%d %H:%M:%S}  {error}")


@jobs_group.command("list")
@click.option("--state", type=click.Choice(jobs.STATES))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
@tenant_option
@click.pass_context
def jobs_list(ctx, state, limit, as_json, tenant):
    """The latest jobs of the tenant, newest first."""
    with _tenant(ctx, tenant):
        rows = jobs.list_jobs(state, limit)
        if as_json:
            click.echo(json.dumps({"data": [jobs.job_dict(j) for j in rows]},
                                  ensure_ascii=False, indent=2))
            return
        _print_jobs(rows)


@jobs_group.command("dead")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True)
@tenant_option
@click.pass_context
def jobs_dead(ctx, limit, as_json, tenant):
    """The dead-letter list: jobs that failed every retry. Replay one with `jobs replay ID`."""
    with _tenant(ctx, tenant):
        rows = jobs.list_jobs(jobs.DEAD, limit)
        if as_json:
            click.echo(json.dumps({"data": [jobs.job_dict(j) for j in rows]},
                                  ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo(f"tenant {tenant}: no dead jobs")
        for job in rows:
            click.echo(f"{job.id:>6}  {job.task}  ({job.key})  attempts {job.attempts}, "
                       f"created {job.created_at:%Y-%m-%d %H:%M:%S}")
            for line in (job.last_error or "").splitlines()[:1]:
                click.echo(f"        {line[:200]}")


@jobs_group.command("replay")
@click.argument("job_id", type=int)
@tenant_option
@click.pass_context
def jobs_replay(ctx, job_id, tenant):
    """Send dead job JOB_ID back to the queue with its retries reset."""
    with _tenant(ctx, tenant, write=True):
        job = jobs.replay(job_id)
        _audit("peyvand.job", job.id, "replay", {"state": ("dead", "queued")})
    click.echo(f"job {job_id} ({job.task}) queued again; a running `peyvand worker` picks it up")


@jobs_group.command("enqueue")
@click.argument("task")
@click.option("--payload", default="{}", show_default=True, help="A JSON object.")
@click.option("--key", help="Idempotency key: a second enqueue with the same key does nothing.")
@tenant_option
@click.pass_context
def jobs_enqueue(ctx, task, payload, key, tenant):
    """Queue TASK (e.g. peyvand.purge_trash) for the tenant now."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--payload") from None
    if not isinstance(data, dict):
        raise click.BadParameter("give a JSON object", param_hint="--payload")
    with _tenant(ctx, tenant, write=True):
        job_id = jobs.enqueue_task(task, data, key=key)
    click.echo(f"job {job_id} queued ({task})")


# -- webhooks -----------------------------------------------------------------------------------

@main.group()
def webhooks():
    """Outgoing webhooks: signed HTTP POSTs of events to URLs an admin subscribes."""


@webhooks.command("add")
@click.argument("url")
@click.option("--event", "events", multiple=True, required=True,
              help="An event type (record-created, points-awarded…), repeatable; * for all.")
@click.option("--entity", "entities", multiple=True,
              help="Only events about this entity (loyalty.account…), repeatable.")
@click.option("--description")
@click.option("--as", "as_user", metavar="USER",
              help="The subscription's owner: the payloads show what this admin may read "
                   "(default: the first admin).")
@tenant_option
@click.pass_context
def webhooks_add(ctx, url, events, entities, description, as_user, tenant):
    """Subscribe URL to events; prints the signing secret once."""
    from .access import cli_actor
    from .webhooks import WebhookError, create_webhook

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    with cli_actor(kernel, tenant, as_user) as actor:
        if not (actor.superuser or "admin" in actor.roles):
            raise click.ClickException(f"{actor.name} is not an administrator; only admins "
                                       "subscribe webhooks")
        with _tenant(ctx, tenant, write=True):
            try:
                hook, secret = create_webhook(kernel, tenant, url=url, events=list(events),
                                              entities=list(entities), owner_id=actor.id,
                                              description=description)
            except WebhookError as exc:
                raise click.BadParameter(str(exc), param_hint=f"--{exc.field}") from None
            _audit("peyvand.webhook", hook.id, "create", {"url": (None, url)})
    click.echo(f"webhook {hook.id}: {url} ← {', '.join(sorted(set(events)))}"
               f" (owner {actor.name})")
    click.echo(f"signing secret (shown once, keep it): {secret}")


@webhooks.command("list")
@click.option("--json", "as_json", is_flag=True)
@tenant_option
@click.pass_context
def webhooks_list(ctx, as_json, tenant):
    """The tenant's subscriptions (never their secrets)."""
    from .webhooks import Webhook, webhook_dict

    with _tenant(ctx, tenant):
        rows = [webhook_dict(h) for h in Webhook.select().order_by(Webhook.id)]
    if as_json:
        click.echo(json.dumps({"data": rows}, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(f"tenant {tenant}: no webhooks")
    for row in rows:
        click.echo(f"{row['id']:>4}  {row['url']}  events {','.join(row['events'])}"
                   + (f"  entities {','.join(row['entities'])}" if row["entities"] else "")
                   + f"  owner {row['owner']['name']}")


@webhooks.command("remove")
@click.argument("webhook_id", type=int)
@tenant_option
@click.pass_context
def webhooks_remove(ctx, webhook_id, tenant):
    """Unsubscribe: nothing more is sent, its delivery log goes too."""
    from .webhooks import delete_webhook, get_webhook

    with _tenant(ctx, tenant, write=True):
        url = get_webhook(webhook_id).url
        delete_webhook(webhook_id)
        _audit("peyvand.webhook", webhook_id, "delete", {"url": (url, None)})
    click.echo(f"webhook {webhook_id} removed")


@webhooks.command("deliveries")
@click.argument("webhook_id", type=int)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@tenant_option
@click.pass_context
def webhooks_deliveries(ctx, webhook_id, limit, tenant):
    """The delivery log of WEBHOOK_ID, newest first: every attempt with its HTTP status."""
    from .webhooks import deliveries, get_webhook

    with _tenant(ctx, tenant):
        get_webhook(webhook_id)
        rows = deliveries(webhook_id, limit)
    if not rows:
        click.echo("no deliveries yet")
    for d in rows:
        status = d["status_code"] if d["status_code"] is not None else "-"
        click.echo(f"{d['at'][:19]}  {d['outcome']:<9} {status!s:<4} attempt {d['attempt']}  "
                   f"{d['event']:<16} {d['event_id']}  {(d['error'] or '')[:80]}")


@webhooks.command("replay")
@click.argument("webhook_id", type=int)
@click.argument("event_id")
@tenant_option
@click.pass_context
def webhooks_replay(ctx, webhook_id, event_id, tenant):
    """Deliver EVENT_ID to WEBHOOK_ID again (same event id: receivers can de-duplicate)."""
    from .webhooks import replay_delivery

    with _tenant(ctx, tenant, write=True):
        job = replay_delivery(webhook_id, event_id)
        _audit("peyvand.webhook", webhook_id, "replay", {"event_id": (None, event_id)})
    click.echo(f"event {event_id} queued for webhook {webhook_id} (job {job.id})")


# -- events -------------------------------------------------------------------------------------

@main.group()
def events():
    """The event types plugins emit."""


@events.command("list")
@click.option("--json", "as_json", is_flag=True)
@tenant_option
@click.pass_context
def events_list(ctx, as_json, tenant):
    """Event types of the plugins enabled for the tenant (what webhooks can subscribe to)."""
    from .events import event_types

    kernel = kernel_from(ctx)
    kernel.ensure_tenant(tenant)
    rows = [{"name": e.name, "plugin": e.plugin, "entity": e.entity,
             "description": dict(e.description), "payload": dict(e.payload)}
            for e in sorted(event_types(kernel, tenant).values(), key=lambda e: e.name)]
    if as_json:
        click.echo(json.dumps({"data": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']:<20} {row['plugin']:<12} {row['description'].get('en', '')}")


@events.command("docs")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write docs/events.md here instead of printing it.")
@click.option("--only", "only", multiple=True,
              help="Document only these plugins (default: every installed one).")
@click.pass_context
def events_docs(ctx, output, only):
    """The Markdown reference of every event type (docs/events.md)."""
    from .events import markdown

    kernel = kernel_from(ctx)
    names = [n for n in kernel.order if not kernel.records[n].internal
             and kernel.records[n].loaded and (not only or n in only)]
    try:
        text = markdown(kernel, sorted(names))
    except PeyvandError as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
