"""The fuzz runs' results: collected from the test reports, printed, saved to build/fuzz.json.

Each fuzz test attaches its result to its report (`user_properties`), so the results reach the
session that prints them even when pytest-xdist runs the tests in workers. build/fuzz.json holds
one entry per app (its runs without and with a token, requests, failing checks by name,
duration), so the README and reports can show the latest run of each app; a run of one app
(`--impl flask`) replaces that app's entry and keeps the others.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.fuzz.harness import CONFIG_PATH, extra_arguments

RESULTS_DIR = Path(__file__).resolve().parents[2] / "build"
RESULTS_PATH = RESULTS_DIR / "fuzz.json"
# The name of the user property that carries a run's result in its test report.
PROPERTY = "fuzz_result"
RESULTS = pytest.StashKey[list[dict[str, Any]]]()


def collect(config: pytest.Config, report: pytest.TestReport) -> None:
    """Keep the result a fuzz test attached to its report."""
    for name, value in report.user_properties:
        if name == PROPERTY and isinstance(value, dict):
            config.stash.setdefault(RESULTS, []).append(value)


def collected(config: pytest.Config) -> list[dict[str, Any]]:
    return config.stash.get(RESULTS, [])


def budget() -> dict[str, Any]:
    settings = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    return {
        "seed": settings.get("seed"),
        "max_examples": settings.get("generation", {}).get("max-examples"),
        "fuzz_args": " ".join(extra_arguments()),
    }


def save(results: list[dict[str, Any]]) -> None:
    document: dict[str, Any] = {}
    if RESULTS_PATH.exists():
        document = json.loads(RESULTS_PATH.read_text(encoding="utf-8"))
    apps: dict[str, Any] = document.get("apps", {})
    for impl in dict.fromkeys(r["impl"] for r in results):
        runs = [r for r in results if r["impl"] == impl]
        failing: Counter[str] = Counter()
        for r in runs:
            failing.update(r["failures_by_check"])
        apps[impl] = {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **budget(),
            "requests": sum(r["requests"] for r in runs),
            "duration_seconds": round(sum(r["duration_seconds"] for r in runs), 1),
            "distinct_failure_count": sum(len(r["distinct_failures"]) for r in runs),
            "failures_by_check": dict(sorted(failing.items())),
            "runs": {r["identity"]: without(r, "impl", "identity", "summary") for r in runs},
        }
    document = {"schemathesis": version("schemathesis"), "apps": dict(sorted(apps.items()))}
    RESULTS_DIR.mkdir(exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def without(record: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in keys}


def table(results: list[dict[str, Any]]) -> list[str]:
    """One line per app and identity: requests, seconds, distinct failures, failing checks."""
    lines = [f"{'app':<8} {'identity':<10} {'requests':>8} {'seconds':>8} {'distinct':>8}  checks"]
    for r in results:
        checks = ", ".join(f"{name} {n}" for name, n in sorted(r["failures_by_check"].items()))
        lines.append(
            f"{r['impl']:<8} {r['identity']:<10} {r['requests']:>8} "
            f"{r['duration_seconds']:>8.1f} {len(r['distinct_failures']):>8}  "
            f"{checks or 'none failed'}"
        )
    return lines
