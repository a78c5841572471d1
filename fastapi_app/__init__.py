"""Conduit (RealWorld) API on FastAPI: async SQLAlchemy 2, Pydantic v2 and Alembic.

The ASGI application lives in `fastapi_app.main` (`app`); the command line in `fastapi_app.cli`.
"""
