"""Small helpers for plugin code running inside a request or a CLI command."""

from __future__ import annotations

import click

from peyvand.errors import PluginError


def current_kernel():
    """The kernel serving this request (inside Flask), this command (inside the CLI), or else
    the one this process created (a background task)."""
    from flask import current_app, has_app_context

    if has_app_context():
        return current_app.extensions["peyvand"]
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        root = ctx.find_root()
        return root.command._kernel(root)
    from peyvand.kernel import active_kernel

    return active_kernel()  # a worker's task, or a script that built a Kernel


def require_enabled(plugin: str, tenant: str) -> None:
    """Raise :class:`PluginError` unless ``plugin`` is enabled for ``tenant``.

    Plugin CLI commands call this first, since commands are listed for every installed plugin.
    """
    kernel = current_kernel()
    if plugin not in kernel.enabled(tenant):
        raise PluginError(f"plugin {plugin!r} is not enabled for tenant {tenant!r}; run "
                          f"`peyvand plugins enable {plugin} --tenant {tenant}` first")


def gettext(message: str, **values) -> str:
    """``message`` in the language of the current web request or API client (English outside
    a request), from the merged gettext catalogues (the kernel's and every plugin's
    ``translations/<lang>/LC_MESSAGES/messages.po``). ``%(name)s`` placeholders are filled from
    ``values``, numbers in the language's digits: ``gettext("%(n)s deals", n=3)``."""
    from peyvand.web.i18n import _

    return _(message, **values)


def current_language() -> str:
    """``"fa"`` or ``"en"``: the language pages and messages of this request are shown in
    (``"en"`` outside a request). Use it to pick from ``{"en": ..., "fa": ...}`` labels."""
    from peyvand.web.i18n import current_language as language

    return language()
