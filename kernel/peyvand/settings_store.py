"""Tenant settings: plugins declare them (``register_settings``), admins change them (API and
``peyvand settings``), code reads them with :func:`get_setting` — the declared default until an
admin sets a value. Values are validated against the declaration; changes are audited."""

from __future__ import annotations

import decimal
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import peewee

from .entities import Model
from .errors import PeyvandError
from .storage import current_tenant, utcnow

TYPES = ("text", "integer", "decimal", "boolean", "choice")


class SettingError(PeyvandError):
    pass


@dataclass(frozen=True)
class Setting:
    """A setting a plugin declares.

    :param key: ``"<plugin>.<name>"`` (``"sales.default_currency"``).
    :param type: one of ``text``, ``integer``, ``decimal``, ``boolean``, ``choice``.
    :param default: the value until an admin sets one.
    :param label: ``{"en": ..., "fa": ...}``; ``description`` likewise, optional.
    :param choices: the allowed values of a ``choice`` setting.
    """

    key: str
    type: str
    default: object
    label: Mapping[str, str] = field(default_factory=dict)
    description: Mapping[str, str] = field(default_factory=dict)
    choices: tuple = ()
    plugin: str | None = field(default=None, compare=False)

    def check(self, value):
        """The value in its canonical form, or :class:`SettingError` saying what is wrong."""
        problem = None
        if self.type == "text" and not isinstance(value, str):
            problem = "a text"
        elif self.type == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            problem = "a whole number"
        elif self.type == "boolean" and not isinstance(value, bool):
            problem = "true or false"
        elif self.type == "choice" and value not in self.choices:
            problem = f"one of {', '.join(map(str, self.choices))}"
        elif self.type == "decimal":
            try:
                return str(decimal.Decimal(str(value)))
            except (decimal.InvalidOperation, ValueError):
                problem = "a decimal number"
        if problem:
            raise SettingError(f"setting {self.key!r} must be {problem}, not {value!r}")
        return value


class StoredSetting(Model):
    key = peewee.CharField(max_length=150, primary_key=True)
    value = peewee.TextField()
    updated_at = peewee.DateTimeField(default=utcnow)
    updated_by = peewee.IntegerField(null=True)

    class Meta:
        table_name = "peyvand_setting"


def declared(kernel, tenant: str) -> dict[str, Setting]:
    """The settings of the plugins enabled for ``tenant``, by key (cached per generation)."""

    def build():
        out = {}
        for plugin, setting in kernel.collect("register_settings", kernel.enabled(tenant)):
            if not setting.key.startswith(f"{plugin}."):
                raise SettingError(f"plugin {plugin!r} declares setting {setting.key!r}; its "
                                   f"keys must start with '{plugin}.'")
            if setting.type not in TYPES:
                raise SettingError(f"setting {setting.key!r}: type must be one of "
                                   f"{', '.join(TYPES)}")
            out[setting.key] = Setting(**{**setting.__dict__, "plugin": plugin})
        return dict(sorted(out.items()))

    return kernel.cache(f"settings-declared:{tenant}", build)


def values(kernel, tenant: str) -> dict[str, object]:
    """Every declared setting's current value for ``tenant`` (cached per generation)."""

    def build():
        stored = {k: json.loads(v) for k, v in StoredSetting.select(
            StoredSetting.key, StoredSetting.value).tuples()}
        return {k: stored.get(k, s.default) for k, s in declared(kernel, tenant).items()}

    return kernel.cache(f"settings-values:{tenant}", build)


def get_setting(key: str):
    """The value of setting ``key`` for the bound tenant (its default until an admin sets one).
    Raises :class:`SettingError` for a key no enabled plugin declares."""
    from .kernel import active_kernel

    tenant = current_tenant()
    if tenant is None:
        raise SettingError("get_setting needs a tenant's context")
    kernel = _kernel_for_context() or active_kernel()
    current = values(kernel, tenant)
    if key not in current:
        raise SettingError(f"no enabled plugin declares the setting {key!r}")
    return current[key]


def _kernel_for_context():
    try:
        from flask import current_app, has_app_context

        if has_app_context():
            return current_app.extensions["peyvand"]
    except ImportError:  # pragma: no cover - Flask is a kernel dependency
        pass
    return None


def set_setting(kernel, tenant: str, key: str, value, *, user_id: int | None = None,
                user_name: str | None = None, via: str = "api") -> object:
    """Validate and store ``value``; audited. The caller bumps the generation after commit."""
    from . import audit

    setting = declared(kernel, tenant).get(key)
    if setting is None:
        raise SettingError(f"no enabled plugin declares the setting {key!r}; "
                           f"known: {', '.join(declared(kernel, tenant)) or 'none'}")
    value = setting.check(value)
    old = values(kernel, tenant)[key]
    (StoredSetting.insert(key=key, value=json.dumps(value, ensure_ascii=False),
                          updated_at=utcnow(), updated_by=user_id)
     .on_conflict(conflict_target=[StoredSetting.key],
                  update={StoredSetting.value: json.dumps(value, ensure_ascii=False),
                          StoredSetting.updated_at: utcnow(),
                          StoredSetting.updated_by: user_id})
     .execute())
    audit.record("peyvand.setting", 0, "update", {key: (old, value)}, via=via,
                 user_id=user_id, user_name=user_name)
    return value
