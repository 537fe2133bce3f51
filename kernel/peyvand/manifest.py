"""The manifest a plugin declares, and its validation.

A plugin module (the target of its ``peyvand.plugins`` entry point) has a module-level
``manifest = Manifest(...)``. The plugin's *name* is the entry point's name and its *version*
comes from its distribution's metadata, so neither is repeated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from packaging.specifiers import InvalidSpecifier, SpecifierSet


class ManifestError(ValueError):
    """A manifest is malformed; the message names the plugin and the field."""


@dataclass(frozen=True)
class Manifest:
    """What a plugin tells the kernel about itself.

    ``label`` and ``description`` map language codes (``"en"``, ``"fa"``) to text.
    ``requires`` maps other plugins' names to PEP 440 ranges (``{"contacts": ">=0.1"}``).
    ``kernel_api`` is the range of kernel API versions the plugin works with.
    ``provides`` names capabilities other plugins can require (``"telephony.provider"``);
    ``requires_capability`` names capabilities some enabled plugin must provide.
    ``hookspecs`` is the dotted name of a module with hookspecs this plugin publishes.
    ``migrations`` is ``"package:folder"`` (or an absolute path) holding this plugin's numbered
    migration scripts; by default the ``migrations`` folder beside the plugin module.
    """

    label: Mapping[str, str]
    description: Mapping[str, str] = field(default_factory=dict)
    requires: Mapping[str, str] = field(default_factory=dict)
    kernel_api: str = ">=1.0,<2"
    provides: tuple[str, ...] = ()
    requires_capability: tuple[str, ...] = ()
    hookspecs: str | None = None
    migrations: str | None = None

    def __post_init__(self):
        # Freeze the mappings so a plugin cannot change its manifest after validation.
        for name in ("label", "description", "requires"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        object.__setattr__(self, "provides", tuple(self.provides))
        object.__setattr__(self, "requires_capability", tuple(self.requires_capability))

    def validate(self, plugin: str) -> None:
        """Raise :class:`ManifestError` naming ``plugin`` and the field at fault."""
        if not isinstance(self.label, Mapping) or "en" not in self.label:
            raise ManifestError(f"plugin {plugin!r}: manifest.label needs at least an 'en' entry")
        for dep, spec in self.requires.items():
            _specifier(plugin, f"requires[{dep!r}]", spec)
        _specifier(plugin, "kernel_api", self.kernel_api)

    def requirement(self, dep: str) -> SpecifierSet:
        return SpecifierSet(self.requires[dep])

    def text(self, field_name: str, lang: str) -> str:
        values = getattr(self, field_name)
        return values.get(lang) or values.get("en", "")


def _specifier(plugin: str, where: str, spec: str) -> SpecifierSet:
    try:
        return SpecifierSet(spec or "")
    except InvalidSpecifier as exc:
        raise ManifestError(
            f"plugin {plugin!r}: manifest.{where} is not a PEP 440 range ({spec!r}): {exc}"
        ) from None
