"""Comments on an article: list, add, delete."""

from flask import g
from flask.typing import ResponseReturnValue

from flask_app import openapi, services
from flask_app.auth import login_optional, login_required
from flask_app.openapi import Blueprint
from flask_app.schemas import (
    MultipleCommentsResponse,
    MultipleCommentsResponseSchema,
    NewComment,
    NewCommentRequestSchema,
    SingleCommentResponse,
    SingleCommentResponseSchema,
    parse_id,
)

bp = Blueprint("Comments", __name__)


# operationId: GetArticleComments
@bp.get("/articles/<slug>/comments", parameters=[openapi.SLUG])
@bp.doc(
    operationId="GetArticleComments",
    summary="Comments on an article",
    security=openapi.TOKEN_OPTIONAL,
    responses=openapi.errors(401, 404),
)
@login_optional
@bp.response(200, MultipleCommentsResponseSchema)
def get_article_comments(slug: str) -> MultipleCommentsResponse:
    """The article's comments, oldest first."""
    comments = services.list_comments(viewer=g.current_user, slug=slug)
    return {"comments": comments}


# operationId: CreateArticleComment
@bp.post("/articles/<slug>/comments", parameters=[openapi.SLUG])
@bp.doc(
    operationId="CreateArticleComment",
    summary="Comment on an article",
    security=openapi.TOKEN,
    responses=openapi.errors(401, 404, *openapi.BODY_ERRORS),
)
@login_required
@bp.arguments(NewCommentRequestSchema)
@bp.response(201, SingleCommentResponseSchema)
def create_article_comment(fields: NewComment, slug: str) -> SingleCommentResponse:
    """Comment on an article as the caller."""
    comment = services.add_comment(author=g.current_user, slug=slug, **fields)
    return {"comment": comment}


# operationId: DeleteArticleComment
@bp.delete("/articles/<slug>/comments/<id>", parameters=[openapi.SLUG, openapi.COMMENT_ID])
@bp.doc(
    operationId="DeleteArticleComment",
    summary="Delete a comment",
    security=openapi.TOKEN,
    responses={204: {"description": "Deleted."}, **openapi.errors(401, 403, 404)},
)
@login_required
def delete_article_comment(slug: str, id: str) -> ResponseReturnValue:
    """Delete a comment (its author only)."""
    services.delete_comment(user=g.current_user, slug=slug, comment_id=parse_id(id))
    return "", 204
