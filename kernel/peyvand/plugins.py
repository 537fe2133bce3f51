"""Plugin discovery, loading and failure isolation.

Entry points in the group ``peyvand.plugins`` are scanned once per process. Each names a
module with a ``manifest`` and ``@hookimpl`` functions. A plugin that fails to import, has a
bad manifest, an incompatible kernel API, a misspelled hook or a failing ``setup_plugin`` is
recorded as ``failed`` with a traceback summary, and everything else keeps working.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import importlib_metadata
import pluggy
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from . import KERNEL_API, hookspecs
from .manifest import Manifest, ManifestError

ENTRY_POINT_GROUP = "peyvand.plugins"


@dataclass
class PluginRecord:
    """One installed plugin as this process sees it."""

    name: str
    version: str
    distribution: str | None
    module: object | None = None
    manifest: Manifest | None = None
    error: str | None = None
    internal: bool = False
    hooks: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.error is None and self.module is not None

    def migrations_dir(self) -> Path | None:
        if not self.loaded:
            return None
        spec = self.manifest.migrations
        if spec and Path(spec).is_absolute():
            path = Path(spec)
        elif spec:
            package, _, folder = spec.partition(":")
            base = Path(importlib.import_module(package).__file__).parent
            path = base / (folder or "migrations")
        else:
            module_file = getattr(self.module, "__file__", None)
            if module_file is None:
                return None
            path = Path(module_file).parent / "migrations"
        return path if path.is_dir() else None


@functools.cache
def scan_entry_points() -> tuple:
    """The ``peyvand.plugins`` entry points, read once per process (a scan costs 1-2 ms)."""
    return tuple(sorted(importlib_metadata.entry_points(group=ENTRY_POINT_GROUP),
                        key=lambda ep: ep.name))


def summarize_exception(exc: BaseException) -> str:
    """The last frames and the message, short enough for a table or a JSON field."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = "; ".join(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames)
    return f"{type(exc).__name__}: {exc}" + (f" (at {where})" if where else "")


def new_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


class PluginLoader:
    """Loads plugin modules and checks them against the kernel and each other."""

    def __init__(self, *, strict: bool = False):
        self.strict = strict

    def discover(self, only: set[str] | None = None) -> list[PluginRecord]:
        records = []
        for ep in scan_entry_points():
            if only is not None and ep.name not in only:
                continue
            dist = ep.dist
            record = PluginRecord(name=ep.name, version=dist.version if dist else "0",
                                  distribution=dist.name if dist else None)
            try:
                record.module = ep.load()
            except Exception as exc:
                self._fail(record, exc)
            records.append(record)
        return records

    def from_object(self, name: str, obj: object, version: str = "0.0.0",
                    internal: bool = False) -> PluginRecord:
        """A plugin registered directly, not through an entry point (tests, built-ins)."""
        record = PluginRecord(name=name, version=version, distribution=None, internal=internal)
        try:
            record.module = importlib.import_module(obj) if isinstance(obj, str) else obj
        except Exception as exc:
            self._fail(record, exc)
        return record

    def _fail(self, record: PluginRecord, exc: BaseException) -> None:
        if self.strict:
            raise exc
        record.error = summarize_exception(exc)

    def validate(self, record: PluginRecord) -> None:
        """Check the manifest and the kernel API range; mark the record failed if wrong."""
        if not record.loaded:
            return
        try:
            manifest = getattr(record.module, "manifest", None)
            if not isinstance(manifest, Manifest):
                raise ManifestError(
                    f"plugin {record.name!r}: module {_module_name(record.module)} has no "
                    "`manifest = Manifest(...)`")
            manifest.validate(record.name)
            if Version(KERNEL_API) not in SpecifierSet(manifest.kernel_api):
                raise ManifestError(
                    f"plugin {record.name!r} supports kernel API {manifest.kernel_api}, but this "
                    f"kernel offers {KERNEL_API}; install a version of the plugin made for it")
            record.manifest = manifest
        except Exception as exc:
            self._fail(record, exc)

    def add_published_hookspecs(self, pm: pluggy.PluginManager, records) -> None:
        for record in records:
            if record.loaded and record.manifest.hookspecs:
                try:
                    pm.add_hookspecs(importlib.import_module(record.manifest.hookspecs))
                except Exception as exc:
                    self._fail(record, exc)

    def register(self, pm: pluggy.PluginManager, record: PluginRecord) -> None:
        """Register ``record`` in ``pm`` and refuse hook implementations that match no spec."""
        if not record.loaded:
            return
        try:
            pm.register(record.module, name=record.name)
            unknown = []
            for caller in pm.get_hookcallers(record.module) or []:
                if caller.has_spec():
                    continue
                for impl in caller.get_hookimpls():
                    if impl.plugin is record.module and not impl.optionalhook:
                        unknown.append(caller.name)
            if unknown:
                pm.unregister(record.module)
                known = sorted(n for n, c in vars(pm.hook).items()
                               if not n.startswith("_") and c.has_spec())
                hints = []
                for name in unknown:
                    close = difflib.get_close_matches(name, known, n=1)
                    hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
                raise pluggy.PluginValidationError(
                    record.module,
                    f"plugin {record.name!r} implements hooks that no spec declares: "
                    f"{', '.join(hints)}. Fix the name, or mark an implementation of another "
                    "plugin's hook with @hookimpl(optionalhook=True)")
            record.hooks = sorted(c.name for c in pm.get_hookcallers(record.module) or [])
        except Exception as exc:
            if pm.is_registered(record.module):
                pm.unregister(record.module)
            self._fail(record, exc)


def _module_name(module: object) -> str:
    if isinstance(module, ModuleType):
        return module.__name__
    return type(module).__name__
