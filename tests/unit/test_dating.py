"""Dated rules: judgements, checks and clauses in force only between dates, on both evaluation paths."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from framework_dsl import parser
from framework_dsl.cli import framework_check
from framework_dsl.examples import run_examples
from framework_dsl.formatter import format_source
from framework_dsl.reports.text import render_result_text
from framework_dsl.source import SourceFile

RULES = """\
framework dated "Dated"
  effective from 2015-01-01
  dated by assessed

evidence:
  assessed: date "When"
  score: integer "Score"

judgement old: boolean
  effective until 2019-12-31
    because "Replaced by `new` from 2020"
  true when score > 2
    because "above two"
  otherwise false
    because "two or less"

judgement new: boolean
  effective from 2020-01-01
  true when score > 4
    because "above four"
    effective until 2021-12-31
  otherwise score > 1
    because "the later threshold"
"""

ENGINES = ("compiled", "reference")
USER = """
judgement uses_old: boolean
  otherwise old
    because "as old says"
"""


def _rules(check_text):  # type: ignore[no-untyped-def]
    rules, diagnostics = check_text(RULES)
    assert diagnostics == [] and rules is not None
    return rules


@pytest.mark.parametrize("engine", ENGINES)
def test_a_judgement_outside_its_dates_is_not_in_force_with_its_note(check_text, engine: str) -> None:  # type: ignore[no-untyped-def]
    """Evidence dated after `until` gives not_in_force for that judgement (its note, its dates), the rest decide."""
    rules = _rules(check_text)
    result = rules.evaluate({"framework": "dated", "assessed": "2022-05-01", "score": 3}, engine=engine)
    old = result.to_dict()["judgements"]["old"]
    assert old["status"] == "not_in_force"
    assert old["outcome"] is None
    assert old["note"] == "Replaced by `new` from 2020"
    assert old["in_force"] == {"from": None, "until": "2019-12-31"}
    assert old["dated"] == "2022-05-01"
    assert result.judgements["new"].value is True
    assert result.all_decided()


@pytest.mark.parametrize("engine", ENGINES)
def test_the_dates_are_tested_against_the_evidence_date_not_the_evaluation_date(check_text, engine: str) -> None:  # type: ignore[no-untyped-def]
    """An `--as-of` in 2030 does not put a 2019 assessment under the rules of 2030."""
    rules = _rules(check_text)
    result = rules.evaluate({"framework": "dated", "assessed": "2019-05-01", "score": 3}, "2030-01-01", engine=engine)
    assert result.judgements["old"].status == "decided"
    assert result.judgements["new"].status == "not_in_force"
    assert "in force from 2020-01-01" in result.judgements["new"].reason


@pytest.mark.parametrize("engine", ENGINES)
def test_a_clause_outside_its_dates_is_skipped_and_the_trace_says_so(check_text, engine: str) -> None:  # type: ignore[no-untyped-def]
    """A dated clause is skipped after its `until`: the next clause decides, and explain shows the skip."""
    rules = _rules(check_text)
    evidence = {"framework": "dated", "assessed": "2022-05-01", "score": 5}
    result = rules.evaluate(evidence, engine=engine, explain=True)
    new = result.judgements["new"]
    assert new.reason == "the later threshold"
    assert [step.condition for step in new.trace] == ["not_in_force", "otherwise"]
    assert "skipped, not in force on this date" in render_result_text(result, explain=True)
    inside = rules.evaluate({**evidence, "assessed": "2021-05-01"}, engine=engine)
    assert inside.judgements["new"].reason == "above four"


def test_using_a_judgement_on_days_it_is_not_in_force_is_a_check_error(check_text) -> None:  # type: ignore[no-untyped-def]
    """An undated judgement that reads a dated one is refused by the checker, naming both and the dates."""
    rules, diagnostics = check_text(RULES + USER)
    assert rules is None
    [problem] = diagnostics
    assert problem.code == "dates.uses-out-of-force"
    assert "`uses_old` uses `old`, which is in force only until 2019-12-31" in problem.message
    assert problem.labels and problem.labels[0].message == "`old` is dated here"
    dated_alike = USER.replace("boolean\n", "boolean\n  effective until 2019-12-31\n", 1)
    assert check_text(RULES + dated_alike)[1] == []


@pytest.mark.parametrize("engine", ENGINES)
def test_a_decision_not_in_force_cannot_be_read_as_a_value(check_text, engine: str) -> None:  # type: ignore[no-untyped-def]
    """Had a rule read a decision outside its dates, it would be an evaluation error naming it, never a value."""
    from framework_dsl.engine.runtime import outcome_value
    from framework_dsl.values import EvaluationError

    rules = _rules(check_text)
    result = rules.evaluate({"framework": "dated", "assessed": "2022-05-01", "score": 3}, engine=engine)
    with pytest.raises(EvaluationError, match="`old`, which is not in force on 2022-05-01"):
        outcome_value("old", result.judgements["old"])


def test_dated_rules_format_canonically_and_keep_their_meaning() -> None:
    """`fmt` puts the dates on their own line, the note one level in; the result re-parses to the same tree."""
    squeezed = RULES.replace(
        'judgement old: boolean\n  effective until 2019-12-31\n    because "Replaced by `new` from 2020"\n',
        'judgement old: boolean effective until 2019-12-31 because "Replaced by `new` from 2020"\n',
    )
    assert squeezed != RULES
    formatted, problems = format_source(squeezed)
    assert problems == [] and formatted == RULES
    first, _ = parser.parse_source(SourceFile(path="a.fw", text=squeezed))
    second, _ = parser.parse_source(SourceFile(path="b.fw", text=formatted))
    assert first == second
    assert format_source(formatted) == (formatted, [])


def test_an_example_can_expect_a_judgement_not_in_force(check_text) -> None:  # type: ignore[no-untyped-def]
    """`expect NAME is not_in_force` passes when it is, and fails (saying what it was) when it is not."""
    example = """
example "after the change"
  given {"framework": "dated", "assessed": "2022-01-01", "score": 3}
  expect old is not_in_force
  expect new is not_in_force
"""
    rules, diagnostics = check_text(RULES + example)
    assert diagnostics == [] and rules is not None
    report = run_examples(rules)
    checked = report.outcomes[0].checked
    assert [c.passed for c in checked] == [True, False]
    assert checked[1].actual == "yes"


def test_a_document_whose_only_open_outcomes_are_not_in_force_exits_0(tmp_path: Path) -> None:
    """framework-check treats not_in_force judgements as settled: exit 0, not 1 (undetermined)."""
    rules = tmp_path / "dated.fw"
    rules.write_text(RULES)
    evidence = tmp_path / "e.json"
    evidence.write_text(json.dumps({"framework": "dated", "assessed": "2022-05-01", "score": 3}))
    result = CliRunner().invoke(framework_check, ["--rules", str(rules), str(evidence), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["judgements"]["old"]["status"] == "not_in_force"


def test_dates_of_a_framework_still_decide_the_whole_document(check_text) -> None:  # type: ignore[no-untyped-def]
    """Before the framework's own start date the whole result is not_in_force, as before."""
    rules = _rules(check_text)
    result = rules.evaluate({"framework": "dated", "assessed": "2014-05-01", "score": 3})
    assert result.status == "not_in_force"
    assert result.judgements == {}
    assert datetime.date(2014, 5, 1) == result.as_of


def test_a_clause_after_a_dated_one_with_the_same_condition_is_reachable(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Neither the checker nor the linter calls a clause unreachable because a dated clause above it may be skipped."""
    from framework_dsl.linter import lint_rules

    text = RULES.replace(
        "  otherwise score > 1\n",
        '  true when score > 4\n    because "above four, later"\n  otherwise score > 1\n',
    )
    assert text != RULES
    root = write_rules({"dated.fw": text})
    rules, diagnostics = lint_rules(root, examples=False)
    assert rules is not None
    assert [d.code for d in diagnostics if "unreachable" in d.code] == []
