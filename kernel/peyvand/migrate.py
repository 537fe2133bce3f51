"""Per-plugin migration chains on top of ``playhouse.migrations``.

Each plugin keeps numbered ``up``/``down`` scripts (with frozen model copies) in its own folder
and its own history table ``<plugin>_migrations`` in each tenant's database. Steps are applied
one at a time and recorded as each succeeds, so a failure resumes from the failed step.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee
from playhouse.migrations import Runner

from .errors import MigrationFailed


def history_table(plugin: str) -> str:
    return f"{plugin}_migrations"


@dataclass(frozen=True)
class StepStatus:
    plugin: str
    step: str
    applied: bool


class PluginMigrations:
    """The migration chain of one plugin against one tenant database."""

    def __init__(self, plugin: str, directory: Path | None, db: peewee.Database,
                 schema: str | None = None):
        self.plugin = plugin
        self.directory = directory
        self.db = db
        self.runner = (Runner(db, str(directory), table_name=history_table(plugin), schema=schema)
                       if directory else None)

    def status(self) -> list[StepStatus]:
        if self.runner is None:
            return []
        return [StepStatus(self.plugin, m.name, bool(m.applied))
                for m in self.runner.status() if m.path is not None]

    def pending(self) -> list[str]:
        return [s.step for s in self.status() if not s.applied]

    def upgrade(self) -> list[str]:
        """Apply pending steps in order; return their names. Stops at the first failure."""
        applied = []
        for step in self.pending():
            try:
                self.runner.up(target=step)
            except Exception as exc:  # any failure: the step's transaction was rolled back
                raise MigrationFailed(self.plugin, step, exc) from exc
            applied.append(step)
        return applied
