"""Where an instance lives and what it talks to, read from the environment once.

``PEYVAND_HOME`` is the instance folder: configuration, SQLite files and uploads all live
under it, so a fresh folder is a fresh installation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TRUE_VALUES = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    strict_plugins: bool = False
    trash_days: int = 30
    files_dir: Path | None = None
    max_upload_mb: int = 25

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


def load_settings(**overrides) -> Settings:
    """Build settings from ``PEYVAND_*`` environment variables; keyword overrides win."""
    home = Path(overrides.pop("home", None) or os.environ.get("PEYVAND_HOME") or "instance")
    home = home.resolve()
    url = overrides.pop("database_url", None) or os.environ.get("PEYVAND_DATABASE_URL") or ""
    if not url:
        url = f"sqlite:///{home / 'control.sqlite3'}"
    strict = overrides.pop("strict_plugins", None)
    if strict is None:
        strict = os.environ.get("PEYVAND_STRICT_PLUGINS", "").lower() in TRUE_VALUES
    trash_days = int(overrides.pop("trash_days", None) or os.environ.get("PEYVAND_TRASH_DAYS", 30))
    files = overrides.pop("files_dir", None) or os.environ.get("PEYVAND_FILES_DIR")
    max_upload = int(overrides.pop("max_upload_mb", None)
                     or os.environ.get("PEYVAND_MAX_UPLOAD_MB", 25))
    if overrides:
        raise TypeError(f"unknown settings: {', '.join(sorted(overrides))}")
    return Settings(home=home, database_url=url, strict_plugins=bool(strict),
                    trash_days=trash_days, files_dir=Path(files).resolve() if files else None,
                    max_upload_mb=max_upload)
