"""Regenerate the README's results, benchmark and comparison blocks: `make report`.

The numbers come from the last full runs (`make test`, `make test-postgres`, `make test-official`
and `make bench` write build/*.json) and from the code itself (tools.tables), never from a
hand-typed table. Each block sits between `<!-- name:begin -->` and `<!-- name:end -->`.
"""

import json
import re
import sys
from pathlib import Path
from typing import Any

from tools.apps import APPS, REPO_ROOT
from tools.tables import BUILD, dependency_table, files_table, loc_table, results_table


def bench_block(build: Path = BUILD) -> str:
    """The benchmark tables, from build/bench.json and build/bench-postgres.json."""

    def read_json(path: Path) -> Any:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None

    sections = []
    for label, name in (("SQLite", "bench.json"), ("PostgreSQL", "bench-postgres.json")):
        data = read_json(build / name)
        if not data:
            sections.append(f"{label}: not run (`make bench`).")
            continue
        results = data["results"]
        lines = [
            f"{label}: {data['workers']} worker processes per app, {data['clients']} concurrent "
            f"clients, {data['seconds']:g} s per scenario. Requests per second (p95 latency).",
            "",
            "| Scenario | " + " | ".join(app.title for app in APPS) + " |",
            "|---|" + "---|" * len(APPS),
        ]
        for scenario in dict.fromkeys(r["scenario"] for r in results):
            cells = []
            for app in APPS:
                match = [r for r in results if r["app"] == app.key and r["scenario"] == scenario]
                cells.append(
                    f"{match[0]['per_second']:.0f} ({match[0]['p95_ms']:.0f} ms)" if match else "-"
                )
            lines.append(f"| {scenario} | " + " | ".join(cells) + " |")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def tables_block() -> str:
    tables = [loc_table(), files_table(), dependency_table()]
    # The README nests these under its own "###" heading.
    return "\n".join(table.markdown("####") for table in tables)


def replace_block(text: str, name: str, content: str) -> str:
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"README.md has no <!-- {name}:begin/end --> markers")
    return pattern.sub(
        lambda match: match.group(1) + content.rstrip() + "\n" + match.group(2), text
    )


def main() -> int:
    readme = REPO_ROOT / "README.md"
    text = replace_block(
        readme.read_text(encoding="utf-8"), "results", results_table().markdown("")
    )
    text = replace_block(text, "tables", tables_block())
    readme.write_text(replace_block(text, "bench", bench_block()), encoding="utf-8")
    print("README.md: results, benchmark and comparison tables regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
