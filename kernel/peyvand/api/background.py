"""Background-work endpoints for admins: the dead-letter list and webhook subscriptions."""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from .. import audit, jobs
from ..permissions import Forbidden
from ..records import InvalidRecord, RecordNotFound
from . import blueprint


def _kernel():
    return current_app.extensions["peyvand"]


def _require_admin():
    actor = g.actor
    if not (actor.superuser or "admin" in actor.roles):
        raise Forbidden("only administrators may see background jobs and manage webhooks")


def _write(fn):
    db = _kernel().storage.database_for(g.tenant)
    try:
        with jobs.write_transaction(db):
            return fn()
    except jobs.JobNotFound as exc:
        raise RecordNotFound(str(exc)) from None


def _limit(default: int = 100) -> int:
    try:
        return min(max(int(request.args.get("limit", default)), 1), 1000)
    except ValueError:
        raise InvalidRecord({"limit": ["a whole number from 1 to 1000"]}) from None


def _audit(entity: str, record_id: int, action: str, changes: dict) -> None:
    audit.record(entity, record_id, action, changes, via="api", user_id=g.actor.id,
                 user_name=g.actor.name)


# -- jobs ---------------------------------------------------------------------------------------

@blueprint.get("/jobs")
def jobs_list():
    """``?state=queued|scheduled|running|done|dead|skipped&limit=100``, newest first."""
    _require_admin()
    state = request.args.get("state")
    if state and state not in jobs.STATES:
        raise InvalidRecord({"state": [f"one of {', '.join(jobs.STATES)}"]})
    return jsonify({"data": [jobs.job_dict(j) for j in jobs.list_jobs(state, _limit())]})


@blueprint.get("/jobs/dead")
def jobs_dead():
    """The dead-letter list: jobs that failed every retry, newest first."""
    _require_admin()
    return jsonify({"data": [jobs.job_dict(j) for j in jobs.list_jobs(jobs.DEAD, _limit())]})


@blueprint.post("/jobs/dead/<int:job_id>/replay")
def jobs_replay(job_id):
    """Send a dead job back to the queue with its retries reset."""
    _require_admin()

    def replay():
        job = jobs.replay(job_id)
        _audit("peyvand.job", job.id, "replay", {"state": ("dead", "queued")})
        return job

    return jsonify(jobs.job_dict(_write(replay)))


# -- webhooks -----------------------------------------------------------------------------------

@blueprint.post("/webhooks")
def webhooks_create():
    """``{"url", "events": [...], "entities"?: [...], "description"?}`` → 201 with the
    subscription and its ``secret``, which is shown only in this answer."""
    from ..webhooks import WebhookError, create_webhook, webhook_dict

    _require_admin()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidRecord({"_schema": ["send a JSON object with Content-Type: "
                                         "application/json"]})
    unknown = set(body) - {"url", "events", "entities", "description"}
    if unknown:
        raise InvalidRecord({name: ["unknown field"] for name in sorted(unknown)})

    def create():
        try:
            hook, secret = create_webhook(
                _kernel(), g.tenant, url=body.get("url"), events=body.get("events"),
                entities=body.get("entities") or (), owner_id=g.actor.id,
                description=body.get("description"))
        except WebhookError as exc:
            raise InvalidRecord({exc.field: [str(exc)]}) from None
        _audit("peyvand.webhook", hook.id, "create", {"url": (None, hook.url)})
        return {**webhook_dict(hook), "secret": secret}

    response = jsonify(_write(create))
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/webhooks/{response.json['id']}"
    return response


@blueprint.get("/webhooks")
def webhooks_list():
    from ..webhooks import Webhook, webhook_dict

    _require_admin()
    return jsonify({"data": [webhook_dict(h) for h in Webhook.select().order_by(Webhook.id)]})


@blueprint.get("/webhooks/<int:webhook_id>")
def webhooks_get(webhook_id):
    from ..webhooks import get_webhook, webhook_dict

    _require_admin()
    return jsonify(_write(lambda: webhook_dict(get_webhook(webhook_id))))


@blueprint.delete("/webhooks/<int:webhook_id>")
def webhooks_delete(webhook_id):
    from ..webhooks import delete_webhook, get_webhook

    _require_admin()

    def delete():
        url = get_webhook(webhook_id).url
        delete_webhook(webhook_id)
        _audit("peyvand.webhook", webhook_id, "delete", {"url": (url, None)})

    _write(delete)
    return "", 204


@blueprint.get("/webhooks/<int:webhook_id>/deliveries")
def webhooks_deliveries(webhook_id):
    """The delivery log, newest first: every attempt with outcome, status code and error."""
    from ..webhooks import deliveries, get_webhook

    _require_admin()
    limit = _limit(50)
    return jsonify({"data": _write(lambda: (get_webhook(webhook_id),
                                            deliveries(webhook_id, limit))[1])})


@blueprint.post("/webhooks/<int:webhook_id>/replay")
def webhooks_replay(webhook_id):
    """``{"event_id"}``: deliver that event to the subscription again."""
    from ..webhooks import replay_delivery

    _require_admin()
    body = request.get_json(silent=True) or {}
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        raise InvalidRecord({"event_id": ["required: the X-Peyvand-Event-Id to send again"]})

    def replay():
        try:
            job = replay_delivery(webhook_id, event_id)
        except jobs.JobNotFound:
            raise
        except jobs.JobError as exc:
            raise InvalidRecord({"event_id": [str(exc)]}) from None
        _audit("peyvand.webhook", webhook_id, "replay", {"event_id": (None, event_id)})
        return jobs.job_dict(job, with_payload=False)

    return jsonify(_write(replay))
