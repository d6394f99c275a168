"""Firestore rules validation: open rules are refused with the line, sensible rules pass."""

from pathlib import Path

import pytest

from hybridstack.components.firestore_rules import (
    DENY_ALL_RULES,
    OpenRulesError,
    condition_is_trivially_true,
    find_open_rules,
    load_rules,
    validate_firestore_rules,
)


def _rules(body: str) -> str:
    return (
        "rules_version = '2';\n"
        "service cloud.firestore {\n"
        "  match /databases/{database}/documents {\n"
        f"{body}\n"
        "  }\n"
        "}\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        "match /{document=**} { allow read, write: if true; }",
        "match /{document=**} { allow read, write; }",
        "match /{document=**} {\n allow read, write: if (true);\n }",
        "match /{path=**} { allow write: if request.auth != null || true; }",
        "match /messages/{id} { allow create; }",
        "match /{document=**} { allow read; }",
        "match /rooms/{room} { match /{rest=**} { allow get, list: if true; } }",
    ],
)
def test_open_rules_are_refused(body: str) -> None:
    with pytest.raises(OpenRulesError, match=r"are open: line \d+: `allow"):
        validate_firestore_rules(_rules(body))


@pytest.mark.parametrize(
    "body",
    [
        "match /{document=**} { allow read, write: if false; }",
        "match /{document=**} { allow read, write: if request.auth != null; }",
        "match /users/{uid} { allow read, write: if request.auth.uid == uid; }",
        "match /public/{doc} { allow read; }",
        "match /rooms/{room} { allow write: if true && request.auth != null; }",
        "// match /{document=**} { allow read, write; }\n"
        "match /a/{b} { allow read: if request.auth.token.role == 'admin'; }",
        "/* allow write; */ match /a/{b} { allow read, write: if false; }",
    ],
)
def test_guarded_rules_pass(body: str) -> None:
    source = _rules(body)
    assert validate_firestore_rules(source) == source


def test_message_names_the_line_and_methods() -> None:
    source = _rules("    match /{document=**} {\n      allow read, write: if true;\n    }")
    (finding,) = find_open_rules(source)
    assert finding.line == 5
    assert finding.statement == "allow read, write: if true;"
    assert "anyone write" in finding.reason


def test_rules_for_another_service_are_refused() -> None:
    with pytest.raises(OpenRulesError, match=r"service cloud\.firestore"):
        validate_firestore_rules(
            "service firebase.storage { match /b/{bucket}/o { allow read: if false; } }",
            origin="rules file 'storage.rules'",
        )


def test_empty_rules_are_refused() -> None:
    with pytest.raises(OpenRulesError, match="empty"):
        validate_firestore_rules("  \n")


def test_trivial_conditions() -> None:
    assert condition_is_trivially_true(None)
    assert condition_is_trivially_true("if true")
    assert condition_is_trivially_true("if (true)")
    assert condition_is_trivially_true("if request.auth != null || (true)")
    assert not condition_is_trivially_true("if request.auth != null")
    assert not condition_is_trivially_true("if (true) && request.auth != null")
    assert not condition_is_trivially_true("if false")
    assert condition_is_trivially_true("if 1 == 1")
    assert condition_is_trivially_true("if !false")
    assert condition_is_trivially_true("if 'a' == 'a'")
    assert not condition_is_trivially_true("if request.auth.uid == request.auth.uid")
    assert not condition_is_trivially_true("if resource.data.owner == request.auth.uid")


def test_default_rules_deny_everything_and_pass(tmp_path: Path) -> None:
    assert load_rules() == (DENY_ALL_RULES, "default rules")
    assert validate_firestore_rules(DENY_ALL_RULES)
    file = tmp_path / "firestore.rules"
    file.write_text(_rules("match /{d=**} { allow read, write: if false; }"))
    text, origin = load_rules(path=file)
    assert "if false" in text
    assert "firestore.rules" in origin
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_rules(path=tmp_path / "missing.rules")
    with pytest.raises(ValueError, match="not both"):
        load_rules(text="x", path=file)
