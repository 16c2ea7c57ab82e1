"""`framework-dsl verify` over a cut framework: a decision's outcomes given as evidence where the documents are too
many, and every counterexample rebuilt into a real document that framework-check confirms."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from framework_dsl.cli.check import framework_check
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.ruleset import RuleSet, check_rules, load_rules
from framework_dsl.verify import PropertyResult, verify

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"


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


# ---------------------------------------------------------------- a small framework, forced to cut

GATHERED = """framework t "T" effective from 2020-01-01
scale grade: high > low
enum part: a, b, c, d
evidence:
  score: integer from 0 to 10
  parts: map of part to integer from 0 to 3
judgement inner: grade
  high when score > 5 and (sum of parts) > 4
  otherwise low
judgement outer: grade
  high when inner = high
  otherwise low
invariant outer_is_inner:
  outer = inner
invariant outer_is_high:
  outer = high
invariant outer_follows_the_score:
  outer = high when score > 5 and (sum of parts) > 4
"""


def test_a_space_too_large_is_checked_with_a_decision_cut() -> None:
    """With too few documents allowed, `inner` is cut: a property that holds for every outcome of it holds, a false
    one fails with a real counterexample, and one that needs what `inner` reads is unproved, never failed."""
    rule_set = _load(GATHERED)
    results = _results(rule_set, max_documents=100)
    holds, fails, unproved = results["outer_is_inner"], results["outer_is_high"], results["outer_follows_the_score"]
    assert holds.status == "holds" and holds.cut == (("inner", "documents"),)
    assert fails.status == "fails" and fails.counterexample is not None
    evidence = fails.counterexample["evidence"]
    assert not any(key.startswith("verify__") for key in evidence)
    result = rule_set.evaluate(evidence).to_dict()
    assert result["judgements"]["outer"]["outcome"] == "low" == fails.counterexample["outcomes"]["outer"]
    assert unproved.status == "unproved" and unproved.counterexample is None
    # Enumerated in full, the same rules give the same verdicts (the third holds: the cut lost nothing false).
    full = _results(rule_set)
    assert {n: r.status for n, r in full.items()} == {
        "outer_is_inner": "holds",
        "outer_is_high": "fails",
        "outer_follows_the_score": "holds",
    }
    assert all(not r.cut for r in full.values())


def test_a_cut_decision_gives_every_outcome_of_its_own_documents() -> None:
    """`inner`'s own documents are few, so its outcomes come from them (both grades), with a real document each."""
    from framework_dsl.verify.verifier import Verifier

    rule_set = _load(GATHERED)
    framework = rule_set.frameworks["t"]
    worker = Verifier(rule_set, framework, 1, 100)
    [key] = [k for k in worker.reads.decisions if k.endswith(":inner")]
    values = worker.cut_values(key)
    assert values.exact
    assert set(values.options[""]) == {"high", "low"}
    for value in ("high", "low"):
        [document, *_] = values.witnesses[("", repr(value))]
        assert rule_set.evaluate(document).to_dict()["judgements"]["inner"]["outcome"] == value


# ---------------------------------------------------------------- saf


def test_saf_declares_its_properties_and_verify_proves_them() -> None:
    """saf's seven properties hold over every combination of key question outcomes (key_question_rating cut, every
    outcome of its type), and its overall rating's reachability is checked the same way."""
    [framework] = verify(load_rules(RULES / "saf")).frameworks
    assert len(framework.properties) == 7
    assert all(p.status == "holds" for p in framework.properties), [p.name for p in framework.properties]
    assert {p.cut for p in framework.properties} == {(("key_question_rating", "type"),)}
    [overall] = [r for r in framework.reachability if r.decision == "overall"]
    assert overall.cut and not overall.unconfirmed_outcomes and not overall.unconfirmed_clauses
    assert not overall.never_outcomes and not overall.never_clauses


_RANK = {"outstanding": 0, "good": 1, "requires_improvement": 2, "inadequate": 3}


def _broken(name: str, result: dict[str, Any], evidence: dict[str, Any]) -> bool:
    """Whether a saf document breaks the invariant `name`, read from framework-check's result (an oracle apart from
    verify: the published principles written in Python)."""
    judgements = result["judgements"]
    overall = judgements["overall"]["outcome"]
    ratings = [item["outcome"] for item in judgements["key_question_rating"]]
    inadequate, improving = ratings.count("inadequate"), ratings.count("requires_improvement")
    match name:
        case "never_outstanding_with_an_inadequate_key_question":
            return overall == "outstanding" and inadequate >= 1
        case "never_good_with_an_inadequate_key_question":
            return overall == "good" and inadequate >= 1
        case "outstanding_needs_two_outstanding_key_questions":
            return overall == "outstanding" and ratings.count("outstanding") < 2
        case "two_inadequate_or_two_requiring_improvement_never_give_good":
            return overall in ("outstanding", "good") and (inadequate >= 2 or improving >= 2)
        case "no_inadequate_and_at_most_one_requiring_improvement_give_good_or_better":
            principle = (
                evidence["sector"] == "adult_social_care"
                and inadequate == 0
                and improving <= 1
                and "not_rated" not in ratings
                and not evidence.get("breaches")
            )
            return principle and overall not in ("outstanding", "good")
        case "a_breach_never_allows_good_or_outstanding":
            return overall in ("outstanding", "good") and len(evidence.get("breaches", [])) > 0
    raise AssertionError(name)


# Deliberately broken copies of saf's overall rating, and the properties each must break.
MUTATIONS = {
    "outstanding with one outstanding": (
        [("      and n_outstanding >= 2", "      and n_outstanding >= 1")],
        {"outstanding_needs_two_outstanding_key_questions"},
    ),
    "good with an inadequate": (
        [("  good when n_inadequate = 0\n", "  good when n_inadequate <= 1\n")],
        {"never_good_with_an_inadequate_key_question"},
    ),
    "good when a key question is not rated": (
        [("  professional_judgement when n_not_rated > 0", "  good when n_not_rated > 0")],
        {"never_good_with_an_inadequate_key_question", "two_inadequate_or_two_requiring_improvement_never_give_good"},
    ),
    "good only with every key question good or better": (
        [("  good when n_inadequate = 0\n", "  good when n_inadequate = 0 and n_requires_improvement = 0\n")],
        {"no_inadequate_and_at_most_one_requiring_improvement_give_good_or_better"},
    ),
    "a breach lifts inadequate": (
        [
            ("  inadequate when n_inadequate >= 2\n", "  inadequate when n_inadequate >= 2 and breach_count = 0\n"),
            (
                "  requires_improvement when n_requires_improvement >= 2\n",
                "  requires_improvement when n_requires_improvement >= 2 or breach_count > 0\n",
            ),
        ],
        {"an_extra_breach_never_raises_overall"},
    ),
}


def _broken_copy(folder: Path, replacements: list[tuple[str, str]]) -> Path:
    rules = folder / "rules"
    shutil.copytree(RULES, rules)
    path = rules / "saf" / "saf.fw"
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return rules / "saf"


def _check(tmp_path: Path, rules: Path, evidence: dict[str, Any], name: str) -> dict[str, Any]:
    """framework-check's result for a document, run as the command runs."""
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(evidence), encoding="utf-8")
    shown = CliRunner().invoke(
        framework_check, [str(path), "--rules", str(rules), "--format", "json"], catch_exceptions=False
    )
    assert shown.exit_code == 0, shown.output
    result: dict[str, Any] = json.loads(shown.output)
    return result


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_every_counterexample_over_a_cut_breaks_its_property_under_framework_check(
    tmp_path: Path, mutation: str
) -> None:
    """On each broken copy of saf, the properties it breaks fail, and every counterexample verify prints is evidence
    framework-check accepts and evaluates to the outcomes shown, which break the property (an invariant's principle;
    for the monotonicity, one breach more and a better overall rating)."""
    replacements, expected = MUTATIONS[mutation]
    rules = _broken_copy(tmp_path, replacements)
    shown = CliRunner().invoke(framework_dsl, ["verify", str(rules), "--format", "json"], catch_exceptions=False)
    assert shown.exit_code == 1, shown.output
    [framework] = json.loads(shown.output)["frameworks"]
    failed = {p["name"]: p for p in framework["properties"] if p["status"] == "fails"}
    assert expected <= set(failed), sorted(failed)
    assert all(p["status"] in ("holds", "fails") for p in framework["properties"])
    for name, prop in failed.items():
        example = prop["counterexample"]
        if prop["kind"] == "invariant":
            result = _check(tmp_path, rules, example["evidence"], name)
            for decision, outcome in example["outcomes"].items():
                made = result["judgements"][decision]
                assert ([i["outcome"] for i in made] if isinstance(made, list) else made["outcome"]) == outcome
            assert _broken(name, result, example["evidence"]), name
        else:
            before = _check(tmp_path, rules, example["before"]["evidence"], "before")
            after = _check(tmp_path, rules, example["after"]["evidence"], "after")
            grades = [_RANK[r["judgements"]["overall"]["outcome"]] for r in (before, after)]
            assert grades[1] < grades[0]  # a better rating after a breach more
            breaches = [len(e["evidence"].get("breaches", [])) for e in (example["before"], example["after"])]
            assert breaches[1] == breaches[0] + 1


def test_the_command_on_a_broken_copy_of_saf(tmp_path: Path, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """The text shows the cut behind each verdict and the counterexample rebuilt as real evidence."""
    replacements, _ = MUTATIONS["outstanding with one outstanding"]
    rules = _broken_copy(tmp_path, replacements)
    shown = CliRunner().invoke(framework_dsl, ["verify", str(rules)], catch_exceptions=False)
    assert shown.exit_code == 1, shown.output
    assert shown.output.replace(str(tmp_path), "TMP") == text_snapshot


# ---------------------------------------------------------------- reachability by search


def test_documents_spread_across_a_space_are_its_documents() -> None:
    """`spread_documents` decodes indices into documents of the space: asked for all of them, it gives every document
    `documents` gives, each once (lists of up to three items, a set, a map and optional fields)."""
    from framework_dsl.verify.verifier import Verifier

    rule_set = _load(
        """framework t "T" effective from 2020-01-01
scale grade: high > low
enum part: a, b, c
record item:
  part: part
  weight: integer
evidence:
  score: integer from 0 to 10
  flag: optional boolean
  parts: map of part to integer from 0 to 3
  tags: set of part
  items: list of item
judgement level: grade
  high when score > 5 and (flag if missing false) and (sum of parts) > 2 and a in tags
      and any i in items where i.part = b
  otherwise low
invariant anything:
  level in [high, low]
"""
    )
    framework = rule_set.frameworks["t"]
    worker = Verifier(rule_set, framework, 1, 10**6)
    space = worker.property_job(framework.properties[0]).space
    every = [json.dumps(d, sort_keys=True) for d in space.documents()]
    spread = [json.dumps(d, sort_keys=True) for d in space.spread_documents(space.size())]
    assert len(every) == space.size() == len(spread) == len(set(spread))
    assert set(spread) == set(every)


SEARCHED = """framework t "T" effective from 2020-01-01
scale grade: high > middle > low
enum part: a, b, c, d, e
evidence:
  parts: map of part to integer from 0 to 5
judgement level: grade
  high when (sum of parts) > 12
  middle when parts.a > 2
  otherwise low
"""


def test_reachability_too_large_to_enumerate_is_found_by_a_search() -> None:
    """With too few documents allowed, a decision whose every outcome and clause some spread document reaches is
    reported exactly (nothing unreachable, and how many documents the search took); one with an outcome no clause
    gives cannot be, and stays too large."""
    [framework] = verify(_load(SEARCHED), max_documents=100).frameworks
    [found] = framework.reachability
    assert found.status == "exact" and 0 < found.searched <= 100
    assert not found.never_outcomes and not found.never_clauses
    unreachable = SEARCHED.replace("  middle when parts.a > 2\n", "")
    [framework] = verify(_load(unreachable), max_documents=100).frameworks
    [found] = framework.reachability
    assert found.status == "too_large" and found.searched == 0
    assert found.never_outcomes == ()


def test_the_command_says_what_was_cut_and_what_is_not_proved(tmp_path: Path, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Over a cut, each verdict names the decision cut and where its outcomes came from; a property the cut cannot
    prove is NOT PROVED, with why, and the command exits 1."""
    path = tmp_path / "gathered" / "t.fw"
    path.parent.mkdir()
    path.write_text(GATHERED, encoding="utf-8")
    shown = CliRunner().invoke(framework_dsl, ["verify", str(path), "--max-documents", "100"], catch_exceptions=False)
    assert shown.exit_code == 1, shown.output
    assert "NOT PROVED: outer_follows_the_score" in shown.output
    assert shown.output.replace(str(tmp_path), "TMP") == text_snapshot


def test_sparse_documents_are_documents_of_the_space_and_combine_first_values_first() -> None:
    """The sparse documents a search tries are documents of the space (at most one entry per map), and their fields'
    combinations come by the sum of places, so every field's first values meet early and none is left out."""
    import itertools

    from framework_dsl.verify.space import diagonal
    from framework_dsl.verify.verifier import Verifier

    lists = [["a", "b", "c"], [1, 2], ["x", "y", "z", "w"]]
    combined = list(diagonal(lists))
    assert sorted(combined) == sorted(itertools.product(*lists)) and len(set(combined)) == len(combined)
    assert combined[:4] == [("a", 1, "x"), ("a", 1, "y"), ("a", 2, "x"), ("b", 1, "x")]
    rule_set = _load(SEARCHED)
    framework = rule_set.frameworks["t"]
    worker = Verifier(rule_set, framework, 1, 10**6)
    space = worker.reach_job(framework.judgements[0]).space
    every = {json.dumps(d, sort_keys=True) for d in space.documents()}
    sparse = [json.dumps(d, sort_keys=True) for d in space.sparse_documents()]
    # no entry, or one of the five keys with one of 0, 1, 2, 3, 5 (threshold 2 a step either side, and the bounds)
    assert set(sparse) <= every and len(sparse) == len(set(sparse)) == 1 + 5 * 5
