"""A plugin for the worker-crash tests, installed for a `peyvand worker` subprocess through an
entry point in a temporary folder (see tests/test_jobs_worker.py).

Its handler of ``record-created`` writes one ``evspy_effect`` row (the side effect), then,
while the folder named by ``EVSPY_HOLD_DIR`` has no ``release`` file, announces itself with a
``started-<event id>`` file and waits: the test kills the worker there.
"""

import os
import time
from pathlib import Path

import peewee

from peyvand_sdk import Manifest, Model, Task, hookimpl

manifest = Manifest(label={"en": "Event spy"}, requires={"contacts": ">=0.1"})


class Effect(Model):
    id = peewee.AutoField()
    event_id = peewee.CharField(max_length=36)
    record_id = peewee.IntegerField()
    pid = peewee.IntegerField()

    class Meta:
        table_name = "evspy_effect"


def on_created(tenant, payload):
    Effect.create(event_id=payload["id"], record_id=payload["data"]["id"], pid=os.getpid())
    hold = os.environ.get("EVSPY_HOLD_DIR")
    if hold and not (Path(hold) / "release").exists():
        (Path(hold) / f"started-{payload['id']}").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not (Path(hold) / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.05)


@hookimpl
def register_models():
    return [Effect]


@hookimpl
def register_tasks():
    return [Task("evspy.on_created", on_created, retries=3)]


@hookimpl
def register_event_handlers():
    return [("record-created", "evspy.on_created")]
