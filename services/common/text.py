"""The one rule for text a client sends: what is normalised, what is refused.

Every string in a request body (keys and values, at any depth) and every path id goes through
:func:`clean_text` before a model sees it:

1. it is normalised to Unicode NFC, and ``\\r\\n`` / ``\\r`` become ``\\n``;
2. it is refused when it holds a control character (categories Cc: NUL, ESC, DEL, C1 ...) other
   than tab and newline, a lone surrogate (Cs, only reachable through ``\\ud800`` escapes), a
   private-use or unassigned code point (Co, Cn), a bidirectional embedding / override /
   isolate control (U+202A..U+202E, U+2066..U+2069: text that displays in another order than it
   reads), or U+FFFD REPLACEMENT CHARACTER (what API Gateway and MiniStack put in place of bytes
   that were not UTF-8: a body that was not UTF-8 stays refused after that substitution).
   Other format characters stay (the zero-width joiner of emoji sequences, ZWNJ).

Single-line fields (names, titles, filenames, ids: :data:`Line`) refuse tab and newline too;
free text (message text, a bio: :data:`Paragraph`) keeps them.

Example:
    clean_text("Cafe\\u0301")                  # "Café" (NFC)
    clean_text("a\\u202eb")                    # TextRefusedError: U+202E RIGHT-TO-LEFT OVERRIDE
    class Profile(BaseModel):
        display_name: Line
        bio: Paragraph
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator

BIDI_CONTROLS = frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
REPLACEMENT_CHARACTER = "\ufffd"
REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
LINE_BREAKS = frozenset("\t\n")


class TextRefusedError(ValueError):
    """The text holds a character the rule refuses; the message names it by code point."""


def _describe(character: str) -> str:
    kinds = {"Cc": "a control character", "Cs": "a lone surrogate", "Co": "private use",
             "Cn": "unassigned"}  # fmt: skip
    name = unicodedata.name(character, "") or kinds.get(unicodedata.category(character), "")
    return f"U+{ord(character):04X} ({name})" if name else f"U+{ord(character):04X}"


def _refused(character: str) -> bool:
    return (
        unicodedata.category(character) in REFUSED_CATEGORIES
        or character in BIDI_CONTROLS
        or character == REPLACEMENT_CHARACTER
        or character in LINE_BREAKS  # reached only for single-line text
    )


def _why(character: str) -> str:
    if character in LINE_BREAKS:
        return " in a single-line field"
    if character == REPLACEMENT_CHARACTER:
        return " (it stands for bytes that were not UTF-8)"
    return ""


def clean_text(value: str, *, multiline: bool = True) -> str:
    """``value`` normalised by the rule above; :class:`TextRefusedError` naming the first
    refused character."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    allowed = LINE_BREAKS if multiline else frozenset()
    # each distinct character once (a long text repeats few); the first refused one is named
    refused = [c for c in set(text) - allowed if _refused(c)]
    if refused:
        character = min(refused, key=text.index)
        raise TextRefusedError(f"character {_describe(character)} is not accepted{_why(character)}")
    return text


def clean_strings(data: Any) -> Any:
    """``data`` (decoded JSON) with every string, keys included, passed through
    :func:`clean_text` (the multi-line rule; single-line fields tighten it through :data:`Line`).
    Raises :class:`TextRefusedError` naming where the refused string is."""

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, str):
            try:
                return clean_text(value)
            except TextRefusedError as error:
                raise TextRefusedError(f"{where or 'body'}: {error}") from None
        if isinstance(value, list):
            return [walk(item, f"{where}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, dict):
            cleaned = {}
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                cleaned[walk(key, path)] = walk(item, path)
            return cleaned
        return value

    return walk(data, "")


def single_line(value: Any) -> Any:
    """The single-line rule for a pydantic field (see :data:`Line`)."""
    # before the str check and the length constraints (measured on the normalised text);
    # anything but a str is left to the strict type check to refuse
    return clean_text(value, multiline=False) if isinstance(value, str) else value


def free_text(value: Any) -> Any:
    """The free-text rule for a pydantic field (see :data:`Paragraph`)."""
    return clean_text(value) if isinstance(value, str) else value


Line = Annotated[str, BeforeValidator(single_line)]
"""A single-line string field: the rule, with tab and newline refused too."""
Paragraph = Annotated[str, BeforeValidator(free_text)]
"""A free-text string field: the rule (tab and newline kept)."""
