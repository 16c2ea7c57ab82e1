"""The case corpus: rule files and evidence files with their expected output as snapshots.

- `cases/check/bad/<code>.fw` (or a folder `<code>/`): a rule file with one kind of
  mistake; its diagnostics are snapshotted and must include `<code>`.
- `cases/check/good/*.fw`: rule files that must check without a diagnostic.
- `cases/evidence/<code>.json`: evidence with one kind of problem, checked against
  `cases/evidence/rules/`; the problems are snapshotted and must include `<code>`.
- `cases/eval/<name>/{rules.fw, evidence.json, as_of.txt}`: the result JSON. Every case
  fixes its date, and the corpus is run again with the clock moved decades ahead to show
  that no result depends on the day the suite runs.
Every diagnostic code in the registry must have a case (see the last test).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from framework_dsl import check_rules
from framework_dsl.diagnostics import CODES, render_all_text

CASES = Path(__file__).parent / "cases"
BAD = sorted((CASES / "check" / "bad").iterdir())
GOOD = sorted((CASES / "check" / "good").glob("*.fw"))
EVIDENCE = sorted((CASES / "evidence").glob("evidence.*.json"))
EVAL = sorted(p for p in (CASES / "eval").iterdir() if p.is_dir())
# Codes whose case is produced by a test elsewhere, not by a file here.
CASES_ELSEWHERE = {"eval.division-by-zero": CASES / "eval" / "division-by-zero", "evidence.unreadable": None}


def _code_of(path: Path) -> str:
    return path.name.removesuffix(".fw").removesuffix(".json")


@pytest.mark.parametrize("case", BAD, ids=[p.name for p in BAD])
def test_bad_rule_file(case: Path, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """A bad rule file is rejected with its located diagnostic, rendered as snapshotted."""
    rule_set, diagnostics = check_rules(case)
    assert rule_set is None
    assert _code_of(case) in {d.code for d in diagnostics}
    assert all(d.span is not None or d.document is not None for d in diagnostics)
    assert render_all_text(diagnostics) == text_snapshot


@pytest.mark.parametrize("case", GOOD, ids=[p.name for p in GOOD])
def test_good_rule_file(case: Path) -> None:
    """A good rule file checks with no diagnostic at all."""
    rule_set, diagnostics = check_rules(case)
    assert diagnostics == []
    assert rule_set is not None


@pytest.mark.parametrize("case", EVIDENCE, ids=[p.name for p in EVIDENCE])
def test_bad_evidence(case: Path, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Bad evidence gives `invalid_evidence` listing every problem with its pointer."""
    rules = check_rules(CASES / "evidence" / "rules")[0]
    assert rules is not None
    result = rules.evaluate_json(case.read_bytes(), source=case.name)
    assert result.status == "invalid_evidence"
    assert result.judgements == {}
    assert _code_of(case) in {p.code for p in result.problems}
    rendered = "\n\n".join(
        f"{p.code} at {p.pointer}: {p.message}\n  expected: {p.expected}\n  found: {p.found}\n  hint: {p.hint}"
        for p in result.problems
    )
    assert rendered == text_snapshot


def test_valid_evidence_case_is_evaluated() -> None:
    """The corpus's valid evidence passes, so the bad cases fail for their own reason."""
    rules = check_rules(CASES / "evidence" / "rules")[0]
    assert rules is not None
    assert rules.evaluate_json((CASES / "evidence" / "valid.json").read_bytes()).status == "evaluated"


def _evaluate_case(case: Path, today: datetime.date, *, engine: str = "compiled", explain: bool = False) -> str:
    rules = check_rules(case / "rules.fw")[0]
    assert rules is not None
    as_of = (case / "as_of.txt").read_text().strip()
    result = rules.with_clock(lambda: today).evaluate_json(
        (case / "evidence.json").read_bytes(), as_of, source="evidence.json", engine=engine, explain=explain
    )
    return result.to_json(explain=explain)


@pytest.mark.parametrize("case", EVAL, ids=[p.name for p in EVAL])
def test_evaluation_case(case: Path, text_snapshot) -> None:  # type: ignore[no-untyped-def]
    """Each evaluation case gives exactly its snapshotted result JSON, whatever the day."""
    assert (case / "as_of.txt").is_file(), "every evaluation case fixes its date in as_of.txt"
    now = _evaluate_case(case, datetime.date(2026, 12, 2))
    assert now == text_snapshot
    assert _evaluate_case(case, datetime.date(2061, 7, 1)) == now


@pytest.mark.parametrize("case", EVAL, ids=[p.name for p in EVAL])
def test_every_evaluation_path_gives_the_same_bytes(case: Path) -> None:
    """The generated code, the reference evaluator and the tracing variant agree on each case, byte for byte."""
    today = datetime.date(2026, 12, 2)
    assert _evaluate_case(case, today, engine="reference") == _evaluate_case(case, today)
    traced = _evaluate_case(case, today, explain=True)
    assert _evaluate_case(case, today, engine="reference", explain=True) == traced
    assert '"trace"' in traced or '"judgements": {}' in traced


def test_every_code_has_a_case() -> None:
    """Every diagnostic code in the registry is exercised by a case, and every case names a real code."""
    covered = {_code_of(p) for p in BAD} | {_code_of(p) for p in EVIDENCE} | set(CASES_ELSEWHERE)
    assert set(CODES) - covered == set()
    assert covered - set(CODES) == set()
