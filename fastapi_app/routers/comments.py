"""Comments: list, add and delete the comments of an article."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from fastapi_app import services
from fastapi_app.dependencies import CurrentUser, OptionalUser, SessionDep
from fastapi_app.errors import CLIENT_ERROR_RESPONSES
from fastapi_app.schemas import (
    Comment,
    CommentId,
    MultipleCommentsResponse,
    NewCommentRequest,
    SingleCommentResponse,
    StrictJSONRoute,
)

router = APIRouter(tags=["Comments"], route_class=StrictJSONRoute, responses=CLIENT_ERROR_RESPONSES)


# operationId: GetArticleComments
@router.get(
    "/articles/{slug}/comments",
    operation_id="GetArticleComments",
    response_model=MultipleCommentsResponse,
)
async def get_article_comments(
    slug: str, session: SessionDep, viewer: OptionalUser
) -> MultipleCommentsResponse:
    """The article's comments, oldest first."""
    comments = await services.list_comments(session=session, viewer=viewer, slug=slug)
    return MultipleCommentsResponse(
        comments=[Comment.model_validate(comment) for comment in comments]
    )


# operationId: CreateArticleComment
@router.post(
    "/articles/{slug}/comments",
    operation_id="CreateArticleComment",
    status_code=status.HTTP_201_CREATED,
    response_model=SingleCommentResponse,
)
async def create_article_comment(
    slug: str,
    session: SessionDep,
    user: CurrentUser,
    body: NewCommentRequest,
) -> SingleCommentResponse:
    """Comment on an article as the caller."""
    comment = await services.add_comment(
        session=session, author=user, slug=slug, body=body.comment.body
    )
    return SingleCommentResponse(comment=Comment.model_validate(comment))


# operationId: DeleteArticleComment
@router.delete(
    "/articles/{slug}/comments/{id}",
    operation_id="DeleteArticleComment",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def delete_article_comment(
    slug: str,
    comment_id: Annotated[CommentId, Path(alias="id")],
    session: SessionDep,
    user: CurrentUser,
) -> None:
    """Delete a comment (its author only)."""
    await services.delete_comment(session=session, user=user, slug=slug, comment_id=comment_id)
