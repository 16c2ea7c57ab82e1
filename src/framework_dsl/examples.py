"""The examples stage: run the examples written beside the rules, and measure coverage.

Each `example` gives evidence and expected outcomes. The runner evaluates the
evidence, compares each expectation with what the engine decided (and keeps both,
whether they agree or not), and records which clauses decided something, so
`framework-dsl test --coverage` can list every clause no example exercised.
`report_dict` and `report_junit` write a report out for machines: JSON, and JUnit
XML for CI servers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import attrs

from framework_dsl import ir
from framework_dsl.engine.reference import Evaluation
from framework_dsl.evidence import parse_json, validate
from framework_dsl.result import Decision, Result
from framework_dsl.ruleset import RuleSet
from framework_dsl.source import Span
from framework_dsl.values import EvaluationError, display_value


@attrs.frozen(kw_only=True)
class Checked:
    """One expectation of an example, what the engine gave, and whether they agree."""

    expectation: str  # "coverage = complete"
    expected: str
    actual: str
    reason: str | None
    location: str
    passed: bool = False
    span: Span | None = attrs.field(default=None, eq=False, repr=False)  # where, for editors


@attrs.frozen(kw_only=True)
class ExampleOutcome:
    """How one example went."""

    framework: str
    title: str
    location: str
    citation: str | None
    evidence: str
    evidence_text: str | None
    checked: tuple[Checked, ...]  # every expectation, in the order written, and any failure of the run itself
    result: Result | None
    span: Span | None = attrs.field(default=None, eq=False, repr=False)  # the example, for editors

    @property
    def failures(self) -> tuple[Checked, ...]:
        """The expectations that did not hold."""
        return tuple(c for c in self.checked if not c.passed)

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


@attrs.frozen(kw_only=True)
class ClauseCoverage:
    """Whether a clause decided something in at least one example."""

    framework: str
    decision: str
    clause_id: str
    location: str
    covered: bool


@attrs.frozen(kw_only=True)
class ExampleReport:
    """Every example's outcome and every clause's coverage."""

    outcomes: tuple[ExampleOutcome, ...]
    coverage: tuple[ClauseCoverage, ...]

    @property
    def failed(self) -> list[ExampleOutcome]:
        """The examples that failed."""
        return [o for o in self.outcomes if not o.passed]

    @property
    def coverage_percent(self) -> float:
        """Share of clauses exercised, 0 to 100 (100 when there are no clauses)."""
        if not self.coverage:
            return 100.0
        return 100.0 * sum(1 for c in self.coverage if c.covered) / len(self.coverage)


def run_examples(rule_set: RuleSet, frameworks: list[str] | None = None, *, engine: str = "compiled") -> ExampleReport:
    """Run the examples of the named frameworks (default: all) on `engine` ("compiled" or "reference")."""
    names = frameworks or sorted(rule_set.frameworks)
    outcomes: list[ExampleOutcome] = []
    fired: set[str] = set()
    coverage: list[ClauseCoverage] = []
    for name in names:
        framework = rule_set.frameworks[name]
        for example in framework.examples:
            outcome = _run(rule_set, framework, example, engine)
            outcomes.append(outcome)
            if outcome.result is not None:
                for _, decision in outcome.result.all_decisions():
                    fired.update(decision.clause_ids)
        for judgement in (*framework.judgements, *framework.checks):
            for clause in judgement.clauses:
                coverage.append(
                    ClauseCoverage(
                        framework=name,
                        decision=judgement.name,
                        clause_id=clause.id,
                        location=clause.location,
                        covered=False,
                    )
                )
    coverage = [attrs.evolve(c, covered=c.clause_id in fired) for c in coverage]
    return ExampleReport(outcomes=tuple(outcomes), coverage=tuple(coverage))


def _run(rule_set: RuleSet, framework: ir.Framework, example: ir.Example, engine: str) -> ExampleOutcome:
    def outcome(checked: list[Checked], result: Result | None) -> ExampleOutcome:
        return ExampleOutcome(
            framework=framework.name,
            title=example.title,
            location=example.location,
            span=example.span,
            citation=example.citation,
            evidence=example.evidence_display,
            evidence_text=example.evidence_text,
            checked=tuple(checked),
            result=result,
        )

    if example.evidence_path is not None:
        # Checked when the rules were checked, and again now: the rules may come from the
        # cache, and the file may have been swapped for a link since.
        path = Path(example.evidence_path)
        root = Path(example.evidence_root or path.parent)
        if not path.resolve().is_relative_to(root.resolve()) or not path.is_file():
            return outcome([_problem_failure(example, "the example file is outside the rules root or gone")], None)
        text: str | bytes = path.read_bytes()
    else:
        text = example.evidence_text or ""
    data, problems = parse_json(text, example.evidence_display)
    if problems:
        return outcome([_problem_failure(example, problems[0].message)], None)
    result = rule_set.evaluate(
        data, example.as_of, framework=framework.name, source=example.evidence_display, engine=engine
    )
    checked: list[Checked] = []
    status_expected = [e for e in example.expectations if e.kind == "status"]
    if not status_expected and result.status != "evaluated":
        detail = "; ".join(f"{p.pointer}: {p.message}" for p in result.problems[:5]) or (result.note or "")
        checked.append(
            Checked(
                expectation="the evidence is evaluated",
                expected="evaluated",
                actual=result.status,
                reason=detail or None,
                location=example.location,
                span=example.span,
            )
        )
        return outcome(checked, result)
    if result.as_of_from == "clock":
        # Its outcome would change with the day the examples run: not a test of anything.
        checked.append(
            Checked(
                expectation="the example fixes its date",
                expected="`as of YYYY-MM-DD` in the example, or a date in its evidence",
                actual=f"today's date ({result.as_of.isoformat() if result.as_of else '-'}), from the clock",
                reason="neither the example nor its evidence gives a date, so its outcome depends on the day it is run",
                location=example.location,
                span=example.span,
            )
        )
    evaluation = None
    if result.status == "evaluated":
        evidence, _ = validate(data, framework.evidence, example.evidence_display)
        if evidence is not None and result.as_of is not None:
            evaluation = Evaluation(framework, evidence, result.as_of)
    for expectation in example.expectations:
        location = f"{expectation.span.source.path}:{expectation.span.line}"
        if expectation.kind == "status":
            checked.append(
                Checked(
                    expectation=f"status {expectation.name}",
                    expected=expectation.name,
                    actual=result.status,
                    reason=result.note,
                    location=location,
                    span=expectation.span,
                    passed=result.status == expectation.name,
                )
            )
            continue
        decided = result.judgements.get(expectation.name, result.checks.get(expectation.name))
        if decided is None:  # the document was not evaluated (a status was expected): nothing was decided
            checked.append(
                Checked(
                    expectation=f"{expectation.name} is decided",
                    expected="a decision",
                    actual=f"no decision: the result is {result.status.replace('_', ' ')}",
                    reason=result.note,
                    location=location,
                    span=expectation.span,
                )
            )
            continue
        decisions = decided if isinstance(decided, tuple) else (decided,)
        if expectation.kind == "undetermined":
            checked.append(
                Checked(
                    expectation=f"{expectation.name} is undetermined",
                    expected="undetermined",
                    actual=_describe(decided),
                    reason=_reasons(decisions),
                    location=location,
                    span=expectation.span,
                    passed=any(d.status == "undetermined" for d in decisions),
                )
            )
            continue
        if expectation.kind == "not_in_force":
            checked.append(
                Checked(
                    expectation=f"{expectation.name} is not_in_force",
                    expected="not_in_force",
                    actual=_describe(decided),
                    reason=_reasons(decisions),
                    location=location,
                    passed=all(d.status == "not_in_force" for d in decisions),
                )
            )
            continue
        if expectation.kind == "reason":
            # Exactly the reason given, values filled in; for a for-each decision, some item's.
            reasons = [d.reason for d in decisions if d.status == "decided"]
            checked.append(
                Checked(
                    expectation=f"{expectation.name} because {json.dumps(expectation.reason, ensure_ascii=False)}",
                    expected=json.dumps(expectation.reason, ensure_ascii=False),
                    actual=(
                        "; ".join(json.dumps(r, ensure_ascii=False) for r in reasons if isinstance(r, str))
                        or _describe(decided)
                    ),
                    reason=_reasons(decisions),
                    location=location,
                    span=expectation.span,
                    passed=expectation.reason in reasons,
                )
            )
            continue
        if expectation.kind in _EXPLANATION_KINDS:
            checked.append(_explanation(framework, expectation, decided, location))
            continue
        assert expectation.value is not None and evaluation is not None
        try:
            wanted = evaluation.ev(expectation.value, {})
        except EvaluationError as error:
            checked.append(
                Checked(
                    expectation=f"{expectation.name} = ...",
                    expected="a value",
                    actual=error.message,
                    reason=None,
                    location=location,
                    span=expectation.span,
                )
            )
            continue
        checked.append(
            Checked(
                expectation=f"{expectation.name} = {_show(wanted)}",
                expected=_show(wanted),
                actual=_describe(decided),
                reason=_reasons(decisions),
                location=location,
                span=expectation.span,
                passed=_actual(decided) == wanted,
            )
        )
    return outcome(checked, result)


# The expectations about why: which clause decided (or could not), what evidence was read or missing.
_EXPLANATION_KINDS = frozenset({"decided_by", "undetermined_at", "reads", "missing"})


def _explanation(
    framework: ir.Framework,
    expectation: ir.Expectation,
    decided: Decision | tuple[Decision, ...],
    location: str,
) -> Checked:
    """Check an expectation about the explanation a decision gives, as its result JSON shows it.

    `decided by clause N`: decided, with clause N among the deciding clauses (`rule`);
    `is undetermined at clause N`: undetermined, the result naming clause N (`rule`);
    `reads [...]`: decided, having read exactly those pointers (`inputs`);
    `is undetermined missing [...]`: undetermined for want of exactly those (`missing`).
    For a for-each judgement, some item must match (as for `because`).
    """
    decisions = decided if isinstance(decided, tuple) else (decided,)
    numbers = _clause_numbers(framework, expectation.name)
    name = expectation.name
    pointers = _show_pointers(expectation.pointers)
    match expectation.kind:
        case "decided_by":
            shown = f"clause {expectation.clause_number}"
            text = f"{name} decided by {shown}"
            expected = f"decided by {shown} ({expectation.clause_location})"
            passed = any(d.status == "decided" and expectation.clause_id in d.clause_ids for d in decisions)
        case "undetermined_at":
            shown = f"clause {expectation.clause_number}"
            text = f"{name} is undetermined at {shown}"
            expected = f"undetermined at {shown} ({expectation.clause_location})"
            passed = any(
                d.status == "undetermined" and expectation.clause_location in _rules(d.rule) for d in decisions
            )
        case "reads":
            text = f"{name} reads {pointers}"
            expected = f"decided, reading {pointers}"
            wanted = set(expectation.pointers)
            passed = any(d.status == "decided" and {p for p, _ in d.inputs} == wanted for d in decisions)
        case "missing":
            text = f"{name} is undetermined missing {pointers}"
            expected = f"undetermined, missing {pointers}"
            wanted = set(expectation.pointers)
            passed = any(d.status == "undetermined" and set(d.missing) == wanted for d in decisions)
        case _:
            raise AssertionError(f"not an expectation about an explanation: {expectation.kind}")
    actual = "; ".join(_explained(d, numbers) for d in decisions)
    if isinstance(decided, tuple):
        actual = "[" + actual + "]"
    return Checked(
        expectation=text,
        expected=expected,
        actual=actual,
        reason=_reasons(decisions),
        location=location,
        span=expectation.span,
        passed=passed,
    )


def _clause_numbers(framework: ir.Framework, name: str) -> dict[str, int]:
    """Clause locations and ids of the decision `name` -> each clause's number as written (from 1)."""
    numbers: dict[str, int] = {}
    for judgement in (*framework.judgements, *framework.checks):
        if judgement.name == name:
            for clause in judgement.clauses:
                # The id keeps the clause's place as written, even when a mutant reorders them.
                number = int(clause.id.rsplit("#", 1)[1])
                numbers[clause.id] = number
                numbers.setdefault(clause.location, number)
    return numbers


def _rules(rule: Any) -> tuple[str, ...]:
    """A decision's `rule` (one location, a list of them, or none) as a tuple."""
    if isinstance(rule, str):
        return (rule,)
    if isinstance(rule, list | tuple):
        return tuple(str(r) for r in rule)
    return ()


def _show_pointers(pointers: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(p, ensure_ascii=False) for p in pointers) + "]"


def _explained(decision: Decision, numbers: dict[str, int]) -> str:
    """A decision's explanation as expectations about it see it: status, clause and evidence."""

    def clause(rule: str) -> str:
        number = numbers.get(rule)
        return f"clause {number} ({rule})" if number is not None else rule

    if decision.status == "decided":
        clauses = [f"clause {numbers[c]}" for c in decision.clause_ids if c in numbers]
        rules = _rules(decision.rule)
        shown = (
            ", ".join(f"{n} ({r})" for n, r in zip(clauses, rules, strict=False))
            if len(clauses) == len(rules)
            else ", ".join(rules)
        )
        read = _show_pointers(sorted(p for p, _ in decision.inputs))
        return f"decided by {shown or 'no clause'}, reading {read}"
    if decision.status == "undetermined":
        at = ", ".join(clause(r) for r in _rules(decision.rule)) or "no clause"
        return f"undetermined at {at}, missing {_show_pointers(list(decision.missing))}"
    return decision.status.replace("_", " ")


def _problem_failure(example: ir.Example, message: str) -> Checked:
    return Checked(
        expectation="the evidence is valid JSON",
        expected="JSON",
        actual=message,
        reason=None,
        location=example.location,
        span=example.span,
    )


class _NotDecided:
    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


def _actual(decided: Decision | tuple[Decision, ...]) -> Any:
    if isinstance(decided, tuple):
        if any(d.status != "decided" for d in decided):
            return _NotDecided()
        return tuple(d.value for d in decided)
    if decided.status != "decided":
        return _NotDecided()
    return decided.value


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    name = getattr(value, "name", None)
    if isinstance(name, str) and hasattr(value, "rank"):
        return name
    return display_value(value)


def _describe(decided: Decision | tuple[Decision, ...]) -> str:
    decisions = decided if isinstance(decided, tuple) else (decided,)
    parts = []
    for d in decisions:
        if d.status == "decided":
            text = _show(d.value)
        elif d.status == "undetermined":
            text = "undetermined (missing " + ", ".join(d.missing) + ")"
        elif d.status == "not_in_force":
            text = f"not_in_force ({d.reason})"
        else:
            text = f"error: {d.error}"
        parts.append(text)
    if isinstance(decided, tuple):
        return "[" + ", ".join(parts) + "]"
    return parts[0]


def _reasons(decisions: tuple[Decision, ...]) -> str | None:
    reasons: list[str] = []
    for d in decisions:
        if isinstance(d.reason, list):
            reasons.extend(str(r) for r in d.reason if r)
        elif d.reason:
            reasons.append(f"{d.reason} ({d.rule})")
    return "; ".join(reasons) or None


# ---------------------------------------------------------------- reports for machines


def report_dict(report: ExampleReport) -> dict[str, Any]:
    """The report as JSON data: one record per example, every expectation with what was
    expected, what the engine gave and its reason, then clause coverage."""
    exercised = sum(1 for c in report.coverage if c.covered)
    return {
        "passed": len(report.outcomes) - len(report.failed),
        "failed": len(report.failed),
        "examples": [
            {
                "framework": outcome.framework,
                "title": outcome.title,
                "location": outcome.location,
                "cite": outcome.citation,
                "evidence": outcome.evidence,
                "passed": outcome.passed,
                "expectations": [
                    {
                        "expectation": checked.expectation,
                        "passed": checked.passed,
                        "expected": checked.expected,
                        "actual": checked.actual,
                        "reason": checked.reason,
                        "location": checked.location,
                    }
                    for checked in outcome.checked
                ],
            }
            for outcome in report.outcomes
        ],
        "coverage": {
            "percent": round(report.coverage_percent, 1),
            "clauses": len(report.coverage),
            "exercised": exercised,
            "not_exercised": [
                {"framework": c.framework, "decision": c.decision, "location": c.location}
                for c in report.coverage
                if not c.covered
            ],
        },
    }


def report_junit(report: ExampleReport, *, rules_digest: str | None = None) -> str:
    """The report as JUnit XML, for CI servers: a test suite per framework, a test case
    per example, a `failure` (expected, actual, reason, where) for each example that failed.

    The layout is the common one CI servers read (`testsuites` > `testsuite` >
    `testcase`), valid against the JUnit XSD of Jenkins' xUnit plugin, which pytest
    also writes to. Times are not measured: every case says 0.
    """
    root = ElementTree.Element(
        "testsuites",
        name="framework-dsl test",
        tests=str(len(report.outcomes)),
        failures=str(len(report.failed)),
        errors="0",
        time="0",
    )
    by_framework: dict[str, list[ExampleOutcome]] = {}
    for outcome in report.outcomes:
        by_framework.setdefault(outcome.framework, []).append(outcome)
    for framework, outcomes in by_framework.items():
        suite = ElementTree.SubElement(
            root,
            "testsuite",
            name=framework,
            tests=str(len(outcomes)),
            failures=str(sum(1 for o in outcomes if not o.passed)),
            errors="0",
            skipped="0",
            time="0",
            file=outcomes[0].location.rsplit(":", 1)[0],
        )
        if rules_digest is not None:
            properties = ElementTree.SubElement(suite, "properties")
            ElementTree.SubElement(properties, "property", name="rules_digest", value=rules_digest)
        for outcome in outcomes:
            case = ElementTree.SubElement(
                suite, "testcase", name=_xml_text(outcome.title), classname=framework, time="0"
            )
            if outcome.passed:
                continue
            first = outcome.failures[0]
            more = len(outcome.failures) - 1
            message = f"expected {first.expectation}, got {first.actual}" + (
                f" (and {more} more expectation{'s' if more != 1 else ''})" if more else ""
            )
            failure = ElementTree.SubElement(case, "failure", type="expectation", message=_xml_text(message))
            failure.text = _xml_text(_failure_text(outcome))
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"


def _failure_text(outcome: ExampleOutcome) -> str:
    lines = [f"example at {outcome.location}"]
    for failure in outcome.failures:
        lines.append(f"expected {failure.expectation}")
        lines.append(f"  expected: {failure.expected}")
        lines.append(f"  actual:   {failure.actual}")
        if failure.reason:
            lines.append(f"  reason:   {failure.reason}")
        lines.append(f"  at:       {failure.location}")
    lines.append(f"evidence: {outcome.evidence_text or outcome.evidence}")
    return "\n".join(lines)


def _xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold (most control characters) replaced by U+FFFD."""
    return "".join(
        c if c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000" else "\ufffd"
        for c in text
    )
