"""Comments: list, add and delete comments on an article."""

from rest_framework import status
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from django_app.conduit import services
from django_app.conduit.parsers import json_body
from django_app.conduit.permissions import IsAuthorOrReadOnly
from django_app.conduit.serializers import CommentSerializer, NewCommentRequestSerializer
from django_app.conduit.views.base import ConduitAPIView


class CommentListView(ConduitAPIView):
    """GET (authentication optional) and POST /api/articles/{slug}/comments."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    # operationId: GetArticleComments
    def get(self, request: Request, slug: str) -> Response:
        """An article's comments, oldest first."""
        comments = services.list_comments(viewer=request.user, slug=slug)
        return Response({"comments": CommentSerializer(comments, many=True).data})

    # operationId: CreateArticleComment
    def post(self, request: Request, slug: str) -> Response:
        """Comment on an article."""
        serializer = NewCommentRequestSerializer(data=json_body(request))
        serializer.is_valid(raise_exception=True)
        comment = services.add_comment(author=request.user, slug=slug, **serializer.validated_data)
        return Response(
            {"comment": CommentSerializer(comment).data}, status=status.HTTP_201_CREATED
        )


class CommentDetailView(ConduitAPIView):
    """DELETE /api/articles/{slug}/comments/{id}."""

    permission_classes = [IsAuthenticated, IsAuthorOrReadOnly]

    # operationId: DeleteArticleComment
    def delete(self, request: Request, slug: str, comment_id: str) -> Response:
        """Delete your comment."""
        comment = services.get_comment(slug=slug, comment_id=comment_id)
        self.check_object_permissions(request, comment)
        services.delete_comment(comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)
