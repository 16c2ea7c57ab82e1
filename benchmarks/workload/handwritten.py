"""The workload written by hand in plain Python: the baseline every engine is compared with.

Two versions. `decide` returns what the rule engine records for each judgement (the
outcome, the reason with its values filled in, the citation, and the evidence values
read, keyed by JSON pointer, including those read by clauses tried before the one that
decided): it is the baseline of the ratio. `decide_outcomes`
returns only the two outcomes, as the peer engines do, and is reported beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def decide_outcomes(doc: dict[str, Any]) -> tuple[str, str]:
    """The two outcomes only."""
    kq = doc["key_questions"]
    ratings = (kq["safe"], kq["effective"], kq["caring"], kq["responsive"], kq["well_led"])
    n_i = ratings.count("inadequate")
    n_ri = ratings.count("requires_improvement")
    if n_i >= 2:
        overall = "inadequate"
    elif n_ri >= 2 or (doc["breach"] and n_i == 0):
        overall = "requires_improvement"
    elif n_i == 0 and n_ri == 0 and ratings.count("outstanding") >= 2:
        overall = "outstanding"
    elif n_i == 0 and n_ri <= 1:
        overall = "good"
    else:
        overall = "professional_judgement"
    question = doc["question"]
    if question["causes_of_concern"] > 0:
        grade = "inadequate"
    else:
        grade = _GRADE_BY_CHARACTERISTICS[question["characteristics_of_good"]]
    return overall, grade


_GRADE_BY_CHARACTERISTICS = {
    "substantially_exceeded": "outstanding",
    "substantially_all": "good",
    "some": "adequate",
    "few_or_none": "requires_improvement",
}

Decision = tuple[str, str, str, dict[str, Any]]
_ASC = "CQC adult social care aggregation, "
_PEEL = "HMICFRS, How we inspect PEEL: "


def decide(doc: dict[str, Any]) -> tuple[Decision, Decision]:
    """(outcome, reason, citation, evidence values read) for `overall` and `question_grade`."""
    kq = doc["key_questions"]
    safe, effective, caring, responsive, well_led = (
        kq["safe"],
        kq["effective"],
        kq["caring"],
        kq["responsive"],
        kq["well_led"],
    )
    ratings = (safe, effective, caring, responsive, well_led)
    rating_inputs = {
        "/key_questions/caring": caring,
        "/key_questions/effective": effective,
        "/key_questions/responsive": responsive,
        "/key_questions/safe": safe,
        "/key_questions/well_led": well_led,
    }
    n_i = ratings.count("inadequate")
    n_ri = ratings.count("requires_improvement")
    breach = doc["breach"]
    if n_i >= 2:
        overall = ("inadequate", f"{n_i} key questions are rated inadequate", _ASC + "ASC-R6", rating_inputs)
    elif n_ri >= 2:
        overall = (
            "requires_improvement",
            f"{n_ri} key questions are rated requires improvement",
            _ASC + "ASC-R5",
            rating_inputs,
        )
    elif breach and n_i == 0:
        overall = (
            "requires_improvement",
            "The ratings would give good or better, but a breach of regulations caps the overall rating at "
            "requires improvement",
            _ASC + "ASC-R1",
            {"/breach": breach, **rating_inputs},
        )
    # From here on the breach clause was tried too, so `breach` was read.
    elif n_i == 0 and n_ri == 0 and (n_o := ratings.count("outstanding")) >= 2:
        overall = (
            "outstanding",
            f"{n_o} key questions are rated outstanding and the rest good",
            _ASC + "ASC-R3",
            {"/breach": breach, **rating_inputs},
        )
    elif n_i == 0 and n_ri <= 1:
        overall = (
            "good",
            "No key question is rated inadequate and at most one requires improvement",
            _ASC + "ASC-R4",
            {"/breach": breach, **rating_inputs},
        )
    else:
        overall = (
            "professional_judgement",
            "One key question is rated inadequate and at most one requires improvement: no published principle decides",
            _ASC + "ASC-R1 to R6 (none applies)",
            {"/breach": breach, **rating_inputs},
        )
    question = doc["question"]
    concerns = question["causes_of_concern"]
    if concerns > 0:
        grade = (
            "inadequate",
            f"{concerns} causes of concern were raised",
            _PEEL + "inadequate",
            {"/question/causes_of_concern": concerns},
        )
    else:
        characteristics = question["characteristics_of_good"]
        outcome, reason = _PEEL_CLAUSES[characteristics]
        grade = (
            outcome,
            reason,
            _PEEL + outcome.replace("_", " "),
            {"/question/causes_of_concern": concerns, "/question/characteristics_of_good": characteristics},
        )
    return overall, grade


_PEEL_CLAUSES = {
    "substantially_exceeded": (
        "outstanding",
        "The force substantially exceeded the characteristics of good performance",
    ),
    "substantially_all": ("good", "The force demonstrated substantially all the characteristics of good performance"),
    "some": ("adequate", "The force demonstrated some of the characteristics of good performance"),
    "few_or_none": (
        "requires_improvement",
        "The force demonstrated few, if any, of the characteristics of good performance",
    ),
}


Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]

BASELINE = "hand-written Python: outcomes, reasons, inputs"

IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {
    BASELINE: lambda: (decide, lambda result: (result[0][0], result[1][0])),
    "hand-written Python: outcomes only": lambda: (decide_outcomes, lambda result: result),
}
