"""Docs: Swagger UI at /docs and ReDoc at /redoc, both showing FastAPI's own /openapi.json.

This is FastAPI's documented recipe for self-hosted docs assets: its page builders
(`get_swagger_ui_html`, `get_redoc_html`) pointed at the JavaScript and CSS of the
openapi-ui-bundles package, which this router serves as static files. So the pages load
nothing from another host. They document the API rather than belong to it: like FastAPI's own
docs pages they are plain Starlette routes (GET and HEAD), left out of the schema, with no
operationId.
"""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from openapi_ui_bundles import redoc, swagger_ui

# The browser refuses anything a page would fetch from another host: ReDoc's menu shows a
# Redocly logo from cdn.redoc.ly, which no option turns off. Swagger UI starts from an inline
# script; both add inline styles, and ReDoc runs a web worker from a blob.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:"
)

router = APIRouter()
router.mount(
    "/docs/static/swagger-ui", StaticFiles(directory=swagger_ui.static_path), name="swagger_ui"
)
router.mount("/docs/static/redoc", StaticFiles(directory=redoc.static_path), name="redoc")


async def swagger_ui_html(request: Request) -> HTMLResponse:
    """Swagger UI, without its validator badge (an image from validator.swagger.io)."""
    asset = request.app.url_path_for
    response = get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=asset("swagger_ui", path="swagger-ui-bundle.js"),
        swagger_css_url=asset("swagger_ui", path="swagger-ui.css"),
        swagger_favicon_url=asset("swagger_ui", path="favicon-32x32.png"),
        swagger_ui_parameters={"validatorUrl": None},
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


async def redoc_html(request: Request) -> HTMLResponse:
    """ReDoc, in the browser's own fonts (its default loads Google's)."""
    asset = request.app.url_path_for
    response = get_redoc_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=asset("redoc", path="redoc.standalone.js"),
        redoc_favicon_url=asset("redoc", path="logo-mini.svg"),
        with_google_fonts=False,
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


router.add_route("/docs", swagger_ui_html, include_in_schema=False)
router.add_route("/redoc", redoc_html, include_in_schema=False)
