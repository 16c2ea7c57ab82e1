"""Reading evidence JSON: the fast reader and the exact reader agree on every text.

`evidence.parse_json` reads a document with msgspec's C decoder (`read_fast`) when it
can vouch for the reading, and with the standard library's reader and its hooks
(`parse_exact`, the reference, which words every problem) otherwise. The property: for
any text (valid JSON or not, as `str` or as UTF-8 bytes) `parse_json` gives exactly what
`parse_exact` gives, the same data with the same types (an integer is not a decimal,
`1.0` keeps its digits) or the same problems. Texts are written by hand from generated
values so that they hold what breaks a reader: a key twice in one object, colons and
quotes inside texts, surrogate escapes, numbers in every JSON form and past what Python
reads, odd whitespace, a byte order mark, NaN, deep nesting, truncation.
`HYPOTHESIS_PROFILE=long` runs the property with the `long` profile's budget.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framework_dsl.evidence import NOT_FAST, parse_exact, parse_json, read_fast

if "HYPOTHESIS_PROFILE" in os.environ:  # HYPOTHESIS_PROFILE=long opts in to long runs
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


def typed(value: Any) -> Any:
    """`value` with every scalar's type beside it, so 1, 1.0, True and Decimal("1") differ."""
    if isinstance(value, dict):
        return ("object", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("array", [typed(item) for item in value])
    if isinstance(value, Decimal):
        return ("decimal", value.as_tuple())
    return (type(value).__name__, value)


def reading(text: str | bytes) -> Any:
    data, problems = parse_json(text, "<test>")
    return typed(data), problems


def exact_reading(text: str | bytes) -> Any:
    data, problems = parse_exact(text, "<test>")
    return typed(data), problems


# ---------------------------------------------------------------- JSON text, written by hand

SPACE = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n  "])
KEYS = st.sampled_from(["a", "b", "rating", "date", "a:b", 'q"', "\\", "é", "", "\u2028"])
NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(
        [
            "0",
            "-0",
            "-0.0",
            "1.0",
            "0.10",
            "1e5",
            "1E+5",
            "2.5e-3",
            "1e400",
            "1e999999999999999999",
            "1e999999999999999999999",
            "123.456e-789",
            "9" * 4300,
            "-" + "9" * 4300,
            "9" * 4301,
            "01",
            "1.",
            ".5",
            "NaN",
            "Infinity",
            "-Infinity",
        ]
    ),
)


# Inside a JSON string: escapes, surrogate escapes paired and lone, a colon, a raw tab (invalid).
ESCAPES = [":", '\\"', "\\\\", "\\n", "\\u00e9", "\\u0000", "\\ud83d\\ude00", "\\ud800", "\\udc00", "\t"]


@st.composite
def strings(draw: st.DrawFn) -> str:
    """A JSON string literal: plain characters, escapes, surrogate escapes paired or not, colons."""
    parts = draw(
        st.lists(
            st.one_of(
                st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters='"\\'), max_size=6),
                st.sampled_from(ESCAPES),
            ),
            max_size=4,
        )
    )
    return '"' + "".join(parts) + '"'


def _key(draw: st.DrawFn) -> str:
    return draw(st.one_of(KEYS.map(lambda k: json.dumps(k, ensure_ascii=draw(st.booleans()))), strings()))


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> str:
    kinds = ["null", "true", "false", "number", "string"] + (["array", "object"] * 2 if depth < 4 else [])
    kind = draw(st.sampled_from(kinds))
    if kind in ("null", "true", "false"):
        return kind
    if kind == "number":
        return draw(NUMBERS)
    if kind == "string":
        return draw(strings())
    items = draw(st.lists(values(depth + 1), max_size=4))
    if kind == "array":
        return "[" + ",".join(draw(SPACE) + item + draw(SPACE) for item in items) + "]"
    members = [draw(SPACE) + _key(draw) + draw(SPACE) + ":" + draw(SPACE) + item for item in items]
    return "{" + ",".join(members) + draw(SPACE) + "}"


@st.composite
def documents(draw: st.DrawFn) -> str | bytes:
    text = draw(SPACE) + draw(values()) + draw(SPACE)
    change = draw(st.sampled_from(["none", "none", "bom", "truncate", "trailing", "deep"]))
    if change == "bom":
        text = "\ufeff" + text
    elif change == "truncate" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif change == "trailing":
        text += draw(st.sampled_from([",", "x", "]", "{}", " 1"]))
    elif change == "deep":
        depth = draw(st.sampled_from([150, 198, 199, 200, 201, 400, 5000]))
        text = '{"a":' * depth + text + "}" * depth
    if draw(st.booleans()):
        return text.encode("utf-8", "surrogatepass")
    return text


@given(documents())
def test_parse_json_reads_every_text_as_the_exact_reader_does(text: str | bytes) -> None:
    assert reading(text) == exact_reading(text)


# ---------------------------------------------------------------- where the fast reader is taken and refused

EVIDENCE = '{"framework": "cqc", "key_questions": {"safe": {"rating": "good"}}, "score": 2.50, "n": 3, "ok": true}'


@pytest.mark.parametrize(
    "text", [EVIDENCE, EVIDENCE.encode(), "\ufeff" + EVIDENCE, b"\xef\xbb\xbf" + EVIDENCE.encode()]
)
def test_ordinary_evidence_is_read_by_the_fast_reader(text: str | bytes) -> None:
    data = read_fast(text)
    assert data is not NOT_FAST
    assert typed(data) == exact_reading(text)[0]
    assert type(data["score"]) is Decimal and str(data["score"]) == "2.50"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"a": 1, "b": {"c": 2, "c": 3}}', "a key twice in one object"),
        ('{"a": 1, "a": 1}', "a key twice, same value"),
        ('{"at": "12:30", "at": "1"}', "a key twice, a colon inside a text"),
        ('{"a" : 1, "a" : 2}', "a key twice, spaced from its colon"),
        ('{"at": "12:30\\n"}', "a colon inside a text that has an escape"),
        ('{"a": "\\":", "b": 1}', "a colon inside a text, just after a quote"),
        ('{"x": NaN}', "NaN"),
        ('{"x": "\\ud800"}', "a lone surrogate escape"),
        ('{"x": "\udc00"}', "a lone surrogate in the text itself"),
        ('{"x": ' + "9" * 4301 + "}", "more digits than Python reads"),
        ('{"x": 1e999999999999999999999}', "an exponent no decimal holds"),
        ("[" * 250 + "]" * 250, "nested past what the fast reader vouches for"),
        (b'{"x": "\xff"}', "invalid UTF-8"),
        ('{"a": 1,}', "a trailing comma"),
    ],
)
def test_the_fast_reader_refuses_what_it_cannot_vouch_for(text: str | bytes, why: str) -> None:
    assert read_fast(text) is NOT_FAST, why
    assert reading(text) == exact_reading(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"at": "12:30"}',
        '{"a" : 1, "b" :2}',
        '{"url": "https://example.org/a:b", "times": ["09:00", "17:30"], "n": {"k": ":"}}',
        '":"',
        b'\xef\xbb\xbf{"at": "12:30"}',
    ],
)
def test_colons_in_texts_are_read_fast_when_no_text_has_an_escape(text: str | bytes) -> None:
    """With no backslash anywhere, the data written again has the document's colons unless a key was twice."""
    data = read_fast(text)
    assert data is not NOT_FAST
    assert typed(data) == exact_reading(text)[0]


def test_a_duplicate_key_is_still_reported() -> None:
    data, problems = parse_json('{"a": {"b": 1, "b": 2}}', "<test>")
    assert data is None
    assert [p.message for p in problems] == ["the key `b` appears twice in one object"]
