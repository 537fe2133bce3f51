"""What cannot drift: docs/events.md lists exactly the events the shipped plugins emit, the
event hooks are documented, and the kernel's background tables match their migration."""

import inspect
import pathlib

from playhouse.schema_diff import diff_models

from peyvand import event_hookspecs, hookspecs
from peyvand.events import markdown
from peyvand.kernel import Kernel

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.parent.name for p in (ROOT / "plugins").glob("*/pyproject.toml"))
DOC = ROOT / "docs" / "events.md"


def test_docs_events_md_lists_exactly_the_declared_events(peyvand_settings):
    kernel = Kernel(peyvand_settings, only=SHIPPED)
    try:
        expected = markdown(kernel, SHIPPED)
    finally:
        kernel.storage.close()
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/events.md is out of date: run `peyvand events docs --only "
        + " --only ".join(SHIPPED) + " --output docs/events.md`")


def test_event_hooks_are_documented_in_the_guide():
    guide = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
    marker = f"{hookspecs.PROJECT}_spec"
    specs = {name: fn for name, fn in inspect.getmembers(event_hookspecs, inspect.isfunction)
             if hasattr(fn, marker)}
    assert set(specs) == {"register_events", "register_event_handlers"}
    for name, fn in specs.items():
        assert len((fn.__doc__ or "").strip()) > 40, name
        assert f"`{name}`" in guide, f"{name} is missing from docs/plugin-guide.md"
    for name in ("emit_event", "enqueue_task", "EventType"):
        assert name in guide, f"{name} is missing from docs/plugin-guide.md"


def test_the_background_tables_match_their_migration(peyvand_kernel_factory):
    from peyvand.events import Outbox
    from peyvand.jobs import Job
    from peyvand.webhooks import Webhook, WebhookDelivery

    kernel = peyvand_kernel_factory(plugins=[])
    db = kernel.storage.database_for("default")
    with kernel.storage.bound("default"):
        diff = diff_models(db, [Outbox, Job, Webhook, WebhookDelivery])
    assert not diff, f"models and migration 0005_outbox disagree:\n{diff}"


def test_the_cli_writes_the_same_document(peyvand_cli):
    args = ["events", "docs"] + [a for name in SHIPPED for a in ("--only", name)]
    result = peyvand_cli(*args)
    assert result.exit_code == 0, result.output
    assert result.output == DOC.read_text(encoding="utf-8")
    listed = peyvand_cli("events", "list")
    assert "record-created" in listed.output and "peyvand" in listed.output
