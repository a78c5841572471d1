"""The comparison tool (`make compare`): every operation is found in every app, the terminal
report shows the real source lines, and the generated site has no dead links.

These tests read source files and write into a temporary folder; they start no server and do
not take the `impl` fixture, so they run once, not once per app.
"""

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tools.codeindex import APPS, REPO_ROOT, CodeIndex, normalise_path, spec_operations
from tools.compare import main
from tools.concerns import load_concerns
from tools.site import build_site
from tools.tables import code_lines, contract_table, parse_lock

SPEC_IDS = [operation.operation_id for operation in spec_operations()]


def run(*argv: str) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=stdout, stderr=stderr, progress=lambda _message: None)
    return code, stdout.getvalue(), stderr.getvalue()


# --- finding the operations -------------------------------------------------------------------


def test_every_spec_operation_has_exactly_one_handler_in_each_app() -> None:
    index = CodeIndex()
    for app in APPS:
        markers = index.markers(app)
        assert set(markers) <= set(SPEC_IDS), f"{app.key}: markers for unknown operations"
        for operation_id in SPEC_IDS:
            found = markers.get(operation_id, [])
            assert len(found) == 1, f"{app.key} {operation_id}: {found}"
            located = index.locate(app, operation_id)
            assert located.handler is not None, located.problems
            assert not located.problems, located.problems


def test_the_route_found_for_each_handler_is_the_one_in_the_spec() -> None:
    index = CodeIndex()
    for operation in spec_operations():
        for app in APPS:
            route = index.locate(app, operation.operation_id).route
            assert route is not None, (app.key, operation.operation_id)
            assert route.snippets, (app.key, operation.operation_id)
            assert route.method == operation.method, (app.key, operation.operation_id)
            assert route.path is not None
            declared, expected = normalise_path(route.path), normalise_path(operation.full_path)
            assert declared == expected, (app.key, operation.operation_id, route.path)


def test_every_handler_calls_a_service_function() -> None:
    index = CodeIndex()
    for operation_id in SPEC_IDS:
        if operation_id == "GetCurrentUser":
            continue  # answers with the authenticated user: nothing to call
        for app in APPS:
            located = index.locate(app, operation_id)
            assert located.services, (app.key, operation_id)


# --- the terminal report ----------------------------------------------------------------------


def handler_lines_by_text(app_package: str, operation_id: str) -> list[tuple[int, str]]:
    """The handler under the marker, found with plain text (not with tools.codeindex): the
    `def` after the marker and every line until the indentation drops back."""
    marker = f"# operationId: {operation_id}"
    hits = []
    for path in sorted((REPO_ROOT / app_package).rglob("*.py")):
        if "tests" in path.parts:
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if line.strip() == marker:
                hits.append((lines, number))
    assert len(hits) == 1, f"{app_package}: {len(hits)} markers for {operation_id}"
    lines, marker_line = hits[0]
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
        closes_signature = text.lstrip().startswith((")", "]"))
        if dedented and not closes_signature:
            break
        body.append((number, text))
    while body and not body[-1][1].strip():
        body.pop()
    return body


def test_the_terminal_report_shows_each_handler_with_its_real_line_numbers() -> None:
    code, out, _ = run("--op", "CreateArticle")
    assert code == 0
    sections = [out.index(f"== {app.title} ") for app in APPS]
    assert sections == sorted(sections), "sections must come in the order Flask, Django, FastAPI"
    bounds = [*sections, len(out)]
    for position, app in enumerate(APPS):
        section = out[bounds[position] : bounds[position + 1]]
        expected = handler_lines_by_text(app.package, "CreateArticle")
        assert len(expected) >= 3
        for number, text in expected:
            shown = rf"^\s*{number} \|" + (f" {re.escape(text.rstrip())}" if text.strip() else "")
            assert re.search(shown + "$", section, re.MULTILINE), (app.key, number, text)


def test_the_terminal_report_names_the_files_and_the_spec_operation() -> None:
    code, out, _ = run("--op", "DeleteArticleComment")
    assert code == 0
    assert out.startswith("DeleteArticleComment  DELETE /api/articles/{slug}/comments/{id}")
    for app in APPS:
        assert f"{app.package}/" in out
    assert out.count("(matches the spec)") == len(APPS)


def test_an_unknown_operation_lists_the_valid_ones_and_exits_2() -> None:
    code, out, err = run("--op", "CreateArticel")
    assert code == 2
    assert out == ""
    assert "Did you mean: CreateArticle" in err
    for operation_id in SPEC_IDS:
        assert operation_id in err


def test_operation_ids_are_matched_without_regard_to_case() -> None:
    code, out, _ = run("--op", "gettags")
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


def parse_page(path: Path) -> PageLinks:
    parser = PageLinks()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    messages: list[str] = []
    build_site(out, results=out / "no-results.json", progress=messages.append)
    assert len(messages) >= 3, "progress is reported per group of pages"
    return out


@pytest.fixture(scope="module")
def parsed_site(site: Path) -> dict[Path, PageLinks]:
    """Every page of the site, parsed once (the concern pages are large)."""
    return {page.resolve(): parse_page(page) for page in sorted(site.rglob("*.html"))}


def test_the_site_has_a_page_per_operation_and_per_concern(
    site: Path, parsed_site: dict[Path, PageLinks]
) -> None:
    index_links = parsed_site[(site / "index.html").resolve()].links
    for operation in spec_operations():
        page = site / "op" / f"{operation.operation_id}.html"
        assert page.is_file(), page
        text = page.read_text(encoding="utf-8")
        assert operation.summary in text
        for app in APPS:
            assert f'id="{app.key}"' in text
        assert f"op/{operation.operation_id}.html" in index_links
    for concern in load_concerns():
        assert (site / "concern" / f"{concern.slug}.html").is_file()
        assert f"concern/{concern.slug}.html" in index_links
    assert (site / "tables.md").read_text(encoding="utf-8").count("###") == 4


def test_the_site_has_no_broken_internal_links(
    site: Path, parsed_site: dict[Path, PageLinks]
) -> None:
    parsed = parsed_site
    assert len(parsed) > len(SPEC_IDS)
    for page, links in parsed.items():
        for link in links.links:
            assert not re.match(r"^[a-z]+:", link), f"{page}: external or absolute link {link}"
            target_path, _, fragment = link.partition("#")
            target = (page.parent / target_path).resolve() if target_path else page
            assert target.is_file(), f"{page.relative_to(site.resolve())}: broken link {link}"
            assert target.is_relative_to(site.resolve()), f"{page}: link leaves the site: {link}"
            if fragment:
                ids = parsed[target].ids if target in parsed else set()
                assert fragment in ids, f"{page}: no id {fragment!r} in {target_path or 'itself'}"


def test_the_pages_need_no_javascript_and_nothing_from_the_network(
    parsed_site: dict[Path, PageLinks],
) -> None:
    for page, parsed in parsed_site.items():
        assert "script" not in parsed.tags, page
        assert "link" not in parsed.tags, page  # the CSS is inlined
        text = page.read_text(encoding="utf-8")
        assert "<style>" in text, page
        assert ".hl .k" in text, "the Pygments CSS is inlined"


def test_the_operation_page_shows_source_with_real_line_numbers(site: Path) -> None:
    text = (site / "op" / "CreateArticle.html").read_text(encoding="utf-8")
    for app in APPS:
        number, first = handler_lines_by_text(app.package, "CreateArticle")[0]
        assert re.search(rf'<span class="linenos">\s*{number}</span>', text), (app.key, number)
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


def test_contract_results_say_not_run_without_a_results_file(tmp_path: Path) -> None:
    table = contract_table(tmp_path / "contract-results.json")
    assert all(cell == "not run" for row in table.rows for cell in row[1:])
    results = tmp_path / "contract-results.json"
    results.write_text(json.dumps({"flask": {"passed": 9, "failed": 1}, "django": 10}))
    rows = contract_table(results).rows
    assert rows[0][1:] == ["9 of 10", "10 of 10", "not run"]


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


def test_markdown_tables_are_printed() -> None:
    code, out, _ = run("--markdown", "--results", "/nonexistent/contract-results.json")
    assert code == 0
    for title in ("Lines of code per concern", "Files per app", "Third-party dependencies"):
        assert f"### {title}" in out
    assert "not run" in out
