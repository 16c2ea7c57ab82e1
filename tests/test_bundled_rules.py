"""Every bundled framework: checks cleanly, its examples pass, every clause is exercised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from framework_dsl import RuleSet, check_rules
from framework_dsl.examples import run_examples

REPO = Path(__file__).resolve().parent.parent


def test_bundled_rules_check_without_diagnostics() -> None:
    """The shipped rules produce no error and no warning."""
    rule_set, diagnostics = check_rules(REPO / "rules")
    assert diagnostics == []
    assert rule_set is not None


def test_every_bundled_example_passes(bundled: RuleSet) -> None:
    """Every example written beside the rules holds."""
    report = run_examples(bundled)
    failures = [f"{o.location} {o.title}: {[f.expectation for f in o.failures]}" for o in report.failed]
    assert failures == []
    assert report.outcomes


def test_every_clause_is_exercised_by_an_example(bundled: RuleSet) -> None:
    """Each clause of each bundled framework is chosen by at least one example."""
    report = run_examples(bundled)
    assert [c.location for c in report.coverage if not c.covered] == []


def test_every_framework_has_examples_with_citations(bundled: RuleSet) -> None:
    """Each framework has examples beside its rules, and each example names the rule it checks."""
    for name, framework in bundled.frameworks.items():
        assert framework.examples, name
        uncited = [e.title for e in framework.examples if not e.citation]
        assert uncited == [], name


EXAMPLE_FILES = sorted((REPO / "examples").glob("*/*.json"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[f"{p.parent.name}/{p.name}" for p in EXAMPLE_FILES])
def test_example_evidence_files_give_a_result(bundled: RuleSet, path: Path) -> None:
    """Each example evidence file under examples/ evaluates; files named invalid* are rejected."""
    result = bundled.evaluate_json(path.read_bytes(), source=path.name)
    if path.stem.startswith("invalid"):
        assert result.status == "invalid_evidence"
        assert result.problems
    else:
        assert result.status in ("evaluated", "not_in_force"), [p.message for p in result.problems]
    json.loads(result.to_json())
