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


def spellings(name: str) -> list[str]:
    """Other spellings of an ASCII `name` that are the same username: other cases, full width."""
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in name)
    return [name.lower(), name.upper(), name.swapcase(), full_width]


@pytest.mark.operation("GetProfileByUsername")
def test_profile_lookup_finds_every_spelling_of_the_name(api: ApiClient) -> None:
    user = api.register(username=f"CaseUser_{uuid.uuid4().hex[:8]}")
    for spelling in spellings(user.username):
        response = api.get(f"/profiles/{spelling}")
        assert response.status_code == 200, spelling
        assert response.json()["profile"]["username"] == user.username, "shown as registered"


@pytest.mark.operation("GetProfileByUsername")
def test_profile_lookup_matches_canonically_equivalent_spellings(api: ApiClient) -> None:
    tag = uuid.uuid4().hex[:8]
    composed = api.register(username=f"\u00c5sa_{tag}")  # Å as one code point
    for spelling in (f"\u212bsa_{tag}", f"A\u030asa_{tag}", f"\u00e5SA_{tag}"):  # sign, decomposed
        response = api.get(f"/profiles/{spelling}")
        assert response.status_code == 200, ascii(spelling)
        assert response.json()["profile"]["username"] == composed.username


@pytest.mark.operation("GetProfileByUsername")
def test_profile_lookup_does_not_ignore_invisible_characters(api: ApiClient) -> None:
    user = api.register()
    name = user.username
    assert_error(api.get(f"/profiles/{name[:2]}\u200b{name[2:]}"), 404, "profile", "not found")


@pytest.mark.operation("FollowUserByUsername", "UnfollowUserByUsername", "GetProfileByUsername")
def test_follow_and_unfollow_by_another_spelling_of_the_name(api: ApiClient) -> None:
    fan, celeb = api.register(), api.register(username=f"Celeb_{uuid.uuid4().hex[:8]}")
    loud, wide = spellings(celeb.username)[1], spellings(celeb.username)[3]
    followed = api.post(f"/profiles/{loud}/follow", token=fan.token)
    assert followed.status_code == 200
    assert followed.json()["profile"] == {
        "username": celeb.username,
        "bio": None,
        "image": None,
        "following": True,
    }
    assert api.get(f"/profiles/{celeb.username}", token=fan.token).json()["profile"]["following"]
    assert api.post(f"/profiles/{wide}/follow", token=fan.token).status_code == 200
    api.create_article(celeb.token)
    feed = api.get("/articles/feed", token=fan.token).json()
    assert feed["articlesCount"] == 1, "one follow, however it was spelt"
    unfollowed = api.delete(f"/profiles/{wide}/follow", token=fan.token)
    assert unfollowed.status_code == 200
    assert unfollowed.json()["profile"]["following"] is False
    assert not api.get(f"/profiles/{celeb.username}", token=fan.token).json()["profile"][
        "following"
    ]


@pytest.mark.operation("FollowUserByUsername")
def test_following_yourself_by_another_spelling_is_still_422(api: ApiClient) -> None:
    user = api.register(username=f"Self_{uuid.uuid4().hex[:8]}")
    response = api.post(f"/profiles/{user.username.upper()}/follow", token=user.token)
    assert_error(response, 422, "profile", "cannot follow yourself")


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
