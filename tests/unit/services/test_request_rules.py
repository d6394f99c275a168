"""The pure parts of the request rules, property by property (no emulator needed): the depth
count before parsing agrees with the parsed depth, and the text rule is NFC, idempotent and
refuses exactly the characters it states."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hybridstack.services.common.http import nests_deeper_than
from hybridstack.services.common.text import TextRefusedError, clean_text

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=30,
)  # fmt: skip


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


@given(value=json_values, limit=st.integers(min_value=0, max_value=8))
def test_the_depth_found_without_parsing_is_the_parsed_depth(value: Any, limit: int) -> None:
    text = json.dumps(value)
    assert nests_deeper_than(text, limit) == (depth(value) > limit)


def refused(character: str) -> bool:
    return (
        unicodedata.category(character) in {"Cc", "Cs", "Co", "Cn"} and character not in "\t\n\r"
    ) or character in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufffd"


@given(text=st.text(max_size=50))
def test_the_text_rule_refuses_exactly_what_it_states(text: str) -> None:
    normal = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    expected_refusal = any(refused(c) for c in normal)
    try:
        cleaned = clean_text(text)
    except TextRefusedError:
        assert expected_refusal
        return
    assert not expected_refusal
    assert cleaned == normal
    assert clean_text(cleaned) == cleaned  # idempotent


@pytest.mark.parametrize("text", ["a\tb", "a\nb", "a\r\nb"])
def test_single_line_text_refuses_tab_and_newline(text: str) -> None:
    assert clean_text(text) == text.replace("\r\n", "\n")
    with pytest.raises(TextRefusedError, match="single-line"):
        clean_text(text, multiline=False)
