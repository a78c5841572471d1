"""Health check, outside /api: is the process up and can it reach its database?"""

from fastapi import APIRouter

from fastapi_app import services
from fastapi_app.dependencies import SessionDep
from fastapi_app.schemas import StrictJSONRoute

router = APIRouter(tags=["Health"], route_class=StrictJSONRoute)


# operationId: GetHealth
@router.get("/health", operation_id="GetHealth")
async def get_health(session: SessionDep) -> dict[str, str]:
    """200 after a `SELECT 1` on the database, 503 if it fails."""
    await services.check_database(session=session)
    return {"status": "ok"}
