"""Shared set-up for the API tests: users with tokens and articles made through the services."""

from typing import Any

from rest_framework.test import APIClient

from django_app.conduit import services
from django_app.conduit.authentication import issue_token
from django_app.conduit.models import Article, User


def make_user(username: str) -> User:
    """A registered user named `username`."""
    return services.register_user(
        username=username, email=f"{username}@example.com", password="password123"
    )


def client_for(user: User | None = None) -> APIClient:
    """An API client, signed in as `user` when given."""
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {issue_token(user)}")
    return client


def make_article(author: User, title: str = "An article", **fields: Any) -> Article:
    """An article by `author`."""
    return services.create_article(
        author=author,
        title=title,
        description=fields.get("description", "About it"),
        body=fields.get("body", "The body"),
        tag_list=fields.get("tag_list", []),
    )
