"""Admin: browse and moderate users, articles, comments and tags (Flask-Admin, at /admin/).

Only staff may enter. Staff sign in at /admin/login with their API email and password
(services.authenticate: the same Argon2 check as Login); who signed in is kept in Flask's
signed session cookie (HttpOnly, SameSite=Lax, Secure in production: config.py), read only by
the admin's pages, so the API's responses never depend on a cookie. Every admin page sends
anyone else to that sign-in page, and only a staff account can sign in. Every form, the sign-in
and sign-out forms included, is a Flask-Admin SecureForm: a POST without its CSRF token changes
nothing.

Edits keep the API's rules: the API's schemas check the fields; an article is saved by
services.update_article as its author, so a new title gives a new unique slug as through
UpdateArticle; tags are picked from the shared rows, and a tag left on no article drops out of
GetTags. Deleting a user or an article deletes what depends on it through the foreign keys'
ON DELETE CASCADE, which the ORM leaves to the database (models.py). Users, articles and
comments are created through the API (users also by `flask create-staff`), not here.
"""

from typing import Any

from flask import Flask, flash, g, redirect, request, session, url_for
from flask_admin.base import Admin, AdminIndexView, expose
from flask_admin.contrib.sqla.view import ModelView
from flask_admin.form import SecureForm
from flask_admin.helpers import is_safe_url
from flask_admin.theme import Bootstrap4Theme
from markupsafe import Markup, escape
from marshmallow import ValidationError
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response
from wtforms import EmailField, Form, PasswordField
from wtforms import ValidationError as FormValidationError
from wtforms.validators import InputRequired

from flask_app import services
from flask_app.errors import APIError, one_line
from flask_app.extensions import db
from flask_app.models import Article, Comment, Tag, User, utcnow
from flask_app.schemas import (
    EnvelopeSchema,
    NewCommentRequestSchema,
    TagList,
    UpdateArticleRequestSchema,
    UpdateUserRequestSchema,
    parse_id,
)

STAFF_ONLY = "Enter the email and password of a staff account."


# --- who is signed in -------------------------------------------------------------------------

STAFF_ID = "staff_id"  # the session key


def signed_in_staff() -> User | None:
    """The staff member this browser signed in as, while they are still staff; else nobody."""
    if "staff" not in g:
        user_id = session.get(STAFF_ID)
        user = db.session.get(User, user_id) if isinstance(user_id, int) else None
        g.staff = user if user is not None and user.is_staff else None
    staff: User | None = g.staff
    return staff


class LoginForm(SecureForm):
    """The sign-in form: the API's email and password."""

    email = EmailField(
        "Email", validators=[InputRequired()], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Password", validators=[InputRequired()], render_kw={"autocomplete": "current-password"}
    )


class LogoutForm(SecureForm):
    """The sign-out button: a POST with its CSRF token, so no other site can sign staff out."""


class StaffIndexView(AdminIndexView):
    """/admin/ for staff, and the sign-in and sign-out pages for everyone."""

    @expose("/")
    def index(self) -> Any:
        if signed_in_staff() is None:
            return redirect(url_for(".login", next=_this_page()))
        return super().index()

    @expose("/login", methods=["GET", "POST"])
    def login(self) -> Any:
        """Staff sign in with their API email and password; nobody else can."""
        form = LoginForm(request.form)
        if request.method == "POST" and form.validate():
            user = _staff_with(email=form.email.data or "", password=form.password.data or "")
            if user is not None:
                session.clear()  # a fresh session for the signed-in staff member
                session[STAFF_ID] = user.id
                target = request.args.get("next", "")
                safe = target.startswith(url_for(".index")) and is_safe_url(target)
                return redirect(target if safe else url_for(".index"))
            flash(STAFF_ONLY, "error")
        elif form["csrf_token"].errors:  # SecureForm adds the field to every form
            flash("The sign-in form had expired; please sign in again.", "error")
        return self.render("admin/staff_login.html", form=form)

    @expose("/logout", methods=["POST"])
    def logout(self) -> Response:
        if LogoutForm(request.form).validate():
            session.clear()
        return redirect(url_for(".login"))


def _this_page() -> str:
    """Where to come back to after signing in: this path and its query string."""
    return request.full_path.removesuffix("?")


def _staff_with(*, email: str, password: str) -> User | None:
    """The staff account with these credentials; the API's check, then the staff flag."""
    try:
        user = services.authenticate(email=email, password=password)
    except APIError:
        return None
    return user if user.is_staff else None


# --- the model pages --------------------------------------------------------------------------


def _checked(schema: type[EnvelopeSchema], fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` as the API's request schema loads them, or a form error with its messages."""
    loader = schema()
    ((envelope, _nested),) = loader.fields.items()
    try:
        return loader.load({envelope: fields})
    except ValidationError as error:
        raise FormValidationError(one_line(error.messages_dict)) from None


class StaffModelView(ModelView):
    """A model's pages, for signed-in staff only; the forms carry a CSRF token.

    models.py's relationships never load lazily (lazy="raise"), so each page loads what it
    shows: `list_options` for the list's rows, `row_options` for the one row of an edit or
    details page. Flask-Admin itself joins the relationships the list shows as columns.
    """

    form_base_class = SecureForm
    can_create = False
    can_view_details = True
    page_size = 50
    list_options: tuple[Any, ...] = ()
    row_options: tuple[Any, ...] = ()

    def get_query(self) -> Any:
        return super().get_query().options(*self.list_options)

    def get_one(self, id: Any) -> Any:
        row_id = parse_id(id)
        if row_id is None:
            return None
        return db.session.get(self.model, row_id, options=self.row_options, populate_existing=True)

    def is_accessible(self) -> bool:
        return signed_in_staff() is not None

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Response:
        return redirect(url_for("admin.login", next=_this_page()))

    def handle_view_exception(self, exc: Exception) -> bool:
        """A rule of the API that an edit broke is shown on the form, as a validation error."""
        if isinstance(exc, APIError):
            flash(one_line(dict(exc.errors)), "error")
            return True
        return bool(super().handle_view_exception(exc))


class UserAdmin(StaffModelView):
    """Accounts: their public profile and the staff flag; never the password hash."""

    column_list = ["username", "email", "is_staff", "bio"]
    column_details_list = ["username", "email", "is_staff", "bio", "image"]
    column_searchable_list = ["username", "email"]
    column_filters = ["is_staff"]
    column_default_sort = "username"
    form_columns = ["username", "email", "bio", "image", "is_staff"]

    # Flask-Admin types the row as any model's; this view's rows are Users.
    def update_model(self, form: Form, model: User) -> bool:  # type: ignore[override]
        """Save an edit as UpdateCurrentUser does (services.update_user), with the staff flag."""
        fields = {name: form[name].data for name in ("username", "email", "bio", "image")}
        try:
            changes = _checked(UpdateUserRequestSchema, fields)
            model.is_staff = bool(form["is_staff"].data)
            services.update_user(user=model, changes=changes)
        except (FormValidationError, APIError) as error:
            db.session.rollback()
            self.handle_view_exception(error)
            return False
        self.after_model_change(form, model, False)
        return True


def _tag_names(_view: Any, _context: Any, article: Article, _name: str) -> str:
    return ", ".join(article.tag_list)


def _comments(_view: Any, _context: Any, article: Article, _name: str) -> Markup:
    items = (
        Markup("<li><strong>{}</strong>: {}</li>").format(comment.author.username, comment.body)
        for comment in sorted(article.comments, key=lambda comment: comment.created_at)
    )
    return Markup("<ul>{}</ul>").format(Markup("").join(items)) if article.comments else escape("")


class ArticleAdmin(StaffModelView):
    """Articles with their author, tags and comments; published through the API, edited here.

    The slug is not a form field: it follows the title, as through UpdateArticle.
    """

    column_list = ["title", "slug", "author.username", "tags", "created_at"]
    column_labels = {"author.username": "Author"}
    column_searchable_list = ["title", "slug", "author.username"]
    column_filters = ["created_at", "author.username", "tags.name"]
    column_default_sort = ("created_at", True)
    column_formatters = {"tags": _tag_names, "comments": _comments}
    can_view_details = True
    column_details_list = [
        "slug",
        "title",
        "description",
        "body",
        "author.username",
        "tags",
        "comments",
        "created_at",
        "updated_at",
    ]
    form_columns = ["title", "description", "body", "tags"]
    # QuerySelectMultipleField's own argument, which Flask-Admin's type for form_args leaves out.
    form_args = {"tags": {"get_label": "name"}}  # type: ignore[typeddict-unknown-key]
    list_options = (joinedload(Article.author),)
    row_options = (
        joinedload(Article.author),
        selectinload(Article.tags),
        selectinload(Article.comments).joinedload(Comment.author),
    )

    # Flask-Admin types the row as any model's; this view's rows are Articles.
    def update_model(self, form: Form, model: Article) -> bool:  # type: ignore[override]
        """Save an edit as UpdateArticle does: services.update_article, as the author."""
        fields = {name: form[name].data for name in ("title", "description", "body")}
        fields["tagList"] = [tag.name for tag in form["tags"].data]
        try:
            changes = _checked(UpdateArticleRequestSchema, fields)
            services.update_article(user=model.author, slug=model.slug, changes=changes)
        except (FormValidationError, APIError) as error:
            db.session.rollback()
            self.handle_view_exception(error)
            return False
        self.after_model_change(form, model, False)
        return True


class CommentAdmin(StaffModelView):
    """All comments, newest first; staff may correct or remove one."""

    column_list = ["article.title", "author.username", "body", "created_at"]
    column_labels = {"article.title": "Article", "author.username": "Author"}
    column_searchable_list = ["body", "author.username", "article.title"]
    column_filters = ["created_at", "author.username", "article.title"]
    column_default_sort = ("created_at", True)
    column_details_list = ["article.title", "author.username", "body", "created_at", "updated_at"]
    form_columns = ["body"]
    list_options = row_options = (joinedload(Comment.author), joinedload(Comment.article))

    # Flask-Admin types the row as any model's; this view's rows are Comments.
    def on_model_change(  # type: ignore[override]
        self, form: Form, model: Comment, is_created: bool
    ) -> None:
        """The body follows CreateArticleComment's rules; the edit is dated."""
        model.body = _checked(NewCommentRequestSchema, {"body": form["body"].data})["body"]
        model.updated_at = utcnow()


class TagAdmin(StaffModelView):
    """Tags, shared by the articles that carry them; renaming one renames it everywhere."""

    column_list = ["name"]
    column_searchable_list = ["name"]
    column_default_sort = "name"
    form_columns = ["name"]

    # Flask-Admin types the row as any model's; this view's rows are Tags.
    def on_model_change(  # type: ignore[override]
        self, form: Form, model: Tag, is_created: bool
    ) -> None:
        """A tag name follows the tagList rules of the API."""
        try:
            (model.name,) = TagList().deserialize([form["name"].data])
        except ValidationError as error:
            raise FormValidationError(one_line({"name": list(map(str, error.messages))})) from None


def init_admin(app: Flask) -> None:
    """Mount the admin at /admin/ and the staff sign-in behind it."""
    admin = Admin(
        app,
        name="Conduit admin",
        index_view=StaffIndexView(),
        theme=Bootstrap4Theme(base_template="admin/staff_base.html"),
    )
    admin.add_view(UserAdmin(User, db, name="Users"))
    admin.add_view(ArticleAdmin(Article, db, name="Articles"))
    admin.add_view(CommentAdmin(Comment, db, name="Comments"))
    admin.add_view(TagAdmin(Tag, db, name="Tags"))
    # Who is signed in, and the sign-out button, on every admin page (templates/admin/).
    app.jinja_env.globals.update(signed_in_staff=signed_in_staff, staff_logout_form=LogoutForm)
