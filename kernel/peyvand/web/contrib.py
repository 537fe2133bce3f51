"""What plugins contribute to the generic pages through hooks: bulk actions on list pages
(``register_bulk_actions``) and tabs on record pages (``register_record_tabs``).

Both hooks return plain dicts; this module checks them (a malformed item from one plugin is
dropped, or raised with ``PEYVAND_STRICT_PLUGINS=1``), caches them per generation, and calls
their callables with the arguments they name.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from ..errors import PluginError


@dataclass(frozen=True)
class BulkAction:
    id: str
    plugin: str
    label: dict
    entity: str
    permission: str
    run: object
    params: tuple = ()
    order: int = 100


@dataclass(frozen=True)
class RecordTab:
    id: str
    plugin: str
    label: dict
    entity: str
    permission: str | None
    render: object = None
    url: object = None
    order: int = 100
    extra: dict = field(default_factory=dict, compare=False)


def call_with(fn, **available):
    """Call ``fn`` with the arguments of ``available`` it names (all of them for ``**kw``)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn(**available)
    params = signature.parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return fn(**available)
    return fn(**{name: available[name] for name in signature.parameters if name in available})


def _common(plugin: str, raw, hook: str) -> tuple[str, dict, str]:
    if not isinstance(raw, dict):
        raise PluginError(f"plugin {plugin!r}: {hook} must return dicts, got "
                          f"{type(raw).__name__}")
    missing = [k for k in ("id", "label", "entity") if not raw.get(k)]
    if missing:
        raise PluginError(f"plugin {plugin!r}: {hook} item {raw!r} lacks {', '.join(missing)}")
    label = raw["label"]
    if isinstance(label, str):
        label = {"en": label}
    if "en" not in label:
        raise PluginError(f"plugin {plugin!r}: {hook} item {raw['id']!r} needs an 'en' label")
    return str(raw["id"]), dict(label), str(raw["entity"])


def _bulk(plugin: str, raw) -> BulkAction:
    ident, label, entity = _common(plugin, raw, "register_bulk_actions")
    if not callable(raw.get("run")):
        raise PluginError(f"plugin {plugin!r}: bulk action {ident!r} needs a callable 'run'")
    params = []
    for p in raw.get("params") or ():
        if not isinstance(p, dict) or not p.get("name"):
            raise PluginError(f"plugin {plugin!r}: bulk action {ident!r} has a param without "
                              "a name")
        choices = [(c, {"en": str(c)}) if not isinstance(c, tuple | list) else (c[0], c[1])
                   for c in p.get("choices") or ()]
        params.append({"name": str(p["name"]), "label": p.get("label") or {"en": p["name"]},
                       "type": "select" if choices else p.get("type", "text"),
                       "choices": choices, "required": bool(p.get("required", True))})
    return BulkAction(id=ident, plugin=plugin, label=label, entity=entity,
                      permission=str(raw.get("permission") or "update"), run=raw["run"],
                      params=tuple(params), order=int(raw.get("order", 100)))


def _tab(plugin: str, raw) -> RecordTab:
    ident, label, entity = _common(plugin, raw, "register_record_tabs")
    render, url = raw.get("render"), raw.get("url")
    if not callable(render) and not callable(url):
        raise PluginError(f"plugin {plugin!r}: record tab {ident!r} needs a callable 'render' "
                          "(HTML) or 'url' (a link)")
    if ident in ("details", "history"):
        raise PluginError(f"plugin {plugin!r}: record tab id {ident!r} is the kernel's")
    return RecordTab(id=ident, plugin=plugin, label=label, entity=entity,
                     permission=raw.get("permission") or None,
                     render=render if callable(render) else None,
                     url=url if callable(url) else None, order=int(raw.get("order", 100)))


def _collect(kernel, tenant: str, hook: str, make):
    def build():
        items = []
        for plugin, raw in kernel.collect(hook, kernel.enabled(tenant)):
            try:
                items.append(make(plugin, raw))
            except PluginError:
                if kernel.settings.strict_plugins:
                    raise
                continue  # one plugin's malformed item must not take the page down
        return sorted(items, key=lambda i: (i.order, i.id))

    return kernel.cache(f"{hook}:{tenant}", build)


def bulk_actions(kernel, tenant: str, entity_id: str) -> list[BulkAction]:
    """The plugins' bulk actions for ``entity_id`` (not yet filtered by the user's rights)."""
    return [a for a in _collect(kernel, tenant, "register_bulk_actions", _bulk)
            if a.entity in ("*", entity_id)]


def record_tabs(kernel, tenant: str, entity_id: str) -> list[RecordTab]:
    """The plugins' record tabs for ``entity_id`` (not yet filtered by the user's rights)."""
    return [t for t in _collect(kernel, tenant, "register_record_tabs", _tab)
            if t.entity in ("*", entity_id)]
