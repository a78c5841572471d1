"""Articles and Favorites: list, feed, read, write and favorite articles."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from starlette.convertors import StringConvertor, register_url_convertor

from fastapi_app import services
from fastapi_app.dependencies import TOKEN_OPTIONAL, CurrentUser, OptionalUser, SessionDep
from fastapi_app.errors import BODY_ERRORS, error_responses
from fastapi_app.schemas import (
    Article,
    ArticleFilters,
    ArticlePreview,
    MultipleArticlesResponse,
    NewArticleRequest,
    Pagination,
    SingleArticleResponse,
    Slug,
    StrictJSONRoute,
    UpdateArticleRequest,
)

# Each handler names its tag: the two Favorites operations live here too, beside the articles
# they change (as in the other two apps), and a router-wide tag would be added to theirs.
router = APIRouter(route_class=StrictJSONRoute)


class ArticleSlugConvertor(StringConvertor):
    """An article's slug in `/articles/{slug}`: any path segment but `feed`.

    `/articles/feed` is a resource of its own (GET only). Starlette's router takes the first
    route whose path and method fit, so without this `PUT /articles/feed` would reach
    UpdateArticle (a 404) instead of being a 405.
    """

    regex = r"(?!feed$)[^/]+"


# Starlette's convertors are named in a registry of its own, read when a route is declared.
register_url_convertor("article_slug", ArticleSlugConvertor())


# operationId: GetArticlesFeed
@router.get(
    "/articles/feed",
    operation_id="GetArticlesFeed",
    summary="Recent articles from users you follow",
    tags=["Articles"],
    response_model=MultipleArticlesResponse,
    response_description="A page of articles and the number of all matching articles.",
    responses=error_responses(401, 422),
)
async def get_articles_feed(
    session: SessionDep, user: CurrentUser, page: Annotated[Pagination, Query()]
) -> MultipleArticlesResponse:
    """Articles by the authors the caller follows, newest first."""
    articles, total = await services.feed_articles(
        session=session, user=user, limit=page.limit, offset=page.offset
    )
    return MultipleArticlesResponse(
        articles=[ArticlePreview.model_validate(article) for article in articles],
        articles_count=total,
    )


# operationId: GetArticles
@router.get(
    "/articles",
    operation_id="GetArticles",
    summary="Recent articles globally",
    tags=["Articles"],
    response_model=MultipleArticlesResponse,
    response_description="A page of articles and the number of all matching articles.",
    responses=error_responses(401, 422),
    openapi_extra=TOKEN_OPTIONAL,
)
async def get_articles(
    session: SessionDep, viewer: OptionalUser, filters: Annotated[ArticleFilters, Query()]
) -> MultipleArticlesResponse:
    """Articles newest first, filtered by tag, author and/or favorited; articlesCount is the
    total number of matches, not the page length."""
    articles, total = await services.list_articles(
        session=session,
        viewer=viewer,
        tag=filters.tag,
        author=filters.author,
        favorited=filters.favorited,
        limit=filters.limit,
        offset=filters.offset,
    )
    return MultipleArticlesResponse(
        articles=[ArticlePreview.model_validate(article) for article in articles],
        articles_count=total,
    )


# operationId: CreateArticle
@router.post(
    "/articles",
    operation_id="CreateArticle",
    summary="Create an article",
    tags=["Articles"],
    status_code=status.HTTP_201_CREATED,
    response_model=SingleArticleResponse,
    response_description="An article.",
    responses=error_responses(*BODY_ERRORS, 401),
)
async def create_article(
    session: SessionDep,
    user: CurrentUser,
    body: NewArticleRequest,
) -> SingleArticleResponse:
    """Publish an article by the caller."""
    article = await services.create_article(
        session=session,
        author=user,
        title=body.article.title,
        description=body.article.description,
        body=body.article.body,
        tag_list=body.article.tag_list,
    )
    return SingleArticleResponse(article=Article.model_validate(article))


# operationId: GetArticle
@router.get(
    "/articles/{slug:article_slug}",
    operation_id="GetArticle",
    summary="Get an article",
    tags=["Articles"],
    response_model=SingleArticleResponse,
    response_description="An article.",
    responses=error_responses(401, 404),
    openapi_extra=TOKEN_OPTIONAL,
)
async def get_article(
    slug: Slug, session: SessionDep, viewer: OptionalUser
) -> SingleArticleResponse:
    """One article, with the body."""
    article = await services.get_article(session=session, viewer=viewer, slug=slug)
    return SingleArticleResponse(article=Article.model_validate(article))


# operationId: UpdateArticle
@router.put(
    "/articles/{slug:article_slug}",
    operation_id="UpdateArticle",
    summary="Update an article",
    tags=["Articles"],
    response_model=SingleArticleResponse,
    response_description="An article.",
    responses=error_responses(*BODY_ERRORS, 401, 403, 404),
)
async def update_article(
    slug: Slug,
    session: SessionDep,
    user: CurrentUser,
    body: UpdateArticleRequest,
) -> SingleArticleResponse:
    """Change the fields sent (author only)."""
    changes = body.article.model_dump(exclude_unset=True)
    article = await services.update_article(session=session, user=user, slug=slug, changes=changes)
    return SingleArticleResponse(article=Article.model_validate(article))


# operationId: DeleteArticle
@router.delete(
    "/articles/{slug:article_slug}",
    operation_id="DeleteArticle",
    summary="Delete an article",
    tags=["Articles"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_description="Deleted.",
    responses=error_responses(401, 403, 404),
)
async def delete_article(slug: Slug, session: SessionDep, user: CurrentUser) -> None:
    """Delete an article with its comments and favorites (author only)."""
    await services.delete_article(session=session, user=user, slug=slug)


# operationId: CreateArticleFavorite
@router.post(
    "/articles/{slug}/favorite",
    operation_id="CreateArticleFavorite",
    summary="Favorite an article",
    tags=["Favorites"],
    response_model=SingleArticleResponse,
    response_description="An article.",
    responses=error_responses(401, 404),
)
async def create_article_favorite(
    slug: Slug, session: SessionDep, user: CurrentUser
) -> SingleArticleResponse:
    """Favorite an article (idempotent; any request body is ignored)."""
    article = await services.favorite_article(session=session, user=user, slug=slug)
    return SingleArticleResponse(article=Article.model_validate(article))


# operationId: DeleteArticleFavorite
@router.delete(
    "/articles/{slug}/favorite",
    operation_id="DeleteArticleFavorite",
    summary="Unfavorite an article",
    tags=["Favorites"],
    response_model=SingleArticleResponse,
    response_description="An article.",
    responses=error_responses(401, 404),
)
async def delete_article_favorite(
    slug: Slug, session: SessionDep, user: CurrentUser
) -> SingleArticleResponse:
    """Unfavorite an article (idempotent)."""
    article = await services.unfavorite_article(session=session, user=user, slug=slug)
    return SingleArticleResponse(article=Article.model_validate(article))
