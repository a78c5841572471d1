"""`migrate` that also creates the SQLite database's directory, so a fresh checkout just works.

SQLite creates a missing database file on first connect but not its directory (the default
DATABASE_URL points into <repo>/var/, which `make clean` removes). The app's command overrides
Django's, which it then runs unchanged.
"""

from pathlib import Path
from typing import Any

from django.core.management.commands import migrate
from django.db import connections


class Command(migrate.Command):
    """Django's migrate, preceded by creating the parent directory of a SQLite file."""

    def handle(self, *args: Any, **options: Any) -> None:
        """Create the SQLite file's directory if needed, then apply every migration."""
        settings_dict = connections[options["database"]].settings_dict
        name = str(settings_dict["NAME"])
        if settings_dict["ENGINE"] == "django.db.backends.sqlite3" and name != ":memory:":
            Path(name).parent.mkdir(parents=True, exist_ok=True)
        super().handle(*args, **options)
