"""Tags: the tags in use, most used first."""

from flask_app import services
from flask_app.openapi import Blueprint
from flask_app.schemas import TagsResponse, TagsResponseSchema

bp = Blueprint("Tags", __name__)


# operationId: GetTags
@bp.get("/tags")
@bp.doc(operationId="GetTags", summary="Tags in use")
@bp.response(200, TagsResponseSchema)
def get_tags() -> TagsResponse:
    """Every tag attached to at least one article."""
    return {"tags": services.list_tags()}
