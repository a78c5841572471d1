"""Comments on an article: list, add, delete."""

from flask import Blueprint, g
from flask.typing import ResponseReturnValue

from flask_app import services
from flask_app.auth import login_optional, login_required
from flask_app.schemas import CommentSchema, NewCommentSchema, json_body, parse_id

bp = Blueprint("comments", __name__)


# operationId: GetArticleComments
@bp.get("/articles/<slug>/comments")
@login_optional
def get_article_comments(slug: str) -> ResponseReturnValue:
    """The article's comments, oldest first."""
    comments = services.list_comments(viewer=g.current_user, slug=slug)
    return {"comments": CommentSchema(many=True).dump(comments)}


# operationId: CreateArticleComment
@bp.post("/articles/<slug>/comments")
@login_required
def create_article_comment(slug: str) -> ResponseReturnValue:
    """Comment on an article as the caller."""
    fields = NewCommentSchema().load(json_body())
    comment = services.add_comment(author=g.current_user, slug=slug, **fields)
    return {"comment": CommentSchema().dump(comment)}, 201


# operationId: DeleteArticleComment
@bp.delete("/articles/<slug>/comments/<id>")
@login_required
def delete_article_comment(slug: str, id: str) -> ResponseReturnValue:
    """Delete a comment (its author only)."""
    services.delete_comment(user=g.current_user, slug=slug, comment_id=parse_id(id))
    return "", 204
