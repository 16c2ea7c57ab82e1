"""rule-engine (zeroSteiner, pure Python): the workload as two rule-engine expressions.

`rule_engine.Rule` parses once; `Rule.evaluate(document)` returns the expression's value,
here the outcome chosen by a chain of ternaries. Counts are list comprehensions; the
language has no local variables, so a count used by several branches is repeated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PACKAGE = "rule-engine"

# Mapping keys are read with `[...]`: `key_questions.safe` also works, but rule-engine
# first looks for an attribute of that name and builds a "did you mean" suggestion
# before it falls back to the key, which makes it about 20 times slower.
_RATINGS = (
    "[key_questions['safe'], key_questions['effective'], key_questions['caring'],"
    " key_questions['responsive'], key_questions['well_led']]"
)


def _count(grade: str) -> str:
    return f"[r for r in {_RATINGS} if r == '{grade}'].length"


OVERALL = (
    f"{_count('inadequate')} >= 2 ? 'inadequate'"
    f" : ({_count('requires_improvement')} >= 2 ? 'requires_improvement'"
    f" : ((breach and {_count('inadequate')} == 0) ? 'requires_improvement'"
    f" : (({_count('inadequate')} == 0 and {_count('requires_improvement')} == 0"
    f" and {_count('outstanding')} >= 2) ? 'outstanding'"
    f" : (({_count('inadequate')} == 0 and {_count('requires_improvement')} <= 1) ? 'good'"
    " : 'professional_judgement'))))"
)

QUESTION_GRADE = (
    "question['causes_of_concern'] > 0 ? 'inadequate'"
    " : (question['characteristics_of_good'] == 'substantially_exceeded' ? 'outstanding'"
    " : (question['characteristics_of_good'] == 'substantially_all' ? 'good'"
    " : (question['characteristics_of_good'] == 'some' ? 'adequate'"
    " : 'requires_improvement')))"
)


def _build() -> tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]:
    """Parse both rules once; evaluate them on each document."""
    import rule_engine

    overall = rule_engine.Rule(OVERALL).evaluate
    question_grade = rule_engine.Rule(QUESTION_GRADE).evaluate

    def evaluate(doc: dict[str, Any]) -> tuple[str, str]:
        return overall(doc), question_grade(doc)

    return evaluate, lambda result: result


IMPLEMENTATIONS = {"rule-engine, parsed rules": _build}
