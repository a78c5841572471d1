"""Request logs from inside the app: what the contract suite cannot provoke (an unhandled
error) and the settings that shape the lines."""

import json
from typing import Any
from unittest import mock

import httpx
import pytest
from pydantic import ValidationError

from fastapi_app.config import Settings
from fastapi_app.logs import configure_logging

pytestmark = pytest.mark.anyio


def records(err: str, request_id: str) -> list[dict[str, Any]]:
    """The JSON records written while the request with `request_id` ran."""
    found = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [record for record in found if record["request_id"] == request_id]


async def test_an_unhandled_error_is_one_record_with_the_request_id_and_traceback(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock.patch("fastapi_app.services.list_tags", side_effect=RuntimeError("tags broke")):
        response = await client.get("/api/tags", headers={"X-Request-ID": "unit-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "unit-500"
    error, request = records(capsys.readouterr().err, "unit-500")
    assert error["level"] == "ERROR"
    assert "RuntimeError: tags broke" in error["traceback"]
    assert (request["route"], request["status"], request["level"]) == ("/api/tags", 500, "ERROR")


async def test_the_text_format_is_one_line_per_request(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(level="INFO", log_format="text")
    try:
        await client.get("/api/tags", headers={"X-Request-ID": "unit-text"})
    finally:
        configure_logging(level="INFO", log_format="json")
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "unit-text" in line]
    assert "INFO conduit.request [unit-text] GET /api/tags 200" in line
    assert "route=/api/tags" in line


def test_log_settings_default_to_json_at_info_and_refuse_unknown_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    settings = Settings()
    assert (settings.log_level, settings.log_format) == ("INFO", "json")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("LOG_FORMAT", "TEXT")
    assert (Settings().log_level, Settings().log_format) == ("DEBUG", "text")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings()
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "loud")
    with pytest.raises(ValidationError, match="log_level"):
        Settings()
