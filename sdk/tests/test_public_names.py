"""The SDK is a contract with third-party plugins: its public names are pinned here."""

import peyvand_sdk

PINNED = {
    "Actor", "Entity", "EventType", "Forbidden", "InvalidRecord", "KERNEL_API", "Manifest",
    "Model", "Permission", "PeyvandError", "PluginError", "RecordModel", "RecordNotFound",
    "RelatedData",
    "Setting", "StaleVersion", "Task", "Veto", "acting_as", "acting_for_user", "cli_actor",
    "current_actor",
    "current_kernel", "current_language", "current_tenant", "custom_fields", "emit_event",
    "enqueue_task", "export_entity", "find_teams", "find_users", "get_setting", "gettext",
    "hidden_fields", "hookimpl", "hookspec", "json_schema", "load_custom_values",
    "permission_scope",
    "plugin_disabled", "plugin_enabled", "plugin_purged", "public", "record_audit",
    "record_audit_many", "require_enabled", "require_permission", "restrict",
    "save_custom_values", "save_custom_values_many", "tenant_db",
}


def test_public_names_are_pinned():
    assert set(peyvand_sdk.__all__) == PINNED, (
        "the SDK's public names changed: update PINNED only for a deliberate, documented change")
    for name in PINNED:
        assert getattr(peyvand_sdk, name) is not None


def test_plugins_import_nothing_of_peyvand_but_the_sdk():
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "plugins"
    offenders = []
    for path in root.glob("*/peyvand_*/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(root)}: {n}" for n in names
                          if n == "peyvand" or n.startswith("peyvand.")]
    assert not offenders, "plugins must import peyvand_sdk, not kernel internals"
