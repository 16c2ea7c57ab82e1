"""The examples runner (`framework-dsl test`): what makes an example pass or fail."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from framework_dsl import load_rules
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.diagnostics import render_all_text
from framework_dsl.examples import run_examples

RULES = """framework undated "Undated" effective from 2020-01-01
evidence:
  a: boolean
judgement copy: boolean
  otherwise a because "a as recorded"

example "{title}"
  given {{"framework": "undated", "a": true}}
  {as_of}expect copy = true
"""


def _failures(tmp_path: Path, as_of: str) -> list[str]:
    (tmp_path / "undated.fw").write_text(RULES.format(title="a copy", as_of=as_of))
    rules = load_rules(tmp_path).with_clock(lambda: datetime.date(2040, 1, 1))
    report = run_examples(rules)
    return [f.expectation for outcome in report.outcomes for f in outcome.failures]


def test_an_example_whose_date_comes_from_the_clock_fails(tmp_path: Path) -> None:
    """An example with no date of its own, over evidence with none, would change with the day: it fails."""
    assert _failures(tmp_path, "") == ["the example fixes its date"]


def test_an_example_with_its_own_date_passes(tmp_path: Path) -> None:
    """The same example with `as of` passes, whatever the clock says."""
    assert _failures(tmp_path, "as of 2021-03-04\n  ") == []


REASONED = """framework reasoned "Reasoned" effective from 2020-01-01
evidence:
  n: integer
judgement size: boolean
  true when n > 2 because "{n} is more than two"
  otherwise false because "few"

example "three"
  given {"framework": "reasoned", "n": 3}
  as of 2021-01-01
  expect size because "{reason}"
"""


def _reason_failures(tmp_path: Path, reason: str) -> list[tuple[str, str, str]]:
    (tmp_path / "reasoned.fw").write_text(REASONED.replace("{reason}", reason))
    report = run_examples(load_rules(tmp_path))
    return [(f.expectation, f.expected, f.actual) for outcome in report.outcomes for f in outcome.failures]


def test_an_example_can_expect_the_reason_with_its_values_filled_in(tmp_path: Path) -> None:
    """`expect J because "..."` passes on exactly the reason the decision gives."""
    assert _reason_failures(tmp_path, "3 is more than two") == []


def test_an_example_expecting_another_reason_fails_and_shows_the_reason_given(tmp_path: Path) -> None:
    """The right outcome for a different reason fails, naming both reasons."""
    assert _reason_failures(tmp_path, "n is more than two") == [
        ('size because "n is more than two"', '"n is more than two"', '"3 is more than two"')
    ]


# ---------------------------------------------------------------- expectations about the explanation

EXPLAINED = """framework marks "Marks" effective from 2020-01-01
scale grade: good > poor
record visit: date: date
record note: mark: integer
evidence:
  visit: visit
  score: optional integer
  late: boolean
  notes: list of note
judgement result: grade
  good when score >= 3 and not late because "score {score}, on time"
  poor when late because "late"
  otherwise poor because "score {score}"
judgement counted for each n in notes: grade
  good when n.mark > 1 because "{n.mark}"
  otherwise poor because "{n.mark}"

example "on time"
  given {
    "framework": "marks",
    "visit": {"date": "2021-01-01"},
    "score": 3,
    "late": false,
    "notes": [{"mark": 1}, {"mark": 2}]
  }
  as of 2021-01-01
  EXPECT_ON_TIME

example "no score"
  given {"framework": "marks", "visit": {"date": "2021-01-01"}, "late": false, "notes": []}
  as of 2021-01-01
  EXPECT_NO_SCORE
"""


def _explained(tmp_path: Path, on_time: str = "", no_score: str = "") -> list[tuple[str, str, str]]:
    root = tmp_path / "rules"
    root.mkdir()
    text = EXPLAINED.replace("EXPECT_ON_TIME", on_time or "expect result = good")
    (root / "marks.fw").write_text(text.replace("EXPECT_NO_SCORE", no_score or "expect result is undetermined"))
    report = run_examples(load_rules(root))
    return [(f.expectation, f.expected, f.actual) for outcome in report.outcomes for f in outcome.failures]


def test_an_example_can_expect_the_clause_that_decided_and_the_evidence_read(tmp_path: Path) -> None:
    """`decided by clause N` and `reads [...]` pass on the clause and the inputs the result shows, in any order."""
    on_time = 'expect result decided by clause 1\n  expect result reads ["/score", "/late"]'
    no_score = (
        "expect result is undetermined at clause 1\n"
        '  expect result is undetermined missing ["/score"]\n'
        "  expect counted = []"
    )
    assert _explained(tmp_path, on_time, no_score) == []


def test_a_for_each_judgement_passes_when_some_item_matches(tmp_path: Path) -> None:
    """As with `because`, an expectation about a for-each judgement holds when some item's explanation matches."""
    on_time = (
        "expect counted decided by clause 1\n"
        "  expect counted decided by clause 2\n"
        '  expect counted reads ["/notes/1/mark"]'
    )
    assert _explained(tmp_path, on_time) == []


def test_expectations_about_the_explanation_fail_showing_what_the_result_says(tmp_path: Path) -> None:
    """Another clause, other evidence read or missing, another status: each fails, showing clause, reads, missing."""
    on_time = (
        "expect result decided by clause 3\n"
        '  expect result reads ["/score"]\n'
        "  expect result is undetermined at clause 1\n"
        '  expect counted reads ["/notes/2/mark"]'
    )
    no_score = 'expect result is undetermined missing ["/score", "/late"]\n  expect result decided by clause 1'
    assert _explained(tmp_path, on_time, no_score) == [
        (
            "result decided by clause 3",
            "decided by clause 3 (rules/marks.fw:13)",
            'decided by clause 1 (rules/marks.fw:11), reading ["/late", "/score"]',
        ),
        (
            'result reads ["/score"]',
            'decided, reading ["/score"]',
            'decided by clause 1 (rules/marks.fw:11), reading ["/late", "/score"]',
        ),
        (
            "result is undetermined at clause 1",
            "undetermined at clause 1 (rules/marks.fw:11)",
            'decided by clause 1 (rules/marks.fw:11), reading ["/late", "/score"]',
        ),
        (
            'counted reads ["/notes/2/mark"]',
            'decided, reading ["/notes/2/mark"]',
            '[decided by clause 2 (rules/marks.fw:16), reading ["/notes/0/mark"]; '
            'decided by clause 1 (rules/marks.fw:15), reading ["/notes/1/mark"]]',
        ),
        (
            'result is undetermined missing ["/score", "/late"]',
            'undetermined, missing ["/score", "/late"]',
            'undetermined at clause 1 (rules/marks.fw:11), missing ["/score"]',
        ),
        (
            "result decided by clause 1",
            "decided by clause 1 (rules/marks.fw:11)",
            'undetermined at clause 1 (rules/marks.fw:11), missing ["/score"]',
        ),
    ]


def test_the_test_command_shows_a_failed_explanation(tmp_path: Path, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """`framework-dsl test` prints what was expected of the explanation and what the result said."""
    text = EXPLAINED.replace("EXPECT_ON_TIME", 'expect result decided by clause 2\n  expect result reads ["/late"]')
    root = tmp_path / "rules"
    root.mkdir()
    (root / "marks.fw").write_text(
        text.replace("EXPECT_NO_SCORE", 'expect result is undetermined missing ["/late"]'), encoding="utf-8"
    )
    shown = CliRunner().invoke(framework_dsl, ["test", str(root)])
    assert shown.exit_code == 1
    assert shown.output == text_snapshot


BAD_EXPLAINED = [
    ("a clause past the last", "expect result decided by clause 4"),
    ("a clause past the last, undetermined", "expect counted is undetermined at clause 3"),
    ("a field the evidence lacks", 'expect result reads ["/scroe"]'),
    ("not a pointer", 'expect result reads ["score"]'),
    ("inside a number", 'expect result is undetermined missing ["/score/0"]'),
    ("not an item number", 'expect counted reads ["/notes/first/mark"]'),
    ("a field of a record it lacks", 'expect result reads ["/visit/day"]'),
    ("a pointer twice", 'expect result reads ["/late", "/late"]'),
    ("clause 0", "expect result decided by clause 0"),
    ("clause 1.5", "expect result decided by clause 1.5"),
    ("a line, not a clause", "expect result decided by line 11"),
]


@pytest.mark.parametrize(("case", "line"), BAD_EXPLAINED, ids=[case for case, _ in BAD_EXPLAINED])
def test_a_bad_expectation_about_the_explanation_is_located(case: str, line: str, check_text, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """A clause the decision lacks, or a pointer with no place in the schema: a located diagnostic, no traceback."""
    text = EXPLAINED.replace("EXPECT_ON_TIME", line).replace("EXPECT_NO_SCORE", "expect result is undetermined")
    _, diagnostics = check_text(text, "marks.fw")
    assert diagnostics and all(d.span is not None for d in diagnostics)
    assert render_all_text(diagnostics) == text_snapshot
