"""Request helpers shared by the tests."""

from typing import Any

from flask.testing import FlaskClient


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def register(client: FlaskClient, username: str, password: str = "password123") -> str:
    """Register `username` and return its token."""
    response = client.post(
        "/api/users",
        json={
            "user": {"username": username, "email": f"{username}@example.com", "password": password}
        },
    )
    assert response.status_code == 201, response.get_json()
    token: str = response.get_json()["user"]["token"]
    return token


def create_article(client: FlaskClient, token: str, **fields: Any) -> dict[str, Any]:
    """Create an article (defaults for missing fields) and return its JSON."""
    article = {"title": "A title", "description": "About it", "body": "The body"} | fields
    response = client.post("/api/articles", json={"article": article}, headers=auth(token))
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()["article"]
    return created
