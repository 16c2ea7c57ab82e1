"""The examples runner (`framework-dsl test`): what makes an example pass or fail."""

from __future__ import annotations

import datetime
from pathlib import Path

from framework_dsl import load_rules
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
