"""Admin: SQLAdmin on the async engine, at /admin/, for staff only.

Users, articles (with their tags and comments), comments and tags: list, search, filter, edit,
delete. Staff sign in with their API email and password (services.authenticate: the same
Argon2 check, in a worker thread); the admin's session is Starlette's signed cookie, scoped to
/admin (HttpOnly, SameSite=Lax, Secure in production), and every admin request checks that
its user is still staff.

SQLAdmin has no CSRF protection of its own. Its forms are WTForms forms, so they use WTForms'
session CSRF (CSRFForm, every view's `form_base_class`): a hidden token that SQLAdmin's form
templates render. The form reaches the request's session through a context variable, the way
SQLAdmin's own LocaleMiddleware hands the locale to gettext. The login form carries the same
token, and the DELETE requests SQLAdmin's script sends carry it in a header.

Saving keeps the API's rules: an article or a user is changed through services (a new title
gives a new unique slug, tags are found or created by name, a taken username or email is
refused) after the API's own field rules (schemas); deleting a user or an article leaves the
cascades to the database's foreign keys, which the models do not fight.
"""

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast

from fastapi import FastAPI
from pydantic import ValidationError
from sqladmin import Admin, ModelView
from sqladmin.authentication import AuthenticationBackend
from sqladmin.filters import BooleanFilter, ForeignKeyFilter
from sqladmin.formatters import BASE_FORMATTERS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from wtforms import Form, PasswordField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.csrf.session import SessionCSRF

from fastapi_app import schemas, services
from fastapi_app.config import Settings
from fastapi_app.db import create_sessionmaker
from fastapi_app.errors import APIError
from fastapi_app.models import Article, Comment, Tag, User, utcnow

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CSRF_HEADER = "X-CSRF-Token"

# --- CSRF ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CSRFContext:
    """What WTForms' SessionCSRF needs for the current request: its session and the key."""

    session: dict[str, Any]
    secret: bytes


_csrf_context: ContextVar[CSRFContext] = ContextVar("admin_csrf_context")


class CSRFContextMiddleware:
    """Make the admin request's session visible to the forms it builds (installed inside
    Starlette's SessionMiddleware, which puts the session in the scope)."""

    def __init__(self, app: ASGIApp, secret_key: str) -> None:
        self.app = app
        self.secret = secret_key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _csrf_context.set(CSRFContext(scope["session"], self.secret))
        try:
            await self.app(scope, receive, send)
        finally:
            _csrf_context.reset(token)


class CSRFForm(Form):
    """A WTForms form with a session CSRF token; a POST without the token fails validation."""

    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        # The token lives as long as the session it is stored in.
        csrf_time_limit = None

        @property
        def csrf_context(self) -> dict[str, Any]:
            return _csrf_context.get().session

        @property
        def csrf_secret(self) -> bytes:
            return _csrf_context.get().secret


def csrf_token() -> str:
    """The current session's token, for pages that are not WTForms forms (the login page, the
    header of SQLAdmin's DELETE requests; see templates/sqladmin/)."""
    field = CSRFForm()["csrf_token"]
    assert isinstance(field, CSRFTokenField)
    return str(field.current_token)


def csrf_token_is_valid(token: str | None) -> bool:
    """Whether `token` is the current session's, checked as the forms check theirs."""
    return CSRFForm(FormData({"csrf_token": token or ""})).validate()


# --- login -----------------------------------------------------------------------------------


class LoginForm(CSRFForm):
    email = StringField()
    password = PasswordField()


class StaffAuthentication(AuthenticationBackend):
    """Staff sign in with their API email and password; anyone else is sent to the login page."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(
            secret_key=settings.secret_key,
            session_cookie="conduit_admin",
            path="/admin",
            same_site="lax",
            https_only=settings.app_env == "production",
        )
        self.middlewares.append(Middleware(CSRFContextMiddleware, secret_key=settings.secret_key))
        self.sessions = sessions

    async def login(self, request: Request) -> bool:
        """One answer (SQLAdmin's "Invalid credentials") for a missing token, an unknown
        email, a wrong password or a user who is not staff."""
        form = LoginForm(await request.form())
        if not form.validate():
            return False
        email, password = (form.email.data or "").strip(), form.password.data or ""
        async with self.sessions() as session:
            try:
                user = await services.authenticate(session=session, email=email, password=password)
            except APIError:
                return False
        if not user.is_staff:
            return False
        request.session.clear()
        request.session["user_id"] = user.id
        return True

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> bool:
        """The session's user, if it still exists and is still staff."""
        user_id = request.session.get("user_id")
        if not isinstance(user_id, int):
            return False
        async with self.sessions() as session:
            is_staff = await session.scalar(select(User.is_staff).where(User.id == user_id))
        return bool(is_staff)


# --- saving through the API's rules ----------------------------------------------------------


def _refusal(errors: Mapping[str, Sequence[str]]) -> ValueError:
    """An error SQLAdmin shows above the form it re-displays (it shows what a save raises)."""
    return ValueError("; ".join(f"{key} {', '.join(messages)}" for key, messages in errors.items()))


def _validated(model: type[schemas.RequestModel], fields: dict[str, Any]) -> dict[str, Any]:
    """The fields, checked and normalised (trimmed, blank bio as None) as the API does."""
    try:
        return model.model_validate(fields).model_dump(exclude_unset=True)
    except ValidationError as exc:
        raise _refusal(schemas.one_message_per_field(exc.errors())) from None


class TagName(schemas.RequestModel):
    """A tag's name, by the rules of a name in tagList."""

    name: Annotated[str, schemas.Text(max_length=schemas.MAX_TAG_LENGTH)]


class TagNamesField(StringField):
    """An article's tags as comma-separated names, as the API's tagList has them."""

    def __init__(
        self, *args: Any, data: Any = None, allow_blank: bool = True, **kwargs: Any
    ) -> None:
        # As the field of a relationship, it is handed SQLAdmin's select options: not needed.
        super().__init__(*args, **kwargs)

    def process_data(self, value: Any) -> None:
        tags = value if isinstance(value, list) else []
        self.data = ", ".join(sorted(tag.name for tag in tags))


# --- views -----------------------------------------------------------------------------------

# Related rows are shown by name, not by the models' repr.
TYPE_FORMATTERS: dict[type, Any] = {
    **BASE_FORMATTERS,
    User: lambda user: user.username,
    Article: lambda article: article.title,
    Tag: lambda tag: tag.name,
    Comment: lambda comment: comment.body[:60],
}


class ConduitView(ModelView):
    """What every view shares: CSRF-protected forms, names for related rows, no CSV export
    (it would bypass the columns each view chooses to show)."""

    form_base_class = CSRFForm
    column_type_formatters = TYPE_FORMATTERS
    column_type_formatters_detail = TYPE_FORMATTERS
    can_export = False
    page_size = 25

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The admin's session factory (an async one: create_admin builds it)."""
        return cast(async_sessionmaker[AsyncSession], self.session_maker)

    async def check_can_delete(self, request: Request, model: Any) -> bool:
        """SQLAdmin deletes with a DELETE request from its script, which carries the CSRF
        token in a header (templates/sqladmin/base.html): one without it is a 403."""
        if not csrf_token_is_valid(request.headers.get(CSRF_HEADER)):
            return False
        return await super().check_can_delete(request, model)


class UserAdmin(ConduitView, model=User):
    """Accounts. They register through the API (CreateUser) or `cli create-staff`: no add page.
    The password hash is never shown; deleting a user deletes their articles, comments,
    favorites and follows (ON DELETE CASCADE)."""

    icon = "fa-solid fa-user"
    can_create = False
    column_list = [User.id, User.username, User.email, User.is_staff]
    column_details_list = [User.id, User.username, User.email, User.bio, User.image, User.is_staff]
    column_searchable_list = [User.username, User.email]
    column_sortable_list = [User.id, User.username, User.email, User.is_staff]
    column_filters = [BooleanFilter(User.is_staff)]
    form_columns = [User.username, User.email, User.bio, User.image, User.is_staff]

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Save as UpdateCurrentUser does (services.update_user), with the staff flag."""
        fields = ("username", "email", "bio", "image")
        changes = _validated(schemas.UpdateUser, {field: data[field] for field in fields})
        async with self.sessions() as session:
            user = await session.get(User, int(pk))
            if user is None:
                raise HTTPException(404)
            user.is_staff = bool(data["is_staff"])
            try:
                return await services.update_user(session=session, user=user, changes=changes)
            except APIError as exc:
                raise _refusal(exc.errors) from None


class ArticleAdmin(ConduitView, model=Article):
    """Articles with their tags and comments. Published by their authors through the API, so
    there is no add page; staff edit and delete. The slug follows the title, as through
    UpdateArticle; deleting an article deletes its comments, favorites and tag links."""

    icon = "fa-solid fa-newspaper"
    can_create = False
    column_list = [Article.id, Article.title, Article.slug, Article.author, Article.created_at]
    column_details_list = [
        Article.id,
        Article.slug,
        Article.title,
        Article.description,
        Article.body,
        Article.author,
        Article.tags,
        Article.comments,
        Article.created_at,
        Article.updated_at,
    ]
    column_searchable_list = [Article.title, Article.slug]
    column_sortable_list = [Article.id, Article.title, Article.created_at]
    column_default_sort = [(Article.created_at, True)]
    column_filters = [ForeignKeyFilter(Article.author_id, User.username, title="Author")]
    form_columns = [Article.title, Article.description, Article.body, Article.tags]
    form_overrides = {"tags": TagNamesField}
    form_args = {"tags": {"description": "Comma-separated tag names."}}

    async def update_model(self, request: Request, pk: str, data: dict[str, Any]) -> Any:
        """Save as its author would through UpdateArticle (services.update_article)."""
        names = [name for name in (data["tags"] or "").split(",") if name.strip()]
        fields = ("title", "description", "body")
        changes = _validated(
            schemas.UpdateArticle, {**{field: data[field] for field in fields}, "tagList": names}
        )
        async with self.sessions() as session:
            article = await session.get(Article, int(pk))
            if article is None:
                raise HTTPException(404)
            author = await session.get(User, article.author_id)
            assert author is not None  # the foreign key holds
            try:
                return await services.update_article(
                    session=session, user=author, slug=article.slug, changes=changes
                )
            except APIError as exc:
                raise _refusal(exc.errors) from None


class CommentAdmin(ConduitView, model=Comment):
    """Comments, newest first; staff may correct a body or delete a comment."""

    icon = "fa-solid fa-comment"
    can_create = False
    column_list = [Comment.id, Comment.article, Comment.author, Comment.created_at]
    column_details_list = [
        Comment.id,
        Comment.article,
        Comment.author,
        Comment.body,
        Comment.created_at,
        Comment.updated_at,
    ]
    column_searchable_list = [Comment.body]
    column_sortable_list = [Comment.id, Comment.created_at]
    column_default_sort = [(Comment.created_at, True)]
    column_filters = [ForeignKeyFilter(Comment.author_id, User.username, title="Author")]
    form_columns = [Comment.body]

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """The body obeys CreateArticleComment's rules; the comment shows it was changed."""
        data.update(_validated(schemas.NewComment, {"body": data["body"]}))
        model.updated_at = utcnow()


class TagAdmin(ConduitView, model=Tag):
    """Tag names, shared by the articles that carry them. A tag left on no article is not in
    GetTags, which lists only the tags articles use."""

    icon = "fa-solid fa-tag"
    column_list = [Tag.id, Tag.name]
    column_details_list = [Tag.id, Tag.name]
    column_searchable_list = [Tag.name]
    column_sortable_list = [Tag.id, Tag.name]
    form_columns = [Tag.name]

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """A name obeys the rules of a name in tagList (trimmed, 1 to 64 characters)."""
        data.update(_validated(TagName, {"name": data["name"]}))


def create_admin(app: FastAPI, settings: Settings, engine: AsyncEngine) -> Admin:
    """Mount the admin at /admin on `app`, with its own sessions on the app's engine:
    SQLAdmin reconfigures the factory it is given (autoflush off), which the API's sessions
    must not see."""
    sessions = create_sessionmaker(engine)
    admin = Admin(
        app,
        session_maker=sessions,
        base_url="/admin",
        title="Conduit admin",
        templates_dir=str(TEMPLATES_DIR),
        authentication_backend=StaffAuthentication(settings, sessions),
    )
    admin.templates.env.globals["csrf_token"] = csrf_token
    for view in (UserAdmin, ArticleAdmin, CommentAdmin, TagAdmin):
        admin.add_view(view)
    return admin
