#!/usr/bin/env python
"""Django's command-line utility: `python django_app/manage.py ...` from the repo root.

The repo root must be on the import path, as the Makefile's PYTHONPATH puts it for every target
(`PYTHONPATH=. python django_app/manage.py ...` by hand): Python itself only adds this file's
folder, from which nothing is imported, so the app always loads as `django_app.conduit`.
"""

import importlib
import os
import sys


def main() -> None:
    """Run the command once the settings have loaded.

    Settings are loaded first, on their own: an environment they refuse (APP_ENV=production
    without SECRET_KEY, say) is a deployment mistake, reported as one line on stderr with exit
    status 1 rather than as a traceback from deep inside the command; so is a missing PYTHONPATH.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_app.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ModuleNotFoundError as error:
        if error.name != "django_app":
            raise
        sys.exit("error: django_app is not importable; run from the repo root with PYTHONPATH=.")
    except ImproperlyConfigured as error:
        sys.exit(f"error: {error}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
