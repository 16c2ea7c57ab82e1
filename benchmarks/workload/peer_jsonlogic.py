"""JsonLogic (rules as JSON data, interpreted in Python): the workload as two JsonLogic rules.

Written in core JsonLogic only (`if`, `==`, `>=`, `and`, `+`, `var`), so the same rule
data runs on any implementation; a count is a sum of `if`s. Two implementations both
install the top-level package `json_logic`, so only one can be installed at a time:

- json-logic-qubit (pinned in requirements.txt) is measured by the ordinary run;
- panzi-json-logic is measured when it is the `json_logic` on the path, for example
  `pip install --no-deps --target /tmp/panzi panzi-json-logic` and then
  `PYTHONPATH=/tmp/panzi python benchmarks/run.py` (see the README).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PACKAGES = {"json-logic-qubit": "json-logic-qubit", "panzi-json-logic": "panzi-json-logic"}

_KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")


def _count(grade: str) -> dict[str, Any]:
    return {"+": [{"if": [{"==": [{"var": f"key_questions.{kq}"}, grade]}, 1, 0]} for kq in _KEY_QUESTIONS]}


def _at_least(grade: str, n: int) -> dict[str, Any]:
    return {">=": [_count(grade), n]}


def _none(grade: str) -> dict[str, Any]:
    return {"==": [_count(grade), 0]}


OVERALL: dict[str, Any] = {
    "if": [
        _at_least("inadequate", 2),
        "inadequate",
        _at_least("requires_improvement", 2),
        "requires_improvement",
        {"and": [{"var": "breach"}, _none("inadequate")]},
        "requires_improvement",
        {"and": [_none("inadequate"), _none("requires_improvement"), _at_least("outstanding", 2)]},
        "outstanding",
        {"and": [_none("inadequate"), {"<=": [_count("requires_improvement"), 1]}]},
        "good",
        "professional_judgement",
    ]
}

_CHARACTERISTICS = {"var": "question.characteristics_of_good"}
QUESTION_GRADE: dict[str, Any] = {
    "if": [
        {">": [{"var": "question.causes_of_concern"}, 0]},
        "inadequate",
        {"==": [_CHARACTERISTICS, "substantially_exceeded"]},
        "outstanding",
        {"==": [_CHARACTERISTICS, "substantially_all"]},
        "good",
        {"==": [_CHARACTERISTICS, "some"]},
        "adequate",
        "requires_improvement",
    ]
}

Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]


def _build(which: str) -> Built:
    import importlib.util

    import json_logic

    is_panzi = importlib.util.find_spec("json_logic.builtins") is not None
    if (which == "panzi") != is_panzi:
        other = "panzi-json-logic" if is_panzi else "json-logic-qubit"
        raise ImportError(f"the installed `json_logic` package is {other}'s (both use that import name)")
    apply = json_logic.jsonLogic

    def evaluate(doc: dict[str, Any]) -> tuple[Any, Any]:
        return apply(OVERALL, doc), apply(QUESTION_GRADE, doc)

    return evaluate, lambda result: result


IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {
    "json-logic-qubit": lambda: _build("qubit"),
    "panzi-json-logic": lambda: _build("panzi"),
}
