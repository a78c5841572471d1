"""Request logs from inside the app: what the contract suite cannot provoke (an unhandled
error) and the settings that shape the lines."""

import json
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from flask_app.config import Config, ConfigurationError
from flask_app.extensions import db
from flask_app.logs import configure_logging
from flask_app.tests.helpers import auth, create_article, register


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


def test_a_write_lost_with_the_connection_is_a_503_logged_with_the_user(
    app: Flask, client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failed flush expires the signed-in user's instance; the request log must still name the
    user without going back to the database (that read raised and turned the 503 into a 500)."""
    token = register(client, "writer")
    slug = create_article(client, token)["slug"]
    configure_logging(level="INFO", log_format="json")

    def lose_the_connection(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("INSERT INTO comments"):
            raise sa_exc.OperationalError(statement, None, ConnectionError("server closed"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", lose_the_connection)
    try:
        response = client.post(
            f"/api/articles/{slug}/comments",
            json={"comment": {"body": "lost"}},
            headers=auth(token) | {"X-Request-ID": "unit-lost-write"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", lose_the_connection)
    assert response.status_code == 503, response.get_json()
    request = records(capsys.readouterr().err, "unit-lost-write")[-1]
    assert request["status"] == 503
    assert isinstance(request["user_id"], int)


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
