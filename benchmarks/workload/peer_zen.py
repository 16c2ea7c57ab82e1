"""zen-engine (GoRules, Rust): the workload as compiled expressions and as a decision graph.

Two ways to use the engine:

- expressions: `zen.compile_expression` parses and compiles each judgement's expression
  once, and `Expression.evaluate(document)` runs it. The ZEN expression language has no
  local variables, so a count used by several branches of the conditional is written
  out in each of them;
- a JSON Decision Model graph: two decision tables with the "first" hit policy side by
  side between the request and the response, loaded once with
  `ZenEngine.create_decision` and evaluated once per document. Table columns may be
  expressions, so the counts of each grade are columns of the `overall` table; a blank
  cell matches anything. The graph is built as data here (the JDM editor would produce
  the same JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

PACKAGE = "zen-engine"

Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]

_RATINGS = (
    "[key_questions.safe, key_questions.effective, key_questions.caring,"
    " key_questions.responsive, key_questions.well_led]"
)


def _count(grade: str) -> str:
    return f'count({_RATINGS}, # == "{grade}")'


OVERALL = (
    f'{_count("inadequate")} >= 2 ? "inadequate"'
    f' : ({_count("requires_improvement")} >= 2 ? "requires_improvement"'
    f' : ((breach and {_count("inadequate")} == 0) ? "requires_improvement"'
    f" : (({_count('inadequate')} == 0 and {_count('requires_improvement')} == 0"
    f' and {_count("outstanding")} >= 2) ? "outstanding"'
    f' : (({_count("inadequate")} == 0 and {_count("requires_improvement")} <= 1) ? "good"'
    ' : "professional_judgement"))))'
)

QUESTION_GRADE = (
    'question.causes_of_concern > 0 ? "inadequate"'
    ' : (question.characteristics_of_good == "substantially_exceeded" ? "outstanding"'
    ' : (question.characteristics_of_good == "substantially_all" ? "good"'
    ' : (question.characteristics_of_good == "some" ? "adequate"'
    ' : "requires_improvement")))'
)


def _build_expressions() -> Built:
    """Compile both expressions once; evaluate them on each document."""
    import zen

    overall = zen.compile_expression(OVERALL).evaluate
    question_grade = zen.compile_expression(QUESTION_GRADE).evaluate

    def evaluate(doc: dict[str, Any]) -> tuple[str, str]:
        return overall(doc), question_grade(doc)

    return evaluate, lambda result: result


# ---------------------------------------------------------------- decision graph


def _table(
    node_id: str, name: str, inputs: list[tuple[str, str]], output: str, rules: list[list[str]]
) -> dict[str, Any]:
    """A first-hit decision table: `inputs` are (column id, expression); each rule row
    lists one cell per input and then the output value."""
    return {
        "id": node_id,
        "type": "decisionTableNode",
        "name": name,
        "position": {"x": 400, "y": 100},
        "content": {
            "hitPolicy": "first",
            "inputs": [{"id": cid, "name": cid, "field": field} for cid, field in inputs],
            "outputs": [{"id": f"{node_id}_out", "name": output, "field": output}],
            "rules": [
                {
                    "_id": f"{node_id}_r{n}",
                    **dict(zip([cid for cid, _ in inputs], row[:-1], strict=True)),
                    f"{node_id}_out": row[-1],
                }
                for n, row in enumerate(rules)
            ],
        },
    }


def graph() -> dict[str, Any]:
    """The decision model, as the JDM JSON document."""
    overall = _table(
        "overall",
        "CQC overall rating",
        [
            ("n_i", f'count({_RATINGS}, # == "inadequate")'),
            ("n_ri", f'count({_RATINGS}, # == "requires_improvement")'),
            ("n_o", f'count({_RATINGS}, # == "outstanding")'),
            ("breach", "breach"),
        ],
        "overall",
        [
            [">= 2", "", "", "", '"inadequate"'],  # ASC-R6
            ["", ">= 2", "", "", '"requires_improvement"'],  # ASC-R5
            ["0", "", "", "true", '"requires_improvement"'],  # ASC-R1 (cap)
            ["0", "0", ">= 2", "", '"outstanding"'],  # ASC-R3
            ["0", "<= 1", "", "", '"good"'],  # ASC-R4
            ["", "", "", "", '"professional_judgement"'],
        ],
    )
    question = _table(
        "question",
        "PEEL question grade",
        [("concerns", "question.causes_of_concern"), ("characteristics", "question.characteristics_of_good")],
        "question_grade",
        [
            ["> 0", "", '"inadequate"'],
            ["", '"substantially_exceeded"', '"outstanding"'],
            ["", '"substantially_all"', '"good"'],
            ["", '"some"', '"adequate"'],
            ["", "", '"requires_improvement"'],
        ],
    )
    return {
        "contentType": "application/vnd.gorules.decision",
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 100, "y": 100}},
            overall,
            question,
            {"id": "response", "type": "outputNode", "name": "Response", "position": {"x": 700, "y": 100}},
        ],
        "edges": [
            {"id": "e1", "type": "edge", "sourceId": "request", "targetId": "overall"},
            {"id": "e2", "type": "edge", "sourceId": "request", "targetId": "question"},
            {"id": "e3", "type": "edge", "sourceId": "overall", "targetId": "response"},
            {"id": "e4", "type": "edge", "sourceId": "question", "targetId": "response"},
        ],
    }


def _build_graph() -> Built:
    """Load the graph once; evaluate it on each document."""
    import zen

    decision = zen.ZenEngine().create_decision(json.dumps(graph()))
    run = decision.evaluate

    def outcomes(response: Any) -> tuple[str, str]:
        result = response["result"]
        return result["overall"], result["question_grade"]

    return run, outcomes


IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {
    "zen-engine, compiled expressions": _build_expressions,
    "zen-engine, decision graph (two decision tables)": _build_graph,
}
