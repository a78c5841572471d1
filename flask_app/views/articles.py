"""Articles and favorites: list, feed, read, create, update, delete, favorite, unfavorite."""

from flask import g
from flask.typing import ResponseReturnValue
from werkzeug.routing import BaseConverter

from flask_app import openapi, services
from flask_app.auth import login_optional, login_required
from flask_app.openapi import Blueprint
from flask_app.schemas import (
    ArticleFilters,
    ArticleFiltersSchema,
    MultipleArticlesResponse,
    MultipleArticlesResponseSchema,
    NewArticle,
    NewArticleRequestSchema,
    Pagination,
    PaginationSchema,
    SingleArticleResponse,
    SingleArticleResponseSchema,
    UpdateArticle,
    UpdateArticleRequestSchema,
)

bp = Blueprint("Articles", __name__)


class ArticleSlugConverter(BaseConverter):
    """An article's slug in `/articles/<slug>`: any path segment but `feed`.

    `/articles/feed` is a resource of its own (GET only). Werkzeug picks a rule by its path and
    then its methods, trying the next rule when the methods do not fit, so without this
    `PUT /articles/feed` would reach UpdateArticle (a 404) instead of being a 405.
    """

    regex = r"(?!feed$)[^/]+"


bp.record_once(lambda state: state.app.url_map.converters.update(article_slug=ArticleSlugConverter))


# operationId: GetArticlesFeed
@bp.get("/articles/feed")
@bp.doc(
    operationId="GetArticlesFeed",
    summary="Recent articles from users you follow",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 422),
)
@login_required
@bp.arguments(PaginationSchema, location="query")
@bp.response(200, MultipleArticlesResponseSchema)
def get_articles_feed(page: Pagination) -> MultipleArticlesResponse:
    """Articles by the authors the caller follows, newest first."""
    articles, count = services.feed_articles(user=g.current_user, **page)
    return {"articles": articles, "articles_count": count}


# operationId: GetArticles
@bp.get("/articles")
@bp.doc(
    operationId="GetArticles",
    summary="Recent articles globally",
    security=openapi.TOKEN_OPTIONAL,
    responses=openapi.errors(401, 422),
)
@login_optional
@bp.arguments(ArticleFiltersSchema, location="query")
@bp.response(200, MultipleArticlesResponseSchema)
def get_articles(filters: ArticleFilters) -> MultipleArticlesResponse:
    """Articles filtered by tag, author and favorited (all optional), newest first."""
    articles, count = services.list_articles(viewer=g.current_user, **filters)
    return {"articles": articles, "articles_count": count}


# operationId: CreateArticle
@bp.post("/articles")
@bp.doc(
    operationId="CreateArticle",
    summary="Create an article",
    security=openapi.TOKEN,
    responses=openapi.errors(401, *openapi.BODY_ERRORS),
)
@login_required
@bp.arguments(NewArticleRequestSchema)
@bp.response(201, SingleArticleResponseSchema)
def create_article(fields: NewArticle) -> SingleArticleResponse:
    """Publish an article as the caller."""
    article = services.create_article(author=g.current_user, **fields)
    return {"article": article}


# operationId: GetArticle
@bp.get("/articles/<article_slug:slug>", parameters=[openapi.SLUG])
@bp.doc(
    operationId="GetArticle",
    summary="Get an article",
    security=openapi.TOKEN_OPTIONAL,
    responses=openapi.errors(401, 404),
)
@login_optional
@bp.response(200, SingleArticleResponseSchema)
def get_article(slug: str) -> SingleArticleResponse:
    """One article, with the caller's favorited and following flags."""
    article = services.get_article(viewer=g.current_user, slug=slug)
    return {"article": article}


# operationId: UpdateArticle
@bp.put("/articles/<article_slug:slug>", parameters=[openapi.SLUG])
@bp.doc(
    operationId="UpdateArticle",
    summary="Update an article",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 403, 404, *openapi.BODY_ERRORS),
)
@login_required
@bp.arguments(UpdateArticleRequestSchema)
@bp.response(200, SingleArticleResponseSchema)
def update_article(changes: UpdateArticle, slug: str) -> SingleArticleResponse:
    """Change an article's fields (its author only)."""
    article = services.update_article(user=g.current_user, slug=slug, changes=changes)
    return {"article": article}


# operationId: DeleteArticle
@bp.delete("/articles/<article_slug:slug>", parameters=[openapi.SLUG])
@bp.doc(
    operationId="DeleteArticle",
    summary="Delete an article",
    security=openapi.TOKEN,
    responses={204: {"description": "Deleted."}, **openapi.errors(401, 403, 404)},
)
@login_required
def delete_article(slug: str) -> ResponseReturnValue:
    """Delete an article and everything attached to it (its author only)."""
    services.delete_article(user=g.current_user, slug=slug)
    return "", 204


# operationId: CreateArticleFavorite
@bp.post("/articles/<slug>/favorite", parameters=[openapi.SLUG], tags=["Favorites"])
@bp.doc(
    operationId="CreateArticleFavorite",
    summary="Favorite an article",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 404),
)
@login_required
@bp.response(200, SingleArticleResponseSchema)
def create_article_favorite(slug: str) -> SingleArticleResponse:
    """Favorite an article (idempotent; any request body is ignored)."""
    article = services.favorite_article(user=g.current_user, slug=slug)
    return {"article": article}


# operationId: DeleteArticleFavorite
@bp.delete("/articles/<slug>/favorite", parameters=[openapi.SLUG], tags=["Favorites"])
@bp.doc(
    operationId="DeleteArticleFavorite",
    summary="Unfavorite an article",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 404),
)
@login_required
@bp.response(200, SingleArticleResponseSchema)
def delete_article_favorite(slug: str) -> SingleArticleResponse:
    """Remove an article from the caller's favorites (idempotent)."""
    article = services.unfavorite_article(user=g.current_user, slug=slug)
    return {"article": article}
