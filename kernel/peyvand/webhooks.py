"""Outgoing webhooks: an admin subscribes a URL to event types of a tenant.

Each delivery is a job (``peyvand.webhook``, key ``peyvand.webhook:<subscription>:<event id>``)
created by the relay, so it is retried with backoff, lands in the dead-letter list when the
receiver keeps failing, and can be replayed. What is sent:

* the event's JSON envelope (:mod:`peyvand.events`) **as the subscription's owner may see it**:
  an event about a record the owner may not read is not delivered (logged as ``filtered``),
  and fields hidden from the owner's roles are left out of ``data`` and ``data.changes``
  (an update that changed only hidden fields is not delivered either);
* ``X-Peyvand-Event-Id``: the event's id, the same on every retry and replay: receivers
  de-duplicate on it (delivery is at least once);
* ``X-Peyvand-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` keyed with
  the subscription's secret (shown once, when the subscription is made).

Every attempt is logged (``peyvand_webhook_delivery``): outcome, HTTP status, error, duration.
The secret is stored as is, since signing needs it: treat backups and exports as secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlparse

import peewee

from . import jobs
from .entities import Model
from .errors import PeyvandError
from .events import _kernel, dumps, event_types
from .storage import utcnow

SIGNATURE_HEADER = "X-Peyvand-Signature"
EVENT_ID_HEADER = "X-Peyvand-Event-Id"
RESPONSE_EXCERPT = 300


class WebhookError(PeyvandError):
    """Invalid input: ``field`` names what is wrong."""

    def __init__(self, message: str, field: str = "_schema"):
        super().__init__(message)
        self.field = field


class Webhook(Model):
    id = peewee.AutoField()
    url = peewee.CharField(max_length=2000)
    events = peewee.TextField()
    entities = peewee.TextField()
    secret = peewee.CharField(max_length=100)
    owner_id = peewee.IntegerField()
    description = peewee.CharField(max_length=200, null=True)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = "peyvand_webhook"


class WebhookDelivery(Model):
    id = peewee.BigAutoField()
    webhook_id = peewee.IntegerField()
    event_id = peewee.CharField(max_length=36, index=True)
    event = peewee.CharField(max_length=100)
    job_id = peewee.BigIntegerField(null=True)
    attempt = peewee.IntegerField()
    outcome = peewee.CharField(max_length=16)
    status_code = peewee.IntegerField(null=True)
    error = peewee.TextField(null=True)
    duration_ms = peewee.IntegerField(null=True)
    at = peewee.DateTimeField(index=True)

    class Meta:
        table_name = "peyvand_webhook_delivery"
        indexes = ((("webhook_id", "id"), False),)


# -- subscriptions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Subscription:
    id: int
    events: frozenset[str]
    entities: frozenset[str]

    def matches(self, event: str, entity: str | None) -> bool:
        if "*" not in self.events and event not in self.events:
            return False
        return not self.entities or entity in self.entities


@dataclass(frozen=True)
class Target:
    """What a delivery needs of its subscription."""

    id: int
    url: str
    secret: str
    owner_id: int


def _subscriptions(kernel=None) -> tuple[list[Subscription], dict[int, Target]]:
    """The bound tenant's active subscriptions, cached until the generation moves (creating
    or removing one moves it, once its transaction committed)."""
    from .storage import current_tenant

    kernel = kernel or _kernel()

    def build():
        rows = list(Webhook.select(Webhook.id, Webhook.url, Webhook.secret, Webhook.owner_id,
                                   Webhook.events, Webhook.entities)
                    .where(Webhook.active).order_by(Webhook.id).tuples())
        return ([Subscription(i, frozenset(json.loads(ev)), frozenset(json.loads(en)))
                 for i, _, _, _, ev, en in rows],
                {i: Target(i, url, secret, owner) for i, url, secret, owner, _, _ in rows})

    return kernel.cache(f"webhooks:{current_tenant()}", build)


def active_subscriptions(kernel=None) -> list[Subscription]:
    return _subscriptions(kernel)[0]


def _changed(kernel=None) -> None:
    """Other processes must re-read the subscriptions, once this transaction committed."""
    kernel = kernel or _kernel()
    Webhook._meta.database.after_commit(kernel.bump_generation)


def create_webhook(kernel, tenant: str, *, url: str, events, owner_id: int, entities=(),
                   description: str | None = None) -> tuple[Webhook, str]:
    """Subscribe ``url``; returns the subscription and its secret (shown only now)."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise WebhookError("give an http:// or https:// URL", "url")
    if len(url) > 2000:
        raise WebhookError("at most 2000 characters", "url")
    if isinstance(events, str) or not events:
        raise WebhookError("give a list of event types, e.g. [\"record-created\"], or [\"*\"]",
                           "events")
    known = event_types(kernel, tenant)
    unknown = sorted(set(events) - set(known) - {"*"})
    if unknown:
        raise WebhookError(f"unknown event type(s) {', '.join(unknown)}; known: "
                           f"{', '.join(sorted(known))}", "events")
    if isinstance(entities, str):
        raise WebhookError("give a list of entity ids", "entities")
    missing = sorted(set(entities or ()) - set(kernel.entities(tenant)))
    if missing:
        raise WebhookError(f"unknown entity {', '.join(missing)}", "entities")
    if description is not None and len(description) > 200:
        raise WebhookError("at most 200 characters", "description")
    secret = "whsec_" + secrets.token_urlsafe(32)
    hook = Webhook.create(url=url, events=json.dumps(sorted(set(events))),
                          entities=json.dumps(sorted(set(entities or ()))), secret=secret,
                          owner_id=owner_id, description=description, created_at=utcnow())
    _changed(kernel)
    return hook, secret


def get_webhook(webhook_id: int) -> Webhook:
    hook = Webhook.get_or_none(Webhook.id == webhook_id)
    if hook is None:
        raise jobs.JobNotFound(f"there is no webhook subscription {webhook_id}")
    return hook


def delete_webhook(webhook_id: int) -> None:
    hook = get_webhook(webhook_id)
    WebhookDelivery.delete().where(WebhookDelivery.webhook_id == hook.id).execute()
    hook.delete_instance()
    _changed()


def webhook_dict(hook: Webhook) -> dict:
    from .identity import User

    owner = User.get_or_none(User.id == hook.owner_id)
    return {"id": hook.id, "url": hook.url, "events": json.loads(hook.events),
            "entities": json.loads(hook.entities), "description": hook.description,
            "active": hook.active,
            "owner": {"id": hook.owner_id, "name": owner.name if owner else None},
            "created_at": hook.created_at.isoformat() + "Z"}


def deliveries(webhook_id: int, limit: int = 50) -> list[dict]:
    rows = (WebhookDelivery.select().where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id.desc()).limit(limit))
    return [{"id": d.id, "event_id": d.event_id, "event": d.event, "job_id": d.job_id,
             "attempt": d.attempt, "outcome": d.outcome, "status_code": d.status_code,
             "error": d.error, "duration_ms": d.duration_ms, "at": d.at.isoformat() + "Z"}
            for d in rows]


def replay_delivery(webhook_id: int, event_id: str) -> jobs.Job:
    """Deliver ``event_id`` to the subscription again (whatever became of it before)."""
    from .events import Outbox

    get_webhook(webhook_id)
    key = f"{jobs.WEBHOOK_TASK}:{webhook_id}:{event_id}"
    job = jobs.Job.get_or_none(jobs.Job.key == key)
    if job is not None:
        if job.state == jobs.RUNNING:
            raise jobs.JobError(f"event {event_id} is being delivered right now")
        return jobs.replay(job.id, dead_only=False)
    event = Outbox.get_or_none(Outbox.event_id == event_id)
    if event is None:
        raise jobs.JobNotFound(f"event {event_id} is not kept any more (finished work is kept "
                               "PEYVAND_JOB_KEEP_DAYS days)")
    settings = jobs.job_settings()
    jobs.insert_jobs([jobs._job_row(key, jobs.WEBHOOK_TASK,
                                    f'{{"webhook_id":{webhook_id},"event":{event.payload}}}',
                                    settings.webhook_retries + 1, utcnow(),
                                    event_id=event_id)])
    return jobs.Job.get(jobs.Job.key == key)


# -- what the owner may see --------------------------------------------------------------------

def _owner(kernel, tenant: str, owner_id: int):
    """The owner as an actor (``None`` when disabled or gone), cached until the generation
    moves (changing a user's roles or disabling them moves it)."""
    from .identity import User

    def build():
        user = User.get_or_none(User.id == owner_id)
        if user is None or not user.is_active:
            return None
        return kernel.actor_for(user, tenant, via="webhook")

    return kernel.cache(f"webhook-owner:{tenant}:{owner_id}", build)


def visible_event(kernel, tenant: str, owner_id: int, event: dict) -> tuple[dict | None, str]:
    """``(event as the owner may see it, "")``, or ``(None, why it is not delivered)``."""
    from .permissions import allows_record, scope_of

    actor = _owner(kernel, tenant, owner_id)
    if actor is None:
        return None, "the subscription's owner is disabled or no longer exists"
    entity_id = event.get("entity")
    if entity_id is None or actor.superuser:
        return event, ""
    entity = kernel.entities(tenant).get(entity_id)
    if entity is None:
        return None, f"entity {entity_id} is not enabled for the tenant"
    data = event.get("data") or {}
    if scope_of(actor, entity_id, "read") != "all":
        model = entity.model
        row = (model.select(model.id, model.owner_id, model.team_id)
               .where(model.id == data.get("id")).first())
        if row is None:
            return None, f"{entity_id} {data.get('id')} no longer exists"
        if not allows_record(actor, entity_id, "read", row):
            return None, f"the owner ({actor.name}) may not read {entity_id} {row.id}"
    hidden = actor.policy.fields(actor.roles, entity_id)[0]
    if not hidden:
        return event, ""
    shown = {k: v for k, v in data.items() if k in ("id", "entity") or k not in hidden}
    changes = data.get("changes")
    if isinstance(changes, dict):
        shown["changes"] = {k: v for k, v in changes.items() if k not in hidden}
        if changes and not shown["changes"]:
            return None, "only fields hidden from the owner changed"
    return {**event, "data": shown}, ""


# -- signing and sending -----------------------------------------------------------------------

def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-Peyvand-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, tolerance: int = 300, now=None) -> bool:
    """Check a signature header as a receiver should: the HMAC and the timestamp's age."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _settings() -> jobs.JobSettings:
    job = jobs.current_job()
    worker_settings = getattr(job, "settings", None)
    return worker_settings or jobs.job_settings()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: logged and retried, never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class DeliveryFailed(Exception):
    pass


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str]:
    """``(HTTP status or None, error or response excerpt)``."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        try:
            excerpt = exc.read(RESPONSE_EXCERPT).decode("utf-8", "replace")
        except Exception:
            excerpt = ""
        finally:
            exc.close()
        return exc.code, excerpt
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"{type(exc).__name__}: {reason}"


def _log(job, hook_id: int, event: dict, outcome: str, status=None, error=None,
         duration_ms=None) -> None:
    """Log one attempt; inside a job, in the transaction that records the job's outcome."""
    row = {"webhook_id": hook_id, "event_id": event["id"], "event": event["type"],
           "job_id": job.id if job else None, "attempt": job.attempt if job else 1,
           "outcome": outcome, "status_code": status, "error": error,
           "duration_ms": duration_ms, "at": utcnow()}
    if job is None:
        WebhookDelivery.insert(row).execute()
    else:
        job.finish.append(lambda: WebhookDelivery.insert(row).execute())


def deliver(tenant, payload):
    """The task ``peyvand.webhook``: send one event to one subscription."""
    job = jobs.current_job()
    kernel = job.kernel if job is not None and job.kernel is not None else _kernel()
    settings = _settings()
    event = payload["event"]
    hook = _subscriptions(kernel)[1].get(payload["webhook_id"])
    if hook is None:
        return  # unsubscribed since: nothing to send
    shown, why = visible_event(kernel, tenant, hook.owner_id, event)
    if shown is None:
        _log(job, hook.id, event, "filtered", error=why)
        return
    body = dumps(shown).encode()
    timestamp = int(time.time())
    from . import __version__

    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": f"Peyvand-Webhooks/{__version__}",
               "X-Peyvand-Event": event["type"], EVENT_ID_HEADER: event["id"],
               SIGNATURE_HEADER: signature(hook.secret, timestamp, body)}
    if job is not None:
        headers["X-Peyvand-Delivery-Attempt"] = str(job.attempt)
    started = time.perf_counter()
    status, detail = post(hook.url, body, headers, settings.webhook_timeout_s)
    duration = int((time.perf_counter() - started) * 1000)
    if status is not None and 200 <= status < 300:
        _log(job, hook.id, event, "delivered", status, None, duration)
        return
    error = detail if status is None else f"HTTP {status}: {detail}".strip()
    _log(job, hook.id, event, "failed", status, error[:2000], duration)
    raise DeliveryFailed(f"{hook.url}: {error[:500]}")


deliver.peyvand_own_transactions = True
