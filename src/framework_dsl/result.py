"""The result model: what one evaluation of one evidence document produced.

`Result.to_dict()` is exactly the JSON of `spec/interfaces.md` — keys in the
contracted order, outcomes as the identifiers written in the rules, dates as
`YYYY-MM-DD`, decimals exact — and `to_json()` is byte-identical for the same input.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import attrs

from framework_dsl import canonical_json
from framework_dsl.diagnostics import Diagnostic
from framework_dsl.evidence import MapValue, RecordValue
from framework_dsl.typesystem import Duration, Symbol


@attrs.frozen(kw_only=True)
class ClauseTrace:
    """One clause tried while making a decision (recorded only when explaining)."""

    location: str
    condition: str  # "true" | "false" | "unknown" | "otherwise"
    outcome: str | None
    reads: tuple[tuple[str, Any], ...]
    missing: tuple[str, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()  # (sub-expression as written, its value)


@attrs.frozen(kw_only=True)
class Decision:
    """One judgement or check outcome (one item's, for a for-each judgement)."""

    status: str  # "decided" | "undetermined" | "error"
    item: str | None = None
    outcome: Any = None
    label: Any = None
    reason: Any = None
    cite: Any = None
    rule: Any = None
    inputs: tuple[tuple[str, Any], ...] = ()
    missing: tuple[str, ...] = ()
    error: str | None = None
    clause_ids: tuple[str, ...] = ()  # which clauses decided it, for coverage
    trace: tuple[ClauseTrace, ...] = ()

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The decision's JSON object, keys in the contracted order."""
        data: dict[str, Any] = {}
        if self.item is not None:
            data["item"] = self.item
        data["status"] = self.status
        data["outcome"] = to_json_value(self.outcome) if self.status == "decided" else None
        if self.status == "decided":
            data["label"] = self.label
            data["reason"] = self.reason
            data["cite"] = self.cite
            data["rule"] = self.rule
            # Inputs are raw evidence JSON already: no conversion needed.
            data["inputs"] = dict(self.inputs)
        elif self.status == "undetermined":
            data["missing"] = list(self.missing)
            data["rule"] = self.rule
        else:
            data["error"] = self.error
            data["rule"] = self.rule
        if explain and self.trace:
            data["trace"] = [
                {
                    "rule": step.location,
                    "condition": step.condition,
                    "outcome": step.outcome,
                    "reads": {pointer: to_json_value(value) for pointer, value in step.reads},
                    **({"missing": list(step.missing)} if step.missing else {}),
                    **({"steps": [{"expression": e, "value": v} for e, v in step.steps]} if step.steps else {}),
                }
                for step in self.trace
            ]
        return data


Outcomes = dict[str, "Decision | tuple[Decision, ...]"]


@attrs.frozen(kw_only=True)
class Result:
    """The evaluation of one evidence document."""

    framework: str | None
    framework_title: str | None
    rules_digest: str
    source: str | None
    subject: Any
    as_of: datetime.date | None
    status: str  # "evaluated" | "invalid_evidence" | "not_in_force"
    judgements: dict[str, Decision | tuple[Decision, ...]] = attrs.field(factory=dict)
    checks: dict[str, Decision | tuple[Decision, ...]] = attrs.field(factory=dict)
    problems: tuple[Diagnostic, ...] = ()
    note: str | None = None  # why the framework was not in force, for text output

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The result as the contracted JSON object."""
        return {
            "framework": self.framework,
            "framework_title": self.framework_title,
            "rules_digest": self.rules_digest,
            "source": self.source,
            "subject": to_json_value(self.subject),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "status": self.status,
            "judgements": _outcomes_dict(self.judgements, explain),
            "checks": _outcomes_dict(self.checks, explain),
            "problems": [problem_dict(p) for p in self.problems],
        }

    def to_json(self, *, indent: int | None = 2, explain: bool = False) -> str:
        """Deterministic JSON text of `to_dict()`."""
        return canonical_json.dumps(self.to_dict(explain=explain), indent=indent)

    def all_decisions(self) -> list[tuple[str, Decision]]:
        """Every decision (judgements then checks), flattened, with its name."""
        found: list[tuple[str, Decision]] = []
        for group in (self.judgements, self.checks):
            for name, value in group.items():
                for decision in value if isinstance(value, tuple) else (value,):
                    found.append((name, decision))
        return found


def _outcomes_dict(outcomes: dict[str, Decision | tuple[Decision, ...]], explain: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, value in outcomes.items():
        if isinstance(value, tuple):
            data[name] = [d.to_dict(explain=explain) for d in value]
        else:
            data[name] = value.to_dict(explain=explain)
    return data


def problem_dict(problem: Diagnostic) -> dict[str, Any]:
    """An evidence problem as `{"path", "message", "expected", "found"}` (+ code, hint)."""
    data: dict[str, Any] = {
        "path": problem.pointer if problem.pointer is not None else "",
        "message": problem.message,
        "expected": problem.expected,
        "found": problem.found,
        "code": problem.code,
    }
    if problem.hint:
        data["hint"] = problem.hint
    return data


def to_json_value(value: Any) -> Any:
    """A runtime value as JSON data: identifiers, ISO dates, exact decimals, lists."""
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return value.display()
    if isinstance(value, tuple | list):
        return [to_json_value(v) for v in value]
    if isinstance(value, RecordValue | MapValue):
        return value.raw
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, bool | int | str | Decimal) or value is None:
        return value
    return str(value)
