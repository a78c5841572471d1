"""Run Schemathesis against one live server and read back what it found.

The fuzzer is the `schemathesis run` command configured by `schemathesis.toml` beside this file,
so a failure prints exactly as Schemathesis prints it, with the curl command that reproduces it.
The harness passes only what differs per run (the URL, the token, the report directory and
`FUZZ_ARGS`) and summarises the run's NDJSON event stream: requests sent, failing checks, and
which operations answered 2xx (proof that a run with a token really wrote something).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tests.client import SPEC_PATH
from tests.servers import REPO_ROOT

CONFIG_PATH = Path(__file__).resolve().parent / "schemathesis.toml"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
# The health check is served at the root, not under /api (its path item names its own server).
# Schemathesis ignores path-level servers once it is given a base URL, so the harness fuzzes it
# in a run of its own against the root URL.
HEALTH_OPERATION = "GetHealth"
HEALTH_PHASES = "examples,coverage,fuzzing"  # one operation: no links, no stateful phase
# A hard stop far above any budget, so a hung server cannot hang the suite.
RUN_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class Failure:
    """One distinct failure: a check that failed on an operation, with the same title."""

    check: str
    code: str
    operation: str
    title: str
    message: str
    case_id: str


@dataclass
class FuzzResult:
    """What one or more Schemathesis runs against one server, with one identity, found."""

    impl: str
    identity: str
    commands: list[str] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)
    requests: int = 0
    test_cases: int = 0
    failing_checks: Counter[str] = field(default_factory=Counter)
    failures: dict[tuple[str, str, str, str], Failure] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    succeeded: Counter[str] = field(default_factory=Counter)
    duration: float = 0.0
    log_paths: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The result as plain data: it travels in the test report (so pytest-xdist workers'
        results reach the session that prints them) and is saved to build/fuzz.json."""
        return {
            "impl": self.impl,
            "identity": self.identity,
            "summary": self.summary(),
            "requests": self.requests,
            "test_cases": self.test_cases,
            "duration_seconds": round(self.duration, 1),
            "failures_by_check": dict(sorted(self.failing_checks.items())),
            "distinct_failures": [
                {
                    "check": f.check,
                    "code": f.code,
                    "operation": f.operation,
                    "title": f.title,
                    "message": f.message,
                    "case_id": f.case_id,
                }
                for f in self.failures.values()
            ],
            "errors": self.errors,
            "operations_with_2xx": dict(sorted(self.succeeded.items())),
            "exit_codes": self.exit_codes,
            "commands": self.commands,
            "logs": self.log_paths,
        }

    def summary(self) -> str:
        """The distinct failures, one line each, for an assertion message."""
        lines = [
            f"{self.impl} ({self.identity}): {len(self.failures)} distinct failure(s), "
            f"{sum(self.failing_checks.values())} failing check(s) in {self.requests} requests"
        ]
        lines += [
            f"  {f.check} [{f.code}] {f.operation}: {f.title} (test case {f.case_id})"
            for f in sorted(self.failures.values(), key=lambda f: (f.check, f.operation))
        ]
        lines += [f"  error: {error}" for error in self.errors]
        lines += [f"  full output, with a curl command per failure: {p}" for p in self.log_paths]
        return "\n".join(lines)


def extra_arguments() -> list[str]:
    """`FUZZ_ARGS`, e.g. `--max-examples 200 --seed 7`, appended to every run."""
    return shlex.split(os.environ.get("FUZZ_ARGS", ""))


def run(
    result: FuzzResult,
    *,
    base_url: str,
    run_dir: Path,
    token: str | None,
    arguments: Sequence[str],
    echo: TextIO,
) -> None:
    """One `schemathesis run`, its output echoed line by line, its reports folded into result."""
    run_dir.mkdir(parents=True, exist_ok=True)
    ndjson = run_dir / "events.ndjson"
    report = run_dir / "report.json"
    log_path = run_dir / "output.txt"
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG_PATH),
        "run",
        str(SPEC_PATH),
        "--url",
        base_url,
        "--report",
        "json,ndjson",
        "--report-json-path",
        str(report),
        "--report-ndjson-path",
        str(ndjson),
        *extra_arguments(),
        *arguments,  # last, so what this run needs wins over FUZZ_ARGS
    ]
    # With a token, tests/fuzz/hooks.py authorizes each case (see there why not `--header`).
    auth = {"SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "FUZZ_TOKEN": token or "",
            "FUZZ_API_URL": base_url} if token else {}  # fmt: skip
    shown = shlex.join(command).replace(str(REPO_ROOT) + "/", "")
    if token:
        shown = (
            shlex.join(f"{k}={v}" for k, v in auth.items()).replace(token, "<token>") + " " + shown
        )
    result.commands.append(shown)
    result.log_paths.append(str(log_path.relative_to(REPO_ROOT)))
    for stale in (ndjson, report):  # a run that breaks early must not be read as an old one
        stale.unlink(missing_ok=True)
    started = time.monotonic()
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=run_dir,  # Schemathesis and Hypothesis keep their working files here
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={
                **os.environ,
                "NO_COLOR": "1",
                "COLUMNS": "100",
                "PYTHONPATH": str(REPO_ROOT),
                **auth,
            },
        )
        assert process.stdout is not None
        watchdog = threading.Timer(RUN_TIMEOUT_SECONDS, process.kill)
        watchdog.start()
        try:
            for line in process.stdout:
                log.write(line)
                echo.write(line)
                echo.flush()
            exit_code = process.wait()
        finally:
            watchdog.cancel()
    result.duration += time.monotonic() - started
    if time.monotonic() - started >= RUN_TIMEOUT_SECONDS:
        result.errors.append(f"stopped after {RUN_TIMEOUT_SECONDS} s")
    result.exit_codes.append(exit_code)
    if exit_code not in (0, 1):  # 1 means "found failures"; anything else is a broken run
        result.errors.append(f"schemathesis exited with {exit_code} (see {result.log_paths[-1]})")
    if report.exists():
        document = json.loads(report.read_text(encoding="utf-8"))
        result.test_cases += document["test_cases"]["generated"]
        result.errors += [f"{e['title']} (x{e['count']})" for e in document["errors"]]
    else:
        result.errors.append(f"no JSON report at {report}")
    if ndjson.exists():
        read_events(result, ndjson)


def events(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            event = json.loads(line)
            name = next(iter(event))
            yield name, event[name]


def read_events(result: FuzzResult, path: Path) -> None:
    """Count requests, failing checks and 2xx answers per operation from the event stream."""
    for name, event in events(path):
        if name != "ScenarioFinished":
            continue
        recorder = event.get("recorder", {})
        cases = recorder.get("cases", {})
        for case_id, interaction in recorder.get("interactions", {}).items():
            result.requests += 1
            response = interaction.get("response")
            if response is not None and 200 <= response["status_code"] < 300:
                result.succeeded[label_of(cases.get(case_id)) or "?"] += 1
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] != "failure":
                    continue
                result.failing_checks[check["name"]] += 1
                failure = (check.get("failure_info") or {}).get("failure") or {}
                # The request as sent: an undeclared method (OPTIONS on GET /articles/feed's
                # path) is reported under the operation it was derived from.
                operation = label_of(cases.get(case_id)) or failure.get("operation", "?")
                key = (check["name"], failure.get("code", ""), operation, failure.get("title", ""))
                result.failures.setdefault(
                    key,
                    Failure(
                        check=check["name"],
                        code=failure.get("code", ""),
                        operation=operation,
                        title=failure.get("title", ""),
                        message=failure.get("message", ""),
                        case_id=case_id,
                    ),
                )


def label_of(case: dict[str, Any] | None) -> str:
    """`METHOD /path/{template}` of a recorded test case ("" if unknown)."""
    value = (case or {}).get("value", {})
    if "method" not in value or "path" not in value:
        return ""
    return f"{value['method']} {value['path']}"
