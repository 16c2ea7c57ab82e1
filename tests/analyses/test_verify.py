"""Proofs over a framework (`framework-dsl verify`): the documents it enumerates, its verdicts, its output."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.ruleset import RuleSet, check_rules, load_rules
from framework_dsl.verify import PropertyResult, verify

HERE = Path(__file__).parent / "verify"
BROKEN = HERE / "broken.fw"
REPO = Path(__file__).resolve().parents[2]


def _load(text: str) -> RuleSet:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.fw"
        path.write_text(text, encoding="utf-8")
        rule_set, diagnostics = check_rules(path)
    assert rule_set is not None, diagnostics
    return rule_set


def _results(rule_set: RuleSet, **options: Any) -> dict[str, PropertyResult]:
    report = verify(rule_set, **options)
    return {p.name: p for f in report.frameworks for p in f.properties}


def _outcome(rule_set: RuleSet, document: dict[str, Any], name: str, as_of: str | None = None) -> Any:
    result = rule_set.evaluate(document, as_of).to_dict()
    assert result["status"] == "evaluated", result
    return (result["judgements"] | result["checks"])[name]["outcome"]


# ---------------------------------------------------------------- the documents


SCHEMA = """framework t "T" effective from 2020-01-01
scale grade: high > low
enum colour: red, green, blue, yellow
record item:
  colour: colour
  weight: integer
evidence:
  score: integer from 0 to 100
  colour: colour
  flag: optional boolean
  unread: colour
  items: list of item
judgement level: grade
  high when score > 10 and colour = red and (flag if missing false) and any i in items where i.colour = green
  otherwise low
invariant anything:
  level in [high, low]
"""


def _documents(rule_set: RuleSet, **options: Any) -> list[dict[str, Any]]:
    from framework_dsl.verify.verifier import Verifier

    framework = rule_set.frameworks["t"]
    worker = Verifier(rule_set, framework, options.get("max_items", 1), 10**6)
    job = worker.property_job(framework.properties[0])
    return list(job.space.documents())


def test_every_read_field_takes_every_value_and_an_unread_one_keeps_one() -> None:
    """Numbers sit at the threshold and a step either side (within the range), an enumeration member no rule
    names stands for the others, an optional field is present and absent, and a field no rule reads keeps one
    value."""
    documents = _documents(_load(SCHEMA))
    assert {d["score"] for d in documents} == {0, 9, 10, 11, 100}
    assert {d["colour"] for d in documents} == {"red", "green", "blue"}  # blue stands for yellow too
    assert {d.get("flag", "absent") for d in documents} == {True, False, "absent"}
    assert {d["unread"] for d in documents} == {"red"}
    assert all(d["framework"] == "t" for d in documents)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def test_lists_hold_items_of_each_kind_the_rules_tell_apart() -> None:
    """A list is empty or holds items of each kind the rules tell apart (the item's unread number keeps one
    value); every document is different, and there are as many as the space counts."""
    documents = _documents(_load(SCHEMA))
    single = {_compact(d["items"]) for d in documents if len(d["items"]) <= 1}
    assert single == {"[]"} | {f'[{{"colour":"{c}","weight":0}}]' for c in ("red", "green", "blue")}
    assert len({json.dumps(d, sort_keys=True) for d in documents}) == len(documents)


def test_lists_grow_past_the_bound_only_while_the_documents_stay_few() -> None:
    """Lists of one item by default, widened up to three items where that keeps the documents few
    (SMALL_SPACE); a bound of two takes every ordered pair of item kinds."""
    from framework_dsl.verify.limits import SMALL_SPACE

    documents = _documents(_load(SCHEMA))
    assert max(len(d["items"]) for d in documents) == 3
    assert len(documents) == 5 * 3 * 3 * (1 + 3 + 9 + 27) <= SMALL_SPACE
    pairs = {_compact(d["items"]) for d in _documents(_load(SCHEMA), max_items=2) if len(d["items"]) == 2}
    assert '[{"colour":"green","weight":0},{"colour":"red","weight":0}]' in pairs
    assert len(pairs) == 9


def test_a_map_key_is_absent_or_takes_each_value() -> None:
    """A map by an enumeration: each key the rules read is absent or present with each value."""
    rule_set = _load(
        """framework t "T" effective from 2020-01-01
scale grade: high > low
enum part: a, b
record entry:
  grade: grade
evidence:
  parts: map of part to entry
judgement level: grade
  high when parts.a.grade = high
  otherwise low
invariant anything:
  level in [high, low]
"""
    )
    documents = _documents(rule_set)
    assert sorted(_compact(d["parts"]) for d in documents) == [
        '{"a":{"grade":"high"}}',
        '{"a":{"grade":"low"}}',
        "{}",
    ]


# ---------------------------------------------------------------- verdicts


def test_the_broken_rules_fail_where_they_are_wrong_and_hold_where_right() -> None:
    """Of the four properties of tests/analyses/verify/broken.fw, the two false ones fail and the two true hold."""
    results = _results(load_rules(BROKEN))
    assert {name: r.status for name, r in results.items()} == {
        "good_needs_eight": "fails",
        "poor_below_four": "holds",
        "a_higher_score_never_lowers_the_result": "holds",
        "an_issue_never_raises_standing": "fails",
    }


def test_every_counterexample_breaks_its_property_when_evaluated() -> None:
    """The counterexample of a failed invariant gives the outcome it shows and breaks the condition; the two
    documents of a failed monotonicity differ by the change shown and move the judgement the wrong way."""
    rule_set = load_rules(BROKEN)
    results = _results(rule_set)
    invariant = results["good_needs_eight"].counterexample
    assert invariant is not None
    evidence = invariant["evidence"]
    assert _outcome(rule_set, evidence, "result") == invariant["outcomes"]["result"] == "good"
    assert evidence["score"] < 8
    monotonic = results["an_issue_never_raises_standing"].counterexample
    assert monotonic is not None
    before = _outcome(rule_set, monotonic["before"]["evidence"], "standing")
    after = _outcome(rule_set, monotonic["after"]["evidence"], "standing")
    assert (before, after) == ("fair", "good")
    assert len(monotonic["after"]["evidence"]["issues"]) == len(monotonic["before"]["evidence"]["issues"]) + 1


@settings(max_examples=25, deadline=None)
@given(threshold=st.integers(1, 20), bound=st.integers(0, 22), falling=st.booleans())
def test_verify_is_exact_on_a_threshold(threshold: int, bound: int, falling: bool) -> None:
    """Over generated rules `high when score >= T` (or, broken, `<= T`) and the invariant `level = low when
    score < K`: the invariant fails exactly when K > T (rising rules), the monotonicity exactly for the broken
    rules, and each counterexample, evaluated, breaks its property."""
    comparison = "<=" if falling else ">="
    rule_set = _load(
        f"""framework t "T" effective from 2020-01-01
scale grade: high > low
evidence:
  score: integer
judgement level: grade
  high when score {comparison} {threshold}
  otherwise low
invariant low_below_the_bound:
  level = low when score < {bound}
monotonic rising:
  level never worsens as score rises
"""
    )
    results = _results(rule_set)
    invariant, monotonic = results["low_below_the_bound"], results["rising"]
    expected_failure = (bound > threshold) if not falling else (bound > 0)
    assert (invariant.status == "fails") == expected_failure
    if invariant.counterexample is not None:
        example = invariant.counterexample
        assert example["evidence"]["score"] < bound
        assert _outcome(rule_set, example["evidence"], "level", example["as_of"]) == "high"
    assert (monotonic.status == "fails") == falling
    if monotonic.counterexample is not None:
        example = monotonic.counterexample
        before = _outcome(rule_set, example["before"]["evidence"], "level", example["before"]["as_of"])
        after = _outcome(rule_set, example["after"]["evidence"], "level", example["after"]["as_of"])
        assert (before, after) == ("high", "low")
        assert example["after"]["evidence"]["score"] > example["before"]["evidence"]["score"]


def test_reachability_names_what_no_document_reaches_and_whether_lint_sees_it() -> None:
    """A clause whose condition no document meets is reported as never reached, an outcome no clause gives as
    never produced."""
    rule_set = _load(
        """framework t "T" effective from 2020-01-01
scale grade: high > middle > low
evidence:
  score: integer from 0 to 10
judgement level: grade
  high when score > 5
  low when score > 5 and score < 3
  otherwise low
"""
    )
    [framework] = verify(rule_set).frameworks
    [found] = [r for r in framework.reachability if r.decision == "level"]
    assert found.never_outcomes == ("middle",)
    assert [n for n, _ in found.never_clauses] == [2]


# ---------------------------------------------------------------- the command


def test_the_command_on_the_broken_rules(text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """`framework-dsl verify` prints each verdict with its counterexample and exits 1 when a property fails."""
    shown = CliRunner().invoke(framework_dsl, ["verify", str(BROKEN.relative_to(REPO))], catch_exceptions=False)
    assert shown.exit_code == 1, shown.output
    assert shown.output == text_snapshot


def test_the_command_as_json(text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """`--format json` gives every property with its counts and counterexample, and the reachability findings."""
    shown = CliRunner().invoke(
        framework_dsl, ["verify", str(BROKEN.relative_to(REPO)), "--format", "json"], catch_exceptions=False
    )
    assert shown.exit_code == 1, shown.output
    data = json.loads(shown.output)
    assert data["failed"] == 2
    assert shown.output == text_snapshot


def test_the_counterexample_passes_through_framework_check(tmp_path: Path) -> None:
    """The counterexample verify prints is evidence framework-check accepts and evaluates to the outcome shown."""
    from framework_dsl.cli.check import framework_check

    shown = CliRunner().invoke(framework_dsl, ["verify", str(BROKEN), "--format", "json"], catch_exceptions=False)
    [framework] = json.loads(shown.output)["frameworks"]
    failed = next(p for p in framework["properties"] if p["name"] == "good_needs_eight")
    evidence = tmp_path / "counterexample.json"
    evidence.write_text(json.dumps(failed["counterexample"]["evidence"]), encoding="utf-8")
    checked = CliRunner().invoke(
        framework_check, [str(evidence), "--rules", str(BROKEN), "--format", "json"], catch_exceptions=False
    )
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["judgements"]["result"]["outcome"] == "good"


def test_rules_that_do_not_check_exit_2(tmp_path: Path) -> None:
    """Rules with errors are reported as `check` reports them, with exit status 2."""
    bad = tmp_path / "bad.fw"
    bad.write_text('framework t "T" effective from 2020-01-01\ninvariant x:\n  nothing_here\n', encoding="utf-8")
    shown = CliRunner().invoke(framework_dsl, ["verify", str(bad)])
    assert shown.exit_code == 2
    assert "names.unknown" in shown.output


def test_the_bundled_rules_verify() -> None:
    """Every invariant and monotonicity written into the bundled rules holds: `framework-dsl verify` exits 0
    (this is how CI verifies them; the run takes most of a minute)."""
    shown = CliRunner().invoke(framework_dsl, ["verify"], catch_exceptions=False)
    assert shown.exit_code == 0, shown.output
    assert "0 properties failed" in shown.output
    # saf's properties over the cut of its key question ratings; cqc's special measures by search.
    assert "saf: 7 of 7 properties hold" in shown.output
    assert "reachability of special_measures: every outcome and clause reached" in shown.output
    assert "special_measures (68,910,912)" not in shown.output
    assert "not enumerated" not in shown.output  # saf's too: cut or searched
