"""The fuzz tests are left out unless asked for, and report their results at the end.

`pytest tests` deselects every test marked `fuzz` (a fuzz run takes minutes and, until the apps
are fixed, fails); a marker expression that names `fuzz` (`-m fuzz`) selects them, and they run.
"""

from __future__ import annotations

import pytest

from tests.fuzz.results import RESULTS_PATH, collect, collected, save, table


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(FuzzSummary(config), "conduit-fuzz-summary")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "fuzz" in (config.getoption("markexpr") or ""):
        return
    fuzz = [item for item in items if item.get_closest_marker("fuzz")]
    if fuzz:
        config.hook.pytest_deselected(items=fuzz)
        items[:] = [item for item in items if not item.get_closest_marker("fuzz")]


class FuzzSummary:
    """Collects the results from the reports (also those of xdist workers) and prints them."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call":
            collect(self.config, report)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        results = collected(self.config)
        if not results:
            return
        save(results)
        terminalreporter.section("fuzz results (Schemathesis)")
        for line in table(results):
            terminalreporter.write_line(line)
        for result in results:
            if result["distinct_failures"] or result["errors"]:
                terminalreporter.write_line("")
                terminalreporter.write_line(result["summary"])
        terminalreporter.write_line(f"saved to {RESULTS_PATH}")
