"""Time the reference evaluator against the compiled path, and both against hand-written Python.

    /work/venv/bin/python benchmarks/compare_evaluators.py [-n 20000] [--repeat 3] [--seed 1]

For each bundled framework measured (cqc if present, and clas) it generates N valid
evidence documents from the framework's evidence schema (optional fields and map keys
randomly absent), then prints the time per evaluation of every judgement and check:

- `reference`: `Evaluation(framework, root, as_of).decide(j)` for each decision;
- `compiled`: `compile_framework(framework).evaluate(root, as_of)`;

and the ratio reference / compiled. It then times two workloads against hand-written
Python that returns the same `Decision` objects (outcome, label, reason, citation,
rule and inputs; the script checks they are equal on every document):

- `clas`: the whole framework, on the same documents;
- `cqc aggregation`: the five key-question judgements (enforcement limits) and
  `overall`, on documents with every key question rated (the hand-written code
  handles complete documents only), timed on a framework holding just those six.

Last, the shared workload of `benchmarks/run.py` (`benchmarks/workload/`): its
hand-written `decide` (raw JSON in, tuples out) against the evaluation step alone
and against `RuleSet.evaluate` end to end, on the compiled and the reference path.

Validation is outside the first two tables' timings: those variants start from a
validated root.
Rule wording is read from the checked rules, so the hand-written code follows edits
to reasons; if a reason's shape (its interpolations) changes, the script says the
hand-written baseline is stale and skips it.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import random
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs

from framework_dsl import ir, load_rules
from framework_dsl.engine.codegen import compile_framework
from framework_dsl.engine.reference import Evaluation
from framework_dsl.evidence import RecordValue, validate
from framework_dsl.result import Decision
from framework_dsl.ruleset import evidence_date
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    Choice,
    ListOf,
    MapOf,
    RecordType,
    SetOf,
    Type,
)

Outcomes = dict[str, Decision | tuple[Decision, ...]]

# ---------------------------------------------------------------- documents


def rule_texts(framework: ir.Framework) -> list[str]:
    """Text constants in the rules, so generated text fields sometimes match them."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, tuple):
            for item in value:
                walk(item)
        elif attrs.has(type(value)) and type(value).__module__ == ir.__name__:
            if isinstance(value, ir.Const):
                for v in value.value if isinstance(value.value, tuple) else (value.value,):
                    if isinstance(v, str):
                        found.add(v)
            for field in attrs.fields(type(value)):
                if field.name not in ("span", "type"):
                    walk(getattr(value, field.name))

    walk((*framework.judgements, *framework.checks, *framework.definitions.values()))
    return sorted(found)


def generate(t: Type, rng: random.Random, texts: list[str], absent: float = 0.15) -> Any:
    """Random valid evidence data for type `t`."""
    if isinstance(t, RecordType):
        data: dict[str, Any] = {}
        for name, info in t.fields.items():
            if name == "framework" and t.open_fields:
                continue
            if info.optional and rng.random() < absent:
                continue
            data[name] = generate(info.type, rng, texts, absent)
        return data
    if isinstance(t, MapOf):
        return {m.name: generate(t.value, rng, texts, absent) for m in t.key.members if rng.random() >= absent}
    if isinstance(t, SetOf):
        if isinstance(t.element, Choice) and t.element.base is None:
            names = [m.name for m in t.element.members]
            return rng.sample(names, rng.randint(0, len(names)))
        items = [generate(t.element, rng, texts, absent) for _ in range(rng.randint(0, 3))]
        if isinstance(t.element, RecordType | MapOf):
            return items
        unique = []
        for item in items:
            if item not in unique:
                unique.append(item)
        return unique
    if isinstance(t, ListOf):
        return [generate(t.element, rng, texts, absent) for _ in range(rng.randint(0, 4))]
    if isinstance(t, Choice):
        if t.base is not None and rng.random() < 0.3:
            return generate(t.base, rng, texts, absent)
        return rng.choice(t.members).name
    if t == TEXT:
        return rng.choice(texts) if texts and rng.random() < 0.7 else rng.choice(["x", "12(1)", "abc"])
    if t == INTEGER:
        return rng.randint(0, 6)
    if t == DECIMAL:
        return rng.randint(0, 100)
    if t == BOOLEAN:
        return rng.random() < 0.5
    if t == DATE:
        return (datetime.date(2012, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 14))).isoformat()
    return None


def documents(
    framework: ir.Framework, count: int, seed: int, shape: Callable[[dict[str, Any], random.Random], None] | None = None
) -> list[tuple[RecordValue, datetime.date]]:
    """`count` validated roots with their evaluation dates (the evidence's own date, as the API uses)."""
    rng = random.Random(seed)
    texts = rule_texts(framework)
    found: list[tuple[RecordValue, datetime.date]] = []
    attempts = 0
    while len(found) < count:
        attempts += 1
        if attempts > count * 20:
            raise SystemExit(f"could not generate valid {framework.name} evidence")
        data = generate(framework.evidence, rng, texts)
        data["framework"] = framework.name
        if shape is not None:
            shape(data, rng)
        root, _ = validate(data, framework.evidence, "<generated>")
        if root is None:
            continue
        as_of = evidence_date(root, framework.dated_by) or datetime.date(2024, 1, 1)
        found.append((root, as_of))
    return found


# ---------------------------------------------------------------- the evaluators


def reference(framework: ir.Framework) -> Callable[[RecordValue, datetime.date], tuple[Outcomes, Outcomes]]:
    def run(root: RecordValue, as_of: datetime.date) -> tuple[Outcomes, Outcomes]:
        judgements, checks = Evaluation(framework, root, as_of).decide_all()
        return judgements, checks

    return run


def compiled(framework: ir.Framework) -> Callable[[RecordValue, datetime.date], tuple[Outcomes, Outcomes]]:
    return compile_framework(framework).evaluate


def per_evaluation_us(
    run: Callable[[RecordValue, datetime.date], Any], docs: list[tuple[RecordValue, datetime.date]], repeat: int
) -> float:
    """The best of `repeat` passes over the documents, in microseconds per document."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for root, as_of in docs:
            run(root, as_of)
        best = min(best, time.perf_counter() - start)
    return best / len(docs) * 1e6


# ---------------------------------------------------------------- hand-written Python


class Stale(Exception):
    """The rules changed shape; the hand-written baseline no longer matches them."""


def _parts(clause: ir.Clause, expressions: int) -> list[str]:
    """A reason's literal pieces around its `expressions` interpolations: [s0, s1, ..., sN]."""
    pieces: list[str] = [""]
    seen = 0
    for part in clause.reason:
        if isinstance(part, str):
            pieces[-1] += part
        else:
            seen += 1
            pieces.append("")
    if seen != expressions:
        raise Stale(f"{clause.location}: {seen} interpolations, expected {expressions}")
    return pieces


def _show(values: list[Any] | tuple[Any, ...]) -> str:
    return ", ".join(v.display for v in values) if values else "none"


def _sorted_inputs(reads: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(reads.items()))


def handwritten_clas(framework: ir.Framework) -> Callable[[RecordValue, datetime.date], tuple[Outcomes, Outcomes]]:
    """The CLAS framework written by hand: same decisions, same reasons, same inputs."""

    def decision(name: str) -> ir.Judgement:
        found = framework.decision(name)
        if found is None:
            raise Stale(f"no decision {name}")
        return found

    coverage, missing, rating, next_step = (
        decision(n) for n in ("coverage", "missing_services", "rating", "next_step")
    )
    required_def = next(d for d in framework.definitions.values() if d.name == "required_services")
    assert isinstance(required_def.value, ir.Const)
    required = required_def.value.value
    n_required = str(len(required))
    complete = coverage.clauses[0].outcome.value  # type: ignore[union-attr]
    incomplete = coverage.clauses[1].outcome.value  # type: ignore[union-attr]
    not_rated = rating.clauses[0].outcome.value  # type: ignore[union-attr]
    plan = next_step.clauses[0].outcome.value  # type: ignore[union-attr]
    none = next_step.clauses[1].outcome.value  # type: ignore[union-attr]
    c0, c1 = coverage.clauses
    cov0 = _parts(c0, 1)
    cov1 = _parts(c1, 3)
    (m0,) = missing.clauses
    mis = _parts(m0, 1)
    (r0,) = rating.clauses
    rat = _parts(r0, 0)
    n0, n1 = next_step.clauses
    nxt0 = _parts(n0, 1)
    nxt1 = _parts(n1, 0)
    rating_decision = Decision(
        status="decided",
        value=not_rated,
        label=not_rated.display,
        reason=rat[0],
        cite=r0.citation,
        rule=r0.location,
        inputs=(),
        clause_ids=(r0.id,),
    )

    def run(root: RecordValue, as_of: datetime.date) -> tuple[Outcomes, Outcomes]:
        fields = root.fields
        raw_reviewed = root.raw["services_reviewed"]
        reviewed = set(raw_reviewed)  # the members' names, as the evidence gives them
        not_reviewed = tuple(s for s in required if s.name not in reviewed)
        reads = (("/services_reviewed", raw_reviewed),)
        if not not_reviewed:
            cov = Decision(
                status="decided",
                value=complete,
                label=complete.display,
                reason=cov0[0] + n_required + cov0[1],
                cite=c0.citation,
                rule=c0.location,
                inputs=reads,
                clause_ids=(c0.id,),
            )
        else:
            shown = _show(not_reviewed)
            cov = Decision(
                status="decided",
                value=incomplete,
                label=incomplete.display,
                reason=cov1[0] + str(len(not_reviewed)) + cov1[1] + n_required + cov1[2] + shown + cov1[3],
                cite=c1.citation,
                rule=c1.location,
                inputs=reads,
                clause_ids=(c1.id,),
            )
        miss = Decision(
            status="decided",
            value=not_reviewed,
            label=[s.display for s in not_reviewed] or None,
            reason=mis[0] + _show(not_reviewed) + mis[1],
            cite=m0.citation,
            rule=m0.location,
            inputs=reads,
            clause_ids=(m0.id,),
        )
        review = fields["review"]
        recommendations = review.fields["recommendations"]
        step_reads = (("/review/recommendations", review.raw["recommendations"]),)
        if recommendations > 0:
            step = Decision(
                status="decided",
                value=plan,
                label=plan.display,
                reason=nxt0[0] + str(recommendations) + nxt0[1],
                cite=n0.citation,
                rule=n0.location,
                inputs=step_reads,
                clause_ids=(n0.id,),
            )
        else:
            step = Decision(
                status="decided",
                value=none,
                label=none.display,
                reason=nxt1[0],
                cite=n1.citation,
                rule=n1.location,
                inputs=step_reads,
                clause_ids=(n1.id,),
            )
        judgements = {"coverage": cov, "missing_services": miss, "rating": rating_decision, "next_step": step}
        return judgements, {}

    return run


KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well_led")


def cqc_subset(framework: ir.Framework) -> ir.Framework:
    """The cqc framework holding only the five key-question judgements and `overall`."""
    names = (*KEY_QUESTIONS, "overall")
    judgements = tuple(j for j in framework.judgements if j.name in names)
    if len(judgements) != len(names):
        raise Stale("the cqc framework lacks a key-question judgement or overall")
    return attrs.evolve(framework, judgements=judgements, checks=())


def handwritten_cqc_aggregation(
    framework: ir.Framework,
) -> Callable[[RecordValue, datetime.date], tuple[Outcomes, Outcomes]]:
    """The enforcement limits and the adult social care aggregation, written by hand.

    Only for documents where every key question is present (the rules make a missing
    one undetermined; this code does not handle that case).
    """
    evidence = framework.evidence
    key_type = evidence.fields["key_questions"].type
    assert isinstance(key_type, MapOf)
    kq_symbols = {m.name: m for m in key_type.key.members}
    rating_type = key_type.value.fields["rating"].type  # type: ignore[union-attr]
    ratings = {m.name: m for m in rating_type.members}
    not_rated, inadequate, ri = ratings["not_rated"], ratings["inadequate"], ratings["requires_improvement"]
    outstanding, good = ratings["outstanding"], ratings["good"]
    breach_type = evidence.fields["breaches"].type.element  # type: ignore[union-attr]
    enforcement = {m.name: m for m in breach_type.fields["enforcement"].type.members}
    severe = (enforcement["warning_notice"], enforcement["condition"])
    notice = enforcement["requirement_notice"]
    asc = evidence.fields["sector"].type.member("adult_social_care")  # type: ignore[union-attr]

    kq_clauses = {}
    for name in KEY_QUESTIONS:
        j = framework.decision(name)
        assert j is not None
        c0, c1, c2, c3 = j.clauses
        kq_clauses[name] = (c0, c1, c2, c3, _parts(c0, 0), _parts(c1, 2), _parts(c2, 2), _parts(c3, 1))
    overall = framework.decision("overall")
    assert overall is not None
    oc = overall.clauses
    if len(oc) != 10:
        raise Stale("overall has a different number of clauses")
    o_outcomes = [c.outcome.value for c in oc]  # type: ignore[union-attr]
    o_parts = [_parts(c, n) for c, n in zip(oc, (1, 0, 3, 2, 2, 1, 2, 1, 2, 1), strict=True)]

    def key_question(root: RecordValue, name: str) -> Decision:
        c0, c1, c2, c3, p0, p1, p2, p3 = kq_clauses[name]
        kq = kq_symbols[name]
        record = root.fields["key_questions"].entries[name]
        pointer = f"/key_questions/{name}/rating"
        rating = record.fields["rating"]
        reads = {pointer: record.raw["rating"]}
        if rating is not_rated:
            return Decision(
                status="decided",
                value=not_rated,
                label=not_rated.display,
                reason=p0[0],
                cite=c0.citation,
                rule=c0.location,
                inputs=_sorted_inputs(reads),
                clause_ids=(c0.id,),
            )
        breaches = root.fields["breaches"]
        for wanted, clause, parts in ((severe, c1, p1), ((notice,), c2, p2)):
            fired = False
            for b in breaches:
                k = b.fields["key_question"]
                reads[b.pointer + "/key_question"] = b.raw["key_question"]
                if k is kq:
                    e = b.fields["enforcement"]
                    reads[b.pointer + "/enforcement"] = b.raw["enforcement"]
                    if e in wanted:
                        fired = True
                        break
            if fired:
                regulations = []
                for b in breaches:
                    reads[b.pointer + "/key_question"] = b.raw["key_question"]
                    if b.fields["key_question"] is kq:
                        reads[b.pointer + "/enforcement"] = b.raw["enforcement"]
                        if b.fields["enforcement"] in wanted:
                            reads[b.pointer + "/regulation"] = b.raw["regulation"]
                            regulations.append(b.fields["regulation"])
                # clause 1 makes it inadequate; clause 2 caps it at requires improvement
                outcome = inadequate if clause is c1 else (rating if rating.rank >= ri.rank else ri)
                reason = parts[0] + rating.display + parts[1] + _show(regulations) + parts[2]
                return Decision(
                    status="decided",
                    value=outcome,
                    label=outcome.display,
                    reason=reason,
                    cite=clause.citation,
                    rule=clause.location,
                    inputs=_sorted_inputs(reads),
                    clause_ids=(clause.id,),
                )
        reason = p3[0] + rating.display + p3[1]
        return Decision(
            status="decided",
            value=rating,
            label=rating.display,
            reason=reason,
            cite=c3.citation,
            rule=c3.location,
            inputs=_sorted_inputs(reads),
            clause_ids=(c3.id,),
        )

    def run(root: RecordValue, as_of: datetime.date) -> tuple[Outcomes, Outcomes]:
        judgements: Outcomes = {name: key_question(root, name) for name in KEY_QUESTIONS}
        reads: dict[str, Any] = {"/sector": root.raw["sector"]}
        sector = root.fields["sector"]

        def decided(index: int, reason: str) -> Decision:
            outcome = o_outcomes[index]
            clause = oc[index]
            return Decision(
                status="decided",
                value=outcome,
                label=outcome.display,
                reason=reason,
                cite=clause.citation,
                rule=clause.location,
                inputs=_sorted_inputs(reads),
                clause_ids=(clause.id,),
            )

        if sector is not asc:
            judgements["overall"] = decided(0, o_parts[0][0] + sector.display + o_parts[0][1])
            return judgements, {}
        limited = []
        for name in KEY_QUESTIONS:
            d = judgements[name]
            assert isinstance(d, Decision)
            reads.update(d.inputs)
            limited.append(d.value)
        n_o = sum(1 for r in limited if r is outstanding)
        n_g = sum(1 for r in limited if r is good)
        n_ri = sum(1 for r in limited if r is ri)
        n_i = sum(1 for r in limited if r is inadequate)
        inadequate_qs = [kq_symbols[n] for n, r in zip(KEY_QUESTIONS, limited, strict=True) if r is inadequate]
        ri_qs = [kq_symbols[n] for n, r in zip(KEY_QUESTIONS, limited, strict=True) if r is ri]
        breaches = root.fields["breaches"]

        def regulations() -> str:
            for b in breaches:
                reads[b.pointer + "/regulation"] = b.raw["regulation"]
            return _show([b.fields["regulation"] for b in breaches])

        p = o_parts
        if n_o + n_g + n_ri + n_i == 0:
            result = decided(1, p[1][0])
        elif n_i >= 2 and n_ri >= 2:
            result = decided(2, p[2][0] + str(n_i) + p[2][1] + _show(inadequate_qs) + p[2][2] + str(n_ri) + p[2][3])
        elif n_i >= 2:
            result = decided(3, p[3][0] + str(n_i) + p[3][1] + _show(inadequate_qs) + p[3][2])
        elif n_ri >= 2:
            result = decided(4, p[4][0] + str(n_ri) + p[4][1] + _show(ri_qs) + p[4][2])
        elif n_i == 0 and breaches:
            result = decided(5, p[5][0] + regulations() + p[5][1])
        elif n_i == 0 and n_ri == 0 and n_o >= 2 and n_o + n_g == 5:
            result = decided(6, p[6][0] + str(n_o) + p[6][1] + str(n_g) + p[6][2])
        elif n_i == 0:
            result = decided(7, p[7][0] + str(n_ri) + p[7][1])
        elif breaches:
            shown = _show(inadequate_qs)
            result = decided(8, p[8][0] + shown + p[8][1] + regulations() + p[8][2])
        else:
            result = decided(9, p[9][0] + _show(inadequate_qs) + p[9][1])
        judgements["overall"] = result
        return judgements, {}

    return run


def complete_key_questions(data: dict[str, Any], rng: random.Random) -> None:
    """Shape a generated cqc document for the aggregation workload: every key question rated."""
    grades = ["outstanding", "good", "good", "good", "requires_improvement", "inadequate", "not_rated"]
    data["key_questions"] = {name: {"rating": rng.choice(grades)} for name in KEY_QUESTIONS}
    if rng.random() < 0.8:
        data["sector"] = "adult_social_care"


# ---------------------------------------------------------------- main


def agree(
    a: Callable[[RecordValue, datetime.date], Any],
    b: Callable[[RecordValue, datetime.date], Any],
    docs: list[tuple[RecordValue, datetime.date]],
) -> int:
    """How many documents the two evaluators disagree on."""
    return sum(1 for root, as_of in docs if a(root, as_of) != b(root, as_of))


# ---------------------------------------------------------------- the shared workload


def shared_workload(count: int, repeat: int) -> None:
    """The workload of `benchmarks/run.py` (workload.fw, its documents, its hand-written `decide`).

    Prints, per document: the hand-written baseline; the evaluation step alone
    (reference and compiled, from a validated root); evidence validation alone; and
    `RuleSet.evaluate` end to end, as wired (the compiled path when not explaining) and
    and with `engine="reference"`.
    """
    from pathlib import Path

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    try:
        from workload import generate as workload_generate
        from workload import handwritten
    except ImportError as error:
        print(f"shared workload not found ({error})")
        return
    rules = load_rules(here / "workload")
    framework = rules.frameworks["workload"]
    as_of = datetime.date(2019, 3, 1)
    raw = workload_generate.documents(count)
    roots = []
    for data in raw:
        root, _ = validate(data, framework.evidence, "<workload>")
        assert root is not None
        roots.append((root, as_of))
    compiled_framework = compile_framework(framework)
    run_reference = reference(framework)

    def timed(run: Callable[[Any], Any], items: list[Any]) -> float:
        best = float("inf")
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            for item in items:
                run(item)
            best = min(best, time.perf_counter() - start)
        return best / len(items) * 1e6

    evaluate = rules.evaluate
    hand_us = timed(handwritten.decide, raw)
    ref_us = timed(lambda pair: run_reference(*pair), roots)
    comp_us = timed(lambda pair: compiled_framework.evaluate(*pair), roots)
    validate_us = timed(lambda data: validate(data, framework.evidence, "<workload>"), raw)
    api_us = timed(lambda data: evaluate(data, as_of=as_of), raw)
    as_wired = [evaluate(data, as_of=as_of).to_dict() for data in raw]
    api_ref_us = timed(lambda data: evaluate(data, as_of=as_of, engine="reference"), raw)
    same = as_wired == [evaluate(data, as_of=as_of, engine="reference").to_dict() for data in raw]
    print(f"shared workload (benchmarks/workload/workload.fw, {count} documents; hand-written `decide` = 1.00)")
    rows = [
        ("hand-written decide()", hand_us),
        ("evaluation only: reference", ref_us),
        ("evaluation only: compiled", comp_us),
        ("validate() alone", validate_us),
        ("RuleSet.evaluate (compiled)", api_us),
        ('RuleSet.evaluate (engine="reference")', api_ref_us),
    ]
    for label, us in rows:
        print(f"  {label:<38}{us:>9.1f} µs{us / hand_us:>9.2f}×")
    print(f"  results of the two engines equal: {same}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--documents", type=int, default=20000, help="generated documents per framework")
    parser.add_argument("--repeat", type=int, default=3, help="passes per measurement; the best is kept")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rules = load_rules()
    print(f"Python {sys.version.split()[0]}, {args.documents} documents per workload, best of {args.repeat}")
    print()
    print(f"{'workload':<28}{'reference µs':>14}{'compiled µs':>13}{'ratio':>8}{'disagree':>10}")
    names = [n for n in ("cqc", "clas") if n in rules.frameworks]
    for name in names:
        framework = rules.frameworks[name]
        docs = documents(framework, args.documents, args.seed)
        ref, comp = reference(framework), compiled(framework)
        mismatches = agree(ref, comp, docs)
        ref_us = per_evaluation_us(ref, docs, args.repeat)
        comp_us = per_evaluation_us(comp, docs, args.repeat)
        print(f"{name + ' (all decisions)':<28}{ref_us:>14.1f}{comp_us:>13.1f}{ref_us / comp_us:>8.2f}{mismatches:>10}")
    print()
    print(
        f"{'workload':<28}{'hand µs':>9}{'compiled µs':>13}{'reference µs':>14}{'compiled/hand':>15}{'ref/hand':>10}"
        f"{'disagree':>10}"
    )
    workloads: list[tuple[str, Callable[[], tuple[ir.Framework, Any, list[tuple[RecordValue, datetime.date]]]]]] = []
    if "cqc" in rules.frameworks:

        def cqc_workload() -> tuple[ir.Framework, Any, list[tuple[RecordValue, datetime.date]]]:
            full = rules.frameworks["cqc"]
            subset = cqc_subset(full)
            docs = documents(full, args.documents, args.seed, complete_key_questions)
            return subset, handwritten_cqc_aggregation(subset), docs

        workloads.append(("cqc aggregation", cqc_workload))
    if "clas" in rules.frameworks:

        def clas_workload() -> tuple[ir.Framework, Any, list[tuple[RecordValue, datetime.date]]]:
            framework = rules.frameworks["clas"]
            return framework, handwritten_clas(framework), documents(framework, args.documents, args.seed)

        workloads.append(("clas (all decisions)", clas_workload))
    for label, build in workloads:
        try:
            framework, hand, docs = build()
        except Stale as stale:
            print(f"{label:<28}hand-written baseline is stale: {stale}")
            continue
        ref, comp = reference(framework), compiled(framework)
        mismatches = agree(hand, comp, docs) + agree(ref, comp, docs)
        hand_us = per_evaluation_us(hand, docs, args.repeat)
        comp_us = per_evaluation_us(comp, docs, args.repeat)
        ref_us = per_evaluation_us(ref, docs, args.repeat)
        print(
            f"{label:<28}{hand_us:>9.1f}{comp_us:>13.1f}{ref_us:>14.1f}{comp_us / hand_us:>15.2f}"
            f"{ref_us / hand_us:>10.2f}{mismatches:>10}"
        )
    print()
    shared_workload(args.documents, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
