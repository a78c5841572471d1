"""The comparison tool (`make compare`): every operation is found in every app and lined up with
the handler marked with it, the terminal report shows the real source lines, and the generated
site has no dead links.

These tests build each app in this process (on a throwaway in-memory database, no server) and
write into a temporary folder; they do not take the `impl` fixture, so they run once, not once
per app.
"""

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from tools.apps import APPS, REPO_ROOT, Operation, locate, routes, spec_operations
from tools.compare import build_site, main
from tools.parity import FILE_PAIRS, parity
from tools.tables import code_lines, parse_lock, results_table

SPEC = spec_operations()
SPEC_IDS = [operation.operation_id for operation in SPEC]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def handler_lines_by_text(app_package: str, operation_id: str) -> tuple[str, list[tuple[int, str]]]:
    """The handler under the marker, found with plain text (not with tools.apps): the file, and
    the `def` after the marker with every line until the indentation drops back."""
    marker = f"# operationId: {operation_id}"
    hits = []
    for path in sorted((REPO_ROOT / app_package).rglob("*.py")):
        if "tests" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        hits += [(path, lines, n) for n, line in enumerate(lines, 1) if line.strip() == marker]
    assert len(hits) == 1, f"{app_package}: {len(hits)} markers for {operation_id}"
    path, lines, marker_line = hits[0]
    start = next(
        n
        for n in range(marker_line + 1, len(lines) + 1)
        if re.match(r"\s*(async\s+)?def\s", lines[n - 1])
    )
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    body = [(start, lines[start - 1])]
    for number in range(start + 1, len(lines) + 1):
        text = lines[number - 1]
        dedented = text.strip() and len(text) - len(text.lstrip()) <= indent
        if dedented and not text.lstrip().startswith((")", "]")):
            break
        body.append((number, text))
    while body and not body[-1][1].strip():
        body.pop()
    return path.relative_to(REPO_ROOT).as_posix(), body


# --- finding the operations -------------------------------------------------------------------


def test_each_app_serves_every_spec_operation_once_by_the_handler_marked_with_it() -> None:
    for app in APPS:
        markers = Counter(handler.marker for handler in routes(app.key))
        assert markers == Counter(SPEC_IDS), app.key
        for operation in SPEC:
            found = locate(app, operation)
            assert not found.problems, (app.key, found.problems)
            assert found.handler is not None
            assert found.route_matches, (app.key, operation.operation_id, found.handler.path)
            assert found.route, (app.key, operation.operation_id, "no route declaration")


def test_the_handler_shown_is_the_function_under_its_marker_in_the_source() -> None:
    """Flask and FastAPI routes are the handler's decorators, shown as its route; a Django
    handler's decorators document it (`extend_schema`), so they are shown with it: from the line
    under the marker to the end of the function."""
    for operation in SPEC:
        for app in APPS:
            path, lines = handler_lines_by_text(app.package, operation.operation_id)
            shown = locate(app, operation).handler_code
            assert shown is not None
            shown_lines = dict(enumerate(shown.lines, shown.start))
            assert shown.path == path, (app.key, operation)
            assert all(shown_lines.get(number) == text for number, text in lines), app.key
            if app.key == "django":  # starts right under the marker, with the decorators
                source = (REPO_ROOT / path).read_text(encoding="utf-8").splitlines()
                assert source[shown.start - 2].strip() == f"# operationId: {operation.operation_id}"
            else:
                assert shown.start == lines[0][0], (app.key, operation)


def test_an_operation_missing_from_an_app_or_served_elsewhere_is_reported() -> None:
    missing = Operation("NoSuchOperation", "GET", "/api/nowhere", "Tags", "", "")
    elsewhere = Operation("CreateArticle", "GET", "/api/tags", "Articles", "", "")
    for app in APPS:
        found = locate(app, missing)
        assert found.handler is None
        assert found.problems == ["0 handlers marked `# operationId: NoSuchOperation` (none)"]
        found = locate(app, elsewhere)
        assert found.handler is not None, "found by its marker"
        assert not found.route_matches
        assert any("GET /api/tags is served by" in p for p in found.problems), found.problems
        served_at = f"is served at POST {found.handler.path}"
        assert any(p.endswith(served_at) for p in found.problems), found.problems


def test_every_handler_calls_a_service_function() -> None:
    for operation in SPEC:
        if operation.operation_id == "GetCurrentUser":
            continue  # answers with the authenticated user: nothing to call
        for app in APPS:
            assert locate(app, operation).services, (app.key, operation.operation_id)


def test_shapes_and_service_are_what_the_handler_uses_from_those_modules() -> None:
    operation = next(op for op in SPEC if op.operation_id == "CreateArticle")
    for app in APPS:
        found = locate(app, operation)
        labels = [code.label for code in found.shapes]
        assert labels[0].startswith("NewArticle"), (app.key, labels)  # the spec's NewArticle
        assert all(code.path == app.shapes.replace(".", "/") + ".py" for code in found.shapes)
        assert found.related_shapes, app.key
        assert [code.label for code in found.services] == ["create_article"], app.key
        assert found.service_calls, app.key


# --- the terminal report ----------------------------------------------------------------------


def test_the_terminal_report_shows_each_handler_with_its_real_line_numbers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--op", "CreateArticle")
    assert code == 0
    sections = [out.index(f"== {app.title} ") for app in APPS]
    assert sections == sorted(sections), "sections must come in the order Flask, Django, FastAPI"
    bounds = [*sections, len(out)]
    for position, app in enumerate(APPS):
        section = out[bounds[position] : bounds[position + 1]]
        path, expected = handler_lines_by_text(app.package, "CreateArticle")
        assert len(expected) >= 3
        assert path in section
        for number, text in expected:
            shown = rf"^\s*{number} \|" + (f" {re.escape(text.rstrip())}" if text.strip() else "")
            assert re.search(shown + "$", section, re.MULTILINE), (app.key, number, text)
        assert "\033[" not in section, "no colours unless writing to a terminal"


def test_the_terminal_report_names_the_spec_operation_and_checks_each_route(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--op", "DeleteArticleComment")
    assert code == 0
    assert out.startswith("DeleteArticleComment  DELETE /api/articles/{slug}/comments/{id}")
    assert out.count("(matches the spec)") == len(APPS)


def test_an_unknown_operation_lists_the_valid_ones_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "--op", "CreateArticel")
    assert code == 2
    assert out == ""
    assert "Did you mean: CreateArticle" in err
    for operation_id in SPEC_IDS:
        assert operation_id in err


def test_operation_ids_are_matched_without_regard_to_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "--op", "gettags")
    assert code == 0
    assert out.startswith("GetTags  GET /api/tags")


# --- the site ---------------------------------------------------------------------------------


class PageLinks(HTMLParser):
    """Collects every href/src and every id of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    messages: list[str] = []
    build_site(out, build=out / "no-runs", progress=messages.append)
    assert len(messages) >= 3, "progress is reported per group of pages"
    return out


@pytest.fixture(scope="module")
def parsed_site(site: Path) -> dict[Path, PageLinks]:
    pages = {}
    for page in sorted(site.rglob("*.html")):
        pages[page.resolve()] = parser = PageLinks()
        parser.feed(page.read_text(encoding="utf-8"))
    return pages


def test_the_site_has_a_page_per_operation_and_the_tables(
    site: Path, parsed_site: dict[Path, PageLinks]
) -> None:
    index_links = parsed_site[(site / "index.html").resolve()].links
    for operation in SPEC:
        page = site / "op" / f"{operation.operation_id}.html"
        text = page.read_text(encoding="utf-8")
        assert operation.summary in text
        for app in APPS:
            assert f'id="{app.key}"' in text
        assert f"op/{operation.operation_id}.html" in index_links
        assert f"op/{operation.operation_id}.html#django" in index_links
    assert "tables.html" in index_links
    assert (site / "tables.md").read_text(encoding="utf-8").count("###") == 4


def test_the_parity_page_shows_each_twin_file_with_its_figure_and_diff(site: Path) -> None:
    text = (site / "parity.html").read_text(encoding="utf-8")
    for name in FILE_PAIRS:
        figure = parity(name)
        assert f"{name}: {figure.ratio * 100:.1f}% identical" in text
        assert f"flask_app/{name} → fastapi_app/{name}" in text
        changed = [line for line in figure.diff if line.startswith(("+", "-"))]
        assert all(str(escape(line)) in text for line in changed)


def test_the_site_has_no_broken_internal_links(
    site: Path, parsed_site: dict[Path, PageLinks]
) -> None:
    assert len(parsed_site) > len(SPEC_IDS)
    for page, parsed in parsed_site.items():
        for link in parsed.links:
            assert not re.match(r"^[a-z]+:", link), f"{page}: external or absolute link {link}"
            target_path, _, fragment = link.partition("#")
            target = (page.parent / target_path).resolve() if target_path else page
            assert target.is_file(), f"{page.relative_to(site.resolve())}: broken link {link}"
            assert target.is_relative_to(site.resolve()), f"{page}: link leaves the site: {link}"
            if fragment:
                ids = parsed_site[target].ids if target in parsed_site else set()
                assert fragment in ids, f"{page}: no id {fragment!r} in {target_path or 'itself'}"


def test_the_pages_need_no_javascript_and_wrap_code_instead_of_scrolling(
    site: Path, parsed_site: dict[Path, PageLinks]
) -> None:
    for page, parsed in parsed_site.items():
        assert "script" not in parsed.tags, page
        assert [link for link in parsed.links if link.endswith(".css")], page
    css = (site / "style.css").read_text(encoding="utf-8")
    assert ".code .k" in css, "the Pygments colours are in the stylesheet"
    assert re.search(r"white-space: pre-wrap;\s*overflow-wrap: anywhere", css)


def test_the_operation_page_shows_source_with_real_line_numbers(site: Path) -> None:
    text = (site / "op" / "CreateArticle.html").read_text(encoding="utf-8")
    for app in APPS:
        _, lines = handler_lines_by_text(app.package, "CreateArticle")
        number, first = lines[0]
        assert f'<span class="number">{number}</span>' in text, (app.key, number)
        name = re.search(r"def\s+(\w+)", first)
        assert name is not None
        assert name.group(1) in text


# --- the tables -------------------------------------------------------------------------------


def test_code_lines_leave_out_blanks_comments_and_docstrings(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        '"""Module docstring,\non two lines."""\n'
        "\n"
        "# a comment\n"
        "import os  # trailing comments do not hide code\n"
        "\n"
        "def f() -> str:\n"
        '    """Docstring."""\n'
        '    text = """a string\n'
        '# not a comment"""\n'
        "    return text\n",
        encoding="utf-8",
    )
    # 1-2 docstring, 3 blank, 4 comment, 5 import, 6 blank, 7 def, 8 docstring, 9-11 code.
    assert sorted(code_lines(source)) == [5, 7, 9, 10, 11]


def test_results_say_not_run_without_a_results_file(tmp_path: Path) -> None:
    table = results_table(tmp_path)
    assert all(cell == "not run" for row in table.rows for cell in row[1:])
    results = tmp_path / "contract-results.json"
    results.write_text(json.dumps({"flask": {"passed": 9, "failed": 1}, "django": {"passed": 10}}))
    rows = results_table(tmp_path).rows
    assert rows[0][1:] == ["9 / 10 passed", "10 / 10 passed", "not run"]
    assert rows[1][1:] == ["not run"] * 3


def test_the_lock_file_is_walked_through_its_via_comments() -> None:
    lock = parse_lock(
        "flask==3.1.3 \\\n    --hash=sha256:00\n    # via\n    #   conduit (pyproject.toml)\n"
        "    #   flask-cors\n"
        "flask-cors==6.0.5 \\\n    --hash=sha256:00\n    # via conduit (pyproject.toml)\n"
        "werkzeug==3.1.9 \\\n    --hash=sha256:00\n    # via\n    #   flask\n    #   flask-cors\n"
    )
    assert lock["flask"] == {"werkzeug"}
    assert lock["flask-cors"] == {"flask", "werkzeug"}
    assert "conduit" not in lock


def test_markdown_tables_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--markdown", "--build", "/nonexistent")
    assert code == 0
    for title in ("Test results", "Lines of code per concern", "Files per app"):
        assert f"### {title}" in out
    assert "### Third-party dependencies" in out
    assert "not run" in out
