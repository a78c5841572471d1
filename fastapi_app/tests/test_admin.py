"""The admin (SQLAdmin at /admin/): staff only, CSRF-protected, and faithful to the API's rules.

Staff log in with their API email and password; anonymous visitors and non-staff users are
sent to the login page on every admin URL and never see a row. Every form POST and every
DELETE needs the session's CSRF token. An article saved in the admin gets its slug as through
UpdateArticle; deleting a user or an article takes what depends on it along.
"""

import json
import re
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from fastapi_app import cli
from fastapi_app.config import Settings, get_settings
from fastapi_app.main import create_app
from fastapi_app.models import Article, Comment, Favorite, Follow, Tag, User
from fastapi_app.tests.conftest import auth, create_article, register

pytestmark = pytest.mark.anyio

STAFF = {"email": "staff@example.com", "username": "staffer", "password": "staff-password-1"}
TOKEN_FIELD = re.compile(
    r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"'
)
# Every admin page a visitor could try, with the method that page takes.
ADMIN_PAGES = [
    ("GET", "/admin/"),
    ("GET", "/admin/user/list"),
    ("GET", "/admin/user/details/1"),
    ("GET", "/admin/user/edit/1"),
    ("POST", "/admin/user/edit/1"),
    ("GET", "/admin/article/list"),
    ("GET", "/admin/article/edit/1"),
    ("POST", "/admin/article/edit/1"),
    ("DELETE", "/admin/article/delete?pks=1"),
    ("GET", "/admin/comment/list"),
    ("GET", "/admin/tag/list"),
    ("GET", "/admin/tag/create"),
    ("POST", "/admin/tag/create"),
    ("DELETE", "/admin/user/delete?pks=1"),
]


@pytest.fixture
async def staff(settings: Settings) -> dict[str, str]:
    """A staff account, made by the command people use (`cli create-staff`)."""
    await cli.create_staff(settings, dict(STAFF))
    return STAFF


def csrf_token(html: str) -> str:
    match = TOKEN_FIELD.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    page = await client.get("/admin/login")
    assert page.status_code == 200
    form = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    return await client.post("/admin/login", data=form)


@pytest.fixture
async def admin(client: httpx.AsyncClient, staff: dict[str, str]) -> httpx.AsyncClient:
    """The test client, logged in to the admin as staff."""
    response = await log_in(client, staff["email"], staff["password"])
    assert (response.status_code, response.headers["location"]) == (302, "http://testserver/admin/")
    return client


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def assert_refused(client: httpx.AsyncClient) -> None:
    """Every admin page sends the visitor to the login page, showing nothing."""
    for method, path in ADMIN_PAGES:
        response = await client.request(method, path, data={"name": "x", "title": "x"})
        assert response.status_code == 302, (method, path)
        assert response.headers["location"] == "http://testserver/admin/login", (method, path)
        assert "staffer" not in response.text


async def test_anonymous_visitors_are_sent_to_the_login_page(
    app: FastAPI, client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    token = await register(client, "ann")
    await create_article(client, token, title="Private")
    await assert_refused(client)
    assert await count(app, Article) == 1
    assert await count(app, Tag) == 0


async def test_a_user_who_is_not_staff_cannot_log_in(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    await register(client, "bob")
    response = await log_in(client, "bob@example.com", "password123")
    assert response.status_code == 400
    assert "Invalid credentials" in response.text
    await assert_refused(client)


async def test_a_user_demoted_after_logging_in_is_out(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    assert (await admin.get("/admin/user/list")).status_code == 200
    async with app.state.sessions() as session:
        user = await session.scalar(select(User).where(User.email == STAFF["email"]))
        assert user is not None
        user.is_staff = False
        await session.commit()
    await assert_refused(admin)


async def test_wrong_password_and_missing_token_are_refused(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    wrong = await log_in(client, staff["email"], "not-the-password")
    assert wrong.status_code == 400
    no_token = await client.post(
        "/admin/login", data={"email": staff["email"], "password": staff["password"]}
    )
    assert no_token.status_code == 400
    forged = await client.post(
        "/admin/login",
        data={"email": staff["email"], "password": staff["password"], "csrf_token": "##0"},
    )
    assert forged.status_code == 400
    await assert_refused(client)


async def test_staff_log_in_and_see_every_list(admin: httpx.AsyncClient) -> None:
    token = await register(admin, "carol")
    await create_article(admin, token, title="Carol's post", tagList=["python"])
    for path, shown in (
        ("/admin/", "Conduit admin"),
        ("/admin/user/list", "carol@example.com"),
        ("/admin/article/list", "Carol&#39;s post"),
        ("/admin/article/details/1", "python"),
        ("/admin/tag/list", "python"),
        ("/admin/comment/list", "Comments"),
        ("/admin/user/list?search=carol", "carol@example.com"),
        ("/admin/user/list?is_staff=true", "staffer"),
    ):
        response = await admin.get(path)
        assert response.status_code == 200, path
        assert shown in response.text, path
        assert "$argon2" not in response.text


async def test_the_session_cookie_is_http_only_lax_and_scoped_to_the_admin(
    client: httpx.AsyncClient, staff: dict[str, str]
) -> None:
    response = await log_in(client, staff["email"], staff["password"])
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("conduit_admin=")
    for flag in ("httponly", "samesite=lax", "path=/admin"):
        assert flag in cookie
    assert "secure" not in cookie


async def test_the_session_cookie_is_secure_in_production(settings: Settings) -> None:
    production = create_app(settings.model_copy(update={"app_env": "production"}))
    await cli.create_staff(settings, dict(STAFF))
    transport = httpx.ASGITransport(app=production)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await log_in(client, STAFF["email"], STAFF["password"])
    await production.state.engine.dispose()
    assert response.status_code == 302
    assert "secure" in response.headers["set-cookie"].lower()


async def test_logging_out_ends_the_session(admin: httpx.AsyncClient) -> None:
    await admin.get("/admin/logout")
    await assert_refused(admin)


async def test_a_post_without_the_csrf_token_changes_nothing(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    token = await register(admin, "dan")
    await create_article(admin, token, title="Untouched")
    page = await admin.get("/admin/article/edit/1")
    assert page.status_code == 200
    form = {"title": "Changed", "description": "d", "body": "b", "tags": "", "save": "Save"}
    edit = await admin.post("/admin/article/edit/1", data=form)
    assert edit.status_code == 400
    create = await admin.post("/admin/tag/create", data={"name": "new", "save": "Save"})
    assert create.status_code == 400
    forged = await admin.post(
        "/admin/tag/create", data={"name": "new", "save": "Save", "csrf_token": "##bad"}
    )
    assert forged.status_code == 400
    delete = await admin.delete("/admin/article/delete?pks=1")
    assert delete.status_code == 403
    article = (await admin.get("/api/articles/untouched")).json()["article"]
    assert article["title"] == "Untouched"
    assert await count(app, Tag) == 0


async def test_the_csrf_token_lets_a_form_through(app: FastAPI, admin: httpx.AsyncClient) -> None:
    page = await admin.get("/admin/tag/create")
    form = {"name": "  rust  ", "save": "Save", "csrf_token": csrf_token(page.text)}
    response = await admin.post("/admin/tag/create", data=form)
    assert response.status_code == 302
    async with app.state.sessions() as session:
        assert list(await session.scalars(select(Tag.name))) == ["rust"]


async def edit_article(admin: httpx.AsyncClient, article_id: int, **fields: str) -> httpx.Response:
    page = await admin.get(f"/admin/article/edit/{article_id}")
    assert page.status_code == 200
    current = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page.text)
        for name in ("title", "description", "tags")
    }
    form = {name: match.group(1) if match else "" for name, match in current.items()}
    body = re.search(r'<textarea[^>]*name="body"[^>]*>\s*(.*?)</textarea>', page.text, re.S)
    form["body"] = body.group(1) if body else ""
    form.update(fields, save="Save", csrf_token=csrf_token(page.text))
    return await admin.post(f"/admin/article/edit/{article_id}", data=form)


async def test_a_title_changed_in_the_admin_gives_a_new_unique_slug(
    admin: httpx.AsyncClient,
) -> None:
    token = await register(admin, "erin")
    await create_article(admin, token, title="Taken")
    second = await create_article(admin, token, title="Second", tagList=["kept"])
    assert second["slug"] == "second"

    response = await edit_article(admin, 2, title="Taken")
    assert response.status_code == 302, response.text
    assert (await admin.get("/api/articles/second")).status_code == 404
    moved = (await admin.get("/api/articles/taken-2")).json()["article"]
    assert (moved["title"], moved["tagList"]) == ("Taken", ["kept"])
    assert moved["updatedAt"] > moved["createdAt"]


async def test_tags_set_in_the_admin_are_shared_rows_and_get_tags_follows(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    token = await register(admin, "fay")
    await create_article(admin, token, title="One", tagList=["shared", "dropped"])
    await create_article(admin, token, title="Two", tagList=["shared"])

    response = await edit_article(admin, 1, tags="shared, added")
    assert response.status_code == 302, response.text
    assert (await admin.get("/api/articles/one")).json()["article"]["tagList"] == [
        "added",
        "shared",
    ]
    assert (await admin.get("/api/tags")).json()["tags"] == ["shared", "added"]
    async with app.state.sessions() as session:
        names = sorted(await session.scalars(select(Tag.name)))
    assert names == ["added", "dropped", "shared"]  # "dropped" is on no article, so not listed


async def test_an_edit_breaking_the_api_rules_is_refused_with_its_message(
    admin: httpx.AsyncClient,
) -> None:
    token = await register(admin, "gus")
    await create_article(admin, token, title="Kept")
    response = await edit_article(admin, 1, title="   ")
    assert response.status_code == 400
    assert "title can&#39;t be blank" in response.text
    assert (await admin.get("/api/articles/kept")).status_code == 200


async def test_a_username_taken_in_the_admin_is_refused(admin: httpx.AsyncClient) -> None:
    await register(admin, "hal")
    page = await admin.get("/admin/user/edit/2")
    form = {
        "username": "staffer",
        "email": "hal@example.com",
        "bio": "",
        "image": "",
        "save": "Save",
        "csrf_token": csrf_token(page.text),
    }
    response = await admin.post("/admin/user/edit/2", data=form)
    assert response.status_code == 400
    assert "username has already been taken" in response.text


async def test_deleting_a_user_deletes_what_they_wrote_and_did(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    ivy, jon = await register(admin, "ivy"), await register(admin, "jon")
    await create_article(admin, ivy, title="By ivy")
    jons = await create_article(admin, jon, title="By jon")
    await admin.post("/api/profiles/jon/follow", headers=auth(ivy))
    await admin.post("/api/profiles/ivy/follow", headers=auth(jon))
    await admin.post(f"/api/articles/{jons['slug']}/favorite", headers=auth(ivy))
    comment = {"comment": {"body": "Nice"}}
    await admin.post(f"/api/articles/{jons['slug']}/comments", json=comment, headers=auth(ivy))
    await admin.post("/api/articles/by-ivy/comments", json=comment, headers=auth(jon))
    assert [await count(app, m) for m in (Article, Comment, Favorite, Follow)] == [2, 2, 1, 2]

    page = await admin.get("/admin/user/list")
    response = await admin.delete(
        "/admin/user/delete?pks=2", headers={"X-CSRF-Token": csrf_token_in_script(page.text)}
    )
    assert response.status_code == 200, response.text
    assert [await count(app, m) for m in (Article, Comment, Favorite, Follow)] == [1, 0, 0, 0]
    assert (await admin.get("/api/profiles/ivy")).status_code == 404
    assert (await admin.get("/api/articles/by-jon/comments")).json() == {"comments": []}


async def test_deleting_an_article_deletes_its_comments_favorites_and_tag_links(
    app: FastAPI, admin: httpx.AsyncClient
) -> None:
    token = await register(admin, "kim")
    await create_article(admin, token, title="Gone", tagList=["solo"])
    await admin.post("/api/articles/gone/favorite", headers=auth(token))
    comment = {"comment": {"body": "Bye"}}
    await admin.post("/api/articles/gone/comments", json=comment, headers=auth(token))

    page = await admin.get("/admin/article/list")
    token_header = {"X-CSRF-Token": csrf_token_in_script(page.text)}
    response = await admin.delete("/admin/article/delete?pks=1", headers=token_header)
    assert response.status_code == 200, response.text
    assert [await count(app, m) for m in (Article, Comment, Favorite)] == [0, 0, 0]
    assert (await admin.get("/api/tags")).json() == {"tags": []}


def csrf_token_in_script(html: str) -> str:
    """The token SQLAdmin's script sends with its DELETE requests (templates/sqladmin/base.html)."""
    match = re.search(r'"X-CSRF-Token": "([^"]+)"', html)
    assert match, "no CSRF header in the page"
    return match.group(1)


async def test_admin_pages_load_nothing_from_another_host(admin: httpx.AsyncClient) -> None:
    token = await register(admin, "lee")
    await create_article(admin, token, title="Shown")
    for path in ("/admin/login", "/admin/", "/admin/article/list", "/admin/article/edit/1"):
        html = (await admin.get(path)).text
        for url in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert url.startswith(("/", "http://testserver/", "#", "data:")), (path, url)
        statics = re.findall(r'(?:src|href)="(http://testserver/admin/statics/[^"]*)"', html)
        assert statics, path
        for url in statics:
            assert (await admin.get(url)).status_code == 200, url


async def test_create_staff_promotes_an_existing_user(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    await register(client, "max")
    record = {"email": "max@example.com", "username": "", "password": ""}
    assert "existing user max" in await cli.create_staff(settings, record)
    response = await log_in(client, "max@example.com", "password123")
    assert response.status_code == 302


def test_create_staff_from_the_command_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        cli.main(["create-staff", "--email", "ops@example.com", "--username", "ops",
                  "--password", "ops-password-1"])  # fmt: skip
        assert "created staff user ops <ops@example.com>" in capsys.readouterr().out
        with pytest.raises(SystemExit, match="too short"):
            cli.main(["create-staff", "--email", "x@example.com", "--username", "x",
                      "--password", "short"])  # fmt: skip
    finally:
        get_settings.cache_clear()


async def test_seed_creates_the_demo_staff_login(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    data = json.loads(cli.DEMO_DATA.read_text(encoding="utf-8"))
    await cli.seed(settings, data)
    staff = data["staff"]
    response = await log_in(client, staff["email"], staff["password"])
    assert response.status_code == 302
    ordinary = data["users"][0]
    assert (await log_in(client, ordinary["email"], ordinary["password"])).status_code == 400
