"""Admin: browse and moderate users, articles, comments and tags.

Only active staff may enter (Django's admin checks is_staff), every form carries Django's CSRF
token, and edits keep the API's rules: an article is saved by services.update_article, so a new
title gives a new unique slug as through UpdateArticle; deleting a user or an article deletes
what depends on it (the foreign keys cascade); a tag left on no article drops out of GetTags.
"""

from __future__ import annotations

from typing import TypedDict

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django_stubs_ext import WithAnnotations

from django_app.conduit import services
from django_app.conduit.models import Article, Comment, Tag, User


class FavoriteCount(TypedDict):
    """The annotation ArticleAdmin's list query adds."""

    favorite_count: int


class ArticleCount(TypedDict):
    """The annotation TagAdmin's list query adds."""

    article_count: int


# The stubs bind UserAdmin to AbstractUser subclasses; Django's own UserAdmin serves any user model
# with the fields its fieldsets name (ours, below), which is how its docs use it with custom users.
@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):  # type: ignore[type-var]
    """Users sign in with their email; the username is their public name."""

    list_display = ["username", "email", "is_staff", "is_active", "created_at"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["username", "email"]
    ordering = ["username"]
    readonly_fields = ["created_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["username", "bio", "image"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["created_at", "last_login"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "username", "password1", "password2"],
            },
        )
    ]


class CommentInline(admin.TabularInline[Comment, Article]):
    """An article's comments, editable from the article page."""

    model = Comment
    extra = 0
    fields = ["author", "body", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["author"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin[Article]):
    """Articles with their author, tags and favorite count; written through the API only.

    The slug is not edited by hand: it follows the title, as through UpdateArticle. There is no
    add page: articles are published by their authors (CreateArticle); staff edit and delete.
    """

    list_display = ["title", "slug", "author", "created_at", "favorite_count"]
    list_select_related = ["author"]
    list_filter = ["created_at", "tags"]
    search_fields = ["title", "slug", "author__username"]
    date_hierarchy = "created_at"
    raw_id_fields = ["author"]
    filter_horizontal = ["tags"]
    readonly_fields = ["slug", "created_at", "updated_at"]
    inlines = [CommentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        """Count favorites in the list query rather than once per row."""
        return super().get_queryset(request).annotate(favorite_count=Count("favorites"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Nobody adds articles here (see the class docstring)."""
        return False

    def save_model(
        self, request: HttpRequest, obj: Article, form: ModelForm[Article], change: bool
    ) -> None:
        """Save an edit as UpdateArticle does: a new title gives a new unique slug.

        The form has already set the fields on `obj`; the tags are saved after this, with the
        form's other relations. The article update_article returns (as `user` sees it) is unused.
        """
        edited = [field for field in ("title", "description", "body") if field in form.changed_data]
        changes = {field: form.cleaned_data[field] for field in edited}
        services.update_article(user=obj.author, article=obj, changes=changes)

    @admin.display(description="favorites", ordering="favorite_count")
    def favorite_count(self, article: WithAnnotations[Article, FavoriteCount]) -> int:
        """Number of users who favorited the article."""
        return article.favorite_count


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    """All comments, newest first."""

    list_display = ["id", "article", "author", "created_at"]
    list_select_related = ["article", "author"]
    list_filter = ["created_at"]
    search_fields = ["body", "author__username", "article__title"]
    raw_id_fields = ["article", "author"]
    ordering = ["-created_at"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    """Tags with the number of articles carrying each."""

    list_display = ["name", "article_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tag]:
        """Count articles in the list query rather than once per row."""
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, tag: WithAnnotations[Tag, ArticleCount]) -> int:
        """Number of articles with this tag."""
        return tag.article_count
