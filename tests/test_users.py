"""User and Authentication: CreateUser, Login, GetCurrentUser, UpdateCurrentUser."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jsonschema_rs
import jwt
import pytest

from tests.client import ApiClient, RegisteredUser, assert_error, load_spec

pytestmark = pytest.mark.usefixtures("impl")


def unique(prefix: str = "u") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def new_user(**overrides: Any) -> dict[str, Any]:
    name = unique()
    user: dict[str, Any] = {
        "username": name,
        "email": f"{name}@example.com",
        "password": "password123",
    }
    user.update(overrides)
    return user


# CreateUser


@pytest.mark.operation("CreateUser")
def test_register_returns_the_user_with_a_token(api: ApiClient) -> None:
    user = new_user()
    response = api.post("/users", json_body={"user": user})
    assert response.status_code == 201
    body = response.json()["user"]
    assert body["username"] == user["username"]
    assert body["email"] == user["email"]
    assert body["bio"] is None
    assert body["image"] is None
    assert "password" not in response.text
    me = api.get("/user", token=body["token"])
    assert me.status_code == 200
    assert me.json()["user"]["username"] == user["username"]


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("value", ["", "   ", None, "missing"])
def test_register_requires_each_field(api: ApiClient, field: str, value: str | None) -> None:
    user = new_user()
    if value == "missing":
        del user[field]
    else:
        user[field] = value
    response = api.post("/users", json_body={"user": user})
    assert_error(response, 422, field, "can't be blank")


@pytest.mark.operation("CreateUser")
def test_register_reports_every_blank_field_at_once(api: ApiClient) -> None:
    response = api.post("/users", json_body={"user": {}})
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "username": ["can't be blank"],
            "email": ["can't be blank"],
            "password": ["can't be blank"],
        }
    }


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", 12345, "must be a string"),
        ("email", ["a@b.co"], "must be a string"),
        ("password", {"x": 1}, "must be a string"),
        ("username", True, "must be a string"),
        ("email", "not-an-email", "is invalid"),
        ("email", "two@@example.com", "is invalid"),
        ("username", "has space", "is invalid"),
        ("username", "slash/name", "is invalid"),
        ("username", "x" * 65, "is too long (maximum is 64 characters)"),
        ("email", "e" * 250 + "@x.io", "is too long (maximum is 254 characters)"),
        ("password", "short7c", "is too short (minimum is 8 characters)"),
        ("password", "p" * 129, "is too long (maximum is 128 characters)"),
    ],
)
def test_register_rejects_bad_values(api: ApiClient, field: str, value: Any, message: str) -> None:
    response = api.post("/users", json_body={"user": new_user(**{field: value})})
    assert_error(response, 422, field, message)


# Characters inside an email that JSON Schema's regex dialect (ECMA-262) and Python's disagree
# on as whitespace, or that are invisible (control and format characters), and a few plain ones.
EMAIL_CHARACTERS = {
    "U+001F unit separator (Python whitespace)": "\x1f",
    "U+FEFF byte order mark (ECMA-262 whitespace)": "\ufeff",
    "U+0085 next line": "\x85",
    "U+0084 C1 control": "\x84",
    "U+200B zero-width space": "\u200b",
    "U+202E right-to-left override": "\u202e",
    "U+00A0 no-break space": "\xa0",
    "U+E0001 language tag": "\U000e0001",
    "e with acute": "\xe9",
    "CJK": "\u4f60",
    "plus": "+",
}


@pytest.mark.operation("CreateUser", "Login")
@pytest.mark.parametrize("character", list(EMAIL_CHARACTERS.values()), ids=list(EMAIL_CHARACTERS))
def test_an_email_gets_the_verdict_of_the_spec_pattern(api: ApiClient, character: str) -> None:
    """The apps refuse exactly the addresses the spec's Email schema refuses, as JSON Schema
    (ECMA-262) reads its pattern; and Login checks the format the same way."""
    email = f"a{character}{uuid.uuid4().hex[:8]}@example.com"
    valid = jsonschema_rs.validator_for(load_spec()["components"]["schemas"]["Email"]).is_valid
    response = api.post("/users", json_body={"user": new_user(email=email)})
    login = api.post("/users/login", json_body={"user": {"email": email, "password": "x" * 8}})
    if valid(email):
        assert response.status_code == 201, response.text
        assert response.json()["user"]["email"] == email
        assert_error(login, 401, "credentials", "invalid")
    else:
        assert_error(response, 422, "email", "is invalid")
        assert_error(login, 422, "email", "is invalid")


@pytest.mark.operation("CreateUser")
def test_register_accepts_limits_and_trims_names(api: ApiClient) -> None:
    name = unique("edge")
    user = new_user(username=f"  {name}  ", email=f" {name}@example.com ", password="p" * 128)
    response = api.post("/users", json_body={"user": user})
    assert response.status_code == 201, response.text
    assert response.json()["user"]["username"] == name
    assert response.json()["user"]["email"] == f"{name}@example.com"
    login = api.post(
        "/users/login", json_body={"user": {"email": f"{name}@example.com", "password": "p" * 128}}
    )
    assert login.status_code == 200


@pytest.mark.operation("CreateUser")
def test_register_accepts_unicode_usernames(api: ApiClient) -> None:
    name = f"Zoë_{uuid.uuid4().hex[:6]}"
    response = api.post("/users", json_body={"user": new_user(username=name)})
    assert response.status_code == 201, response.text
    profile = api.get(f"/profiles/{name}")
    assert profile.status_code == 200
    assert profile.json()["profile"]["username"] == name


@pytest.mark.operation("CreateUser")
def test_register_refuses_a_taken_username(api: ApiClient) -> None:
    first = api.register()
    response = api.post("/users", json_body={"user": new_user(username=first.username)})
    assert_error(response, 409, "username", "has already been taken")


@pytest.mark.operation("CreateUser")
def test_register_refuses_a_taken_email(api: ApiClient) -> None:
    first = api.register()
    response = api.post("/users", json_body={"user": new_user(email=first.email)})
    assert_error(response, 409, "email", "has already been taken")


@pytest.mark.operation("CreateUser")
def test_register_reports_both_taken_fields(api: ApiClient) -> None:
    first = api.register()
    response = api.post(
        "/users", json_body={"user": new_user(username=first.username, email=first.email)}
    )
    assert response.status_code == 409
    assert response.json() == {
        "errors": {"username": ["has already been taken"], "email": ["has already been taken"]}
    }


# Two spellings of one name: (registered, then tried), `{}` standing for a unique suffix.
NAME_VARIANTS = [
    pytest.param("mass_{}", "MASS_{}", id="case"),
    pytest.param("jake_{}", "\uff4a\uff41\uff4b\uff45_{}", id="full-width"),
    pytest.param("\u00c5ngstr\u00f6m_{}", "\u212bngstr\u00f6m_{}", id="composed-angstrom-sign"),
    pytest.param("file_{}", "\ufb01le_{}", id="ligature"),
    pytest.param("strasse_{}", "STRA\u00dfE_{}", id="sharp-s"),
    pytest.param("\u0394elta_{}", "\u03b4ELTA_{}", id="greek-case"),
]

# Characters a reader cannot see: format characters (Cf) and other default-ignorables.
INVISIBLE = [
    pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\u200c", id="zero-width-non-joiner"),
    pytest.param("\u200d", id="zero-width-joiner"),
    pytest.param("\u2060", id="word-joiner"),
    pytest.param("\ufeff", id="byte-order-mark"),
    pytest.param("\u00ad", id="soft-hyphen"),
    pytest.param("\u200e", id="left-to-right-mark"),
    pytest.param("\u202e", id="right-to-left-override"),
    pytest.param("\u180e", id="mongolian-vowel-separator"),
    pytest.param("\U000e0041", id="tag-character"),
    pytest.param("\u3164", id="hangul-filler"),
    pytest.param("\u115f", id="hangul-choseong-filler"),
    pytest.param("\u1160", id="hangul-jungseong-filler"),
    pytest.param("\uffa0", id="halfwidth-hangul-filler"),
]


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize(("registered", "variant"), NAME_VARIANTS)
def test_register_refuses_another_spelling_of_a_taken_username(
    api: ApiClient, registered: str, variant: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    first = api.register(username=registered.format(tag))
    assert first.username == registered.format(tag)
    response = api.post("/users", json_body={"user": new_user(username=variant.format(tag))})
    assert_error(response, 409, "username", "has already been taken")


@pytest.mark.operation("CreateUser")
def test_register_refuses_a_taken_email_in_another_case(api: ApiClient) -> None:
    name = unique("Mixed")
    first = api.register(email=f"{name}@Example.COM")
    assert first.email == f"{name}@Example.COM", "the email is kept as typed"
    response = api.post("/users", json_body={"user": new_user(email=f"{name.upper()}@example.com")})
    assert_error(response, 409, "email", "has already been taken")


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize("invisible", INVISIBLE)
@pytest.mark.parametrize("where", ["inside", "end"])
def test_register_refuses_a_username_with_an_invisible_character(
    api: ApiClient, invisible: str, where: str
) -> None:
    name = unique("ghost")
    username = name[:3] + invisible + name[3:] if where == "inside" else name + invisible
    response = api.post("/users", json_body={"user": new_user(username=username)})
    assert_error(response, 422, "username", "is invalid")
    assert_error(api.get(f"/profiles/{name}"), 404, "profile", "not found")


@pytest.mark.operation("CreateUser")
def test_register_ignores_unknown_fields(api: ApiClient) -> None:
    user = new_user(bio="injected", admin=True, token="nope")
    response = api.post("/users", json_body={"user": user, "extra": 1})
    assert response.status_code == 201
    assert response.json()["user"]["token"] != "nope"


# Envelope and body handling, shown on CreateUser (every body operation shares the mechanism).


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize(
    "payload",
    [{}, {"usr": {"username": "x"}}, {"user": None}, [], ["user"], "user", 7, None],
    ids=["empty", "wrong-key", "null-envelope", "list", "list-of-str", "string", "number", "null"],
)
def test_register_needs_the_user_envelope(api: ApiClient, payload: Any) -> None:
    response = api.post(
        "/users", content=json.dumps(payload), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 422, "user", "can't be blank")


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize("envelope", ["a string", 5, ["list"], True])
def test_register_envelope_must_be_an_object(api: ApiClient, envelope: Any) -> None:
    response = api.post("/users", json_body={"user": envelope})
    assert_error(response, 422, "user", "must be an object")


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize("raw", ['{"user": {', "not json", "", '{"user": {"a": }}'])
def test_register_with_malformed_json_is_a_400(api: ApiClient, raw: str) -> None:
    response = api.post("/users", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "request", "is not valid JSON")


@pytest.mark.operation("CreateUser")
@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_register_without_json_content_type_is_a_415(
    api: ApiClient, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    body = '{"user": {"username": "a", "email": "a@b.co", "password": "password123"}}'
    response = api.post("/users", content=body, headers=headers)
    assert_error(response, 415, "request", "must be application/json")


@pytest.mark.operation("CreateUser")
def test_register_accepts_json_with_a_charset(api: ApiClient) -> None:
    response = api.post(
        "/users",
        content=json.dumps({"user": new_user()}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 201


# Login


@pytest.mark.operation("Login")
def test_login_returns_the_user_with_a_working_token(api: ApiClient) -> None:
    user = api.register()
    response = api.post(
        "/users/login", json_body={"user": {"email": user.email, "password": user.password}}
    )
    assert response.status_code == 200
    body = response.json()["user"]
    assert body["username"] == user.username
    assert body["email"] == user.email
    assert api.get("/user", token=body["token"]).status_code == 200


@pytest.mark.operation("Login")
def test_login_failures_look_the_same_for_unknown_email_and_wrong_password(api: ApiClient) -> None:
    user = api.register()
    wrong_password = api.post(
        "/users/login", json_body={"user": {"email": user.email, "password": "wrong password"}}
    )
    unknown_email = api.post(
        "/users/login",
        json_body={"user": {"email": f"{unique()}@example.com", "password": "password123"}},
    )
    for response in (wrong_password, unknown_email):
        assert_error(response, 401, "credentials", "invalid")
        assert response.headers.get("www-authenticate", "").lower().startswith("token")
    assert wrong_password.json() == unknown_email.json()


@pytest.mark.operation("Login")
@pytest.mark.parametrize("field", ["email", "password"])
@pytest.mark.parametrize("value", ["", None, "missing"])
def test_login_requires_email_and_password(api: ApiClient, field: str, value: str | None) -> None:
    credentials: dict[str, Any] = {"email": "someone@example.com", "password": "password123"}
    if value == "missing":
        del credentials[field]
    else:
        credentials[field] = value
    response = api.post("/users/login", json_body={"user": credentials})
    assert_error(response, 422, field, "can't be blank")


@pytest.mark.operation("Login")
@pytest.mark.parametrize(
    ("email", "message"),
    [("not-an-email", "is invalid"), (42, "must be a string"), ("e" * 250 + "@x.io", None)],
    ids=["format", "type", "length"],
)
def test_login_validates_the_email_like_registration(
    api: ApiClient, email: Any, message: str | None
) -> None:
    response = api.post("/users/login", json_body={"user": {"email": email, "password": "x"}})
    assert_error(response, 422, "email", message or "is too long (maximum is 254 characters)")


@pytest.mark.operation("Login")
def test_login_checks_the_password_exactly(api: ApiClient) -> None:
    user = api.register(password="Case Sensitive 1")
    for attempt in ("case sensitive 1", "Case Sensitive 1 ", "Case Sensitive"):
        response = api.post(
            "/users/login", json_body={"user": {"email": user.email, "password": attempt}}
        )
        assert_error(response, 401, "credentials", "invalid")


# GetCurrentUser and tokens


@pytest.mark.operation("GetCurrentUser")
def test_current_user_returns_the_presented_token(api: ApiClient) -> None:
    user = api.register()
    response = api.get("/user", token=user.token)
    assert response.status_code == 200
    assert response.json()["user"] == {
        "email": user.email,
        "token": user.token,
        "username": user.username,
        "bio": None,
        "image": None,
    }


@pytest.mark.operation("Login")
@pytest.mark.parametrize("typed", ["upper", "lower", "swapcase"])
def test_login_matches_the_email_regardless_of_case(api: ApiClient, typed: str) -> None:
    user = api.register(email=f"{unique('Jake')}@Example.com")
    email = getattr(user.email, typed)()
    response = api.post(
        "/users/login", json_body={"user": {"email": email, "password": user.password}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == user.email, "shown as registered"
    assert response.json()["user"]["username"] == user.username


@pytest.mark.operation("Login")
def test_login_with_another_case_still_checks_the_password(api: ApiClient) -> None:
    user = api.register(email=f"{unique('Case')}@example.com")
    response = api.post(
        "/users/login",
        json_body={"user": {"email": user.email.upper(), "password": "wrong-pass-1"}},
    )
    assert_error(response, 401, "credentials", "invalid")


@pytest.mark.operation("GetCurrentUser")
def test_current_user_accepts_the_bearer_scheme_too(api: ApiClient) -> None:
    user = api.register()
    response = api.get("/user", headers={"Authorization": f"Bearer {user.token}"})
    assert response.status_code == 200


@pytest.mark.operation("GetCurrentUser")
def test_current_user_without_a_token_is_401(api: ApiClient) -> None:
    response = api.get("/user")
    assert_error(response, 401, "token", "is missing")
    assert response.headers["www-authenticate"].lower().startswith("token")


def forge(secret: str, algorithm: str = "HS256", **claims: Any) -> str:
    """A token signed with `secret`; claims set to None are left out."""
    now = int(time.time())
    payload: dict[str, Any] = {"sub": "1", "iat": now, "exp": now + 3600}
    payload.update(claims)
    return jwt.encode(
        {k: v for k, v in payload.items() if v is not None}, secret, algorithm=algorithm
    )


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def user_id_of(token: str) -> str:
    return str(claims_of(token)["sub"])


def like(token: str, secret: str, algorithm: str = "HS256", **changes: Any) -> str:
    """A token with the claims of `token` (its password fingerprint too), `changes` applied."""
    claims = claims_of(token)
    return forge(secret, algorithm, **{**claims, **changes})


@pytest.mark.operation("GetCurrentUser")
@pytest.mark.parametrize(
    "header_for",
    [
        pytest.param(lambda token, key: "Token", id="no-credentials"),
        pytest.param(lambda token, key: "Token not.a.jwt", id="garbage"),
        pytest.param(lambda token, key: f"Basic {token}", id="wrong-scheme"),
        pytest.param(lambda token, key: f"Token {token}x", id="bad-signature"),
        pytest.param(lambda token, key: f"Token {token} extra", id="extra-words"),
        pytest.param(
            lambda token, key: (
                "Token "
                + jwt.encode(
                    {
                        "sub": user_id_of(token),
                        "iat": int(time.time()),
                        "exp": int(time.time()) + 60,
                    },
                    "some-other-secret-of-thirty-two-bytes!!",
                    algorithm="HS256",
                )
            ),
            id="other-key",
        ),
        pytest.param(
            lambda token, key: (
                "Token "
                + jwt.encode(
                    {
                        "sub": user_id_of(token),
                        "iat": int(time.time()),
                        "exp": int(time.time()) + 60,
                    },
                    None,
                    algorithm="none",
                )
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda token, key: "Token " + tampered(token),
            id="tampered-payload",
        ),
        pytest.param(lambda token, key: "Token " + like(token, key, "HS512"), id="hs512-same-key"),
        pytest.param(lambda token, key: "Token " + like(token, key, "HS384"), id="hs384-same-key"),
        pytest.param(
            lambda token, key: "Token " + like(token, "another-key-of-thirty-two-bytes!!"),
            id="all-claims-other-key",
        ),
        pytest.param(lambda token, key: "Token " + forge(key, sub=None), id="no-sub"),
        pytest.param(lambda token, key: "Token " + forge(key, exp=None), id="no-exp"),
        pytest.param(lambda token, key: "Token " + like(token, key, pwv=None), id="no-pwv"),
        pytest.param(lambda token, key: "Token " + like(token, key, pwv="0" * 64), id="wrong-pwv"),
        pytest.param(lambda token, key: "Token " + like(token, key, iat=None), id="no-iat"),
        pytest.param(
            lambda token, key: "Token " + like(token, key, sub="999999999"), id="unknown-user"
        ),
        pytest.param(
            lambda token, key: "Token " + forge(key, sub="not-a-number"), id="non-numeric-sub"
        ),
        pytest.param(lambda token, key: "Token " + forge(key, sub="9" * 5000), id="huge-sub"),
        pytest.param(lambda token, key: "Token " + forge(key, sub="0"), id="zero-sub"),
        pytest.param(lambda token, key: "Token " + forge(key, sub="9" * 20), id="sub-past-64-bits"),
    ],
)
# HS384/HS512 under the suite's key (short for them) must be refused, not merely warned about.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_current_user_with_a_bad_token_is_401(
    api: ApiClient, secret_key: str, header_for: Any
) -> None:
    user = api.register()
    response = api.get("/user", headers={"Authorization": header_for(user.token, secret_key)})
    assert_error(response, 401, "token", "is invalid")


def tampered(token: str) -> str:
    """The same signature over a payload that names another user."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(int(claims["sub"]) + 1)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


@pytest.mark.operation("GetCurrentUser")
def test_current_user_with_an_expired_token_is_401(api: ApiClient, secret_key: str) -> None:
    user = api.register()
    past = int(time.time()) - 7200
    expired = like(user.token, secret_key, iat=past, exp=past + 60)
    response = api.get("/user", token=expired)
    assert_error(response, 401, "token", "is invalid")  # no more specific than any bad token


@pytest.mark.operation("GetCurrentUser")
def test_a_token_forged_with_the_real_key_is_honoured(api: ApiClient, secret_key: str) -> None:
    """Guards the tests above: they fail for the claim they change, not for the signature."""
    user = api.register()
    token = like(user.token, secret_key, iat=int(time.time()) - 5)
    assert token != user.token
    response = api.get("/user", token=token)
    assert response.status_code == 200
    assert response.json()["user"]["username"] == user.username


# UpdateCurrentUser


@pytest.mark.operation("UpdateCurrentUser")
def test_update_bio_and_image_and_read_them_back(api: ApiClient) -> None:
    user = api.register()
    response = api.put(
        "/user",
        token=user.token,
        json_body={"user": {"bio": "I write things", "image": "https://example.com/me.png"}},
    )
    assert response.status_code == 200
    assert response.json()["user"]["bio"] == "I write things"
    assert response.json()["user"]["image"] == "https://example.com/me.png"
    assert response.json()["user"]["token"] == user.token
    again = api.get("/user", token=user.token).json()["user"]
    assert again["bio"] == "I write things"
    assert again["image"] == "https://example.com/me.png"


@pytest.mark.operation("UpdateCurrentUser")
@pytest.mark.parametrize("field", ["bio", "image"])
@pytest.mark.parametrize("empty", ["", None, "   "])
def test_update_empty_bio_or_image_reads_back_as_null(
    api: ApiClient, field: str, empty: str | None
) -> None:
    user = api.register()
    assert (
        api.put("/user", token=user.token, json_body={"user": {field: "something"}}).status_code
        == 200
    )
    response = api.put("/user", token=user.token, json_body={"user": {field: empty}})
    assert response.status_code == 200
    assert response.json()["user"][field] is None
    assert api.get("/user", token=user.token).json()["user"][field] is None


@pytest.mark.operation("UpdateCurrentUser")
def test_update_with_own_unchanged_email_and_username(api: ApiClient) -> None:
    user = api.register()
    response = api.put(
        "/user",
        token=user.token,
        json_body={"user": {"email": user.email, "username": user.username}},
    )
    assert response.status_code == 200
    assert response.json()["user"]["email"] == user.email


@pytest.mark.operation("UpdateCurrentUser")
def test_update_username_and_email_keeps_the_token_valid(api: ApiClient) -> None:
    user = api.register()
    name = unique("renamed")
    response = api.put(
        "/user",
        token=user.token,
        json_body={"user": {"username": name, "email": f"{name}@example.com"}},
    )
    assert response.status_code == 200
    me = api.get("/user", token=user.token).json()["user"]
    assert (me["username"], me["email"]) == (name, f"{name}@example.com")
    assert api.get(f"/profiles/{user.username}").status_code == 404


@pytest.mark.operation("UpdateCurrentUser")
@pytest.mark.parametrize("field", ["username", "email"])
def test_update_to_a_taken_name_is_409_and_changes_nothing(api: ApiClient, field: str) -> None:
    first = api.register()
    second = api.register()
    response = api.put(
        "/user",
        token=second.token,
        json_body={"user": {field: getattr(first, field), "bio": "new"}},
    )
    assert_error(response, 409, field, "has already been taken")
    me = api.get("/user", token=second.token).json()["user"]
    assert me[field] == getattr(second, field)
    assert me["bio"] is None


@pytest.mark.operation("UpdateCurrentUser")
@pytest.mark.parametrize(("registered", "variant"), NAME_VARIANTS)
def test_update_to_another_spelling_of_a_taken_username_is_409(
    api: ApiClient, registered: str, variant: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    api.register(username=registered.format(tag))
    second = api.register()
    response = api.put(
        "/user", token=second.token, json_body={"user": {"username": variant.format(tag)}}
    )
    assert_error(response, 409, "username", "has already been taken")
    assert api.get("/user", token=second.token).json()["user"]["username"] == second.username


@pytest.mark.operation("UpdateCurrentUser")
def test_update_to_a_taken_email_in_another_case_is_409(api: ApiClient) -> None:
    first, second = api.register(), api.register()
    response = api.put(
        "/user", token=second.token, json_body={"user": {"email": first.email.upper()}}
    )
    assert_error(response, 409, "email", "has already been taken")


@pytest.mark.operation("UpdateCurrentUser", "Login", "GetProfileByUsername")
def test_update_to_another_spelling_of_your_own_names(api: ApiClient) -> None:
    user = api.register()
    name, email = user.username.upper(), user.email.upper()
    response = api.put(
        "/user", token=user.token, json_body={"user": {"username": name, "email": email}}
    )
    assert response.status_code == 200, response.text
    assert (response.json()["user"]["username"], response.json()["user"]["email"]) == (name, email)
    profile = api.get(f"/profiles/{user.username}")
    assert profile.json()["profile"]["username"] == name
    login = api.post(
        "/users/login", json_body={"user": {"email": email.lower(), "password": user.password}}
    )
    assert login.status_code == 200
    assert login.json()["user"]["email"] == email


@pytest.mark.operation("UpdateCurrentUser")
@pytest.mark.parametrize("invisible", INVISIBLE)
def test_update_refuses_a_username_with_an_invisible_character(
    api: ApiClient, invisible: str
) -> None:
    user = api.register()
    response = api.put(
        "/user", token=user.token, json_body={"user": {"username": user.username + invisible}}
    )
    assert_error(response, 422, "username", "is invalid")


@pytest.mark.operation("UpdateCurrentUser")
@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("value", ["", None])
def test_update_cannot_blank_required_fields(api: ApiClient, field: str, value: str | None) -> None:
    user = api.register()
    response = api.put("/user", token=user.token, json_body={"user": {field: value}})
    assert_error(response, 422, field, "can't be blank")


@pytest.mark.operation("UpdateCurrentUser")
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short7c", "is too short (minimum is 8 characters)"),
        ("email", "nope", "is invalid"),
        ("username", "bad name", "is invalid"),
        ("bio", 42, "must be a string"),
        ("image", ["x"], "must be a string"),
        ("bio", "b" * 1001, "is too long (maximum is 1000 characters)"),
        ("image", "i" * 2049, "is too long (maximum is 2048 characters)"),
    ],
)
def test_update_rejects_bad_values(api: ApiClient, field: str, value: Any, message: str) -> None:
    user = api.register()
    response = api.put("/user", token=user.token, json_body={"user": {field: value}})
    assert_error(response, 422, field, message)


@pytest.mark.operation("UpdateCurrentUser")
def test_password_change_then_login_with_the_new_one(api: ApiClient) -> None:
    user = api.register()
    response = api.put("/user", token=user.token, json_body={"user": {"password": "bonjour1"}})
    assert response.status_code == 200
    fresh = response.json()["user"]["token"]
    old = api.post(
        "/users/login", json_body={"user": {"email": user.email, "password": user.password}}
    )
    assert_error(old, 401, "credentials", "invalid")
    new = api.post(
        "/users/login", json_body={"user": {"email": user.email, "password": "bonjour1"}}
    )
    assert new.status_code == 200
    assert (
        api.put("/user", token=fresh, json_body={"user": {"password": "a" * 64}}).status_code == 200
    )


def log_in(api: ApiClient, user: RegisteredUser, password: str | None = None) -> str:
    """A new token for `user`, from Login, in a second of its own: a token is its claims, and
    one issued in the same second with the same password stamp is the same token, byte for
    byte (iat has whole seconds)."""
    time.sleep(1.02 - time.time() % 1)
    credentials = {"email": user.email, "password": password or user.password}
    response = api.post("/users/login", json_body={"user": credentials})
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["token"])


def change_password(api: ApiClient, token: str, password: str) -> str:
    """Change the password with `token`; the fresh token the answer carries."""
    response = api.put("/user", token=token, json_body={"user": {"password": password}})
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["token"])


def assert_token_works(api: ApiClient, token: str) -> None:
    assert api.get("/user", token=token).status_code == 200
    assert api.get("/articles", token=token).status_code == 200


def assert_token_ended(api: ApiClient, token: str) -> None:
    assert_error(api.get("/user", token=token), 401, "token", "is invalid")
    assert_error(api.get("/articles", token=token), 401, "token", "is invalid")


@pytest.mark.operation("UpdateCurrentUser", "GetCurrentUser", "Login")
def test_a_password_change_ends_every_earlier_token_but_its_own(api: ApiClient) -> None:
    """The token that changed the password stays valid (a client that keeps it, as RealWorld
    frontends do, stays signed in); every other token issued before the change ends."""
    user = api.register()
    other = log_in(api, user)
    response = api.put("/user", token=user.token, json_body={"user": {"password": "new-secret-1"}})
    assert response.status_code == 200
    fresh = response.json()["user"]["token"]
    assert fresh not in (user.token, other)
    assert_token_ended(api, other)
    assert_token_works(api, user.token)
    assert_token_works(api, fresh)
    me = api.get("/user", token=fresh)
    assert me.json()["user"] == {**response.json()["user"], "token": fresh}
    kept = api.get("/user", token=user.token)
    assert kept.json()["user"] == {**response.json()["user"], "token": user.token}
    assert_token_works(api, log_in(api, user, "new-secret-1"))


@pytest.mark.operation("UpdateCurrentUser", "GetCurrentUser")
def test_setting_the_same_password_again_still_ends_earlier_tokens(api: ApiClient) -> None:
    """What counts is the change itself, not whether the new password differs."""
    user = api.register()
    other = log_in(api, user)
    fresh = change_password(api, user.token, user.password)
    assert_token_ended(api, other)
    assert_token_works(api, user.token)
    assert_token_works(api, fresh)


@pytest.mark.operation("UpdateCurrentUser", "GetCurrentUser")
def test_the_changing_token_survives_its_second_change_too(api: ApiClient) -> None:
    """A second change from the same token keeps it valid and ends what the first change
    issued."""
    user = api.register()
    first_fresh = change_password(api, user.token, "second-pass")
    second_fresh = change_password(api, user.token, "third-pass")
    assert_token_works(api, user.token)
    assert_token_works(api, second_fresh)
    assert_token_ended(api, first_fresh)


@pytest.mark.operation("UpdateCurrentUser", "GetCurrentUser")
def test_a_change_from_another_token_ends_the_first_changing_token(api: ApiClient) -> None:
    user = api.register()
    other = log_in(api, user)
    fresh = change_password(api, user.token, "second-pass")
    assert_token_works(api, user.token)
    # The fresh token makes the next change: the first changing token ends, and `other` stays
    # ended.
    latest = change_password(api, fresh, "third-pass")
    assert_token_ended(api, user.token)
    assert_token_ended(api, other)
    assert_token_works(api, fresh)
    assert_token_works(api, latest)
    # So does a change from a token of a Login after the first change.
    later = log_in(api, user, "third-pass")
    change_password(api, later, "fourth-pass")
    assert_token_ended(api, fresh)
    assert_token_ended(api, latest)
    assert_token_works(api, later)


@pytest.mark.operation("UpdateCurrentUser", "GetCurrentUser")
def test_an_update_without_a_password_keeps_the_presented_token(api: ApiClient) -> None:
    user = api.register()
    response = api.put("/user", token=user.token, json_body={"user": {"bio": "still me"}})
    assert response.status_code == 200
    assert response.json()["user"]["token"] == user.token
    assert api.get("/user", token=user.token).status_code == 200


@pytest.mark.operation("UpdateCurrentUser")
def test_a_refused_password_change_keeps_the_tokens(api: ApiClient) -> None:
    """A 409 on the same request changes nothing, the password fingerprint included."""
    first, second = api.register(), api.register()
    response = api.put(
        "/user",
        token=second.token,
        json_body={"user": {"password": "new-secret-2", "username": first.username}},
    )
    assert_error(response, 409, "username", "has already been taken")
    assert api.get("/user", token=second.token).status_code == 200


@pytest.mark.operation("UpdateCurrentUser")
def test_update_with_an_empty_user_changes_nothing(api: ApiClient) -> None:
    user = api.register()
    response = api.put("/user", token=user.token, json_body={"user": {}})
    assert response.status_code == 200
    assert response.json()["user"]["username"] == user.username


@pytest.mark.operation("UpdateCurrentUser")
def test_update_without_a_token_is_401(api: ApiClient) -> None:
    response = api.put("/user", json_body={"user": {"bio": "x"}})
    assert_error(response, 401, "token", "is missing")


@pytest.mark.operation("UpdateCurrentUser")
def test_update_with_malformed_json_is_400_and_keeps_the_user(api: ApiClient) -> None:
    user = api.register()
    response = api.put(
        "/user",
        token=user.token,
        content='{"user": {"bio": ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "request", "is not valid JSON")
    assert api.get("/user", token=user.token).status_code == 200


@pytest.mark.operation("UpdateCurrentUser")
def test_a_failed_update_changes_nothing(api: ApiClient) -> None:
    user = api.register()
    response = api.put(
        "/user",
        token=user.token,
        json_body={"user": {"bio": "should not stick", "email": "invalid"}},
    )
    assert_error(response, 422, "email", "is invalid")
    assert api.get("/user", token=user.token).json()["user"]["bio"] is None
