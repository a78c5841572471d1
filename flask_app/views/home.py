"""The front door at /: what this app is and where its pages are, in plain HTML."""

from flask import Blueprint, render_template

bp = Blueprint("home", __name__)


@bp.get("/")
def home() -> str:
    """Links to the docs, the OpenAPI document, the API and the health check."""
    return render_template("home.html")
