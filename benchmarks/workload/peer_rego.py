"""regopy (rego-cpp, Microsoft's C++ Rego interpreter): the workload as a Rego policy.

The policy is compiled once into a bundle (`Interpreter.build`) and each document is
set as `input` and the bundle queried (`query_bundle`). Plain `Interpreter.query`
compiles the policy again on every call and is not what a service would run, so it is
not measured. Counts are `count` of array comprehensions, computed once per document
as rule values; the first-match chain is Rego's `else`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PACKAGE = "regopy"

POLICY = """
package workload

import rego.v1

ratings := [
    input.key_questions.safe, input.key_questions.effective, input.key_questions.caring,
    input.key_questions.responsive, input.key_questions.well_led,
]

n_i := count([r | some r in ratings; r == "inadequate"])
n_ri := count([r | some r in ratings; r == "requires_improvement"])
n_o := count([r | some r in ratings; r == "outstanding"])

# CQC adult social care aggregation, ASC-R6, R5, R1 (breach cap), R3, R4
overall := "inadequate" if {
    n_i >= 2
} else := "requires_improvement" if {
    n_ri >= 2
} else := "requires_improvement" if {
    input.breach
    n_i == 0
} else := "outstanding" if {
    n_i == 0
    n_ri == 0
    n_o >= 2
} else := "good" if {
    n_i == 0
    n_ri <= 1
} else := "professional_judgement"

# HMICFRS PEEL graded judgment definitions (2021 onwards)
grade_for := {
    "substantially_exceeded": "outstanding",
    "substantially_all": "good",
    "some": "adequate",
    "few_or_none": "requires_improvement",
}

question_grade := "inadequate" if {
    input.question.causes_of_concern > 0
} else := grade_for[input.question.characteristics_of_good]

result := [overall, question_grade]
"""

Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]


def _build() -> Built:
    from regopy import Input, Interpreter

    compiler = Interpreter()
    compiler.add_module("workload.rego", POLICY)
    bundle = compiler.build("x = data.workload.result")
    if not bundle.ok():
        raise RuntimeError("the Rego policy did not compile into a bundle")
    runner = Interpreter()
    set_input, query_bundle = runner.set_input, runner.query_bundle

    def evaluate(doc: dict[str, Any]) -> Any:
        set_input(Input(doc))
        return query_bundle(bundle)

    def outcomes(output: Any) -> tuple[str, str]:
        overall, question_grade = output[0]["x"]
        return overall, question_grade

    return evaluate, outcomes


IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {"regopy (rego-cpp), compiled bundle": _build}
