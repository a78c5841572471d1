"""Regenerate the README's results and comparison tables: `make report`.

The numbers come from the last full runs (`make test`, `make test-postgres`, `make test-official`
write build/*.json) and from the code itself (tools.tables), never from a hand-typed table.
Each generated block sits between `<!-- name:begin -->` and `<!-- name:end -->` markers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from tools.concerns import load_concerns
from tools.tables import dependency_table, files_table, loc_table

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD = REPO_ROOT / "build"
APPS = (("flask", "Flask"), ("django", "Django"), ("fastapi", "FastAPI"))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def contract_cell(results: Any, app: str) -> str:
    counts = (results or {}).get(app)
    if not counts:
        return "not run"
    total = sum(counts.get(key, 0) for key in ("passed", "failed", "error", "skipped"))
    return f"{counts['passed']} / {total} passed"


def official_cell(results: Any, app: str) -> str:
    runs = (results or {}).get(app)
    if not runs:
        return "not run"
    return ", ".join(f"{run['passed']} / {run['passed'] + run['failed']}" for run in runs)


def results_block() -> str:
    sqlite = read_json(BUILD / "contract-results.json")
    postgres = read_json(BUILD / "contract-results-postgres.json")
    official = read_json(BUILD / "official.json")
    shared = (sqlite or {}).get("shared")
    rows = [
        ("Contract suite, SQLite (`make test`)", [contract_cell(sqlite, key) for key, _ in APPS]),
        (
            "Contract suite, PostgreSQL (`make test-postgres`)",
            [contract_cell(postgres, key) for key, _ in APPS],
        ),
        (
            "Upstream RealWorld suite, two runs on one database (`make test-official`)",
            [official_cell(official, key) for key, _ in APPS],
        ),
    ]
    lines = [
        "| | " + " | ".join(title for _, title in APPS) + " |",
        "|---|" + "---|" * len(APPS),
        *(f"| {label} | " + " | ".join(cells) + " |" for label, cells in rows),
    ]
    if shared:
        lines.append("")
        lines.append(
            f"Plus {shared['passed']} app-independent tests (spec, repository, compare tool, "
            "equivalence of the three apps) in the SQLite run."
        )
    return "\n".join(lines)


def bench_block() -> str:
    sections = []
    for label, path in (
        ("SQLite", BUILD / "bench.json"),
        ("PostgreSQL", BUILD / "bench-postgres.json"),
    ):
        data = read_json(path)
        if not data:
            sections.append(f"{label}: not run (`make bench`).")
            continue
        results = data["results"]
        lines = [
            f"{label}: {data['workers']} worker processes per app, {data['clients']} concurrent "
            f"clients, {data['seconds']:g} s per scenario. Requests per second (p95 latency).",
            "",
            "| Scenario | " + " | ".join(title for _, title in APPS) + " |",
            "|---|" + "---|" * len(APPS),
        ]
        for scenario in dict.fromkeys(r["scenario"] for r in results):
            cells = []
            for key, _ in APPS:
                match = next(
                    (r for r in results if r["app"] == key and r["scenario"] == scenario), None
                )
                cells.append(
                    f"{match['per_second']:.0f} ({match['p95_ms']:.0f} ms)" if match else "-"
                )
            lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def tables_block() -> str:
    concerns = load_concerns(REPO_ROOT)
    tables = [loc_table(concerns, REPO_ROOT), files_table(REPO_ROOT), dependency_table(REPO_ROOT)]
    # The README nests these under its own "###" heading.
    return "\n".join(table.markdown().replace("### ", "#### ", 1) for table in tables).rstrip()


def replace_block(text: str, name: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no <!-- {name}:begin/end --> markers")
    return pattern.sub(lambda match: match.group(1) + content + "\n" + match.group(2), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is stale")
    args = parser.parse_args()
    readme = REPO_ROOT / "README.md"
    current = readme.read_text(encoding="utf-8")
    updated = replace_block(current, "results", results_block())
    updated = replace_block(updated, "tables", tables_block())
    updated = replace_block(updated, "bench", bench_block())
    if args.check:
        return 0 if updated == current else 1
    readme.write_text(updated, encoding="utf-8")
    print("README.md: results and comparison tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
