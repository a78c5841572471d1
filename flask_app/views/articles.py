"""Articles and favorites: list, feed, read, create, update, delete, favorite, unfavorite."""

from flask import Blueprint, g, request
from flask.typing import ResponseReturnValue

from flask_app import services
from flask_app.auth import login_optional, login_required
from flask_app.schemas import (
    ArticleFiltersSchema,
    ArticlePreviewSchema,
    ArticleSchema,
    NewArticleSchema,
    PaginationSchema,
    UpdateArticleSchema,
    json_body,
)

bp = Blueprint("articles", __name__)


# operationId: GetArticlesFeed
@bp.get("/articles/feed")
@login_required
def get_articles_feed() -> ResponseReturnValue:
    """Articles by the authors the caller follows, newest first."""
    page = PaginationSchema().load(request.args)
    articles, count = services.feed_articles(user=g.current_user, **page)
    return {
        "articles": ArticlePreviewSchema(many=True).dump(articles),
        "articlesCount": count,
    }


# operationId: GetArticles
@bp.get("/articles")
@login_optional
def get_articles() -> ResponseReturnValue:
    """Articles filtered by tag, author and favorited (all optional), newest first."""
    filters = ArticleFiltersSchema().load(request.args)
    articles, count = services.list_articles(viewer=g.current_user, **filters)
    return {
        "articles": ArticlePreviewSchema(many=True).dump(articles),
        "articlesCount": count,
    }


# operationId: CreateArticle
@bp.post("/articles")
@login_required
def create_article() -> ResponseReturnValue:
    """Publish an article as the caller."""
    fields = NewArticleSchema().load(json_body())
    article = services.create_article(author=g.current_user, **fields)
    return {"article": ArticleSchema().dump(article)}, 201


# operationId: GetArticle
@bp.get("/articles/<slug>")
@login_optional
def get_article(slug: str) -> ResponseReturnValue:
    """One article, with the caller's favorited and following flags."""
    article = services.get_article(viewer=g.current_user, slug=slug)
    return {"article": ArticleSchema().dump(article)}


# operationId: UpdateArticle
@bp.put("/articles/<slug>")
@login_required
def update_article(slug: str) -> ResponseReturnValue:
    """Change an article's fields (its author only)."""
    changes = UpdateArticleSchema().load(json_body())
    article = services.update_article(user=g.current_user, slug=slug, changes=changes)
    return {"article": ArticleSchema().dump(article)}


# operationId: DeleteArticle
@bp.delete("/articles/<slug>")
@login_required
def delete_article(slug: str) -> ResponseReturnValue:
    """Delete an article and everything attached to it (its author only)."""
    services.delete_article(user=g.current_user, slug=slug)
    return "", 204


# operationId: CreateArticleFavorite
@bp.post("/articles/<slug>/favorite")
@login_required
def create_article_favorite(slug: str) -> ResponseReturnValue:
    """Favorite an article (idempotent; any request body is ignored)."""
    article = services.favorite_article(user=g.current_user, slug=slug)
    return {"article": ArticleSchema().dump(article)}


# operationId: DeleteArticleFavorite
@bp.delete("/articles/<slug>/favorite")
@login_required
def delete_article_favorite(slug: str) -> ResponseReturnValue:
    """Remove an article from the caller's favorites (idempotent)."""
    article = services.unfavorite_article(user=g.current_user, slug=slug)
    return {"article": ArticleSchema().dump(article)}
