"""Every bundled framework: checks cleanly, its examples pass, every clause is exercised."""

from __future__ import annotations

import datetime
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


def _bundled_documents(bundled: RuleSet) -> list[tuple[str, bytes, datetime.date | None]]:
    """(where, evidence, as-of) for every example beside the rules and every file under examples/."""
    found = []
    for framework in bundled.frameworks.values():
        for example in framework.examples:
            if example.evidence_path is not None:
                text = Path(example.evidence_path).read_bytes()
            else:
                text = (example.evidence_text or "").encode("utf-8")
            found.append((example.location, text, example.as_of))
    found.extend((str(path.relative_to(REPO)), path.read_bytes(), None) for path in EXAMPLE_FILES)
    return found


def test_bundled_results_do_not_depend_on_the_day_they_run(bundled: RuleSet) -> None:
    """Every bundled example gives byte-identical result JSON with the clock at 2019 and at 2061."""
    early = bundled.with_clock(lambda: datetime.date(2019, 1, 1))
    late = bundled.with_clock(lambda: datetime.date(2061, 1, 1))
    documents = _bundled_documents(bundled)
    changed = [
        where
        for where, evidence, as_of in documents
        if early.evaluate_json(evidence, as_of=as_of, source=where).to_json()
        != late.evaluate_json(evidence, as_of=as_of, source=where).to_json()
    ]
    assert changed == []
    assert len(documents) > 100


def test_ilacs_without_planning_date_does_not_read_the_clock(bundled: RuleSet) -> None:
    """Without planning_date, ILACS's in-force test gives the same answer on any day, even before ILACS."""
    evidence = (REPO / "examples" / "ilacs" / "worked-example.json").read_bytes()
    assert b"planning_date" not in evidence
    results = [
        bundled.with_clock(lambda day=day: day).evaluate_json(evidence)
        for day in (datetime.date(2017, 6, 1), datetime.date(2019, 1, 1), datetime.date(2061, 1, 1))
    ]
    assert {r.to_json() for r in results} == {results[0].to_json()}
    assert results[0].status == "evaluated"
    assert results[0].as_of_from == "evidence"
    assert json.loads(results[0].to_json())["judgements"]["next_inspection"]["outcome"] == "short_inspection"
