"""cel-python (pure Python CEL, Lark parser): the workload as two CEL expressions.

Each expression is parsed once (`Environment.compile`) and made a program once; each
document is converted to CEL values (`celpy.json_to_cel`, part of the timed work, as
every evaluation needs it) and evaluated. Two runners are measured: the default tree
interpreter, and `CompiledRunner`, which transpiles the expression to Python once.
Counts are `filter(...).size()`; with no local variables, shared counts are repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PACKAGE = "cel-python"

_RATINGS = (
    "[key_questions.safe, key_questions.effective, key_questions.caring,"
    " key_questions.responsive, key_questions.well_led]"
)


def _count(grade: str) -> str:
    return f'{_RATINGS}.filter(r, r == "{grade}").size()'


OVERALL = (
    f'{_count("inadequate")} >= 2 ? "inadequate"'
    f' : ({_count("requires_improvement")} >= 2 ? "requires_improvement"'
    f' : ((breach && {_count("inadequate")} == 0) ? "requires_improvement"'
    f" : (({_count('inadequate')} == 0 && {_count('requires_improvement')} == 0"
    f' && {_count("outstanding")} >= 2) ? "outstanding"'
    f' : (({_count("inadequate")} == 0 && {_count("requires_improvement")} <= 1) ? "good"'
    ' : "professional_judgement"))))'
)

QUESTION_GRADE = (
    'question.causes_of_concern > 0 ? "inadequate"'
    ' : (question.characteristics_of_good == "substantially_exceeded" ? "outstanding"'
    ' : (question.characteristics_of_good == "substantially_all" ? "good"'
    ' : (question.characteristics_of_good == "some" ? "adequate"'
    ' : "requires_improvement")))'
)

Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]


def _build(compiled: bool) -> Built:
    import celpy
    import celpy.celparser

    # cel-python keeps one Lark parser per process, made with the tree class of the
    # first runner used; the transpiler needs its own tree class, so start afresh.
    celpy.celparser.CELParser.CEL_PARSER = None
    env = celpy.Environment(runner_class=celpy.CompiledRunner if compiled else None)
    overall = env.program(env.compile(OVERALL)).evaluate
    question_grade = env.program(env.compile(QUESTION_GRADE)).evaluate
    to_cel = celpy.json_to_cel

    def evaluate(doc: dict[str, Any]) -> tuple[Any, Any]:
        activation = to_cel(doc)
        return overall(activation), question_grade(activation)

    return evaluate, lambda result: (str(result[0]), str(result[1]))


IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {
    "cel-python, interpreted": lambda: _build(compiled=False),
    "cel-python, transpiled (CompiledRunner)": lambda: _build(compiled=True),
}
