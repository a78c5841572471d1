"""ASGI entry point; the app itself is synchronous, Django runs it in a thread pool."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_app.settings")

application = get_asgi_application()
