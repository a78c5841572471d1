"""What each feature cost each framework, read from git history: `python -m tools.features`.

A feature's commits carry the trailers `Feature: <name>` and `App: <flask|django|fastapi>` (one
commit per app, see COMMON rules). Per feature and app this sums `git show --numstat`: lines
added and removed in the app's own folder (code, migrations and templates), in tests (the app's
tests/ and the shared suite's) and in *.md files, and the files touched; and the dependencies the
commits brought: names added to pyproject.toml's dependency lists (direct) and packages added to
requirements.lock (total, transitive ones included). New features show up as they are committed.
"""

import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools.apps import APPS, REPO_ROOT
from tools.tables import Table, normalise

TRAILER = "%(trailers:key={},valueonly,separator=%x2C)"
FORMAT = "%x1f".join(("%H", TRAILER.format("Feature"), TRAILER.format("App"))) + "%x1e"
PIN = re.compile(r"^([A-Za-z0-9][\w.\-]*)(\[[^\]]*\])?==", re.MULTILINE)
NAME = re.compile(r"^\s*([A-Za-z0-9][\w.\-]*)")
KINDS = ("code", "tests", "docs")


@dataclass
class Cost:
    """What the commits of one feature in one app changed."""

    commits: int = 0
    lines: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in KINDS})
    files: set[str] = field(default_factory=set)
    direct: set[str] = field(default_factory=set)
    total: set[str] = field(default_factory=set)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
    ).stdout


def feature_commits(root: Path) -> Iterator[tuple[str, str, str]]:
    """(commit, feature, app) for every commit with both trailers, oldest first."""
    log = git(root, "log", "--no-merges", "--reverse", f"--format={FORMAT}")
    for record in log.split("\x1e")[:-1]:
        commit, features, apps = record.strip("\n").split("\x1f")
        for feature in filter(None, (f.strip() for f in features.split(","))):
            for app in filter(None, (a.strip().lower() for a in apps.split(","))):
                yield commit, feature, app


def kind_of(path: str, package: str) -> str | None:
    """Which line count a changed file adds to (None: counted as a touched file only)."""
    parts = path.split("/")
    if path.endswith(".md"):
        return "docs"
    if "tests" in parts:
        return "tests"
    return "code" if parts[0] == package else None


def show(root: Path, commit: str, path: str) -> str:
    """The file at that commit; empty when it is not there (a root commit's parent, say)."""
    done = subprocess.run(["git", "-C", str(root), "show", f"{commit}:{path}"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout if done.returncode == 0 else ""


def declared(pyproject: str) -> set[str]:
    """Every name in pyproject.toml's dependency lists; a dependency group's marked `(dev)`."""
    data = tomllib.loads(pyproject) if pyproject else {}
    project = data.get("project", {})
    lists = [("", project.get("dependencies", [])),
             *(("", v) for v in project.get("optional-dependencies", {}).values()),
             *((" (dev)", v) for v in data.get("dependency-groups", {}).values())]  # fmt: skip
    return {normalise(m.group(1)) + mark for mark, items in lists for item in items
            if isinstance(item, str) and (m := NAME.match(item))}  # fmt: skip


def costs(root: Path = REPO_ROOT) -> dict[tuple[str, str], Cost]:
    """(feature, app) -> its cost, in the order the features first appear in history."""
    found: dict[tuple[str, str], Cost] = {}
    packages = {app.key: app.package for app in APPS}
    for commit, feature, app in feature_commits(root):
        cost = found.setdefault((feature, app), Cost())
        cost.commits += 1
        for line in git(root, "show", "--numstat", "--format=", commit).splitlines():
            added, removed, path = line.split("\t", 2)
            cost.files.add(path)
            if (kind := kind_of(path, packages.get(app, app))) and added != "-":  # "-": binary
                cost.lines[kind][0] += int(added)
                cost.lines[kind][1] += int(removed)
        before, after = f"{commit}^", commit
        names = [declared(show(root, rev, "pyproject.toml")) for rev in (before, after)]
        cost.direct |= names[1] - names[0]
        pins = [{normalise(name) for name, _ in PIN.findall(show(root, rev, "requirements.lock"))}
                for rev in (before, after)]  # fmt: skip
        cost.total |= pins[1] - pins[0]
    return found


def features_table(root: Path = REPO_ROOT) -> Table:
    titles = {app.key: app.title for app in APPS}
    header = ["Feature", "App", "Commits", "App code (+/-)", "Tests (+/-)", "Docs (+/-)",
              "Files", "Direct dependencies added", "Packages added to the lock"]  # fmt: skip
    found, rows = costs(root), []
    first = {feature: index for index, (feature, _) in reversed(list(enumerate(found)))}
    order = [app.key for app in APPS]
    keys = sorted(found, key=lambda k: (first[k[0]], order.index(k[1]) if k[1] in order else 9))
    for (feature, app), cost in ((key, found[key]) for key in keys):
        lines = [f"+{added} / -{removed}" for added, removed in cost.lines.values()]
        total = f"{len(cost.total)} ({', '.join(sorted(cost.total))})" if cost.total else "none"
        direct = ", ".join(sorted(cost.direct)) or "none"
        rows.append([feature, titles.get(app, app), str(cost.commits), *lines,
                     str(len(cost.files)), direct, total])  # fmt: skip
    notes = [
        "From the commits whose messages end with `Feature: <name>` and `App: <app>` trailers."
        " App code: the app's folder (migrations and templates included, its tests/ and *.md"
        " not); tests: any tests/ folder; docs: *.md. Files: every file touched, pyproject.toml"
        " and requirements.lock included. Direct: names added to pyproject.toml's dependency"
        " lists; the lock: packages pinned for the first time, transitive ones included."
    ]
    return Table("What each feature cost each framework", header, rows, notes)


def main() -> int:
    print(features_table().markdown(""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
