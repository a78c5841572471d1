"""tools/bench/report.py renders build/bench.json into README tables and the sweep chart."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tools.bench.report import readme_block, sweep_chart


def record(app: str, server: str, scenario: str, connections: int = 16, **figures: Any) -> Any:
    values = {"rps": 100.0, "p50_ms": 5.0, "p99_ms": 20.0, "cpu_ms_per_request": 4.0,
              "db_cpu_ms_per_request": 0.5, "client_cores": 0.1, "statements_per_request": None,
              "errors": 0, **figures}  # fmt: skip
    return {"app": app, "server": server, "database": "postgres", "scenario": scenario,
            "connections": connections, **values}  # fmt: skip


@pytest.fixture
def data(tmp_path: Path) -> Any:
    """A small build/bench.json, written and read back as `make bench` leaves it."""
    records = [
        record("reference", "granian", "GetTags", rps=2000.0, cpu_ms_per_request=0.5),
        record("flask", "granian", "GetTags", rps=400.0, cpu_ms_per_request=6.0,
               statements_per_request=4.0, p99_ms=31.25),
        record("flask", "granian", "CreateArticleComment", rps=150.0),
        record("flask", "gunicorn", "GetTags", rps=420.0, cpu_ms_per_request=5.0),
        record("flask", "granian", "CreateArticleComment", connections=1, rps=90.0),
        record("flask", "granian", "CreateArticleComment", connections=256, rps=120.0),
        record("flask", "gunicorn", "CreateArticleComment", connections=1, rps=80.0),
        record("flask", "gunicorn", "CreateArticleComment", connections=16, rps=140.0),
    ]  # fmt: skip
    servers = [{"app": "flask", "server": "granian", "database": "postgres",
                "cold_start_s": 0.81, "rss_kb": 204800, "pss_kb": 102400}]  # fmt: skip
    meta = {"date": "2026-01-02T03:04:05+00:00", "commit": "abc1234",
            "machine": {"cores": 2, "model": "Test CPU"},
            "versions": {"wrk": "wrk 4.1.0", "flask": "3.1", "django": "5.2", "fastapi": "0.1",
                         "gunicorn": "23", "uvicorn": "0.34", "granian": "2.5"},
            "settings": {"connections": 16, "seconds": 4, "rounds": 2, "workers": 2,
                         "threads": 4}}  # fmt: skip
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"meta": meta, "records": records, "servers": servers}))
    return json.loads(path.read_text())


def table_rows(block: str, heading: str) -> list[list[str]]:
    """The cells of the markdown table under `heading`."""
    section = block.split(heading, 1)[1].split("####", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_scenario_rows_show_each_figure_and_the_ratio_to_the_reference(data: Any) -> None:
    block = readme_block(data)
    assert "commit `abc1234`" in block
    assert "2 cores (Test CPU)" in block
    rows = table_rows(block, "#### PostgreSQL, production servers")
    assert rows == [
        ["GetTags", "2,000", "0.50", "400", "31.2", "6.00", "12.0x"],
        ["CreateArticleComment", "-", "-", "150", "20.0", "4.00", "-"],  # no reference for writes
    ]
    conventional = table_rows(block, "#### PostgreSQL, conventional servers (gunicorn, uvicorn)")
    # No reference under the conventional servers in this run: no ratio.
    assert conventional == [["GetTags", "420", "20.0", "5.00", "-"],
                       ["CreateArticleComment", "140", "20.0", "4.00", "-"]]  # fmt: skip


def test_statements_cold_start_and_the_sweep_are_tabulated(data: Any) -> None:
    block = readme_block(data, chart="build/bench-sweep.svg")
    statements = table_rows(block, "SQL statements per request")
    assert statements[0] == ["GetTags", "- (0.50 ms)", "4.0 (0.50 ms)"]
    assert table_rows(block, "memory after load") == [
        ["Flask", "granian", "PostgreSQL", "0.81", "200", "100"]
    ]
    assert "[chart](build/bench-sweep.svg)" in block
    sweep = table_rows(block, "#### Concurrency sweep")
    assert sweep == [["1", "90 (20)", "80 (20)"], ["16", "150 (20)", "140 (20)"],
                     ["256", "120 (20)", "-"]]  # fmt: skip


def test_sweep_chart_draws_a_line_per_app_and_server_in_each_panel(data: Any) -> None:
    svg = ET.fromstring(sweep_chart(data))
    lines = svg.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 4  # one scenario x (req/s, p99) x two servers
    assert [len(line.get("points", "").split()) for line in lines] == [3, 2, 3, 2]
    labels = [text.text for text in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "Flask (gunicorn)" in labels
    assert "Flask (granian)" in labels
    assert "CreateArticleComment: req/s" in labels
