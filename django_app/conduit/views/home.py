"""The front door at /: what this app is and where its pages are, in plain HTML."""

from django.views.generic import TemplateView


class HomeView(TemplateView):
    """GET /: links to the docs, the OpenAPI document, the admin, the API and the health check."""

    template_name = "conduit/home.html"
