"""Profile: GetProfileByUsername, FollowUserByUsername, UnfollowUserByUsername."""

from __future__ import annotations

import uuid

import pytest

from tests.client import ApiClient, assert_error

pytestmark = pytest.mark.usefixtures("impl")


@pytest.mark.operation("GetProfileByUsername")
def test_profile_of_a_user_anonymously(api: ApiClient) -> None:
    user = api.register()
    api.put(
        "/user", token=user.token, json_body={"user": {"bio": "Hi", "image": "https://x.io/a.png"}}
    )
    response = api.get(f"/profiles/{user.username}")
    assert response.status_code == 200
    assert response.json() == {
        "profile": {
            "username": user.username,
            "bio": "Hi",
            "image": "https://x.io/a.png",
            "following": False,
        }
    }


@pytest.mark.operation("GetProfileByUsername")
def test_unknown_profile_is_404(api: ApiClient) -> None:
    response = api.get(f"/profiles/nobody_{uuid.uuid4().hex[:8]}")
    assert_error(response, 404, "profile", "not found")


@pytest.mark.operation("GetProfileByUsername")
def test_profile_lookup_is_case_sensitive(api: ApiClient) -> None:
    user = api.register(username=f"CaseUser_{uuid.uuid4().hex[:8]}")
    assert api.get(f"/profiles/{user.username}").status_code == 200
    assert_error(api.get(f"/profiles/{user.username.lower()}"), 404, "profile", "not found")


@pytest.mark.operation("GetProfileByUsername")
def test_profile_with_an_invalid_token_is_401_not_anonymous(api: ApiClient) -> None:
    user = api.register()
    response = api.get(f"/profiles/{user.username}", token="not-a-token")
    assert_error(response, 401, "token", "is invalid")


@pytest.mark.operation("FollowUserByUsername", "GetProfileByUsername", "UnfollowUserByUsername")
def test_follow_and_unfollow_are_seen_by_the_follower_only(api: ApiClient) -> None:
    fan, celeb, bystander = api.register(), api.register(), api.register()
    followed = api.post(f"/profiles/{celeb.username}/follow", token=fan.token)
    assert followed.status_code == 200
    assert followed.json()["profile"]["following"] is True
    assert followed.json()["profile"]["username"] == celeb.username
    assert api.get(f"/profiles/{celeb.username}", token=fan.token).json()["profile"]["following"]
    assert not api.get(f"/profiles/{celeb.username}", token=bystander.token).json()["profile"][
        "following"
    ]
    assert not api.get(f"/profiles/{celeb.username}").json()["profile"]["following"]
    assert not api.get(f"/profiles/{fan.username}", token=celeb.token).json()["profile"][
        "following"
    ], "following is one-way"
    unfollowed = api.delete(f"/profiles/{celeb.username}/follow", token=fan.token)
    assert unfollowed.status_code == 200
    assert unfollowed.json()["profile"]["following"] is False
    assert not api.get(f"/profiles/{celeb.username}", token=fan.token).json()["profile"][
        "following"
    ]


@pytest.mark.operation("FollowUserByUsername")
def test_follow_is_idempotent(api: ApiClient) -> None:
    fan, celeb = api.register(), api.register()
    for _ in range(3):
        response = api.post(f"/profiles/{celeb.username}/follow", token=fan.token)
        assert response.status_code == 200
        assert response.json()["profile"]["following"] is True
    api.create_article(celeb.token)
    feed = api.get("/articles/feed", token=fan.token).json()
    assert feed["articlesCount"] == 1, "a repeated follow must not duplicate feed entries"


@pytest.mark.operation("UnfollowUserByUsername")
def test_unfollow_is_idempotent(api: ApiClient) -> None:
    fan, celeb = api.register(), api.register()
    for _ in range(2):
        response = api.delete(f"/profiles/{celeb.username}/follow", token=fan.token)
        assert response.status_code == 200
        assert response.json()["profile"]["following"] is False


@pytest.mark.operation("FollowUserByUsername")
def test_following_yourself_is_refused(api: ApiClient) -> None:
    user = api.register()
    response = api.post(f"/profiles/{user.username}/follow", token=user.token)
    assert_error(response, 422, "profile", "cannot follow yourself")
    assert not api.get(f"/profiles/{user.username}", token=user.token).json()["profile"][
        "following"
    ]


@pytest.mark.operation("UnfollowUserByUsername")
def test_unfollowing_yourself_is_a_no_op(api: ApiClient) -> None:
    user = api.register()
    response = api.delete(f"/profiles/{user.username}/follow", token=user.token)
    assert response.status_code == 200
    assert response.json()["profile"]["following"] is False


@pytest.mark.operation("FollowUserByUsername")
def test_follow_ignores_a_request_body(api: ApiClient) -> None:
    fan, celeb = api.register(), api.register()
    response = api.post(
        f"/profiles/{celeb.username}/follow",
        token=fan.token,
        content='{"profile": {"following": false}, "junk"',
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200
    assert response.json()["profile"]["following"] is True


@pytest.mark.operation("FollowUserByUsername", "UnfollowUserByUsername")
@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_follow_needs_auth_and_a_known_user(api: ApiClient, method: str) -> None:
    user = api.register()
    unknown = f"ghost_{uuid.uuid4().hex[:8]}"
    assert_error(
        api.request(method, f"/profiles/{user.username}/follow"), 401, "token", "is missing"
    )
    assert_error(
        api.request(method, f"/profiles/{unknown}/follow", token=user.token),
        404, "profile", "not found",
    )  # fmt: skip


@pytest.mark.operation("FollowUserByUsername")
def test_unauthenticated_follow_of_an_unknown_user_is_401_first(api: ApiClient) -> None:
    response = api.post(f"/profiles/ghost_{uuid.uuid4().hex[:8]}/follow")
    assert_error(response, 401, "token", "is missing")
