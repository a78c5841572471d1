"""The Flask and FastAPI twins stay twins: tools/parity.py's figure cannot silently regress.

No server needed. The figure is the share of identical code lines once the plumbing the two
frameworks force on the same SQLAlchemy code (async/await, the session argument) is set aside.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.parity import FILE_PAIRS, normalise, normalised_lines, parity

MINIMUM = 0.90


@pytest.mark.parametrize("name", FILE_PAIRS)
def test_the_twins_are_at_least_90_percent_identical(name: str) -> None:
    result = parity(name)
    assert result.flask_lines > 50
    assert result.fastapi_lines > 50
    assert result.ratio >= MINIMUM, f"{name}: {result.ratio:.1%}\n" + "\n".join(result.diff)


@pytest.mark.parametrize(
    ("fastapi", "flask"),
    [
        ("async def get_article(*, session: AsyncSession, slug: str) -> Article:",
         "def get_article(*, slug: str) -> Article:"),
        ("    article = await session.scalar(query)", "    article = db.session.scalar(query)"),
        ("    return await _load_article(session, viewer_id=None, article_id=1)",
         "    return _load_article(viewer_id=None, article_id=1)"),
        ("    await _commit_ignoring_duplicate(session)", "    _commit_ignoring_duplicate()"),
        ("async def list_tags(*, session: AsyncSession) -> list[str]:",
         "def list_tags() -> list[str]:"),
        ("class User(Base):", "class User(db.Model):"),
        ("from fastapi_app.errors import APIError", "from flask_app.errors import APIError"),
    ],
)  # fmt: skip
def test_only_the_plumbing_is_normalised_away(fastapi: str, flask: str) -> None:
    assert normalise(fastapi) == normalise(flask)


@pytest.mark.parametrize(
    ("fastapi", "flask"),
    [
        ("    query = select(User).where(User.id == 1)", "    query = select(User)"),
        ("    user = await session.get(User, 1)", "    user = db.session.get(Tag, 1)"),
        ("def f(sessions: AsyncSession) -> None:", "def f() -> None:"),
        ("        return article", "    return article"),
    ],
)  # fmt: skip
def test_real_differences_survive(fastapi: str, flask: str) -> None:
    assert normalise(fastapi) != normalise(flask)


def test_comments_docstrings_and_blank_lines_are_not_code(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text(
        '"""Module docstring."""\n\n'
        "# a comment\n"
        "def f() -> str:\n"
        '    """Docstring,\n    two lines."""\n'
        '    return "# not a comment"  # a trailing comment\n',
        encoding="utf-8",
    )
    assert normalised_lines(source) == ["def f() -> str:", '    return "# not a comment"']
