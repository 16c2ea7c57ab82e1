"""A design measurement, not an engine: the workload decided as one generated function would.

framework-dsl's `RuleSet.evaluate` runs three pieces per document: the generated
validator (which builds each record's converted fields into a dict), the generated
decisions (one function each, reading those dicts), and the plumbing around them. The
design proposed for issue 19's remaining targets fuses validation and decisions into one
function per framework, with every converted value in a local. This file is that
function written by hand from the code framework-dsl generates today for
`workload.fw` (the same checks, in the same order; the same reads, reasons, citations
and records), with the plumbing `RuleSet.evaluate` keeps. Its result is checked equal
to `RuleSet.evaluate`'s (`to_dict`, every document) before it is measured, so what
`benchmarks/instructions.py --only fused` counts is what the design would cost, before
anyone builds it.

It handles only what the workload's documents are: evidence the compiled validator
accepts, evaluated `as_of` a given date. Anything else is handed to `RuleSet.evaluate`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workload.engine import AS_OF, _outcomes

PACKAGE = "framework-dsl"
RULES = Path(__file__).resolve().parent
FUSED = "framework-dsl, validation and decisions fused by hand (design measurement)"

Built = tuple[Callable[[dict[str, Any]], Any], Callable[[Any], tuple[str, str]]]


def _build() -> Built:
    import framework_dsl
    from framework_dsl.engine.runtime import new_decision, set_decision_fields
    from framework_dsl.evidence import DEFAULT_LIMITS, free_form_depth
    from framework_dsl.result import Result, set_record_fields

    rules = framework_dsl.load_rules(RULES)
    framework = rules.frameworks["workload"]
    sets = {s.name: {m.name: m for m in s.members} for s in framework.symbol_sets}
    rating, grade, kinds = sets["rating"], sets["peel_grade"], sets["characteristics"]
    judgement = sets["professional_judgement"]["professional_judgement"]
    allowed = frozenset(("framework", "subject", "key_questions", "breach", "question"))
    within = frozenset.issuperset
    new_result = object.__new__
    name, title, digest = framework.name, framework.title, rules.digest
    start = framework.effective_from
    general = rules.evaluate
    subject_depth = DEFAULT_LIMITS.max_depth - 1  # as RuleSet.evaluate checks a subject
    # Each clause's `file:line` as the rule set names it (generated code has it as a constant).
    where = {clause.id: clause.location for made in framework.judgements for clause in made.clauses}

    def decided(outcome: Any, label: str, reason: str, cite: str, reads: dict[str, Any], clause: str) -> Any:
        made = new_decision()
        set_decision_fields(
            made, ("decided", None, outcome, label, reason, cite, where[clause], reads, (), None, (clause,), ())
        )
        return made

    def evaluate(doc: Any, as_of: datetime.date = AS_OF) -> Any:
        # RuleSet.evaluate's short path: the framework, the subject, the dates.
        if type(doc) is not dict or doc.get("framework") != name or not within(allowed, doc):
            return general(doc, as_of=as_of)
        subject = doc.get("subject")
        if subject is not None and not (type(subject) is dict and free_form_depth(subject, subject_depth)):
            return general(doc, as_of=as_of)
        try:
            # The validator, its converted values kept in locals.
            kq = doc["key_questions"]
            if type(kq) is not dict or len(kq) != 5:
                return general(doc, as_of=as_of)
            safe_raw, effective_raw, caring_raw = kq["safe"], kq["effective"], kq["caring"]
            responsive_raw, well_led_raw = kq["responsive"], kq["well_led"]
            safe, effective, caring = rating[safe_raw], rating[effective_raw], rating[caring_raw]
            responsive, well_led = rating[responsive_raw], rating[well_led_raw]
            breach = doc["breach"]
            if breach is not True and breach is not False:
                return general(doc, as_of=as_of)
            question = doc["question"]
            if type(question) is not dict or len(question) != 2:
                return general(doc, as_of=as_of)
            characteristics_raw = question["characteristics_of_good"]
            characteristics = kinds[characteristics_raw]
            concerns = question["causes_of_concern"]
            if type(concerns) is not int:
                return general(doc, as_of=as_of)
        except (KeyError, TypeError):
            return general(doc, as_of=as_of)
        if start is not None and as_of < start:
            return general(doc, as_of=as_of)
        # overall
        r = {
            "/key_questions/safe": safe_raw,
            "/key_questions/effective": effective_raw,
            "/key_questions/caring": caring_raw,
            "/key_questions/responsive": responsive_raw,
            "/key_questions/well_led": well_led_raw,
        }
        counts = [0, 0, 0, 0]
        counts[safe.rank] += 1
        counts[effective.rank] += 1
        counts[caring.rank] += 1
        counts[responsive.rank] += 1
        counts[well_led.rank] += 1
        inadequate, ri = counts[3], counts[2]
        if inadequate >= 2:
            overall = decided(
                rating["inadequate"],
                "Inadequate",
                f"{inadequate} key questions are rated inadequate",
                "CQC adult social care aggregation, ASC-R6",
                r,
                "workload:overall#1",
            )
        elif ri >= 2:
            overall = decided(
                rating["requires_improvement"],
                "Requires improvement",
                f"{ri} key questions are rated requires improvement",
                "CQC adult social care aggregation, ASC-R5",
                r,
                "workload:overall#2",
            )
        else:
            r["/breach"] = breach
            if breach and inadequate == 0:
                overall = decided(
                    rating["requires_improvement"],
                    "Requires improvement",
                    "The ratings would give good or better, but a breach of regulations caps the overall rating at "
                    "requires improvement",
                    "CQC adult social care aggregation, ASC-R1",
                    r,
                    "workload:overall#3",
                )
            elif inadequate == 0 and ri == 0 and counts[0] >= 2:
                overall = decided(
                    rating["outstanding"],
                    "Outstanding",
                    f"{counts[0]} key questions are rated outstanding and the rest good",
                    "CQC adult social care aggregation, ASC-R3",
                    r,
                    "workload:overall#4",
                )
            elif inadequate == 0 and ri <= 1:
                overall = decided(
                    rating["good"],
                    "Good",
                    "No key question is rated inadequate and at most one requires improvement",
                    "CQC adult social care aggregation, ASC-R4",
                    r,
                    "workload:overall#5",
                )
            else:
                overall = decided(
                    judgement,
                    "Professional judgement (no published principle decides)",
                    "One key question is rated inadequate and at most one requires improvement: no published "
                    "principle decides",
                    "CQC adult social care aggregation, ASC-R1 to R6 (none applies)",
                    r,
                    "workload:overall#6",
                )
        # question_grade
        q = {"/question/causes_of_concern": concerns}
        if concerns > 0:
            graded = decided(
                grade["inadequate"],
                "Inadequate",
                f"{concerns} causes of concern were raised",
                "HMICFRS, How we inspect PEEL: inadequate",
                q,
                "workload:question_grade#1",
            )
        else:
            q["/question/characteristics_of_good"] = characteristics_raw
            key = characteristics.name
            if key == "substantially_exceeded":
                graded = decided(
                    grade["outstanding"],
                    "Outstanding",
                    "The force substantially exceeded the characteristics of good performance",
                    "HMICFRS, How we inspect PEEL: outstanding",
                    q,
                    "workload:question_grade#2",
                )
            elif key == "substantially_all":
                graded = decided(
                    grade["good"],
                    "Good",
                    "The force demonstrated substantially all the characteristics of good performance",
                    "HMICFRS, How we inspect PEEL: good",
                    q,
                    "workload:question_grade#3",
                )
            elif key == "some":
                graded = decided(
                    grade["adequate"],
                    "Adequate",
                    "The force demonstrated some of the characteristics of good performance",
                    "HMICFRS, How we inspect PEEL: adequate",
                    q,
                    "workload:question_grade#4",
                )
            else:
                graded = decided(
                    grade["requires_improvement"],
                    "Requires improvement",
                    "The force demonstrated few, if any, of the characteristics of good performance",
                    "HMICFRS, How we inspect PEEL: requires improvement",
                    q,
                    "workload:question_grade#5",
                )
        result = new_result(Result)
        set_record_fields(
            result,
            (
                name,
                title,
                digest,
                None,
                subject,
                as_of,
                "argument",
                "evaluated",
                {"overall": overall, "question_grade": graded},
                {},
                (),
                None,
            ),
        )
        return result

    # Checked against RuleSet.evaluate before anything is measured (and on every document by
    # benchmarks/instructions.py's own check of the outcomes).
    from workload import generate

    for document in generate.documents(2000):
        if evaluate(document).to_dict() != general(document, as_of=AS_OF).to_dict():
            raise AssertionError(f"the fused sketch differs from RuleSet.evaluate on {document}")
    return evaluate, _outcomes


IMPLEMENTATIONS: dict[str, Callable[[], Built]] = {FUSED: _build}
