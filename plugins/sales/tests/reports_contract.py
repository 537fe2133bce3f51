"""The hookspec a reports plugin publishes (as docs/plugin-guide.md, "Report definitions",
describes it), for the tests: a throwaway "reports" plugin names this module in its
manifest, as ``peyvand_reports.hookspecs`` will."""

from peyvand_sdk import hookspec


@hookspec
def register_reports():
    """Offer report definitions to the reports plugin.

    :return: a list of dicts ``{"key", "label": {"en", "fa"}, "description": {"en", "fa"},
        "permission", "params": [{"name", "type", "label", "required"}], "columns": [{"key",
        "type", "label"}], "run": callable(start, end, params) -> list of row dicts}``.
    """
