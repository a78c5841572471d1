"""Articles and Favorites: lists, the feed, one article, and favoriting."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from django_app.conduit import openapi, services
from django_app.conduit.authentication import AuthenticatedRequest, ViewerRequest
from django_app.conduit.models import Article
from django_app.conduit.parsers import json_body
from django_app.conduit.permissions import IsAuthorOrReadOnly
from django_app.conduit.serializers import (
    ArticleFiltersSerializer,
    ArticlePreviewSerializer,
    ArticleSerializer,
    NewArticleRequestSerializer,
    PaginationSerializer,
    UpdateArticleRequestSerializer,
)
from django_app.conduit.views.base import ConduitAPIView, LookupValueFilter


class ArticleListView(ConduitAPIView):
    """GET (authentication optional) and POST /api/articles."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    # operationId: GetArticles
    @extend_schema(
        operation_id="GetArticles",
        tags=["Articles"],
        summary="Recent articles globally",
        parameters=[ArticleFiltersSerializer],
        responses={200: openapi.ARTICLES, **openapi.errors(401, 422)},
    )
    def get(self, request: ViewerRequest) -> Response:
        """Recent articles, filtered by tag, author or favoriting user."""
        filters = ArticleFiltersSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        articles, total = services.list_articles(viewer=request.user, **filters.validated_data)
        articles_data = ArticlePreviewSerializer(many=True).to_representation(articles)
        return Response({"articles": articles_data, "articlesCount": total})

    # operationId: CreateArticle
    @extend_schema(
        operation_id="CreateArticle",
        tags=["Articles"],
        summary="Create an article",
        request=NewArticleRequestSerializer,
        responses={201: openapi.ARTICLE, **openapi.errors(401, *openapi.BODY_ERRORS)},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        """Publish an article."""
        serializer = NewArticleRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        article = services.create_article(author=request.user, **serializer.validated_data)
        return Response(
            {"article": ArticleSerializer(article).data}, status=status.HTTP_201_CREATED
        )


class ArticleFeedView(ConduitAPIView):
    """GET /api/articles/feed."""

    # operationId: GetArticlesFeed
    @extend_schema(
        operation_id="GetArticlesFeed",
        tags=["Articles"],
        summary="Recent articles from users you follow",
        parameters=[PaginationSerializer],
        responses={200: openapi.ARTICLES, **openapi.errors(401, 422)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """Recent articles by the authors the caller follows."""
        page = PaginationSerializer(data=request.query_params)
        page.is_valid(raise_exception=True)
        articles, total = services.feed_articles(user=request.user, **page.validated_data)
        articles_data = ArticlePreviewSerializer(many=True).to_representation(articles)
        return Response({"articles": articles_data, "articlesCount": total})


class ArticleDetailView(ConduitAPIView, GenericAPIView[Article]):
    """GET (authentication optional), PUT and DELETE /api/articles/{slug}.

    PUT and DELETE find the article with DRF's get_object: 404, then IsAuthorOrReadOnly's 403.
    """

    permission_classes = [IsAuthenticatedOrReadOnly, IsAuthorOrReadOnly]
    queryset = Article.objects.all()
    lookup_field = "slug"
    filter_backends = [LookupValueFilter]

    # operationId: GetArticle
    @extend_schema(
        operation_id="GetArticle",
        tags=["Articles"],
        summary="Get an article",
        parameters=[openapi.SLUG],
        responses={200: openapi.ARTICLE, **openapi.errors(401, 404)},
    )
    def get(self, request: ViewerRequest, slug: str) -> Response:
        """One article, with its body."""
        article = services.get_article(viewer=request.user, slug=slug)
        return Response({"article": ArticleSerializer(article).data})

    # operationId: UpdateArticle
    @extend_schema(
        operation_id="UpdateArticle",
        tags=["Articles"],
        summary="Update an article",
        parameters=[openapi.SLUG],
        request=UpdateArticleRequestSerializer,
        responses={200: openapi.ARTICLE, **openapi.errors(401, 403, 404, *openapi.BODY_ERRORS)},
    )
    def put(self, request: AuthenticatedRequest, slug: str) -> Response:
        """Edit your article; a new title gives a new slug."""
        serializer = UpdateArticleRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        article = services.update_article(
            user=request.user, article=self.get_object(), changes=serializer.validated_data
        )
        return Response({"article": ArticleSerializer(article).data})

    # operationId: DeleteArticle
    @extend_schema(
        operation_id="DeleteArticle",
        tags=["Articles"],
        summary="Delete an article",
        parameters=[openapi.SLUG],
        responses={204: openapi.DELETED, **openapi.errors(401, 403, 404)},
    )
    def delete(self, request: AuthenticatedRequest, slug: str) -> Response:
        """Delete your article."""
        services.delete_article(article=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArticleFavoriteView(ConduitAPIView):
    """POST and DELETE /api/articles/{slug}/favorite; any request body is ignored."""

    # operationId: CreateArticleFavorite
    @extend_schema(
        operation_id="CreateArticleFavorite",
        tags=["Favorites"],
        summary="Favorite an article",
        parameters=[openapi.SLUG],
        request=None,
        responses={200: openapi.ARTICLE, **openapi.errors(401, 404)},
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        """Favorite an article."""
        article = services.favorite_article(user=request.user, slug=slug)
        return Response({"article": ArticleSerializer(article).data})

    # operationId: DeleteArticleFavorite
    @extend_schema(
        operation_id="DeleteArticleFavorite",
        tags=["Favorites"],
        summary="Unfavorite an article",
        parameters=[openapi.SLUG],
        responses={200: openapi.ARTICLE, **openapi.errors(401, 404)},
    )
    def delete(self, request: AuthenticatedRequest, slug: str) -> Response:
        """Unfavorite an article."""
        article = services.unfavorite_article(user=request.user, slug=slug)
        return Response({"article": ArticleSerializer(article).data})
