"""Request logs from inside the app: what the contract suite cannot provoke (an unhandled
error) and the settings that shape the lines."""

import json
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_app.config import Config, ConfigurationError
from flask_app.logs import configure_logging


def records(err: str, request_id: str) -> list[dict[str, Any]]:
    """The JSON records written while the request with `request_id` ran."""
    found = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [record for record in found if record["request_id"] == request_id]


def test_an_unhandled_error_is_one_record_with_the_request_id_and_traceback(
    app: Flask, client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fixture's migration let Alembic's logging config replace the app's handler.
    configure_logging(level="INFO", log_format="json")
    with mock.patch("flask_app.services.list_tags", side_effect=RuntimeError("tags broke")):
        response = client.get("/api/tags", headers={"X-Request-ID": "unit-500"})
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "unit-500"
    error, request = records(capsys.readouterr().err, "unit-500")
    assert error["level"] == "ERROR"
    assert "RuntimeError: tags broke" in error["traceback"]
    assert (request["route"], request["status"], request["level"]) == ("/api/tags", 500, "ERROR")


def test_the_text_format_is_one_line_per_request(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(level="INFO", log_format="text")
    try:
        client.get("/api/tags", headers={"X-Request-ID": "unit-text"})
    finally:
        configure_logging(level="INFO", log_format="json")
    (line,) = [line for line in capsys.readouterr().err.splitlines() if "unit-text" in line]
    assert "INFO conduit.request [unit-text] GET /api/tags 200" in line
    assert "route=/api/tags" in line


def test_log_settings_default_to_json_at_info_and_refuse_unknown_values() -> None:
    config = Config({})
    assert (config.LOG_LEVEL, config.LOG_FORMAT) == ("INFO", "json")
    config = Config({"LOG_LEVEL": "debug", "LOG_FORMAT": "TEXT"})
    assert (config.LOG_LEVEL, config.LOG_FORMAT) == ("DEBUG", "text")
    with pytest.raises(ConfigurationError, match="LOG_FORMAT"):
        Config({"LOG_FORMAT": "xml"})
    with pytest.raises(ConfigurationError, match="LOG_LEVEL"):
        Config({"LOG_LEVEL": "loud"})
