"""API routes, mounted under /api/; no trailing slashes, /articles/feed before /articles/{slug}."""

from django.urls import path

from django_app.conduit.views import articles, comments, profiles, tags, users

urlpatterns = [
    path("users", users.UsersView.as_view(), name="users"),
    path("users/login", users.LoginView.as_view(), name="login"),
    path("user", users.CurrentUserView.as_view(), name="current-user"),
    path("profiles/<str:username>", profiles.ProfileView.as_view(), name="profile"),
    path("profiles/<str:username>/follow", profiles.FollowView.as_view(), name="follow"),
    path("articles", articles.ArticleListView.as_view(), name="articles"),
    path("articles/feed", articles.ArticleFeedView.as_view(), name="feed"),
    path("articles/<str:slug>", articles.ArticleDetailView.as_view(), name="article"),
    path(
        "articles/<str:slug>/favorite",
        articles.ArticleFavoriteView.as_view(),
        name="favorite",
    ),
    path("articles/<str:slug>/comments", comments.CommentListView.as_view(), name="comments"),
    path(
        "articles/<str:slug>/comments/<str:id>",
        comments.CommentDetailView.as_view(),
        name="comment",
    ),
    path("tags", tags.TagListView.as_view(), name="tags"),
]
