"""Health check, outside /api: is the process up and can it reach its database?"""

from fastapi import APIRouter

from fastapi_app import services
from fastapi_app.dependencies import SessionDep
from fastapi_app.errors import error_responses
from fastapi_app.schemas import HealthResponse, StrictJSONRoute

router = APIRouter(tags=["Health"], route_class=StrictJSONRoute)


# operationId: GetHealth
@router.get(
    "/health",
    operation_id="GetHealth",
    summary="Liveness and database check",
    response_model=HealthResponse,
    response_description="The app and its database are up.",
    responses=error_responses(503),
)
async def get_health(session: SessionDep) -> HealthResponse:
    """200 after a `SELECT 1` on the database, 503 if it fails."""
    await services.check_database(session=session)
    return HealthResponse(status="ok")
