"""The front door at /: what this app is and where its pages are, in plain HTML."""

import json
from typing import Any

from django.conf import settings
from django.views.generic import TemplateView

from django_app.conduit.management.commands.seed import DEMO_DATA


class HomeView(TemplateView):
    """GET /: links to the docs, the OpenAPI document, the admin, the API and the health check.

    Outside production it also shows the demo data's staff login, which `manage.py seed` creates.
    """

    template_name = "conduit/home.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """The staff login from shared_spec/demo_data.json, outside production."""
        context = super().get_context_data(**kwargs)
        if settings.APP_ENV != "production":
            context["staff"] = json.loads(DEMO_DATA.read_text(encoding="utf-8"))["staff"]
        return context
