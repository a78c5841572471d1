"""The front door at /: what this app is and where its pages are, in plain HTML."""

import json

from flask import Blueprint, current_app, render_template

from flask_app.config import DEMO_DATA_PATH

bp = Blueprint("home", __name__)


@bp.get("/")
def home() -> str:
    """Links to the docs, the OpenAPI document, the admin, the API and the health check.

    Outside production it also shows the demo data's staff login, which `flask seed` creates.
    """
    staff = None
    if current_app.config["APP_ENV"] != "production" and DEMO_DATA_PATH.is_file():
        staff = json.loads(DEMO_DATA_PATH.read_text(encoding="utf-8")).get("staff")
    return render_template("home.html", staff=staff)
