"""Firestore security rules: loading them and refusing rules that leave the database open.

Rules that let anyone write, or read the whole database, without a condition are the classic
Firebase data leak. :func:`find_open_rules` finds such statements in a rules source, and
:func:`validate_firestore_rules` refuses them with a message naming the line. The
:class:`~hybridstack.components.realtime_store.RealtimeStore` component and the policy checks both
use these functions, so a program cannot deploy open rules and a user's own tests can check theirs.

What counts as open (each is a finding):

- an ``allow`` of any **write** method (``write``, ``create``, ``update``, ``delete``) with no
  ``if`` condition, or with a condition that is trivially true (``if true``, ``if (true)``,
  ``if true || ...``), anywhere;
- such an ``allow`` of any **read** method (``read``, ``get``, ``list``) inside a recursive
  wildcard match (``match /{document=**}``), i.e. the whole database (or a whole subtree)
  readable by anyone. An unconditional read of one named collection
  (``match /public/{doc} { allow read; }``) is deliberate public content and is accepted.

Example:
    from hybridstack.components.firestore_rules import validate_firestore_rules

    validate_firestore_rules('''
        rules_version = '2';
        service cloud.firestore {
          match /databases/{database}/documents {
            match /{document=**} { allow read, write: if true; }
          }
        }''')
    # OpenRulesError: Firestore rules are open: line 5: `allow read, write: if true;` lets
    # anyone write (no condition) ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

WRITE_METHODS = frozenset({"write", "create", "update", "delete"})
READ_METHODS = frozenset({"read", "get", "list"})

DENY_ALL_RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    // Clients may do nothing until rules say otherwise; server code uses IAM and bypasses rules.
    match /{document=**} {
      allow read, write: if false;
    }
  }
}
"""
"""The default rules: no client access at all (server-side code is governed by IAM instead)."""


class OpenRulesError(ValueError):
    """Firestore rules that leave data open to anyone; the message names every open statement."""


@dataclass(frozen=True)
class RulesFinding:
    """One statement in a rules source that opens data to anyone."""

    line: int
    statement: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: `{self.statement}` {self.reason}"


_TOKEN = re.compile(
    r"(?P<match>\bmatch\s+(?P<path>\S+)\s*\{)"
    r"|(?P<allow>\ballow\s+(?P<methods>[a-z,\s]+?)\s*(?::\s*(?P<cond>[^;]*))?;)"
    r"|(?P<open>\{)|(?P<close>\})"
)
_COMMENT_OR_STRING = re.compile(
    r"//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", flags=re.S
)
_RECURSIVE_WILDCARD = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*=\*\*\}")


def _strip_comments(source: str) -> str:
    """Blank out comments and string contents while keeping offsets (and line numbers) intact."""

    def blank(match: re.Match[str]) -> str:
        text = match.group(0)
        if text.startswith(("//", "/*")):
            return re.sub(r"[^\n]", " ", text)
        return text  # string literals are kept: paths in rules are written in strings

    return _COMMENT_OR_STRING.sub(blank, source)


def _split_top_level(expression: str, operator: str) -> list[str]:
    """Split ``expression`` on ``operator`` where it is not nested in brackets."""
    parts: list[str] = []
    depth = 0
    current = ""
    i = 0
    while i < len(expression):
        char = expression[i]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if depth == 0 and expression.startswith(operator, i):
            parts.append(current)
            current = ""
            i += len(operator)
            continue
        current += char
        i += 1
    parts.append(current)
    return parts


def _strip_parens(expression: str) -> str:
    text = expression.strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def condition_is_trivially_true(condition: str | None) -> bool:
    """Whether an ``allow`` condition grants access unconditionally.

    ``None`` (no ``if`` at all), ``true``, ``(true)``, ``!false``, ``1 == 1``, ``true || x`` and
    ``x || (true)`` are trivially true; anything that looks at the request or the data is not.
    """
    if condition is None:
        return True
    text = _strip_parens(condition)
    if text.startswith("if "):
        text = _strip_parens(text[3:])
    if not text:
        return True
    alternatives = _split_top_level(text, "||")
    if len(alternatives) > 1:
        return any(condition_is_trivially_true(f"if {alt}") for alt in alternatives)
    conjuncts = _split_top_level(text, "&&")
    if len(conjuncts) > 1:
        return all(condition_is_trivially_true(f"if {part}") for part in conjuncts)
    if text in {"true", "!false", "!(false)"}:
        return True
    sides = _split_top_level(text, "==")
    # `1 == 1`, `'a' == 'a'`: the same constant on both sides.
    return (
        len(sides) == 2
        and sides[0].strip() == sides[1].strip()
        and re.fullmatch(r"-?\d+(\.\d+)?|'[^']*'|\"[^\"]*\"|true|false|null", sides[0].strip())
        is not None
    )


def find_open_rules(source: str) -> list[RulesFinding]:
    """Every statement in ``source`` that opens data to anyone (see the module docstring)."""
    cleaned = _strip_comments(source)
    findings: list[RulesFinding] = []
    stack: list[str | None] = []
    for token in _TOKEN.finditer(cleaned):
        if token.group("match"):
            stack.append(token.group("path"))
        elif token.group("open"):
            stack.append(None)
        elif token.group("close"):
            if stack:
                stack.pop()
        elif token.group("allow"):
            methods = {m.strip() for m in token.group("methods").split(",") if m.strip()}
            if not condition_is_trivially_true(token.group("cond")):
                continue
            line = cleaned.count("\n", 0, token.start()) + 1
            statement = " ".join(source[token.start() : token.end()].split())
            writes = sorted(methods & WRITE_METHODS)
            reads = sorted(methods & READ_METHODS)
            recursive = any(p and _RECURSIVE_WILDCARD.search(p) for p in stack)
            why = "with no condition" if token.group("cond") is None else "always (`if true`)"
            if writes:
                findings.append(
                    RulesFinding(line, statement, f"lets anyone {'/'.join(writes)} {why}")
                )
            elif reads and recursive:
                findings.append(
                    RulesFinding(
                        line,
                        statement,
                        f"lets anyone {'/'.join(reads)} every document under a recursive "
                        f"wildcard match {why}",
                    )
                )
    return findings


def validate_firestore_rules(source: str, *, origin: str = "rules") -> str:
    """Return ``source`` if it is usable Firestore rules; raise :class:`OpenRulesError` if not.

    ``origin`` (a file name, or ``"rules"``) is put in the message so the user finds the file.
    """
    if not source.strip():
        raise OpenRulesError(f"Firestore {origin} are empty")
    if not re.search(r"\bservice\s+cloud\.firestore\b", _strip_comments(source)):
        raise OpenRulesError(
            f"Firestore {origin} do not declare `service cloud.firestore {{ ... }}`; "
            "Storage or Realtime Database rules cannot be released to Firestore"
        )
    findings = find_open_rules(source)
    if findings:
        details = "; ".join(str(f) for f in findings)
        raise OpenRulesError(
            f"Firestore {origin} are open: {details}. Add a condition such as "
            "`if request.auth != null` (or deny with `if false`)."
        )
    return source


def load_rules(*, text: str | None = None, path: str | Path | None = None) -> tuple[str, str]:
    """The rules source and where it came from, from inline ``text`` or a file at ``path``.

    Neither gives :data:`DENY_ALL_RULES`; both is an error. The source is not validated here.
    """
    if text is not None and path is not None:
        raise ValueError("give Firestore rules either as text or as a file path, not both")
    if path is not None:
        file = Path(path)
        if not file.is_file():
            raise FileNotFoundError(f"Firestore rules file {str(file)!r} does not exist")
        return file.read_text(encoding="utf-8"), f"rules file {str(file)!r}"
    if text is not None:
        return text, "rules"
    return DENY_ALL_RULES, "default rules"
