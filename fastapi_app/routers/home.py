"""The front door at /: what this app is and where its pages are, in plain HTML.

A page about the API, not an operation of it: a plain Starlette route (GET and HEAD), as
FastAPI serves its own docs pages, left out of the schema.
"""

import json
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from fastapi_app.cli import DEMO_DATA
from fastapi_app.dependencies import get_app_settings

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

router = APIRouter()


async def home(request: Request) -> HTMLResponse:
    """Links to the docs, the OpenAPI document, the admin, the API and the health check.

    Outside production it also shows the demo data's staff login, which `cli seed` creates."""
    staff: dict[str, Any] | None = None
    if get_app_settings(request).app_env != "production":
        demo_data = await anyio.Path(DEMO_DATA).read_text(encoding="utf-8")
        staff = json.loads(demo_data)["staff"]
    return templates.TemplateResponse(request, "home.html", {"staff": staff})


router.add_route("/", home, include_in_schema=False)
