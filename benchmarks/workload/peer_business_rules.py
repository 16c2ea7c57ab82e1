"""business-rules (Venmo, pure Python): the workload as two lists of JSON rules.

business-rules compares *variables* with values and runs *actions*; the variables are
Python methods on a class the rules author writes, so the counts of each grade are
computed there (the rules say only `inadequate_count >= 2` and so on). Each list is
run with `stop_on_first_trigger=True` (first match wins); when no rule fires, the
action-holder keeps its default, which plays the part of `otherwise`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PACKAGE = "business-rules"


def _when(conditions: list[tuple[str, str, Any]], action: str, outcome: str) -> dict[str, Any]:
    return {
        "conditions": {"all": [{"name": n, "operator": op, "value": v} for n, op, v in conditions]},
        "actions": [{"name": action, "params": {"outcome": outcome}}],
    }


OVERALL_RULES = [
    _when([("inadequate_count", "greater_than_or_equal_to", 2)], "set_overall", "inadequate"),
    _when([("requires_improvement_count", "greater_than_or_equal_to", 2)], "set_overall", "requires_improvement"),
    _when([("breach", "is_true", True), ("inadequate_count", "equal_to", 0)], "set_overall", "requires_improvement"),
    _when(
        [
            ("inadequate_count", "equal_to", 0),
            ("requires_improvement_count", "equal_to", 0),
            ("outstanding_count", "greater_than_or_equal_to", 2),
        ],
        "set_overall",
        "outstanding",
    ),
    _when(
        [("inadequate_count", "equal_to", 0), ("requires_improvement_count", "less_than_or_equal_to", 1)],
        "set_overall",
        "good",
    ),
]  # otherwise: the default, professional_judgement

QUESTION_RULES = [
    _when([("causes_of_concern", "greater_than", 0)], "set_question_grade", "inadequate"),
    _when([("characteristics_of_good", "equal_to", "substantially_exceeded")], "set_question_grade", "outstanding"),
    _when([("characteristics_of_good", "equal_to", "substantially_all")], "set_question_grade", "good"),
    _when([("characteristics_of_good", "equal_to", "some")], "set_question_grade", "adequate"),
]  # otherwise: the default, requires_improvement


def _build() -> tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]:
    """Define the variables and actions once; run both rule lists on each document."""
    from business_rules import run_all
    from business_rules.actions import BaseActions, rule_action
    from business_rules.fields import FIELD_TEXT
    from business_rules.variables import (
        BaseVariables,
        boolean_rule_variable,
        numeric_rule_variable,
        string_rule_variable,
    )

    class Variables(BaseVariables):  # type: ignore[misc]
        def __init__(self, doc: dict[str, Any]) -> None:
            kq = doc["key_questions"]
            self.ratings = (kq["safe"], kq["effective"], kq["caring"], kq["responsive"], kq["well_led"])
            self.doc = doc

        @numeric_rule_variable  # type: ignore[misc]
        def inadequate_count(self) -> int:
            return self.ratings.count("inadequate")

        @numeric_rule_variable  # type: ignore[misc]
        def requires_improvement_count(self) -> int:
            return self.ratings.count("requires_improvement")

        @numeric_rule_variable  # type: ignore[misc]
        def outstanding_count(self) -> int:
            return self.ratings.count("outstanding")

        @boolean_rule_variable  # type: ignore[misc]
        def breach(self) -> bool:
            return bool(self.doc["breach"])

        @numeric_rule_variable  # type: ignore[misc]
        def causes_of_concern(self) -> int:
            return int(self.doc["question"]["causes_of_concern"])

        @string_rule_variable  # type: ignore[misc]
        def characteristics_of_good(self) -> str:
            return str(self.doc["question"]["characteristics_of_good"])

    class Actions(BaseActions):  # type: ignore[misc]
        def __init__(self) -> None:
            self.overall = "professional_judgement"
            self.question_grade = "requires_improvement"

        @rule_action(params={"outcome": FIELD_TEXT})  # type: ignore[misc]
        def set_overall(self, outcome: str) -> None:
            self.overall = outcome

        @rule_action(params={"outcome": FIELD_TEXT})  # type: ignore[misc]
        def set_question_grade(self, outcome: str) -> None:
            self.question_grade = outcome

    def evaluate(doc: dict[str, Any]) -> tuple[str, str]:
        variables = Variables(doc)
        actions = Actions()
        run_all(OVERALL_RULES, variables, actions, stop_on_first_trigger=True)
        run_all(QUESTION_RULES, variables, actions, stop_on_first_trigger=True)
        return actions.overall, actions.question_grade

    return evaluate, lambda result: result


IMPLEMENTATIONS = {"business-rules": _build}
