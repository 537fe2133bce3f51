"""The workspace's navigation, built from the ``register_menu_items`` hook.

Only plugins enabled for the tenant are asked, and each item is shown only to users whose
roles grant its permission (``scope_of(actor, entity, action) != "none"``), so a disabled
plugin's menu disappears and a user never sees a link that would answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PluginError
from ..permissions import scope_of


@dataclass(frozen=True)
class MenuItem:
    id: str
    plugin: str
    label: dict
    url: str
    permission: str | None
    order: int


def _item(plugin: str, raw) -> MenuItem:
    if not isinstance(raw, dict):
        raise PluginError(f"plugin {plugin!r}: register_menu_items must return dicts, got "
                          f"{type(raw).__name__}")
    missing = [k for k in ("id", "label", "url") if not raw.get(k)]
    if missing:
        raise PluginError(f"plugin {plugin!r}: menu item {raw!r} lacks {', '.join(missing)}")
    label = raw["label"]
    if isinstance(label, str):
        label = {"en": label}
    if "en" not in label:
        raise PluginError(f"plugin {plugin!r}: menu item {raw['id']!r} needs an 'en' label")
    url = str(raw["url"])
    if not url.startswith("/"):
        raise PluginError(f"plugin {plugin!r}: menu item {raw['id']!r} has url {url!r}; use a "
                          "path on this site, such as '/app/<plugin>/<plural>'")
    return MenuItem(id=str(raw["id"]), plugin=plugin, label=dict(label), url=url,
                    permission=raw.get("permission") or None, order=int(raw.get("order", 100)))


def menu_items(kernel, tenant: str) -> list[MenuItem]:
    """Every enabled plugin's items for ``tenant``, sorted by ``(order, id)``; cached until the
    generation moves (enabling or disabling a plugin moves it)."""

    def build():
        items = []
        for plugin, raw in kernel.collect("register_menu_items", kernel.enabled(tenant)):
            try:
                items.append(_item(plugin, raw))
            except PluginError:
                if kernel.settings.strict_plugins:
                    raise
                # A malformed item from one plugin must not take the navigation down.
                continue
        return sorted(items, key=lambda i: (i.order, i.id))

    return kernel.cache(f"menu:{tenant}", build)


def allowed(actor, permission: str | None) -> bool:
    """Whether ``actor`` may see an item guarded by ``permission``.

    ``permission`` is a key ``<plugin>.<entity>.<action>`` (``contacts.person.read``), or an
    entity id (``contacts.person``), which means its read right; ``None`` shows it to everyone
    logged in.
    """
    if permission is None:
        return True
    if actor is None:
        return False
    if permission.count(".") == 1:
        entity_id, action = permission, "read"
    else:
        entity_id, _, action = permission.rpartition(".")
    return scope_of(actor, entity_id, action) != "none"


def navigation(kernel, tenant: str, actor) -> list[MenuItem]:
    """The items ``actor`` may see."""
    return [item for item in menu_items(kernel, tenant) if allowed(actor, item.permission)]
