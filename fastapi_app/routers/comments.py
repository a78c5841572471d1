"""Comments: list, add and delete the comments of an article."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from fastapi_app import services
from fastapi_app.dependencies import TOKEN_OPTIONAL, CurrentUser, OptionalUser, SessionDep
from fastapi_app.errors import BODY_ERRORS, error_responses
from fastapi_app.schemas import (
    Comment,
    CommentId,
    MultipleCommentsResponse,
    NewCommentRequest,
    SingleCommentResponse,
    Slug,
    StrictJSONRoute,
)

router = APIRouter(tags=["Comments"], route_class=StrictJSONRoute)


# operationId: GetArticleComments
@router.get(
    "/articles/{slug}/comments",
    operation_id="GetArticleComments",
    summary="Comments on an article",
    response_model=MultipleCommentsResponse,
    response_description="Comments, oldest first.",
    responses=error_responses(401, 404),
    openapi_extra=TOKEN_OPTIONAL,
)
async def get_article_comments(
    slug: Slug, session: SessionDep, viewer: OptionalUser
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
    summary="Comment on an article",
    status_code=status.HTTP_201_CREATED,
    response_model=SingleCommentResponse,
    response_description="A comment.",
    responses=error_responses(*BODY_ERRORS, 401, 404),
)
async def create_article_comment(
    slug: Slug,
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
    summary="Delete a comment",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    response_description="Deleted.",
    responses=error_responses(401, 403, 404),
)
async def delete_article_comment(
    slug: Slug,
    comment_id: Annotated[CommentId, Path(alias="id", description="The comment's id.")],
    session: SessionDep,
    user: CurrentUser,
) -> None:
    """Delete a comment (its author only)."""
    await services.delete_comment(session=session, user=user, slug=slug, comment_id=comment_id)
