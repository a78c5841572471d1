"""The feature-cost table (`tools/features.py`): read from git history, checked on a throwaway
repository whose numbers are known, and on this repository's docs and admin commits."""

import subprocess
from pathlib import Path

import pytest

from tools.apps import APPS
from tools.features import costs, features_table

PYPROJECT = """[project]
name = "demo"
dependencies = [{deps}]
[dependency-groups]
dev = [{dev}]
"""
LOCK = "".join(
    f"{name}==1.0 \\\n    --hash=sha256:00\n    # via demo\n"
    for name in ("flask", "flask-smorest", "apispec", "Django")
)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{variable}_NAME", "test")
        monkeypatch.setenv(f"GIT_{variable}_EMAIL", "test@example.com")

    def commit(message: str, files: dict[str, str]) -> None:
        for name, text in files.items():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name).write_text(text, encoding="utf-8")
        subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
        subprocess.run(["git", "commit", "-q", "-m", message], cwd=tmp_path, check=True)

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    commit("start", {"pyproject.toml": PYPROJECT.format(deps='"flask>=3"', dev=""),
                     "requirements.lock": LOCK.split("flask-smorest")[0]})  # fmt: skip
    commit(
        "Flask: docs\n\nWhy.\n\nFeature: docs\nApp: flask",
        {
            "flask_app/docs.py": "a\nb\nc\n",
            "flask_app/tests/test_docs.py": "t\n",
            "README.md": "# docs\n",
            "pyproject.toml": PYPROJECT.format(
                deps='"flask>=3", "flask-smorest[x]>=0.4"', dev='"types-demo"'
            ),
            "requirements.lock": LOCK.split("Django")[0],
        },
    )
    commit("unrelated", {"flask_app/other.py": "x\n" * 50})
    commit(
        "Django: docs\n\nFeature: docs\nApp: django",
        {"django_app/docs.py": "d\n", "tests/test_docs.py": "e\nf\n", "requirements.lock": LOCK},
    )
    commit("Flask: docs, fixed\n\nFeature: docs\nApp: flask", {"flask_app/docs.py": "a\nz\n"})
    commit("Flask: admin\n\nFeature: admin\nApp: flask", {"flask_app/admin.py": "q\n"})
    return tmp_path


def test_costs_sum_each_features_commits_per_app(repo: Path) -> None:
    found = costs(repo)
    assert list(found) == [("docs", "flask"), ("docs", "django"), ("admin", "flask")]
    flask = found["docs", "flask"]
    assert flask.commits == 2
    # docs.py: +3, then +1 -2 (b, c replaced by z); the test file and README count apart.
    assert flask.lines == {"code": [4, 2], "tests": [1, 0], "docs": [1, 0]}
    assert flask.files == {"flask_app/docs.py", "flask_app/tests/test_docs.py", "README.md",
                           "pyproject.toml", "requirements.lock"}  # fmt: skip
    assert flask.direct == {"flask-smorest", "types-demo (dev)"}
    assert flask.total == {"flask-smorest", "apispec"}
    django = found["docs", "django"]
    assert django.lines == {"code": [1, 0], "tests": [2, 0], "docs": [0, 0]}
    assert (django.direct, django.total) == (set(), {"django"})
    assert found["admin", "flask"].lines["code"] == [1, 0]


def test_the_table_has_a_row_per_feature_and_app_in_history_order(repo: Path) -> None:
    rows = features_table(repo).rows
    assert [row[:3] for row in rows] == [
        ["docs", "Flask", "2"], ["docs", "Django", "1"], ["admin", "Flask", "1"]
    ]  # fmt: skip
    assert rows[0][3:] == ["+4 / -2", "+1 / -0", "+1 / -0", "5", "flask-smorest, types-demo (dev)",
                           "2 (apispec, flask-smorest)"]  # fmt: skip
    assert rows[2][-2:] == ["none", "none"]


def test_this_repository_has_the_docs_and_admin_rows_of_every_app() -> None:
    found = costs()
    for feature in ("docs", "admin"):
        for app in APPS:
            cost = found[feature, app.key]
            assert cost.commits >= 1
            assert cost.lines["code"][0] > 0, (feature, app.key)
            assert cost.lines["tests"][0] > 0, (feature, app.key)
    assert "drf-spectacular" in found["docs", "django"].direct
    assert "sqladmin" in found["admin", "fastapi"].direct
    assert found["admin", "django"].direct == set(), "Django's admin comes with Django"
