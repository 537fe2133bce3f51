"""Throwaway plugins for kernel tests, built as plain objects with hook methods."""

from __future__ import annotations

import flask

from peyvand_sdk import Manifest, hookimpl


class Recorder:
    """A plugin that records every hook call it receives."""

    def __init__(self, name: str, requires=None, provides=(), requires_capability=(),
                 kernel_api=">=1.0,<2"):
        self.name = name
        self.calls: list[str] = []
        self.manifest = Manifest(label={"en": name.title(), "fa": name},
                                 requires=requires or {}, provides=provides,
                                 requires_capability=requires_capability,
                                 kernel_api=kernel_api)
        bp = flask.Blueprint(f"{name}_bp", __name__, url_prefix=f"/x/{name}")
        bp.add_url_rule("/ping", f"{name}_ping", lambda: {"pong": name})
        self._blueprint = bp

    @hookimpl
    def register_blueprints(self):
        return [self._blueprint]

    @hookimpl
    def tenant_enabled(self, tenant):
        self.calls.append(f"enabled:{tenant}")

    @hookimpl
    def load_demo_data(self, tenant):
        self.calls.append(f"demo:{tenant}")
        return f"{self.name} demo"


def plugin(name: str, version: str = "1.0.0", **kwargs):
    """``(name, object, version)`` as the kernel factories take it."""
    return (name, Recorder(name, **kwargs), version)
