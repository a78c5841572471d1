"""The admin: staff only, CSRF-protected, and edits keep the API's rules.

Staff sign in with their API email and password. Anonymous visitors, and users who are not (or
no longer) staff, are sent to the sign-in page from every admin URL and shown no data; a POST
without its CSRF token changes nothing. Editing an article's title gives it a new unique slug
that the API serves; deleting a user or an article removes what depends on it; a tag left on no
article drops out of GetTags. The pages load nothing from another host.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, select

from flask_app import create_app, services
from flask_app.commands import make_staff
from flask_app.config import DEMO_DATA_PATH
from flask_app.extensions import db
from flask_app.models import Article, Comment, Favorite, Follow, Tag, User, article_tags
from flask_app.tests.test_docs import REFERENCE

PASSWORD = "password123"
MODELS = ("user", "article", "comment", "tag")


class Forms(HTMLParser):
    """The <form method="post"> of a page: each one's action, and its fields as a browser would
    post them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, Any]]] = []
        self._data: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and (attributes.get("method") or "").lower() == "post":
            self._data = {}
            self.forms.append((attributes.get("action") or "", self._data))
        data, name = self._data, attributes.get("name")
        if data is None:
            return
        if tag == "option" and self._select and "selected" in attributes:
            data[self._select].append(attributes.get("value"))
        elif tag == "input" and name and attributes.get("type") != "submit":
            checkbox = attributes.get("type") == "checkbox"
            if not checkbox or "checked" in attributes:
                data[name] = "y" if checkbox else attributes.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, data[name] = name, ""
        elif tag == "select" and name:
            self._select, data[name] = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea and self._data is not None:
            self._data[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea and self._data is not None:
            # Browsers drop the newline that starts a textarea's content.
            text = self._data[self._textarea]
            self._data[self._textarea] = text.removeprefix("\r\n").removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._data = None


def form_of(client: FlaskClient, path: str) -> dict[str, Any]:
    """The fields of the page's first form, other than the sign-out button's."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    forms = Forms(response.get_data(as_text=True)).forms
    return next(data for action, data in forms if action != "/admin/logout")


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    data = form_of(client, "/admin/login") | {"email": email, "password": password}
    return client.post("/admin/login", data=data)


def row_id(model: type[Any], **where: Any) -> int:
    found = db.session.scalar(select(model.id).filter_by(**where))
    assert isinstance(found, int), where
    return found


def user(username: str) -> User:
    found = db.session.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return found


def row(model: type[Any], id: int) -> Any:
    found = db.session.get(model, id)
    assert found is not None, (model, id)
    return found


def count(table: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The app as `make serve-flask` builds it (APP_ENV=production), on a migrated database."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-private-key-" + "x" * 32)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'production.sqlite3'}")
    app = create_app()
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def rows(app: Flask) -> dict[str, int]:
    """A staff user, a writer with a tagged article, a reader who follows, favorites, comments."""
    with app.app_context():
        staff = services.register_user(username="root", email="root@example.com", password=PASSWORD)
        staff.is_staff = True
        db.session.commit()
        writer = services.register_user(
            username="writer", email="writer@example.com", password=PASSWORD
        )
        reader = services.register_user(
            username="reader", email="reader@example.com", password=PASSWORD
        )
        article = services.create_article(
            author=writer, title="Admin", description="d", body="b", tag_list=["shown"]
        )
        services.favorite_article(user=reader, slug=article.slug)
        services.follow_user(user=reader, username="writer")
        comment = services.add_comment(author=reader, slug=article.slug, body="Hi")
        return {
            "user": writer.id,
            "article": article.id,
            "comment": comment.id,
            "tag": row_id(Tag, name="shown"),
        }


@pytest.fixture
def staff(client: FlaskClient, rows: dict[str, int]) -> FlaskClient:
    """A browser signed in as staff."""
    response = sign_in(client, "root@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    return client


def admin_urls(rows: dict[str, int]) -> list[str]:
    """The index and every page of every model, for an existing row."""
    urls = ["/admin/"]
    for model in MODELS:
        base, row = f"/admin/{model}/", rows[model]
        urls += [base, f"{base}new/", f"{base}edit/?id={row}", f"{base}details/?id={row}"]
        urls += [f"{base}export/csv/", f"{base}ajax/lookup/?name=x&query=y"]
    return urls


def elsewhere(html: str) -> list[str]:
    """What the page loads or links to on another host (a data: URL is on none)."""
    return [ref for ref in REFERENCE.findall(html) if urlparse(ref).netloc]


def test_staff_sign_in_with_their_api_email_and_password(staff: FlaskClient) -> None:
    page = staff.get("/admin/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "root@example.com" in html
    for model in MODELS:
        assert f'href="/admin/{model}/"' in html


def test_only_staff_can_sign_in(client: FlaskClient, rows: dict[str, int]) -> None:
    for email, password in (
        ("reader@example.com", PASSWORD),  # a real account, not staff
        ("root@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
    ):
        response = sign_in(client, email, password)
        assert response.status_code == 200
        assert "Enter the email and password of a staff account." in response.get_data(as_text=True)
        assert client.get("/admin/").status_code == 302


def test_signing_in_returns_to_the_page_asked_for_and_only_inside_the_admin(
    client: FlaskClient, rows: dict[str, int]
) -> None:
    response = client.get("/admin/article/")
    assert response.headers["Location"] == "/admin/login?next=/admin/article/"
    for target, landing in (
        ("/admin/article/", "/admin/article/"),
        ("/api/user", "/admin/"),
        ("//elsewhere.example/admin/", "/admin/"),
    ):
        client.post("/admin/logout", data=form_of(client, "/admin/login"))
        data = form_of(client, "/admin/login") | {"email": "root@example.com", "password": PASSWORD}
        response = client.post("/admin/login", query_string={"next": target}, data=data)
        assert response.headers["Location"] == landing


def test_sign_out_is_a_post_with_its_token(staff: FlaskClient) -> None:
    staff.get("/admin/logout")  # not a sign-out (405)
    assert staff.get("/admin/").status_code == 200
    staff.post("/admin/logout", data={})
    assert staff.get("/admin/").status_code == 200
    forms = dict(Forms(staff.get("/admin/").get_data(as_text=True)).forms)
    response = staff.post("/admin/logout", data=forms["/admin/logout"])
    assert response.headers["Location"] == "/admin/login"
    assert staff.get("/admin/").status_code == 302


def test_the_api_never_reads_or_sets_the_session(staff: FlaskClient, rows: dict[str, int]) -> None:
    for path in ("/api/tags", "/api/articles", "/health", "/"):
        response = staff.get(path)
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        assert "Cookie" not in response.headers.get("Vary", ""), path


def test_the_session_cookie_is_http_only_and_same_site(
    client: FlaskClient, rows: dict[str, int]
) -> None:
    sign_in(client, "root@example.com")
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_in_production_the_session_cookie_is_secure_too(production: Flask) -> None:
    with production.app_context():
        make_staff(email="root@example.com", username="root", password=PASSWORD)
    browser = production.test_client()
    browser.get("/admin/login", base_url="https://localhost")
    cookie = browser.get_cookie("session", domain="localhost")
    assert cookie is not None
    assert (cookie.secure, cookie.http_only, cookie.same_site) == (True, True, "Lax")
    page = browser.get("/admin/login", base_url="https://localhost").get_data(as_text=True)
    ((_action, data),) = Forms(page).forms
    fields = data | {"email": "root@example.com", "password": PASSWORD}
    response = browser.post("/admin/login", base_url="https://localhost", data=fields)
    assert response.headers["Location"] == "/admin/"
    assert browser.get("/admin/", base_url="https://localhost").status_code == 200


def test_anonymous_visitors_and_non_staff_are_sent_to_the_sign_in_page(
    app: Flask, client: FlaskClient, rows: dict[str, int]
) -> None:
    demoted = app.test_client()
    sign_in(demoted, "root@example.com")
    with app.app_context():
        user("root").is_staff = False
        db.session.commit()
    sign_in(reader := app.test_client(), "reader@example.com")
    for who, browser in (("anonymous", client), ("reader", reader), ("demoted", demoted)):
        for url in admin_urls(rows):
            for method in ("get", "post"):
                response = getattr(browser, method)(url)
                if method == "post" and response.status_code == 405:
                    continue  # a page that takes no POST at all
                assert response.status_code == 302, (who, method, url)
                assert response.headers["Location"].startswith("/admin/login?next="), (who, url)
                assert b"@example.com" not in response.get_data(), (who, url)
        for model in MODELS:
            response = browser.post(f"/admin/{model}/delete/", data={"id": rows[model]})
            assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Article, rows["article"]) is not None
        assert db.session.get(User, rows["user"]) is not None


def test_a_post_without_the_csrf_token_changes_nothing(
    app: Flask, client: FlaskClient, rows: dict[str, int]
) -> None:
    response = client.post("/admin/login", data={"email": "root@example.com", "password": PASSWORD})
    assert response.status_code == 200  # the form again, with its error
    assert "The sign-in form had expired" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302
    sign_in(client, "root@example.com")
    edit = f"/admin/article/edit/?id={rows['article']}"
    data = form_of(client, edit) | {"title": "Forged"}
    del data["csrf_token"]
    assert client.post(edit, data=data).status_code == 200
    assert client.post("/admin/article/delete/", data={"id": rows["article"]}).status_code == 302
    data = {"action": "delete", "rowid": rows["user"]}
    assert client.post("/admin/user/action/", data=data).status_code == 302
    with app.app_context():
        article = db.session.get(Article, rows["article"])
        assert article is not None
        assert article.title == "Admin"
        assert db.session.get(User, rows["user"]) is not None


def test_staff_see_every_page_and_nothing_from_another_host(
    staff: FlaskClient, rows: dict[str, int]
) -> None:
    files: set[str] = set()
    for url in admin_urls(rows):
        response = staff.get(url)
        if "/new/" in url:  # users, articles, comments and tags are made elsewhere
            assert response.status_code == 302, url
            continue
        if "/export/" in url or "/ajax/" in url:  # not enabled
            assert response.status_code in (302, 404), url
            continue
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert elsewhere(html) == [], url
        files |= {ref for ref in REFERENCE.findall(html) if ref.startswith("/admin/static/")}
    assert any(ref.endswith(".css") or ".css?" in ref for ref in files)
    for ref in sorted(files):
        response = staff.get(ref)
        assert response.status_code == 200, ref
        body = response.get_data(as_text=True)
        assert not re.search(r"""(url\(|@import)\s*['"]?(https?:)?//""", body), ref


def test_lists_search_and_filter(staff: FlaskClient, app: Flask) -> None:
    with app.app_context():
        reader = user("reader")
        services.create_article(
            author=reader, title="Other", description="d", body="b", tag_list=["hidden"]
        )
    for url, shown, hidden in (
        ("/admin/article/?search=Admin", "Admin", "Other"),
        ("/admin/article/?search=reader", "Other", ">Admin<"),
        ("/admin/user/?search=writer", "writer@example.com", "reader@example.com"),
        ("/admin/tag/?search=hid", "hidden", "shown"),
        ("/admin/comment/?search=Hi", "Hi", "No comments"),
    ):
        html = staff.get(url).get_data(as_text=True)
        assert shown in html, url
        assert hidden not in html, url
    staff_only = staff.get("/admin/user/?flt1_0=1").get_data(as_text=True)
    assert "root@example.com" in staff_only
    assert "reader@example.com" not in staff_only


def test_the_article_page_shows_its_tags_and_comments(
    staff: FlaskClient, rows: dict[str, int]
) -> None:
    html = staff.get(f"/admin/article/details/?id={rows['article']}").get_data(as_text=True)
    assert "shown" in html
    assert "<strong>reader</strong>: Hi" in html


def test_a_new_title_gives_a_new_unique_slug_that_the_api_serves(
    app: Flask, staff: FlaskClient, rows: dict[str, int]
) -> None:
    api = app.test_client()
    with app.app_context():
        reader = user("reader")
        taken = services.create_article(
            author=reader, title="Taken title", description="d", body="b", tag_list=[]
        )
    edit = f"/admin/article/edit/?id={rows['article']}"
    data = form_of(staff, edit) | {"title": "Taken title"}
    response = staff.post(edit, data=data)
    assert response.status_code == 302
    assert api.get("/api/articles/admin").status_code == 404
    served = api.get(f"/api/articles/{taken.slug}-2").get_json()["article"]
    assert (served["title"], served["tagList"], served["body"]) == ("Taken title", ["shown"], "b")
    assert served["updatedAt"] > served["createdAt"]
    assert api.get(f"/api/articles/{taken.slug}").get_json()["article"]["title"] == "Taken title"


def test_an_edit_that_breaks_an_api_rule_is_refused_on_the_form(
    app: Flask, staff: FlaskClient, rows: dict[str, int]
) -> None:
    edit = f"/admin/user/edit/?id={rows['user']}"
    for field, value, message in (
        ("username", "not valid!", "username is invalid"),
        ("username", "reader", "Already exists."),  # Flask-Admin's own check, before the API's
        ("email", "not-an-email", "email is invalid"),
    ):
        response = staff.post(edit, data=form_of(staff, edit) | {field: value})
        assert response.status_code == 200, field
        assert message in response.get_data(as_text=True), field
    edit = f"/admin/comment/edit/?id={rows['comment']}"
    response = staff.post(edit, data=form_of(staff, edit) | {"body": "x" * 10001})
    assert "body is too long (maximum is 10000 characters)" in response.get_data(as_text=True)
    with app.app_context():
        assert row(User, rows["user"]).username == "writer"
        assert row(Comment, rows["comment"]).body == "Hi"


def test_staff_can_make_a_user_staff(app: Flask, staff: FlaskClient, rows: dict[str, int]) -> None:
    edit = f"/admin/user/edit/?id={rows['user']}"
    data = form_of(staff, edit) | {"is_staff": "y", "bio": "Writes."}
    assert staff.post(edit, data=data).status_code == 302
    with app.app_context():
        writer = row(User, rows["user"])
        assert (writer.is_staff, writer.bio) == (True, "Writes.")
    assert sign_in(app.test_client(), "writer@example.com").status_code == 302


def test_tags_are_shared_rows_and_one_on_no_article_drops_out_of_get_tags(
    app: Flask, staff: FlaskClient, rows: dict[str, int]
) -> None:
    api = app.test_client()
    with app.app_context():
        reader = user("reader")
        services.create_article(
            author=reader, title="Other", description="d", body="b", tag_list=["spare"]
        )
        spare = row_id(Tag, name="spare")
    edit = f"/admin/article/edit/?id={rows['article']}"
    data = form_of(staff, edit) | {"tags": [str(spare)]}
    assert staff.post(edit, data=data).status_code == 302
    assert api.get("/api/tags").get_json() == {"tags": ["spare"]}
    assert api.get("/api/articles/admin").get_json()["article"]["tagList"] == ["spare"]
    with app.app_context():
        assert db.session.scalars(select(Tag.name).order_by(Tag.name)).all() == ["shown", "spare"]


def test_deleting_an_article_deletes_its_comments_favorites_and_tag_links(
    app: Flask, staff: FlaskClient, rows: dict[str, int]
) -> None:
    data = form_of(staff, "/admin/article/") | {"id": str(rows["article"])}
    response = staff.post("/admin/article/delete/", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert (count(Article), count(Comment), count(Favorite), count(article_tags)) == (
            0,
            0,
            0,
            0,
        )
    api = app.test_client()
    assert api.get("/api/articles/admin").status_code == 404
    assert api.get("/api/tags").get_json() == {"tags": []}


def test_deleting_a_user_deletes_their_articles_comments_favorites_and_follows(
    app: Flask, staff: FlaskClient, rows: dict[str, int]
) -> None:
    with app.app_context():
        reader = user("reader")
        services.create_article(
            author=reader, title="By the reader", description="d", body="b", tag_list=[]
        )
        reader_id = reader.id
    data = form_of(staff, "/admin/user/") | {"id": str(reader_id)}
    assert staff.post("/admin/user/delete/", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(User, reader_id) is None
        assert (count(Comment), count(Favorite), count(Follow)) == (0, 0, 0)
        authors = db.session.scalars(select(User.username).join(Article.author)).all()
        assert authors == ["writer"]
    api = app.test_client()
    assert api.get("/api/profiles/reader").status_code == 404
    assert api.get("/api/articles/admin").get_json()["article"]["favoritesCount"] == 0


def test_the_front_door_links_the_admin_and_shows_the_staff_login_outside_production(
    client: FlaskClient, production: Flask
) -> None:
    staff = json.loads(DEMO_DATA_PATH.read_text(encoding="utf-8"))["staff"]
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/"' in home
    assert staff["email"] in home
    assert staff["password"] in home
    home = production.test_client().get("/").get_data(as_text=True)
    assert 'href="/admin/"' in home
    assert staff["password"] not in home


# --- the commands -----------------------------------------------------------------------------


def test_create_staff_creates_a_staff_user_who_can_sign_in(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-staff", "--email", "ops@example.com", "--username", "ops"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "created staff user ops <ops@example.com>" in result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ops@example.com"))
        assert user is not None
        assert user.is_staff
        assert user.password_hash.startswith("$argon2id$")
    assert sign_in(app.test_client(), "ops@example.com").status_code == 302


def test_create_staff_prompts_for_what_it_needs_and_promotes_an_existing_user(
    app: Flask, rows: dict[str, int]
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-staff"], input="reader@example.com\n")
    assert result.exit_code == 0, result.output
    assert "made staff reader <reader@example.com>" in result.output
    assert "Password" not in result.output  # the existing password is kept
    assert sign_in(app.test_client(), "reader@example.com").status_code == 302
    result = runner.invoke(
        args=["create-staff"], input=f"new@example.com\nnew\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Username: new" in result.output


def test_create_staff_applies_the_api_rules(app: Flask, rows: dict[str, int]) -> None:
    runner = app.test_cli_runner()
    for args, message in (
        (["--username", "writer", "--password", PASSWORD], "username has already been taken"),
        (["--username", "ok", "--password", "short"], "password is too short"),
        (["--username", "bad name", "--password", PASSWORD], "username is invalid"),
    ):
        result = runner.invoke(args=["create-staff", "--email", "x@example.com", *args])
        assert result.exit_code == 1, args
        assert message in result.output, args
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_seed_creates_the_demo_staff_login(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'seed.sqlite3'}"}
    )
    with app.app_context():
        upgrade()
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "seeding staff 1/1" in result.output
    staff = json.loads(DEMO_DATA_PATH.read_text(encoding="utf-8"))["staff"]
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == staff["email"]))
        assert user is not None
        assert (user.username, user.is_staff) == (staff["username"], True)
        assert count(User) > 1
        assert db.session.scalar(select(func.count()).where(User.is_staff)) == 1
    assert sign_in(app.test_client(), staff["email"], staff["password"]).status_code == 302
