"""The decision page (tools/decision.py) cannot rot: README's decision block and the compare
site's page are what the repository and results/ say now, and every seeds' row and claim is
there with a measured, linked value for each framework."""

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tools.apps import APPS, REPO_ROOT
from tools.compare import build_site
from tools.decision import (
    BATTERIES,
    Section,
    Use,
    battery_status,
    markdown,
    providers,
    sections,
    slug,
    uses_in,
    verdict,
)
from tools.report import RUN_FILES
from tools.tables import RESULTS, loc_table

README = REPO_ROOT / "README.md"
BLOCK = re.compile(r"<!-- decision:begin -->\n(.*?)<!-- decision:end -->", re.DOTALL)
# The seeds' table as the issue quotes it (issue 13), and the prose claims, by a word they use.
SEEDS_ROWS = {
    "Category": ("Micro-framework", "Full-stack framework", "Modern async micro-framework"),
    "Flexibility": ("Extremely high", "Moderate, the Django way", "High"),
    "Learning curve": ("Low", "High", "Moderate"),
    "Performance": ("Good", "Moderate", "Excellent (async)"),
    "Admin panel": ("No, needs plugins", "Yes, built in", "No"),
}
CLAIMS = ("ORM, auth, admin, CSRF/XSS", "Swagger UI", "async concurrency", "Pydantic validation",
          "you choose your tools")  # fmt: skip
LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


@pytest.fixture(scope="module")
def generated() -> list[Section]:
    return sections()


@pytest.fixture(scope="module")
def site(generated: list[Section], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    build_site(out, progress=lambda _: None)
    return out


def readme_rows(title: str) -> dict[str, list[str]]:
    """The rows of one section's table in the committed README block: label -> the cells."""
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has no <!-- decision:begin/end --> block"
    body = match.group(1).split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in body.splitlines() if line.startswith("| ")][1:]  # below the header
    cells = [[c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]
    return {row[0]: row[1:] for row in cells if not set(row[0]) <= {"-"}}


def test_the_readme_block_is_what_the_repository_and_results_say(
    generated: list[Section],
) -> None:
    match = BLOCK.search(README.read_text(encoding="utf-8"))
    assert match, "README.md has no <!-- decision:begin/end --> block"
    assert match.group(1) == markdown(generated), "README's decision block is stale: make report"


def test_every_seeds_row_and_claim_has_a_linked_value_for_each_framework() -> None:
    rows = readme_rows("The seeds' table, measured")
    for label, words in SEEDS_ROWS.items():
        assert label in rows, f"the seeds' row {label!r} is missing"
        for app, cell, said in zip(APPS, rows[label], words, strict=True):
            assert f'*"{said}"*' in cell, f"{label}, {app.title}: the seeds' {said!r} not quoted"
    for claim in CLAIMS:
        assert any(claim in label for label in rows), f"the claim {claim!r} is missing"
    for label, cells in rows.items():
        assert len(cells) == len(APPS), label
        for app, cell in zip(APPS, cells, strict=True):
            links = LINK.findall(cell)
            assert links, f"{label}, {app.title}: no linked evidence"
            for text, target in links:
                assert text.strip(), f"{label}, {app.title}: an empty value"
                assert "not measured" not in text, f"{label}, {app.title}: {text}"
                path, _, anchor = target.partition("#")
                if path and not path.startswith("build/"):
                    assert (REPO_ROOT / path).is_file(), f"{label}: {target} is no file"
                if not path:
                    assert anchor in headings(), f"{label}: README has no heading #{anchor}"


def headings() -> set[str]:
    """The anchors GitHub gives README.md's headings."""
    text = README.read_text(encoding="utf-8")
    return {slug(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


class Tables(HTMLParser):
    """The text of every cell of the page's decision tables, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self.depth, self.cell = 0, None  # type: tuple[int, list[str] | None]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "decision") in attrs:
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []
        elif self.depth and tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if self.cell is not None and tag in ("q", "span"):  # the seeds' words, one figure
            self.cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.cell is not None and tag in ("q", "span"):
            self.cell.append(" ")

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def plain(text: str) -> str:
    """A cell's markdown-ish text as the page shows it."""
    return " ".join(re.sub(r"\*\*([^*]+)\*\*", r"\1", text.replace("`", "")).split())


def test_the_page_shows_the_same_figures(generated: list[Section], site: Path) -> None:
    parser = Tables()
    parser.feed((site / "decision.html").read_text(encoding="utf-8"))
    shown = [row for row in parser.rows if row and row[0] not in {s.header for s in generated}]
    expected = [
        [plain(row.label)]
        + [
            plain(" ".join([row.seeds.get(a.key, ""), *(p.text for p in row.cells[a.key])]))
            for a in APPS
        ]
        for section in generated
        for row in section.rows
    ]
    assert shown == expected
    for href in parser.links:
        target = href.split("#")[0]
        assert not target or (site / target).is_file(), f"the page links to {href}, not there"
        if target.startswith("source/"):  # a copy of the repository's file, as it is
            copy = (site / target).read_bytes()
            assert copy == (REPO_ROOT / target.removeprefix("source/")).read_bytes(), target


def test_the_figures_come_from_the_results_and_the_code() -> None:
    """Two figures recomputed here, not through tools/decision.py: each app's code lines and its
    geometric-mean CPU per read request (production servers, main connections, first database)."""
    rows = readme_rows("The seeds' table, measured")
    total = loc_table().rows[-1]
    for app, cell, lines in zip(APPS, rows["Learning curve"], total[1:], strict=True):
        assert f"{lines.strip('*')} code lines" in cell, app.title
    bench = json.loads((RESULTS / "bench.json").read_text(encoding="utf-8"))
    main = bench["meta"]["settings"]["connections"]
    database = bench["records"][0]["database"]
    records = [r for r in bench["records"] if r["connections"] == main
               and r["database"] == database and r["server"] == "granian"]  # fmt: skip
    reads = {r["scenario"]: r for r in records if r["app"] == "reference"}
    for app, cell in zip(APPS, rows["Performance"], strict=True):
        cpu = [r["cpu_ms_per_request"] for r in records if r["app"] == app.key
               and r["scenario"] in reads]  # fmt: skip
        mean = math.exp(sum(map(math.log, cpu)) / len(cpu))
        assert f"{mean:.2f} CPU ms per read" in cell, app.title
    assert f"commit `{bench['meta']['commit']}`" in README.read_text(encoding="utf-8")


def test_the_api_counter_follows_imports_to_the_first_object() -> None:
    source = (
        "import os\nimport sqlalchemy as sa\nfrom flask import Blueprint, g\n"
        "from django.db import models\nfrom flask_app import services\n"
        "bp = Blueprint('x', __name__)\n"
        "class A(models.Model):\n    name = models.CharField(max_length=3)\n"
        "sa.orm.relationship\nsa.select\nos.path.join\nservices.x\ng.user.name\nsa\n"
    )
    found = {(u.name, u.distribution) for u in uses_in(source, "x/views.py")}
    assert found == {
        ("flask.Blueprint", "flask"), ("flask.g", "flask"),
        ("django.db.models.Model", "django"), ("django.db.models.CharField", "django"),
        ("sqlalchemy.orm.relationship", "sqlalchemy"), ("sqlalchemy.select", "sqlalchemy"),
    }  # fmt: skip
    settings = 'INSTALLED_APPS = ["django.contrib.admin"]\nDB = "django.sqlite3"\nx = "django.db"'
    names = {u.name for u in uses_in(settings, "x/settings.py")}
    assert names == {"django.contrib.admin"}, "a file name is no API; only upper-case settings"
    assert not list(uses_in(settings, "x/other.py")), "dotted strings count in settings.py only"


def test_a_battery_is_derived_from_what_the_app_uses() -> None:
    flask = APPS[0]
    limiter = [Use("flask_limiter.Limiter", "flask-limiter", "flask_app/extensions.py", 3)]
    (found,) = providers(flask, "Rate limiting", limiter)
    assert (found.distribution, found.kind, found.lines) == ("flask-limiter", "plugin", 1)
    django = next(app for app in APPS if app.key == "django")
    assert battery_status(django, "Admin")[0] == "built in"
    assert {b for b in BATTERIES} >= {"ORM", "Migrations", "Admin", "CSRF", "Rate limiting"}


def test_verdicts_say_where_the_figures_contradict_the_seeds() -> None:
    seeds = {"flask": 1, "django": 3, "fastapi": 2}
    agree = verdict("Row", seeds, {"flask": 9, "django": 1, "fastapi": 5}, "n")
    assert "agrees" in agree
    assert "contradicts" not in agree
    against = verdict("Row", seeds, {"flask": 1, "django": 9, "fastapi": 5}, "n")
    assert against.endswith("The measurement contradicts the seeds.")
    mixed = verdict("Row", seeds, {"flask": 9, "django": 1, "fastapi": 10}, "n")
    assert mixed.endswith("contradicts the seeds on Flask above FastAPI.")
    lower = verdict("Row", seeds, {"flask": 1, "django": 9, "fastapi": 5}, "ms", lower_is_more=True)
    assert "agrees" in lower
    assert "contradicts" not in lower


def test_make_report_keeps_every_run_the_page_reads() -> None:
    for name in ("bench.json", "contract-results.json", "official.json", "fuzz.json"):
        assert name in RUN_FILES
