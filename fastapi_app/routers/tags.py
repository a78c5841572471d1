"""Tags: the tags in use."""

from fastapi import APIRouter

from fastapi_app import services
from fastapi_app.dependencies import SessionDep
from fastapi_app.schemas import StrictJSONRoute, TagsResponse

router = APIRouter(tags=["Tags"], route_class=StrictJSONRoute)


# operationId: GetTags
@router.get(
    "/tags",
    operation_id="GetTags",
    summary="Tags in use",
    response_model=TagsResponse,
    response_description="Tags in use.",
)
async def get_tags(session: SessionDep) -> TagsResponse:
    """Every tag on at least one article, most used first, then by name."""
    return TagsResponse(tags=await services.list_tags(session=session))
