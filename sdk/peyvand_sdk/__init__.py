"""The one import surface a Peyvand plugin needs.

>>> from peyvand_sdk import hookimpl, Manifest, Entity, RecordModel

Everything here is a stable contract: a test pins these names, and changing one is a breaking
change for every third-party plugin. Libraries (peewee, marshmallow, Flask, click, blinker) are
used directly; Peyvand's own internals never are.
"""

from peyvand import KERNEL_API
from peyvand.access import (
    Actor,
    acting_as,
    acting_for_user,
    cli_actor,
    current_actor,
    hidden_fields,
    permission_scope,
    public,
    require_permission,
    restrict,
)
from peyvand.audit import record as record_audit
from peyvand.audit import record_many as record_audit_many
from peyvand.custom_fields import definitions as custom_fields
from peyvand.custom_fields import load_values_for as load_custom_values
from peyvand.custom_fields import save_values_for as save_custom_values
from peyvand.custom_fields import save_values_many as save_custom_values_many
from peyvand.entities import Entity, Model, RecordModel
from peyvand.errors import PeyvandError, PluginError, Veto
from peyvand.events import EventType, emit_event
from peyvand.exporting import export_entity
from peyvand.hookspecs import hookimpl, hookspec
from peyvand.jobs import enqueue_task
from peyvand.manifest import Manifest
from peyvand.openapi import json_schema
from peyvand.permissions import Forbidden, Permission
from peyvand.records import InvalidRecord, RecordNotFound, StaleVersion
from peyvand.related import RelatedData
from peyvand.settings_store import Setting, get_setting
from peyvand.signals import plugin_disabled, plugin_enabled, plugin_purged
from peyvand.storage import current_tenant, tenant_db
from peyvand.tasks import Task

from .directory import find_teams, find_users
from .helpers import current_kernel, current_language, gettext, require_enabled

__all__ = [
    "Actor",
    "Entity",
    "EventType",
    "Forbidden",
    "InvalidRecord",
    "KERNEL_API",
    "Manifest",
    "Model",
    "Permission",
    "PeyvandError",
    "PluginError",
    "RecordModel",
    "RecordNotFound",
    "RelatedData",
    "Setting",
    "StaleVersion",
    "Task",
    "Veto",
    "acting_as",
    "acting_for_user",
    "cli_actor",
    "current_actor",
    "current_kernel",
    "current_language",
    "current_tenant",
    "custom_fields",
    "emit_event",
    "enqueue_task",
    "export_entity",
    "find_teams",
    "find_users",
    "get_setting",
    "gettext",
    "hidden_fields",
    "hookimpl",
    "hookspec",
    "json_schema",
    "load_custom_values",
    "permission_scope",
    "plugin_disabled",
    "plugin_enabled",
    "plugin_purged",
    "public",
    "record_audit",
    "record_audit_many",
    "require_enabled",
    "require_permission",
    "restrict",
    "save_custom_values",
    "save_custom_values_many",
    "tenant_db",
]
