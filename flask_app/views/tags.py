"""Tags: the tags in use, most used first."""

from flask import Blueprint
from flask.typing import ResponseReturnValue

from flask_app import services

bp = Blueprint("tags", __name__)


# operationId: GetTags
@bp.get("/tags")
def get_tags() -> ResponseReturnValue:
    """Every tag attached to at least one article."""
    return {"tags": services.list_tags()}
