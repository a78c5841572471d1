"""The fault tests are left out of `pytest tests` unless asked for (`-m faults`, make test-faults).

They start production servers, signal them and restart a PostgreSQL cluster of their own: a few
minutes, and root on a Debian machine for the database part.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "faults" in (config.getoption("markexpr") or ""):
        return
    faults = [item for item in items if item.get_closest_marker("faults")]
    if faults:
        config.hook.pytest_deselected(items=faults)
        items[:] = [item for item in items if not item.get_closest_marker("faults")]
