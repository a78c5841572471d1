"""The spec's request patterns mean what the apps enforce, in both regex dialects in use.

JSON Schema patterns are ECMA-262 regexes (jsonschema-rs, which Schemathesis validates with,
follows ECMA-262: ASCII `\\w`, `\\s` with U+FEFF); Python tools (openapi-core, jsonschema,
openapi-spec-validator) run the same text through Python's `re`. A pattern that means one thing
in one and another in the other would let a fuzzer, or a generated client, disagree with the
apps. These tests need no server: the apps' rules are restated here as the oracle (trim with
`str.strip()`, blank means whitespace only, `\\w` is Python's Unicode `\\w`, NUL is refused).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
import pytest

from tests.client import load_spec

# Every code point a JSON string can hold (lone surrogates are refused by the apps and cannot
# reach a Rust validator at all).
CHARACTERS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
PYTHON_WHITESPACE = [c for c in CHARACTERS if c.isspace()]
# ECMA-262's `\s` where it differs from Python's, and the characters the rules single out.
TRICKY = ["\ufeff", "\x1c", "\x1f", "\x85", "\x00", ".", "-", "_", "@", "é", "٣", "你"]
USERNAME = re.compile(r"\w[\w.-]*")


def schema(name: str) -> dict[str, Any]:
    return dict(load_spec()["components"]["schemas"][name])


def python_validator(definition: dict[str, Any]) -> Callable[[str], bool]:
    """A string schema's type, length and pattern keywords as Python's jsonschema reads them
    (`re.search` on each pattern), fast enough to try every code point."""
    patterns = [re.compile(p) for p in patterns_of(definition)]
    low, high = definition.get("minLength", 0), definition.get("maxLength", sys.maxsize)
    return lambda value: low <= len(value) <= high and all(p.search(value) for p in patterns)


def patterns_of(definition: dict[str, Any]) -> Iterator[str]:
    if "pattern" in definition:
        yield definition["pattern"]
    for part in definition.get("allOf", []):
        yield from patterns_of(part)


def validators(definition: dict[str, Any]) -> dict[str, Callable[[str], bool]]:
    ecma = jsonschema_rs.validator_for(definition)
    return {"ECMA-262 (jsonschema-rs)": ecma.is_valid, "Python re": python_validator(definition)}


def disagreements(
    definition: dict[str, Any],
    rule: Callable[[str], bool],
    values: list[str],
    *,
    describes_trimmed: bool = False,
) -> dict[str, list[str]]:
    """Per dialect, the values (up to 10) the schema judges otherwise than the apps' rule.

    A schema that `describes_trimmed` values (JSON Schema cannot trim) may refuse a value with
    whitespace around it that the apps would trim and take: stricter there, never laxer.
    """
    found = {}
    for dialect, valid in validators(definition).items():
        wrong = [
            value
            for value in values
            if valid(value) != rule(value)
            and not (describes_trimmed and value != value.strip() and not valid(value))
        ]
        if wrong:
            found[dialect] = [ascii(value) for value in wrong[:10]]
    return found


def username_rule(value: str) -> bool:
    name = value.strip()
    return 1 <= len(name) <= 64 and USERNAME.fullmatch(name) is not None


def not_blank_rule(value: str) -> bool:
    return bool(value.strip()) and "\x00" not in value


def test_username_schema_accepts_exactly_pythons_unicode_word_names() -> None:
    """Every single character, and every tricky one before and after a name."""
    values = CHARACTERS + [f"{c}bob" for c in PYTHON_WHITESPACE + TRICKY]
    values += [f"bob{c}" for c in PYTHON_WHITESPACE + TRICKY]
    values += ["a.b-c_d", "Zoë", "你好", "٣x", " ", "", "a" * 64, "a" * 65, ".a", "-a", "_a"]
    assert not disagreements(schema("Username"), username_rule, values, describes_trimmed=True)


# The request strings that must not be blank, and the path to each inside its component.
NOT_BLANK_FIELDS = [
    ("Password", ()),
    ("LoginUser", ("properties", "password")),
    ("NewArticle", ("properties", "title")),
    ("NewArticle", ("properties", "description")),
    ("NewArticle", ("properties", "body")),
    ("UpdateArticle", ("properties", "title")),
    ("UpdateArticle", ("properties", "description")),
    ("UpdateArticle", ("properties", "body")),
    ("NewComment", ("properties", "body")),
    ("TagList", ("items",)),
]


def field_schema(schema_name: str, pointer: tuple[str, ...]) -> dict[str, Any]:
    definition = schema(schema_name)
    for key in pointer:
        definition = definition[key]
    return definition


def test_not_blank_pattern_refuses_whitespace_only_and_nul() -> None:
    """Every single character, and the strings of whitespace Python's `strip()` would empty."""
    definition = {"type": "string", "allOf": field_schema("Password", ())["allOf"]}
    values = [*CHARACTERS, "".join(PYTHON_WHITESPACE), " \x00 ", "a\x00", "\ufeff", " a "]
    assert not disagreements(definition, not_blank_rule, values)


@pytest.mark.parametrize(("schema_name", "pointer"), NOT_BLANK_FIELDS)
def test_every_string_that_must_not_be_blank_says_so(
    schema_name: str, pointer: tuple[str, ...]
) -> None:
    definition = field_schema(schema_name, pointer)
    assert definition["allOf"] == field_schema("Password", ())["allOf"]
    assert definition.get("minLength", 1) >= 1


# ECMA-262's `\\s`: the characters a JavaScript (and JSON Schema) regex calls whitespace.
ECMA_WHITESPACE = set("\t\n\x0b\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff")
ECMA_WHITESPACE |= {chr(c) for c in range(0x2000, 0x200B)}


def not_in_email(character: str) -> bool:
    """`@`, whitespace in either dialect's sense, or a control or format character."""
    return (
        character == "@"
        or character.isspace()
        or character in ECMA_WHITESPACE
        or unicodedata.category(character) in ("Cc", "Cf")
    )


def email_rule(value: str) -> bool:
    address = value.strip()
    if len(address) > 254 or any(not_in_email(c) for c in address.replace("@", "", 1)):
        return False
    local, _, domain = address.partition("@")
    dots = [i for i, c in enumerate(domain) if c == "."]
    return bool(local) and any(0 < i < len(domain) - 1 for i in dots)


def test_email_schema_judges_every_character_as_the_apps_do() -> None:
    """Each code point inside, and before and after, an address; `\\s` appears nowhere, so
    U+001F (Python whitespace) and U+FEFF (ECMA-262 whitespace) get one verdict in both."""
    values = [f"a{c}b@c.de" for c in CHARACTERS] + [f"a@b{c}.de" for c in TRICKY]
    values += [f"{c}a@b.co{c}" for c in PYTHON_WHITESPACE + TRICKY]
    values += ["a@b.co", "a@b", "a b@c.de", "@b.co", "a@.co", "a@b.", "a@b.co\x00", "a@@b.co"]
    values += ["a@" + "b" * 250 + ".co", "a@" + "b" * 249 + ".co", " ", "", "a.b@c.d.e"]
    assert not disagreements(schema("Email"), email_rule, values, describes_trimmed=True)


def test_login_checks_the_email_like_registration() -> None:
    login = schema("LoginUser")["properties"]
    assert login["email"] == {"$ref": "#/components/schemas/Email"}
    assert schema("NewUser")["properties"]["email"] == login["email"]


def every_pattern(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from every_pattern(value)
    elif isinstance(node, list):
        for item in node:
            yield from every_pattern(item)


def test_every_pattern_compiles_in_both_dialects() -> None:
    patterns = list(every_pattern(load_spec()))
    assert len(patterns) >= 5
    for pattern in patterns:
        re.compile(pattern)
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


@pytest.mark.parametrize("schema_name", ["Bio", "Image"])
def test_bio_and_image_may_be_blank_or_null_but_hold_no_nul(schema_name: str) -> None:
    validator = jsonschema_rs.validator_for(schema(schema_name))
    assert all(validator.is_valid(value) for value in (None, "", "  ", "a picture"))
    assert not validator.is_valid("a\x00b")
