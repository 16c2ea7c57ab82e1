"""cedarpy (AWS Cedar, Rust): the workload as Cedar authorization policies.

Cedar answers one question, "is this action allowed?", and has no notion of a value
chosen by ordered rules. So each possible outcome is an action (`Action::"overall:good"`)
and each document is one batch of requests, one per outcome of each judgement, with
the document as the request context. A `permit` states an outcome's own condition, and
a `forbid` (which always beats a permit) rules it out when an earlier clause applies,
so exactly one outcome of each judgement is allowed: first-match written as policy.
Counts are sums of `if ... then 1 else 0`. The policy set is parsed once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

PACKAGE = "cedarpy"

_KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")


def _count(grade: str) -> str:
    terms = [f'(if context.key_questions.{kq} == "{grade}" then 1 else 0)' for kq in _KEY_QUESTIONS]
    return "(" + " + ".join(terms) + ")"


_N_I, _N_RI, _N_O = _count("inadequate"), _count("requires_improvement"), _count("outstanding")
_CHAR = "context.question.characteristics_of_good"

# (judgement, outcome, condition) in clause order; a final clause with condition None is `otherwise`.
CLAUSES: list[tuple[str, str, str | None]] = [
    ("overall", "inadequate", f"{_N_I} >= 2"),
    ("overall", "requires_improvement", f"{_N_RI} >= 2"),
    ("overall", "requires_improvement", f"context.breach && {_N_I} == 0"),
    ("overall", "outstanding", f"{_N_I} == 0 && {_N_RI} == 0 && {_N_O} >= 2"),
    ("overall", "good", f"{_N_I} == 0 && {_N_RI} <= 1"),
    ("overall", "professional_judgement", None),
    ("question_grade", "inadequate", "context.question.causes_of_concern > 0"),
    ("question_grade", "outstanding", f'{_CHAR} == "substantially_exceeded"'),
    ("question_grade", "good", f'{_CHAR} == "substantially_all"'),
    ("question_grade", "adequate", f'{_CHAR} == "some"'),
    ("question_grade", "requires_improvement", None),
]


def policies() -> str:
    """The Cedar policy text: a permit and a forbid per outcome."""
    text = []
    outcomes: dict[tuple[str, str], list[str | None]] = {}
    for judgement, outcome, condition in CLAUSES:
        outcomes.setdefault((judgement, outcome), []).append(condition)
    for (judgement, outcome), conditions in outcomes.items():
        action = f'action == Action::"{judgement}:{outcome}"'
        if None in conditions:
            text.append(f"permit(principal, {action}, resource);")
        else:
            text.append(f"permit(principal, {action}, resource) when {{ ({') || ('.join(map(str, conditions))}) }};")
        # earlier clauses of the same judgement that give another outcome
        first = next(i for i, c in enumerate(CLAUSES) if c[:2] == (judgement, outcome))
        earlier = [c for j, o, c in CLAUSES[:first] if j == judgement and o != outcome]
        if earlier:
            text.append(f"forbid(principal, {action}, resource) when {{ ({') || ('.join(map(str, earlier))}) }};")
    return "\n".join(text)


def _build() -> tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]:
    """Parse the policies once; ask one batch of requests per document."""
    import cedarpy

    policy_set = cedarpy.PolicySet.from_str(policies())
    entities = cedarpy.Entities.from_json_str("[]")
    candidates = list(dict.fromkeys((j, o) for j, o, _ in CLAUSES))
    actions = [f'Action::"{j}:{o}"' for j, o in candidates]
    authorize = cedarpy.is_authorized_batch

    def evaluate(doc: dict[str, Any]) -> tuple[str, str]:
        context = json.dumps(doc)
        requests = [
            {
                "principal": 'Inspector::"benchmark"',
                "action": action,
                "resource": 'Evidence::"document"',
                "context": context,
            }
            for action in actions
        ]
        results = authorize(requests, policy_set, entities)
        allowed = [candidate for candidate, result in zip(candidates, results, strict=True) if result.allowed]
        by_judgement = dict(allowed)
        if len(by_judgement) != 2 or len(allowed) != 2:
            raise AssertionError(f"expected one allowed outcome per judgement, got {allowed}")
        return by_judgement["overall"], by_judgement["question_grade"]

    return evaluate, lambda result: result


IMPLEMENTATIONS = {"cedarpy, one authorization batch per document": _build}
