"""Mutation testing (`framework-dsl test --mutants`): which changes the examples catch."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from syrupy.assertion import SnapshotAssertion

from framework_dsl import load_rules
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.examples import run_examples
from framework_dsl.mutants import mutants_of, run_mutants
from framework_dsl.ruleset import RuleSet

RULES = """framework marks "Marks" effective from 2020-01-01
scale grade: good > poor
evidence:
  score: integer
  late: boolean
judgement result: grade
  good when score >= 3 and not late because "score {{score}}, on time"
  otherwise poor because "score {{score}}"
{examples}"""

EXAMPLE = """
example "{title}"
  given {{"framework": "marks", "score": {score}, "late": {late}}}
  as of 2021-01-01
  expect result = {grade}
"""

AT_THRESHOLD = EXAMPLE.format(title="at the threshold", score=3, late="false", grade="good")
BELOW = EXAMPLE.format(title="one below", score=2, late="false", grade="poor")
LATE = EXAMPLE.format(title="late", score=5, late="true", grade="poor")


def _rules(tmp_path: Path, *examples: str) -> RuleSet:
    (tmp_path / "marks.fw").write_text(RULES.format(examples="".join(examples)), encoding="utf-8")
    return load_rules(tmp_path)


def _survivors(rules: RuleSet) -> list[str]:
    return [f"{o.mutant.kind}: {o.mutant.description}" for o in run_mutants(rules).survivors]


def test_one_example_leaves_the_boundary_and_the_other_clause_unchecked(tmp_path: Path) -> None:
    """One example at the threshold: a lower threshold, ignoring lateness, the `otherwise` outcome go unnoticed."""
    assert _survivors(_rules(tmp_path, AT_THRESHOLD)) == [
        "logic: `and` became `or`",
        "threshold: `3` became `2`",
        "outcome: the outcome of clause 2 became `good`",
    ]


def test_examples_on_both_sides_of_every_condition_kill_every_mutant(tmp_path: Path) -> None:
    """At the threshold, one below and late: every mutant of this judgement fails an example."""
    rules = _rules(tmp_path, AT_THRESHOLD, BELOW, LATE)
    report = run_mutants(rules)
    assert report.survivors == ()
    assert report.score() == 100.0
    assert len(report.outcomes) == len(list(mutants_of(rules.frameworks["marks"])))


SEEN_RULES = """framework marks "Marks" effective from 2020-01-01
scale grade: good > poor
evidence:
  score: integer
define high: boolean = score >= 5
judgement result: grade
  good when score >= 3 because "score {score}, high: {high}"
  otherwise poor because "score {score}"
judgement band: grade
  good when score >= 4 because "band good"
  otherwise poor because "band poor"
example "five"
  given {"framework": "marks", "score": 5}
  as of 2021-01-01
  expect result = good
example "two"
  given {"framework": "marks", "score": 2}
  as of 2021-01-01
  expect result = poor
"""


def test_a_survivor_says_what_its_examples_show_of_the_change(tmp_path: Path) -> None:
    """A survivor that changes an outcome no example asserts, or only an explanation, says so and in which examples."""
    (tmp_path / "marks.fw").write_text(SEEN_RULES, encoding="utf-8")
    report = run_mutants(load_rules(tmp_path))
    seen = {(o.mutant.decision, o.mutant.description): (o.seen, o.seen_in) for o in report.survivors}
    # `high` is read only by a reason: at 6, five is no longer high.
    assert seen[("high", "`5` became `6`")] == ("explanation", ("five",))
    assert next(o.explanation for o in report.survivors if o.mutant.description == "`5` became `6`") == ("reason",)
    assert seen[("high", "`>=` became `>`")] == ("explanation", ("five",))
    # At 4, five is still high and two still not: nothing in the examples changes.
    assert seen[("high", "`5` became `4`")] == (None, ())
    # `band` is asserted by no example: its changed outcome shows, and an `expect` would kill it.
    assert seen[("band", "the outcome of clause 1 became `poor`")] == ("outcome", ("five",))
    assert all(not o.seen_in for o in report.outcomes if o.killed)
    survivors = {s["change"]: s for s in report.to_dict()["survivors"] if s["decision"] == "high"}
    assert survivors["`5` became `6`"]["seen"] == "explanation"
    assert survivors["`5` became `6`"]["seen_in"] == ["five"]
    text = CliRunner().invoke(framework_dsl, ["test", str(tmp_path), "--mutants"]).output
    assert "`5` became `6` (threshold; changes only an explanation (the reason), in 1 example)" in text
    assert "`poor` (outcome; changes an outcome no example asserts, in 1 example)" in text


CLAUSE_RULES = """framework flags "Flags" effective from 2020-01-01
scale grade: good > poor
evidence:
  a: boolean
  b: boolean
judgement result: grade
  good when a because "one of them holds"
  good when b because "one of them holds"
  otherwise poor because "neither holds"
example "both"
  given {"framework": "flags", "a": true, "b": true}
  as of 2021-01-01
  expect result = good
example "neither"
  given {"framework": "flags", "a": false, "b": false}
  as of 2021-01-01
  expect result = poor
"""
SWAP = "clauses 1 and 2 changed places"


def test_a_survivor_says_which_part_of_the_explanation_it_changes(tmp_path: Path) -> None:
    """Two clauses with one outcome and one reason swapped: only the clause named and the evidence read differ."""
    (tmp_path / "flags.fw").write_text(CLAUSE_RULES, encoding="utf-8")
    report = run_mutants(load_rules(tmp_path))
    (swap,) = (o for o in report.outcomes if o.mutant.description == SWAP)
    assert (swap.killed, swap.seen, swap.seen_in, swap.explanation) == (
        False,
        "explanation",
        ("both",),
        ("clause", "reads"),
    )
    text = CliRunner().invoke(framework_dsl, ["test", str(tmp_path), "--mutants"]).output
    assert f"{SWAP} (swap; changes only an explanation (the clause named, the evidence read), in 1 example)" in text


@pytest.mark.parametrize(
    "expectation",
    [
        "expect result decided by clause 1",
        'expect result reads ["/a"]',
    ],
)
def test_an_expectation_about_the_explanation_kills_a_mutant_that_changes_only_that(
    tmp_path: Path, expectation: str
) -> None:
    """Asserting the clause or the evidence read where the change shows kills the swap, on both engines."""
    text = CLAUSE_RULES.replace("  expect result = good\n", f"  expect result = good\n  {expectation}\n")
    (tmp_path / "flags.fw").write_text(text, encoding="utf-8")
    rules = load_rules(tmp_path)
    report = run_mutants(rules)
    (swap,) = (o for o in report.outcomes if o.mutant.description == SWAP)
    assert swap.killed_by == ("both",)
    for outcome in report.outcomes:  # killed means an example fails on it, on the compiled engine too
        mutated = RuleSet(frameworks={**rules.frameworks, "flags": outcome.mutant.rules}, digest="mutant")
        compiled = run_examples(mutated, ["flags"], engine="compiled")
        assert tuple(o.title for o in compiled.failed) == outcome.killed_by, outcome.mutant


def test_the_kinds_of_mutant(tmp_path: Path) -> None:
    """Each kind of change is made where it applies, located at what it changes."""
    rules = _rules(tmp_path, AT_THRESHOLD)
    made = [(m.kind, m.description, m.location.rsplit("/", 1)[-1]) for m in mutants_of(rules.frameworks["marks"])]
    assert made == [
        ("logic", "`and` became `or`", "marks.fw:7:13"),
        ("comparison", "`>=` became `>`", "marks.fw:7:13"),
        ("threshold", "`3` became `2`", "marks.fw:7:22"),
        ("threshold", "`3` became `4`", "marks.fw:7:22"),
        ("negate", "the condition of clause 1 became `not (...)`", "marks.fw:7:13"),
        ("drop", "clause 1 was dropped", "marks.fw:7:3"),
        ("outcome", "the outcome of clause 1 became `poor`", "marks.fw:7:3"),
        ("outcome", "the outcome of clause 2 became `good`", "marks.fw:8:13"),
    ]


@pytest.mark.parametrize("framework", ["clas", "saas", "ncpi", "saf"])
def test_both_engines_agree_on_every_mutant(framework: str) -> None:
    """A mutant killed on the reference engine fails an example on the compiled one too, and a survivor passes there."""
    bundled = load_rules()
    report = run_mutants(bundled, [framework])
    assert report.outcomes
    for outcome in report.outcomes:
        mutated = RuleSet(frameworks={**bundled.frameworks, framework: outcome.mutant.rules}, digest="mutant")
        compiled = run_examples(mutated, [framework], engine="compiled")
        assert tuple(o.title for o in compiled.failed) == outcome.killed_by, outcome.mutant


def test_the_command_reports_scores_and_survivors(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """`test --mutants` prints each framework's score and every survivor with its location; --min-score fails below."""
    _rules(tmp_path, AT_THRESHOLD, LATE)
    runner = CliRunner()
    shown = runner.invoke(framework_dsl, ["test", str(tmp_path), "--mutants"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.replace(str(tmp_path), "RULES") == snapshot
    strict = runner.invoke(framework_dsl, ["test", str(tmp_path), "--mutants", "--min-score", "100"])
    assert strict.exit_code == 1
    assert "mutation score" in strict.output


def test_failing_examples_stop_mutation_testing(tmp_path: Path) -> None:
    """A mutant is killed when an example fails, so examples must pass on the rules first."""
    _rules(tmp_path, EXAMPLE.format(title="wrong", score=3, late="false", grade="poor"))
    shown = CliRunner().invoke(framework_dsl, ["test", str(tmp_path), "--mutants"])
    assert shown.exit_code == 1
    assert "needs examples that pass" in shown.output
