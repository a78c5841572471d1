"""Docs: the files of Swagger UI and ReDoc, served from the installed openapi-ui-bundles package.

flask-smorest serves /openapi.json, /docs and /redoc itself (openapi.py configures them, and
points their pages here for these files, never to a CDN). Only the files those pages use are
served: each bundle also ships a demo index.html that loads a document from another host.
"""

from flask import Blueprint, Response, send_from_directory
from openapi_ui_bundles import redoc, swagger_ui
from werkzeug.exceptions import NotFound

bp = Blueprint("docs", __name__)

# Bundle -> (its folder, the files the pages load).
FILES = {
    "swagger-ui": (
        swagger_ui.static_path,
        {
            "swagger-ui-bundle.js",
            "swagger-ui-standalone-preset.js",
            "swagger-ui.css",
            "favicon-32x32.png",
        },
    ),
    "redoc": (redoc.static_path, {"redoc.standalone.js"}),
}


@bp.get("/docs/static/<bundle>/<filename>")
def asset(bundle: str, filename: str) -> Response:
    """One file of a bundle, with Flask's caching and conditional-request headers."""
    folder, names = FILES.get(bundle, (None, set()))
    if folder is None or filename not in names:
        raise NotFound()
    return send_from_directory(folder, filename)
