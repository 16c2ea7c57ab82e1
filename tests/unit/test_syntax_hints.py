"""Natural attempts: a newcomer's habit from another language gets a located diagnostic that says what to write."""

from __future__ import annotations

from pathlib import Path

import pytest

from framework_dsl import check_rules
from framework_dsl.diagnostics import CODES
from framework_dsl.parser import parse_source
from framework_dsl.source import SourceFile
from framework_dsl.syntax_hints import natural_attempt

REPO = Path(__file__).resolve().parents[2]
BASE = """framework demo "Demo" effective from 2020-01-01
scale rating: good "Good" > poor "Poor"
evidence:
  pct: decimal
  scores: list of integer
  name: text
  items: list of text
judgement j: rating
  good when {condition} because "x"
  otherwise poor because "y"
"""

ATTEMPTS = [
    ("pct >= 63%", "syntax.percent-sign", "`63%`", "write `63`"),
    ("63 <= pct <= 87", "syntax.chained-comparison", "`63 <= pct <= 87`", "`pct >= 63 and pct <= 87`"),
    ("63 <= pct <= 87", "syntax.chained-comparison", "`63 <= pct <= 87`", "`pct between 63 and 87`"),
    ('0 < pct < 1 and name = "a"', "syntax.chained-comparison", "`0 < pct < 1`", "`pct > 0 and pct < 1`"),
    ("pct == 63", "syntax.foreign-operator", "`==`", "write `=`"),
    ("pct > 1 && pct < 2", "syntax.foreign-operator", "`&&`", "write `and`"),
    ("pct > 1 || pct < 2", "syntax.foreign-operator", "`||`", "write `or`"),
    ("!(pct > 1)", "syntax.foreign-operator", "`!`", "write `not`"),
    ("pct <> 1", "syntax.foreign-operator", "`<>`", "`!=`"),
    ("pct => 1", "syntax.foreign-operator", "`=>`", "`>=`"),
    ("pct > 1 AND pct < 2", "syntax.foreign-operator", "`AND`", "write `and`"),
    ('items contains "x"', "syntax.foreign-operator", "`contains`", 'write `"x" in items`'),
    ('name is "x"', "syntax.foreign-operator", '`is "x"`', 'write `name = "x"`'),
    ("name is null", "syntax.foreign-operator", "`is null`", "`name is missing`"),
    ("pct > 1 else", "syntax.foreign-operator", "`else`", "otherwise"),
    ("items is not empty", "syntax.is-not", "`is not empty`", "`not (items is empty)`"),
    ("pct is not missing", "syntax.is-not", "`is not missing`", "`pct is present`"),
    ('name is not "x"', "syntax.is-not", '`is not "x"`', 'write `name != "x"`'),
    ("average(scores) > 2", "syntax.call-form", "`average(scores)`", "write `average of scores`"),
    ("average scores > 2", "syntax.call-form", "`average`", "write `average of scores`"),
    ("sum(scores) > 2", "syntax.call-form", "`sum(scores)`", "write `sum of scores`"),
    ("len(items) > 1", "syntax.call-form", "`len(items)`", "write `count of items`"),
    ("count items > 1", "syntax.call-form", "`count`", "write `count of items`"),
    ("mean of scores > 1", "syntax.call-form", "`mean of`", "write `average of`"),
    ("round to 1 decimal places > 1", "syntax.call-form", "`round` needs the value", "`round X to N decimal places`"),
]


@pytest.mark.parametrize(("condition", "code", "in_message", "in_hint"), ATTEMPTS, ids=[a[0] for a in ATTEMPTS])
def test_a_natural_attempt_says_what_to_write(condition: str, code: str, in_message: str, in_hint: str) -> None:
    """One diagnostic, with the attempt's code, on the clause's line, at or after `when`, saying what to write."""
    _, problems = parse_source(SourceFile("t.fw", BASE.format(condition=condition)))
    assert [p.code for p in problems] == [code]
    problem = problems[0]
    assert problem.code in CODES
    assert problem.span is not None and problem.span.line == 9 and problem.span.column >= 13
    assert in_message in problem.message
    assert problem.hint is not None and in_hint in problem.hint


VALID = [
    "not items is empty",
    '"x" not in items',
    "count of items > 1",
    'count of [b for b in items where b = "x"] > 0',
    'any b in items where b = "x"',
    "average of scores >= 2 and sum of scores < 9",
    "pct >= 63 and pct <= 87",
    "sorted (scores) = scores",
    "not (pct > 1)",
    "pct != 1",
]


@pytest.mark.parametrize("condition", VALID)
def test_what_is_valid_is_not_taken_for_an_attempt(condition: str) -> None:
    """The forms the language has parse, and the detectors find nothing in them."""
    source = SourceFile("t.fw", BASE.format(condition=condition))
    assert parse_source(source)[1] == []
    assert natural_attempt(source, 0, len(source.text), len(source.text)) is None


def _valid_files() -> list[Path]:
    files = [*(REPO / "rules").rglob("*.fw"), *(REPO / "tests" / "cases" / "eval").rglob("*.fw")]
    files.extend((REPO / "tests" / "cases" / "check" / "good").glob("*.fw"))
    return sorted(files)


@pytest.mark.parametrize("path", _valid_files(), ids=lambda p: p.name)
def test_no_valid_rule_file_holds_an_attempt(path: Path) -> None:
    """Every bundled and case rule file: no detector takes anything in it for a habit (`a > b > c` in a scale)."""
    source = SourceFile(path.name, path.read_text(encoding="utf-8"))
    assert natural_attempt(source, 0, len(source.text), len(source.text)) is None


def test_an_unknown_name_from_another_language_gets_a_hint(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`null` and `mean` used as values: `names.unknown` with what to write (`round` is a keyword now)."""
    root = write_rules({"demo.fw": BASE.format(condition="name = null or pct = mean")})
    _, diagnostics = check_rules(root)
    hints = {d.message: d.hint for d in diagnostics}
    assert "`X is missing`" in (hints["unknown name `null`"] or "")
    assert "`average of X`" in (hints["unknown name `mean`"] or "")


def test_a_keyword_declared_as_a_name_is_refused_at_the_declaration(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`define all = ...` that nothing reads (so the file parses): the checker refuses it where it is declared."""
    root = write_rules({"demo.fw": BASE.format(condition="pct > 1") + "define all = pct\n"})
    _, diagnostics = check_rules(root)
    assert [(d.code, d.message, d.span.line if d.span else 0) for d in diagnostics] == [
        ("names.keyword", "`all` is a keyword; choose another name", 11)
    ]


def test_a_keyword_name_read_in_a_rule_is_reported_at_the_declaration_with_the_use() -> None:
    """The use cannot parse; the diagnostic is at the declaration, with the use as a label, not a syntax error."""
    text = BASE.format(condition="no > 1") + "define no = 1\n"
    _, problems = parse_source(SourceFile("t.fw", text))
    assert [p.code for p in problems] == ["names.keyword"]
    assert problems[0].span is not None and problems[0].span.line == 11
    assert [(label.span.line, label.message) for label in problems[0].labels] == [(9, "read as the keyword here")]


def test_a_judgement_named_like_a_keyword_still_reports_under_its_name(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`judgement average` is never read by a rule, but its outcome is reported under that name: allowed."""
    text = BASE.format(condition="pct > 1").replace("judgement j:", "judgement average:")
    rule_set, diagnostics = check_rules(write_rules({"demo.fw": text}))
    assert diagnostics == []
    assert rule_set is not None


@pytest.mark.parametrize(
    ("reason", "in_hint"),
    [
        ("{pct:.1f}", "`{round pct to 1 decimal places}`"),
        ("{pct:.0%}", "`{round (pct * 100) to 0 decimal places}%`"),
        ("{pct:d}", "`{round pct to 0 decimal places}`"),
    ],
)
def test_a_python_format_spec_in_a_reason_says_to_round(reason: str, in_hint: str) -> None:
    """`{pct:.1f}` in a reason: `syntax.format-spec` over the interpolation, saying how to round instead."""
    text = BASE.format(condition="pct > 1").replace('because "x"', f'because "Met {reason}"')
    _, problems = parse_source(SourceFile("t.fw", text))
    assert [p.code for p in problems] == ["syntax.format-spec"]
    span = problems[0].span
    assert span is not None and text[span.start : span.end] == reason
    assert problems[0].hint is not None and in_hint in problems[0].hint


@pytest.mark.parametrize(
    ("declaration", "in_hint"),
    [
        ("scale level: high, low", "joined by `>`"),
        ("enum kind: small > large", "separated by `,`"),
        ("define x := 1", "not `:=`"),
    ],
)
def test_a_declaration_in_another_languages_form_gets_its_own_hint(declaration: str, in_hint: str) -> None:
    """The parser's message stays; the hint says how the declaration is written here."""
    _, problems = parse_source(SourceFile("t.fw", BASE.format(condition="pct > 1") + declaration + "\n"))
    assert [p.code for p in problems] == ["syntax.unexpected-token"]
    assert problems[0].hint is not None and in_hint in problems[0].hint


def test_a_habit_after_the_parse_error_on_its_line_is_named() -> None:
    """`when pct > 1 then good` fails at `pct`; the diagnostic names `then`, later on the same line."""
    text = BASE.format(condition="pct > 1").replace("  good when pct > 1", "  when pct > 1 then good")
    _, problems = parse_source(SourceFile("t.fw", text))
    assert [(p.code, p.message) for p in problems] == [("syntax.foreign-operator", "`then` is not a keyword")]
