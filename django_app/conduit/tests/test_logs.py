"""Request logs from inside the app: what the contract suite cannot provoke (an unhandled
error) and the settings that shape the lines."""

# Django's runner is unittest-based: its assert methods are the idiom here, not bare asserts.

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase, TestCase
from rest_framework.test import APIClient

from django_app.conduit.logs import TextFormatter
from django_app.conduit.tests.test_settings import load_settings


@contextmanager
def console(formatter: logging.Formatter | None = None) -> Iterator[io.StringIO]:
    """What settings.LOGGING's console handler writes meanwhile at INFO (make test-unit runs
    these tests at LOG_LEVEL=WARNING), optionally in another format."""
    root = logging.getLogger()
    handler = next(h for h in root.handlers if h.name == "console")
    assert isinstance(handler, logging.StreamHandler)
    stream, previous_formatter, previous_level = io.StringIO(), handler.formatter, root.level
    previous_stream = handler.setStream(stream)
    root.setLevel(logging.INFO)
    if formatter is not None:
        handler.setFormatter(formatter)
    try:
        yield stream
    finally:
        handler.setStream(previous_stream)
        handler.setFormatter(previous_formatter)
        root.setLevel(previous_level)


def records(output: str, request_id: str) -> list[dict[str, Any]]:
    """The JSON records written while the request with `request_id` ran."""
    found = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [record for record in found if record["request_id"] == request_id]


class RequestLogTests(TestCase):
    def test_an_unhandled_error_is_one_record_with_the_request_id_and_traceback(self) -> None:
        client = APIClient(raise_request_exception=False)
        broken = mock.patch(
            "django_app.conduit.services.list_tags", side_effect=RuntimeError("tags broke")
        )
        with console() as output, broken:
            response = client.get("/api/tags", HTTP_X_REQUEST_ID="unit-500")
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response["X-Request-ID"], "unit-500")
        error, request = records(output.getvalue(), "unit-500")
        self.assertEqual(error["level"], "ERROR")
        self.assertIn("RuntimeError: tags broke", error["traceback"])
        self.assertEqual(
            (request["route"], request["status"], request["level"]), ("/api/tags", 500, "ERROR")
        )

    def test_the_text_format_is_one_line_per_request(self) -> None:
        with console(TextFormatter()) as output:
            APIClient().get("/api/tags", HTTP_X_REQUEST_ID="unit-text")
        (line,) = [line for line in output.getvalue().splitlines() if "unit-text" in line]
        self.assertIn("INFO conduit.request [unit-text] GET /api/tags 200", line)
        self.assertIn("route=/api/tags", line)


class LogSettingsTests(SimpleTestCase):
    def test_log_settings_default_to_json_at_info_and_refuse_unknown_values(self) -> None:
        settings = load_settings()
        self.assertEqual((settings.LOG_LEVEL, settings.LOG_FORMAT), ("INFO", "json"))
        self.assertEqual(settings.LOGGING["handlers"]["console"]["formatter"], "json")
        settings = load_settings(LOG_LEVEL="debug", LOG_FORMAT="TEXT")
        self.assertEqual((settings.LOG_LEVEL, settings.LOG_FORMAT), ("DEBUG", "text"))
        with self.assertRaisesRegex(ImproperlyConfigured, "LOG_FORMAT"):
            load_settings(LOG_FORMAT="xml")
        with self.assertRaisesRegex(ImproperlyConfigured, "LOG_LEVEL"):
            load_settings(LOG_LEVEL="loud")
