"""Comments: list, add and delete comments on an article."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.response import Response

from django_app.conduit import openapi, services
from django_app.conduit.authentication import AuthenticatedRequest, ViewerRequest
from django_app.conduit.models import Comment
from django_app.conduit.parsers import json_body
from django_app.conduit.permissions import IsAuthorOrReadOnly
from django_app.conduit.serializers import (
    MAX_ID,
    BoundedIntegerField,
    CommentSerializer,
    NewCommentRequestSerializer,
)
from django_app.conduit.views.base import ConduitAPIView, LookupValueFilter


class CommentListView(ConduitAPIView):
    """GET (authentication optional) and POST /api/articles/{slug}/comments."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    # operationId: GetArticleComments
    @extend_schema(
        operation_id="GetArticleComments",
        tags=["Comments"],
        summary="Comments on an article",
        parameters=[openapi.SLUG],
        responses={200: openapi.COMMENTS, **openapi.errors(401, 404)},
    )
    def get(self, request: ViewerRequest, slug: str) -> Response:
        """An article's comments, oldest first."""
        comments = services.list_comments(viewer=request.user, slug=slug)
        return Response({"comments": CommentSerializer(many=True).to_representation(comments)})

    # operationId: CreateArticleComment
    @extend_schema(
        operation_id="CreateArticleComment",
        tags=["Comments"],
        summary="Comment on an article",
        parameters=[openapi.SLUG],
        request=NewCommentRequestSerializer,
        responses={201: openapi.COMMENT, **openapi.errors(401, 404, *openapi.BODY_ERRORS)},
    )
    def post(self, request: AuthenticatedRequest, slug: str) -> Response:
        """Comment on an article."""
        serializer = NewCommentRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        comment = services.add_comment(author=request.user, slug=slug, **serializer.validated_data)
        return Response(
            {"comment": CommentSerializer(comment).data}, status=status.HTTP_201_CREATED
        )


class CommentDetailView(ConduitAPIView, GenericAPIView[Comment]):
    """DELETE /api/articles/{slug}/comments/{id}.

    DRF's get_object finds the comment among its article's comments: 404 article, then 404
    comment (an id that is not plain decimal digits in range, "abc", "+1" or "1.5", is one
    too), then IsAuthorOrReadOnly's 403.
    """

    permission_classes = [IsAuthenticated, IsAuthorOrReadOnly]
    # The resource a 404 names (exceptions.not_found); get_queryset narrows it to one article.
    queryset = Comment.objects.all()
    lookup_url_kwarg = "id"
    # The id is plain decimal digits within the primary key's range, as in the other two apps.
    lookup_value_field = BoundedIntegerField(minimum=1, maximum=MAX_ID)
    filter_backends = [LookupValueFilter]

    def get_queryset(self) -> QuerySet[Comment]:
        """The comments of the path's article, which is looked up first."""
        return services.article_comments(slug=self.kwargs["slug"])

    # operationId: DeleteArticleComment
    @extend_schema(
        operation_id="DeleteArticleComment",
        tags=["Comments"],
        summary="Delete a comment",
        parameters=[openapi.SLUG, openapi.COMMENT_ID],
        responses={204: openapi.DELETED, **openapi.errors(401, 403, 404)},
    )
    def delete(self, request: AuthenticatedRequest, slug: str, id: str) -> Response:
        """Delete your comment."""
        services.delete_comment(comment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
