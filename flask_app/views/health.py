"""Health check for load balancers and the test harness (outside /api)."""

from flask_app import openapi, services
from flask_app.openapi import Blueprint
from flask_app.schemas import HealthResponse, HealthResponseSchema

bp = Blueprint("Health", __name__)


# operationId: GetHealth
@bp.get("/health")
@bp.doc(
    operationId="GetHealth",
    summary="Liveness and database check",
    responses=openapi.errors(503),
)
@bp.response(200, HealthResponseSchema)
def get_health() -> HealthResponse:
    """200 once the database answers `SELECT 1`, else 503."""
    services.check_database()
    return {"status": "ok"}
