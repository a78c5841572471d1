"""Regenerate the README's results, benchmark and comparison blocks: `make report`.

The numbers come from the last full runs (`make test`, `make test-postgres`, `make test-official`,
`make fuzz`, `make bench` and `make profile` write build/*), copied into results/ (committed, so a
clean clone renders the same), from the code itself (tools.tables, tools.faithful) and from git
history (tools.features), never from a hand-typed table. Each block sits between
`<!-- name:begin -->` and `<!-- name:end -->`. The compare site (build/compare/) is rebuilt too:
its decision page (tools/decision.py) is the README's decision section as HTML.
"""

import json
import re
import shutil
import sys
from pathlib import Path

from tools.apps import REPO_ROOT
from tools.bench import report as bench_report
from tools.compare import build_site
from tools.decision import markdown as decision_markdown
from tools.decision import sections
from tools.faithful import faithful_block
from tools.features import features_table
from tools.tables import BUILD, RESULTS, dependency_table, files_table, loc_table, results_table

# What the runs leave under build/ that the README and the site show (see snapshot()).
RUN_FILES = (
    "contract-results.json",
    "contract-results-postgres.json",
    "official.json",
    "fuzz.json",
    "bench.json",
    "bench-sweep.svg",
    "profile.json",
    "profile.md",
    "soak.json",
)


def snapshot(build: Path = BUILD, results: Path = RESULTS) -> list[str]:
    """Copy the latest runs' files from build/ (ignored by git) into results/ (committed).

    A quick benchmark (`--quick`) never replaces a full one: it leaves out PostgreSQL and the
    conventional servers. Returns the names copied.
    """
    results.mkdir(exist_ok=True)
    copied = []
    for name in RUN_FILES:
        source, target = build / name, results / name
        if not source.is_file():
            continue
        if name.startswith("bench") and _is_quick(build) and not _is_quick(results):
            continue
        shutil.copyfile(source, target)
        copied.append(name)
    return copied


def _is_quick(folder: Path) -> bool:
    path = folder / "bench.json"
    return path.is_file() and bool(
        json.loads(path.read_text(encoding="utf-8"))["meta"]["settings"]["quick"]
    )


def bench_block(results: Path = RESULTS) -> str:
    """The benchmark section, from the latest `make bench` (results/bench.json)."""
    path = results / "bench.json"
    if not path.is_file():
        return "Not run yet (`make bench`)."
    data = json.loads(path.read_text(encoding="utf-8"))
    return bench_report.readme_block(data, chart="results/bench-sweep.svg")


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
    copied = snapshot()
    print(f"results/: {', '.join(copied) if copied else 'no new runs under build/'}")
    readme = REPO_ROOT / "README.md"
    text = replace_block(
        readme.read_text(encoding="utf-8"), "results", results_table().markdown("")
    )
    text = replace_block(text, "tables", tables_block())
    text = replace_block(text, "faithful", faithful_block())
    text = replace_block(text, "features", features_table().markdown(""))
    text = replace_block(text, "decision", decision_markdown(sections()))
    readme.write_text(replace_block(text, "bench", bench_block()), encoding="utf-8")
    print("README.md: results, benchmark, comparison, docs-faithfulness, feature-cost and"
          " decision tables")  # fmt: skip
    # The compare site holds the decision page; it reads results/, which snapshot() refreshed.
    build_site(BUILD / "compare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
