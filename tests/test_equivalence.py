"""The headline claim: the three implementations are interchangeable.

One scripted session (register, follow, write articles with tags, favorite, comment, list with
every filter, paginate, update, delete, and the common mistakes) is sent to every app. Each
response is normalised (timestamps and database ids replaced by placeholders, ids numbered in
order of appearance, every token shown as `<token>`) and the three transcripts must be
identical, step by step. A difference fails with the step, the request, and a diff of the apps
that disagree.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.client import ApiClient, load_spec

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
# Every operation under /api (the health check names its own servers), as the spec lists them.
CONDUIT_OPERATIONS = {
    operation["operationId"]: (method.upper(), path)
    for path, item in load_spec()["paths"].items()
    if "servers" not in item
    for method, operation in item.items()
    if method in HTTP_METHODS
}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass
class Step:
    name: str
    method: str
    path: str
    status: int
    body: Any


@dataclass
class Transcript:
    """What one app answered, normalised so the apps can be compared."""

    steps: list[Step] = field(default_factory=list)
    placeholders: dict[str, str] = field(default_factory=dict)

    def placeholder(self, kind: str, value: Any) -> str:
        key = f"{kind}:{value}"
        if key not in self.placeholders:
            count = sum(1 for existing in self.placeholders if existing.startswith(f"{kind}:"))
            self.placeholders[key] = f"<{kind}{count + 1}>"
        return self.placeholders[key]

    def normalise(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: self.normalise(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.normalise(item, key) for item in value]
        if key == "token" and isinstance(value, str):
            # Not numbered: two tokens minted within one second for one user are identical, so
            # numbering them would depend on timing.
            return "<token>"
        if key == "id" and isinstance(value, int):
            return self.placeholder("id", value)
        if isinstance(value, str) and TIMESTAMP.match(value):
            return "<timestamp>"
        return value


class Session:
    """Runs the script against one app, recording each exchange."""

    def __init__(self, api: ApiClient, run: str) -> None:
        self.api = api
        self.run = run
        self.transcript = Transcript()
        self.tokens: dict[str, str] = {}
        self.comment_ids: dict[str, int] = {}

    def name(self, base: str) -> str:
        return f"{base}_{self.run}"

    def call(
        self, step: str, method: str, path: str, *, as_user: str | None = None,
        body: Any = None, params: dict[str, Any] | None = None,
        keep: Callable[[Any], Any] | None = None,
    ) -> Any:  # fmt: skip
        token = self.tokens.get(as_user) if as_user else None
        response = self.api.request(method, path, json_body=body, token=token, params=params)
        payload = response.json() if response.content else None
        shown = keep(payload) if keep and payload is not None else payload
        self.transcript.steps.append(
            Step(step, method, path.replace(self.run, "<run>"), response.status_code,
                 self.transcript.normalise(self.hide_run(shown)))
        )  # fmt: skip
        return payload

    def hide_run(self, value: Any) -> Any:
        """The run id differs per app only in our names; hide it so transcripts compare."""
        return json.loads(json.dumps(value).replace(self.run, "<run>"))


def own_tags(run: str) -> Callable[[Any], Any]:
    """Other tests share the server; keep only the tags this session made."""
    return lambda payload: {"tags": [t for t in payload["tags"] if run in t]}


def script(session: Session) -> None:
    s, n = session, session.name
    for person in ("alice", "bob", "carol"):
        user = {
            "username": n(person),
            "email": f"{n(person)}@example.com",
            "password": "password123",
        }
        body = s.call(f"register {person}", "POST", "/users", body={"user": user})
        s.tokens[person] = body["user"]["token"]
    s.call(
        "register taken",
        "POST",
        "/users",
        body={
            "user": {"username": n("alice"), "email": "x@example.com", "password": "password123"}
        },
    )
    s.call(
        "register blank",
        "POST",
        "/users",
        body={"user": {"username": "", "email": "", "password": ""}},
    )
    s.call(
        "login alice",
        "POST",
        "/users/login",
        body={"user": {"email": f"{n('alice')}@example.com", "password": "password123"}},
    )
    s.call(
        "login wrong",
        "POST",
        "/users/login",
        body={"user": {"email": f"{n('alice')}@example.com", "password": "nope-nope"}},
    )
    s.call(
        "bob bio",
        "PUT",
        "/user",
        as_user="bob",
        body={"user": {"bio": "Bob writes", "image": "https://example.com/bob.png"}},
    )
    s.call("carol clears bio", "PUT", "/user", as_user="carol", body={"user": {"bio": ""}})
    s.call("current user", "GET", "/user", as_user="alice")

    s.call("alice follows bob", "POST", f"/profiles/{n('bob')}/follow", as_user="alice")
    s.call("carol follows bob", "POST", f"/profiles/{n('bob')}/follow", as_user="carol")
    s.call("alice follows herself", "POST", f"/profiles/{n('alice')}/follow", as_user="alice")
    s.call("bob profile as alice", "GET", f"/profiles/{n('bob')}", as_user="alice")
    s.call("bob profile anonymous", "GET", f"/profiles/{n('bob')}")

    articles = [
        ("bob", f"Dragons {s.run}", [f"dragons{s.run}", f"fantasy{s.run}"]),
        ("bob", f"Dragons {s.run}", [f"dragons{s.run}"]),
        ("bob", f"Crème Brûlée {s.run}", [f"food{s.run}", f"fantasy{s.run}", f"food{s.run}"]),
        ("alice", f"Alice on training {s.run}", []),
        ("carol", f"Carol's notes {s.run}", [f"fantasy{s.run}"]),
    ]
    slugs = []
    for index, (author, title, tags) in enumerate(articles):
        body = s.call(
            f"create article {index}",
            "POST",
            "/articles",
            as_user=author,
            body={
                "article": {
                    "title": title,
                    "description": f"About {title}",
                    "body": f"The body of {title}",
                    "tagList": tags,
                }
            },
        )
        slugs.append(body["article"]["slug"])
    s.call(
        "create blank article",
        "POST",
        "/articles",
        as_user="alice",
        body={"article": {"title": " ", "description": "", "tagList": None}},
    )

    s.call("alice favorites dragons", "POST", f"/articles/{slugs[0]}/favorite", as_user="alice")
    s.call("carol favorites dragons", "POST", f"/articles/{slugs[0]}/favorite", as_user="carol")
    s.call("carol favorites again", "POST", f"/articles/{slugs[0]}/favorite", as_user="carol")
    s.call("carol favorites creme", "POST", f"/articles/{slugs[2]}/favorite", as_user="carol")
    s.call("carol unfavorites creme", "DELETE", f"/articles/{slugs[2]}/favorite", as_user="carol")
    s.call("alice favorites alice", "POST", f"/articles/{slugs[3]}/favorite", as_user="alice")

    first = s.call(
        "alice comments",
        "POST",
        f"/articles/{slugs[0]}/comments",
        as_user="alice",
        body={"comment": {"body": "Great read"}},
    )
    s.comment_ids["alice"] = first["comment"]["id"]
    s.call(
        "bob replies",
        "POST",
        f"/articles/{slugs[0]}/comments",
        as_user="bob",
        body={"comment": {"body": "Thanks!"}},
    )
    s.call("comments as carol", "GET", f"/articles/{slugs[0]}/comments", as_user="carol")
    s.call(
        "bob deletes alice's comment",
        "DELETE",
        f"/articles/{slugs[0]}/comments/{s.comment_ids['alice']}",
        as_user="bob",
    )
    s.call(
        "alice deletes her comment",
        "DELETE",
        f"/articles/{slugs[0]}/comments/{s.comment_ids['alice']}",
        as_user="alice",
    )
    s.call("comments anonymous", "GET", f"/articles/{slugs[0]}/comments")

    filters: list[tuple[str, dict[str, Any]]] = [
        ("by bob", {"author": n("bob")}),
        ("by tag fantasy", {"tag": f"fantasy{s.run}"}),
        ("favorited by carol", {"favorited": n("carol")}),
        ("favorited by alice", {"favorited": n("alice")}),
        ("bob and fantasy", {"author": n("bob"), "tag": f"fantasy{s.run}"}),
        (
            "bob, fantasy, favorited by alice",
            {"author": n("bob"), "tag": f"fantasy{s.run}", "favorited": n("alice")},
        ),
        ("by nobody", {"author": n("nobody")}),
        ("bob page 1", {"author": n("bob"), "limit": 2}),
        ("bob page 2", {"author": n("bob"), "limit": 2, "offset": 2}),
        ("bob page past the end", {"author": n("bob"), "limit": 2, "offset": 10}),
        ("bad limit", {"author": n("bob"), "limit": 0}),
        ("bad offset", {"author": n("bob"), "offset": -3}),
    ]
    for label, params in filters:
        s.call(f"list {label}", "GET", "/articles", params=params)
        s.call(f"list {label} as alice", "GET", "/articles", params=params, as_user="alice")
    s.call("alice feed", "GET", "/articles/feed", as_user="alice")
    s.call(
        "alice feed page 2",
        "GET",
        "/articles/feed",
        as_user="alice",
        params={"limit": 1, "offset": 1},
    )
    s.call("bob feed", "GET", "/articles/feed", as_user="bob")
    s.call("tags", "GET", "/tags", keep=own_tags(s.run))

    s.call(
        "alice edits bob's article",
        "PUT",
        f"/articles/{slugs[0]}",
        as_user="alice",
        body={"article": {"body": "hijack"}},
    )
    s.call(
        "bob retitles",
        "PUT",
        f"/articles/{slugs[1]}",
        as_user="bob",
        body={"article": {"title": f"Wyverns {s.run}", "tagList": []}},
    )
    s.call("old slug", "GET", f"/articles/{slugs[1]}")
    s.call(
        "bob edits body",
        "PUT",
        f"/articles/{slugs[2]}",
        as_user="bob",
        body={"article": {"body": "Now with caramel"}},
    )
    s.call("get creme as carol", "GET", f"/articles/{slugs[2]}", as_user="carol")
    s.call("alice deletes bob's article", "DELETE", f"/articles/{slugs[0]}", as_user="alice")
    s.call("bob deletes dragons", "DELETE", f"/articles/{slugs[0]}", as_user="bob")
    s.call("dragons gone", "GET", f"/articles/{slugs[0]}")
    s.call("comments of deleted", "GET", f"/articles/{slugs[0]}/comments")
    s.call("favorited by carol after delete", "GET", "/articles", params={"favorited": n("carol")})
    s.call("tags after delete", "GET", "/tags", keep=own_tags(s.run))
    s.call("alice unfollows bob", "DELETE", f"/profiles/{n('bob')}/follow", as_user="alice")
    s.call("alice feed after unfollow", "GET", "/articles/feed", as_user="alice")


def describe_difference(
    name: str, reference: Step, other_name: str, other: Step, ref_name: str
) -> str:
    left = json.dumps(
        {"status": reference.status, "body": reference.body}, indent=2, ensure_ascii=False
    )
    right = json.dumps({"status": other.status, "body": other.body}, indent=2, ensure_ascii=False)
    diff = "\n".join(
        difflib.unified_diff(
            left.splitlines(), right.splitlines(), ref_name, other_name, lineterm=""
        )
    )
    where = f"{reference.method} {reference.path}"
    return f"step {name!r} ({where}): {other_name} differs from {ref_name}\n{diff}"


def operation_of(step: Step) -> str | None:
    """The spec operation a step called: the matching path with the fewest parameters, so that
    /articles/feed is GetArticlesFeed rather than GetArticle."""
    matches = sorted(
        (path.count("{"), operation_id)
        for operation_id, (method, path) in CONDUIT_OPERATIONS.items()
        if method == step.method and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", path), step.path)
    )
    return matches[0][1] if matches else None


@pytest.mark.all_implementations
@pytest.mark.operation(*CONDUIT_OPERATIONS)
def test_every_app_answers_the_same_session_identically(all_apis: dict[str, ApiClient]) -> None:
    run = uuid.uuid4().hex[:8]
    transcripts: dict[str, Transcript] = {}
    for name, api in all_apis.items():
        session = Session(api, run)
        script(session)
        transcripts[name] = session.transcript

    reference_name, *others = list(transcripts)
    reference = transcripts[reference_name].steps
    problems = []
    for other_name in others:
        steps = transcripts[other_name].steps
        assert [s.name for s in steps] == [s.name for s in reference]
        for mine, theirs in zip(reference, steps, strict=True):
            if (mine.status, mine.body) != (theirs.status, theirs.body):
                problems.append(
                    describe_difference(mine.name, mine, other_name, theirs, reference_name)
                )
    assert not problems, f"{len(problems)} step(s) differ:\n\n" + "\n\n".join(problems)
    assert len(reference) > 60, "the script should exercise the whole API"
    missed = set(CONDUIT_OPERATIONS) - {operation_of(step) for step in reference}
    assert not missed, f"the script never calls {sorted(missed)}"
