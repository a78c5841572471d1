"""The fuzz runs' results: kept for the session, printed as a table, saved to build/fuzz.json.

build/fuzz.json holds one entry per app (the runs without and with a token, their requests,
failing checks by name and duration), so the README and reports can show the latest run of
each app; a run of one app (`--impl flask`) replaces that app's entry and keeps the others.
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

from tests.fuzz.harness import CONFIG_PATH, FuzzResult, extra_arguments

RESULTS_DIR = Path(__file__).resolve().parents[2] / "build"
RESULTS_PATH = RESULTS_DIR / "fuzz.json"
RESULTS = pytest.StashKey[list[FuzzResult]]()


def record(config: pytest.Config, result: FuzzResult) -> None:
    """Keep a run's result (filled in as it goes) for the end-of-session summary."""
    config.stash.setdefault(RESULTS, []).append(result)


def recorded(config: pytest.Config) -> list[FuzzResult]:
    return config.stash.get(RESULTS, [])


def budget() -> dict[str, Any]:
    settings = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    return {
        "seed": settings.get("seed"),
        "max_examples": settings.get("generation", {}).get("max-examples"),
        "fuzz_args": " ".join(extra_arguments()),
    }


def save(results: list[FuzzResult]) -> None:
    document: dict[str, Any] = {}
    if RESULTS_PATH.exists():
        document = json.loads(RESULTS_PATH.read_text(encoding="utf-8"))
    apps: dict[str, Any] = document.get("apps", {})
    for impl in dict.fromkeys(r.impl for r in results):
        runs = [r for r in results if r.impl == impl]
        failing: Counter[str] = Counter()
        for r in runs:
            failing.update(r.failing_checks)
        apps[impl] = {
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **budget(),
            "requests": sum(r.requests for r in runs),
            "duration_seconds": round(sum(r.duration for r in runs), 1),
            "distinct_failures": sum(len(r.failures) for r in runs),
            "failures_by_check": dict(sorted(failing.items())),
            "runs": {r.identity: r.as_json() for r in runs},
        }
    document = {"schemathesis": version("schemathesis"), "apps": dict(sorted(apps.items()))}
    RESULTS_DIR.mkdir(exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def table(results: list[FuzzResult]) -> list[str]:
    """One line per app and identity: requests, seconds, distinct failures, failing checks."""
    lines = [f"{'app':<8} {'identity':<10} {'requests':>8} {'seconds':>8} {'distinct':>8}  checks"]
    for r in results:
        checks = ", ".join(f"{name} {n}" for name, n in sorted(r.failing_checks.items()))
        lines.append(
            f"{r.impl:<8} {r.identity:<10} {r.requests:>8} {r.duration:>8.1f} "
            f"{len(r.failures):>8}  {checks or 'none failed'}"
        )
    return lines
