"""The docs-faithfulness tool (`make faithful`): each app's generated OpenAPI document documents
exactly the spec's operations, operationIds and status codes, and the field-by-field comparison
finds what differs (each check is shown to fail on a document changed to break it).

The apps are built in this process (no server), so these tests run once, not once per app.
"""

import copy
from typing import Any

import pytest

from tools import faithful
from tools.apps import APPS
from tools.faithful import Difference, compare, generated, operations, spec_document

Doc = dict[str, Any]


def spec() -> Doc:
    return copy.deepcopy(spec_document())


def test_each_app_documents_the_spec_operations_ids_and_status_codes_exactly() -> None:
    """One test for the three (not parametrized: the per-app counts are the contract suite's)."""
    spec_ids = {op["operationId"] for op in operations(spec_document()).values()}
    for app in APPS:
        document = generated(app.key)
        assert all(path.startswith(("/api/", "/health")) for path in document["paths"]), app.key
        assert [d for d in compare(spec_document(), document) if d.structural] == [], app.key
        assert {op["operationId"] for op in operations(document).values()} == spec_ids, app.key
    assert faithful.main([]) == 0, "make faithful exits 0"


def test_the_spec_read_against_itself_differs_in_nothing() -> None:
    assert compare(spec_document(), spec()) == []


def test_paths_compare_with_the_server_prefix_written_into_them() -> None:
    """The apps write `/api/users`; the spec writes `/users` under the server `.../api`."""
    document = spec()
    document.pop("servers")
    paths = document.pop("paths")
    document["paths"] = {("" if "servers" in item else "/api") + path: item
                         for path, item in paths.items()}  # fmt: skip
    for item in document["paths"].values():
        item.pop("servers", None)
    assert compare(spec_document(), document) == []
    document["paths"]["/users"] = document["paths"].pop("/api/users")
    kinds = {d.kind for d in compare(spec_document(), document)}
    assert kinds == {"missing operation", "extra operation"}


def test_operations_ids_and_status_codes_are_structural() -> None:
    document = spec()
    del document["paths"]["/tags"]
    document["paths"]["/user"]["get"]["operationId"] = "Me"
    document["paths"]["/user"]["get"]["responses"]["422"] = {"description": "no"}
    del document["paths"]["/users"]["post"]["responses"]["409"]
    found = compare(spec_document(), document)
    assert all(d.structural for d in found)
    assert {(d.kind, d.where, d.detail) for d in found} == {
        ("missing operation", "GET /api/tags", "GetTags"),
        ("different operationId", "GetCurrentUser", "spec GetCurrentUser, app Me"),
        ("extra status code", "GetCurrentUser", "422"),
        ("missing status code", "CreateUser", "409"),
    }


def test_main_fails_on_a_structural_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    document = spec()
    del document["paths"]["/tags"]
    monkeypatch.setattr(faithful, "generated", lambda key: document)
    assert faithful.main(["--impl", "django"]) == 1


def test_schemas_are_compared_field_by_field_through_refs() -> None:
    document = spec()
    schemas = document["components"]["schemas"]
    schemas["User"]["properties"]["bio"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    schemas["User"]["required"].remove("token")
    del schemas["User"]["additionalProperties"]
    schemas["Profile"]["title"] = "Profile"
    schemas["Profile"]["properties"]["following"]["type"] = "string"
    schemas["Comment"]["properties"]["extra"] = {"type": "string"}
    schemas["NewComment"]["properties"]["body"].pop("allOf")  # the not-blank and no-NUL rules
    schemas["Email"]["maxLength"] = 255
    schemas["Image"]["type"] = "string"
    document["components"]["parameters"]["limitParam"]["schema"]["maximum"] = 50
    # A $ref wrapped in allOf (as drf-spectacular writes it) reads as the $ref itself.
    schemas["Article"]["properties"]["author"] = {
        "allOf": [{"$ref": "#/components/schemas/Profile"}]
    }
    found = set(compare(spec_document(), document))
    not_blank = spec_document()["components"]["schemas"]["NewComment"]["properties"]["body"]
    blank_rule, nul_rule = (faithful.short(part["pattern"]) for part in not_blank["allOf"])
    assert found == {
        Difference("nullable spelled anyOf", "User.bio"),
        Difference("not required (spec: required)", "User.token"),
        Difference("missing additionalProperties", "User", "false"),
        Difference("extra title", "Profile"),
        Difference("different type", "Profile.following", "spec ['boolean'], app ['string']"),
        Difference("extra property", "Comment.extra"),
        Difference("missing pattern", "NewComment.body", blank_rule),
        Difference("missing pattern", "NewComment.body", nul_rule),
        *(Difference("different maxLength", f"{schema}.email", "spec 254, app 255")
          for schema in ("LoginUser", "NewUser", "UpdateUser")),
        Difference("missing nullable", "UpdateUser.image"),
        Difference("different maximum", "GetArticles query limit", "spec 100, app 50"),
        Difference("different maximum", "GetArticlesFeed query limit", "spec 100, app 50"),
    }  # fmt: skip
    assert not any(d.structural for d in found)


def test_bodies_and_parameters_are_compared() -> None:
    document = spec()
    create = document["paths"]["/articles"]["post"]
    create.pop("requestBody")
    listing = document["paths"]["/articles"]["get"]
    listing["parameters"] = [p for p in listing["parameters"] if p.get("name") != "tag"]
    listing["parameters"].append({"name": "page", "in": "query", "schema": {"type": "integer"}})
    login = document["components"]["requestBodies"]["LoginUserRequest"]
    login["content"] = {"application/x-www-form-urlencoded": login["content"]["application/json"]}
    found = {(d.kind, d.where, d.detail) for d in compare(spec_document(), document)}
    assert found == {
        ("missing request body", "CreateArticle", ""),
        ("missing parameter", "GetArticles query tag", ""),
        ("extra parameter", "GetArticles query page", ""),
        ("missing media type", "LoginUserRequest", "application/json"),
        ("extra media type", "LoginUserRequest", "application/x-www-form-urlencoded"),
    }


def test_the_table_counts_each_kind_and_the_block_lists_every_difference() -> None:
    found = {app.key: compare(spec_document(), generated(app.key)) for app in APPS}
    table = faithful.faithful_table(found)
    assert table.header == ["Kind", *(app.title for app in APPS)]
    totals = table.rows[-1][1:]
    assert totals == [f"**{len(found[app.key])}**" for app in APPS]
    for row in table.rows[:-1]:
        for app, cell in zip(APPS, row[1:], strict=True):
            assert int(cell) == sum(1 for d in found[app.key] if d.kind == row[0])
    block = faithful.faithful_block()
    for app in APPS:
        assert f"{app.title}: {len(found[app.key])} differences" in block
        assert all(faithful.listing(d) in block for d in found[app.key])


def test_report_cells_show_hidden_characters_as_escapes() -> None:
    """The spec's patterns hold literal control and zero-width characters; a table cell must
    show them (and the README stay plain text), not pass them through."""
    pattern = "^[^\x00-\x1f @\u200b\ufeff\U000e0001]+$"
    assert faithful.short(pattern, width=80) == "^[^\\u0000-\\u001f @\\u200b\\ufeff\\U000e0001]+$"
    assert faithful.short("ordinary text, é and 日本") == "ordinary text, é and 日本"
    assert faithful.short("x" * 60) == "x" * 47 + "…"
