"""Health check for load balancers and the test harness (outside /api)."""

from flask import Blueprint

from flask_app import services

bp = Blueprint("health", __name__)


# operationId: GetHealth
@bp.get("/health")
def get_health() -> dict[str, str]:
    """200 once the database answers `SELECT 1`, else 503."""
    services.check_database()
    return {"status": "ok"}
