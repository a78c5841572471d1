#!/usr/bin/env python
"""Django's command-line utility: `python django_app/manage.py ...` from the repo root."""

import importlib
import os
import sys
from pathlib import Path


def main() -> None:
    """Put the repo root on sys.path so `django_app` imports as a package, then run the command.

    Settings are loaded first, on their own: an environment they refuse (APP_ENV=production
    without SECRET_KEY, say) is a deployment mistake, reported as one line on stderr with exit
    status 1 rather than as a traceback from deep inside the command.
    """
    package_dir = Path(__file__).resolve().parent
    # Python put django_app/ itself first on sys.path; its modules must only import as a package.
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != package_dir]
    sys.path.insert(0, str(package_dir.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_app.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ImproperlyConfigured as error:
        sys.exit(f"error: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
