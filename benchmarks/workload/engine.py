"""framework-dsl itself, measured through its public API only.

`framework_dsl.load_rules(<this folder>)` checks `workload.fw` once; each document is
then evaluated with `RuleSet.evaluate(document, as_of=...)`, which records each
judgement's outcome, reason, citation and the evidence values it read; with the
function `RuleSet.evaluator("workload", as_of)` prepares once, which gives the same
results; and with `explain=True`, which also records the trace of every clause tried. Nothing here
reaches past the public API, so whatever evaluation path `RuleSet.evaluate` takes (the
tree-walking evaluator today, a compiled one later) is what gets measured.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

PACKAGE = "framework-dsl"
RULES = Path(__file__).resolve().parent
AS_OF = datetime.date(2019, 3, 1)
JUDGEMENTS = ("overall", "question_grade")

Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]

WITH_REASONS = "framework-dsl: evaluate (outcomes, reasons, inputs)"
WITH_TRACE = "framework-dsl: evaluate, explain=True (full trace)"
# `RuleSet.evaluator("workload", as_of)`: the same evaluation, its arguments checked and the
# framework looked up once rather than for every document (what a service that evaluates
# one framework many times calls).
PREPARED = "framework-dsl: evaluator, prepared once (outcomes, reasons, inputs)"


def decisions(result: Any) -> dict[str, dict[str, Any]]:
    """The result's judgements as contracted JSON data (`Result.to_dict`), checked decided."""
    data = result.to_dict()
    if data["status"] != "evaluated":
        raise AssertionError(f"the workload evidence was not evaluated: {data['status']} {data['problems']}")
    judgements: dict[str, dict[str, Any]] = data["judgements"]
    for name in JUDGEMENTS:
        if judgements[name]["status"] != "decided":
            raise AssertionError(f"{name} was not decided: {judgements[name]}")
    return judgements


def _outcomes(result: Any) -> tuple[str, str]:
    judgements = decisions(result)
    return judgements["overall"]["outcome"], judgements["question_grade"]["outcome"]


def _build(explain: bool) -> Built:
    import framework_dsl

    evaluate = framework_dsl.load_rules(RULES).evaluate
    as_of = AS_OF
    if explain:
        return (lambda doc: evaluate(doc, as_of=as_of, explain=True)), _outcomes
    return (lambda doc: evaluate(doc, as_of=as_of)), _outcomes


def _build_prepared() -> Built:
    import framework_dsl

    return framework_dsl.load_rules(RULES).evaluator("workload", AS_OF), _outcomes


IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {
    WITH_REASONS: lambda: _build(explain=False),
    PREPARED: _build_prepared,
    WITH_TRACE: lambda: _build(explain=True),
}
