"""Checking: each property's and each decision's job over its space, the documents evaluated by the compiled engine."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.evidence import DEFAULT_LIMITS
from framework_dsl.result import Decision
from framework_dsl.ruleset import RuleSet, evidence_date
from framework_dsl.semantics.operators import Op
from framework_dsl.typesystem import BOOLEAN, CHECK_OUTCOME, CHECK_OUTCOME_SET, Choice, Symbol
from framework_dsl.verify.constants import constants_of
from framework_dsl.verify.limits import SEARCH_DOCUMENTS, SEARCH_SPACE, SMALL_SPACE, SPARSE_DOCUMENTS
from framework_dsl.verify.patches import input_pattern, moved_up, reverse
from framework_dsl.verify.reads import Path, Reads
from framework_dsl.verify.results import PropertyResult, Reachability, count_text
from framework_dsl.verify.space import Space, document_key

_PREFIX = "verify__"  # the name of the check an invariant becomes


@attrs.define
class Job:
    """One property or one decision's reachability, over its space."""

    kind: str  # "invariant" | "monotonic" | "reach"
    target: Any  # the property, or the decision
    space: Space
    used: set[str]
    check: ir.Judgement | None = None
    # what was found
    decided: int = 0
    undecided: int = 0
    failure: dict[str, Any] | None = None
    grades: dict[int, Symbol | None] = attrs.field(factory=dict)
    produced: set[str] = attrs.field(factory=set)
    reached: set[str] = attrs.field(factory=set)
    # Over a cut framework: documents that break the invariant (up to `keep`), and the
    # first document that gives each outcome or reaches each clause, to rebuild and confirm.
    keep: int = 0
    failures: list[dict[str, Any]] = attrs.field(factory=list)
    examples: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def see(self, document: dict[str, Any], decisions: dict[str, Any] | None, key: int) -> None:
        """Take in one evaluated document (None: not evaluated).

        `key` is `document_key(document)` when some job needs it.
        """
        if self.kind == "invariant":
            assert self.check is not None
            made = None if decisions is None else decisions[self.check.name]
            items = made if isinstance(made, tuple) else (made,)
            if any(item is not None and item.status == "decided" and item.value.name == "failed" for item in items):
                failed = True
            elif made is None or any(item.status != "decided" for item in items):
                self.undecided += 1
                return
            else:
                failed = False
            self.decided += 1
            if failed and len(self.failures) < self.keep:
                self.failures.append(document)
            if self.failure is None and failed and decisions is not None:
                names = [key.split(":", 1)[1] for key in sorted(self.used)]
                self.failure = {
                    "evidence": document,
                    "outcomes": {name: _show(decisions[name]) for name in names if name in decisions},
                }
        elif self.kind == "monotonic":
            made = None if decisions is None else decisions[self.target.judgement_name]
            self.grades[key] = made.value if made is not None and graded(made) else None
        elif decisions is not None:
            made = decisions[self.target.name]
            for one in made if isinstance(made, tuple) else (made,):
                if one.status == "decided":
                    for value in one.value if self.target.collect else (one.value,):
                        if isinstance(value, Symbol):
                            self.produced.add(value.name)
                            if self.keep:
                                self.examples.setdefault("outcome:" + value.name, document)
                    self.reached.update(one.clause_ids or ())
                    if self.keep:
                        for clause in one.clause_ids or ():
                            self.examples.setdefault("clause:" + clause, document)


class Checker:
    """Checks a framework's jobs over the spaces it enumerates (or, for reachability, searches)."""

    def __init__(
        self,
        rule_set: RuleSet,
        framework: ir.Framework,
        max_items: int,
        max_documents: int,
        overrides: dict[Path, tuple[Any, ...]] | None = None,
    ) -> None:
        self.rule_set = rule_set
        self.overrides = overrides or {}
        self._rules_memo: dict[tuple[frozenset[str], tuple[str, ...]], RuleSet] = {}
        self.framework = framework
        self.max_items = max_items
        self.max_documents = max_documents
        self.reads = Reads(framework)
        self.evaluations = 0
        # The evaluation date of a framework not dated by its evidence (never the clock).
        self.as_of = None if framework.dated_by else (framework.effective_from or datetime.date(2000, 1, 1))
        extra: list[Any] = []
        for prop in framework.properties:
            if isinstance(prop, ir.Invariant):
                extra.extend([prop.condition, prop.guard])
        for decision in (*framework.judgements, *framework.checks):
            self.reads.of_decision(decision.key)
        self.reads.of_exprs([e for e in extra if e is not None])
        used_definitions = [d for key, d in framework.definitions.items() if self.reads.walked(key)]
        self.constants = constants_of([*framework.judgements, *framework.checks, *used_definitions, *extra])

    def enumerate_jobs(self, jobs: list[Job]) -> None:
        """Evaluate every document of the jobs' spaces, each space once, and let each job see its documents."""
        groups: dict[Any, list[Job]] = {}
        for job in jobs:
            groups.setdefault(job.space.signature(), []).append(job)
        # A space whose varied fields and dates all lie in a larger one's is checked on the
        # larger one: every one of its documents is among the larger's (a field it does not
        # vary keeps a value the larger also gives it), so one enumeration serves both.
        for small in sorted(groups, key=lambda sig: len(sig[0])):
            for large in sorted(groups, key=lambda sig: -len(sig[0])):
                if large != small and large in groups and small in groups and _within(small, large):
                    for job in groups[small]:
                        job.space = groups[large][0].space
                    groups[large].extend(groups.pop(small))
                    break
        for group in groups.values():
            used = set().union(*(job.used for job in group))
            checks = tuple(job.check for job in group if job.check is not None)
            rules = self.reduced(used, checks)
            keyed = any(job.kind == "monotonic" for job in group)
            for document in group[0].space.documents():
                decisions = self.evaluate(rules, document)
                key = document_key(document) if keyed else 0
                for job in group:
                    job.see(document, decisions, key)

    # -- the parts of a space

    def space(self, reads: set[Path], used: set[str]) -> Space:
        """The documents for these reads: lists of `max_items` items, or more (up to 3) while that stays small."""
        decisions = [self.reads.decisions[k] for k in sorted(used)]
        dated = self._dated_values(decisions)
        best = Space(self.framework, reads, self.constants, dated, self.max_items, self.overrides)
        for items in range(self.max_items + 1, 4):
            wider = Space(self.framework, reads, self.constants, dated, items, self.overrides)
            if wider.signature()[0] == best.signature()[0] and not wider.has_lists():
                break
            if wider.size() > SMALL_SPACE:
                break
            best = wider
        return best

    def _dated_values(self, decisions: list[ir.Judgement]) -> list[datetime.date]:
        """One date in each period in which the same decisions and clauses are in force, when any of them is."""
        start = self.framework.effective_from or datetime.date(2000, 1, 1)
        until = self.framework.effective_until
        starts = {start}
        for decision in decisions:
            for dates in (decision.in_force, *(c.in_force for c in decision.clauses)):
                if dates is None:
                    continue
                if dates.start is not None:
                    starts.add(dates.start)
                if dates.until is not None:
                    starts.add(dates.until + datetime.timedelta(days=1))
        inside = sorted(d for d in starts if d >= start and (until is None or d <= until))
        live = [d for d in inside if any(j.in_force is None or j.in_force.covers(d) for j in decisions)]
        return live or inside[:1]

    def reduced(
        self, used: set[str], checks: tuple[ir.Judgement, ...], extra: tuple[ir.Judgement, ...] = ()
    ) -> RuleSet:
        """The framework with only the decisions in `used` (and the added checks): the same engine, less work.

        Decisions a reason names are kept too (their inputs are not varied: reasons decide nothing).
        """
        used = set(used)
        pending = [*used, *(c.key for c in checks)]
        every = {**self.reads.decisions}
        while pending:
            decision = every.get(pending.pop())
            if decision is None:
                continue
            for key in decisions_named(decision, self.framework):
                if key not in used:
                    used.add(key)
                    pending.append(key)
        framework = attrs.evolve(
            self.framework,
            judgements=tuple(j for j in self.framework.judgements if j.key in used) + extra,
            checks=tuple(c for c in self.framework.checks if c.key in used) + checks,
            examples=(),
            properties=(),
        )
        return RuleSet(frameworks={self.framework.name: framework}, digest=self.rule_set.digest)

    def _as_check(self, prop: ir.Invariant) -> ir.Judgement:
        failed = ir.Const(value=CHECK_OUTCOME_SET.members[1], type=CHECK_OUTCOME, span=prop.span)
        passed = ir.Const(value=CHECK_OUTCOME_SET.members[0], type=CHECK_OUTCOME, span=prop.span)
        broken: ir.Expr = ir.Unary(op=Op.NOT, operand=prop.condition, type=BOOLEAN, span=prop.span)
        if prop.guard is not None:
            broken = ir.Binary(op=Op.AND, left=prop.guard, right=broken, type=BOOLEAN, span=prop.span)
        key = f"{self.framework.name}:{_PREFIX}{prop.name}"
        clauses = (
            ir.Clause(
                id=f"{key}#1",
                index=0,
                outcome=failed,
                condition=broken,
                reason=(),
                citation=None,
                location=prop.location,
                span=prop.span,
            ),
            ir.Clause(
                id=f"{key}#2",
                index=1,
                outcome=passed,
                condition=None,
                reason=(),
                citation=None,
                location=prop.location,
                span=prop.span,
            ),
        )
        return ir.Judgement(
            key=key,
            name=_PREFIX + prop.name,
            kind="check",
            for_each_var=prop.for_each_var,
            for_each_source=prop.for_each_source,
            type=CHECK_OUTCOME,
            collect=False,
            clauses=clauses,
            span=prop.span,
        )

    def evaluate(self, rules: RuleSet, document: dict[str, Any]) -> dict[str, Any] | None:
        """Decisions by name, or None when the document is not evaluated (invalid, not in force).

        The compiled engine on the compiled validator's reading of the document, as
        `RuleSet.evaluate` runs them; a document that validator does not take, through
        `RuleSet.evaluate` itself. (Every document's date lies inside the framework's.)
        """
        self.evaluations += 1
        name = self.framework.name
        validator = rules.compiled_validator(name)
        root = validator(document, DEFAULT_LIMITS) if validator is not None else None
        if root is None:
            result = rules.evaluate(document, self.as_of)
            if result.status != "evaluated":
                return None
            return {**result.judgements, **result.checks}
        date = evidence_date(root, self.framework.dated_by) or self.as_of
        assert date is not None
        judgements, checks = rules.compiled(name).evaluate(root, self.as_of or date, date)
        return {**judgements, **checks}

    # -- jobs

    def property_job(self, prop: ir.Property) -> Job:
        if isinstance(prop, ir.Invariant):
            check = self._as_check(prop)
            self.reads.decisions[check.key] = check
            reads, used = self.reads.of_decision(check.key)
            used.discard(check.key)
            return Job("invariant", prop, self.space(reads, used), used, check)
        reads, used = self.reads.of_decision(prop.judgement)
        reads = reads | {input_pattern(self.framework, prop.path)}
        return Job("monotonic", prop, self.space(reads, used), used)

    def reach_job(self, decision: ir.Judgement) -> Job:
        reads, used = self.reads.of_decision(decision.key)
        return Job("reach", decision, self.space(reads, used), used)

    def property_result(self, job: Job) -> PropertyResult:
        prop = job.target
        size = job.space.size()
        common: dict[str, Any] = {
            "name": prop.name,
            "kind": job.kind,
            "location": prop.location,
            "reason": prop.reason,
            "citation": prop.citation,
            "documents": size,
            "max_items": job.space.max_items,
        }
        if size > self.max_documents:
            note = f"{count_text(size)} documents, more than the {self.max_documents:,} verify enumerates"
            return PropertyResult(**common, status="too_large", compared=0, undecided=0, note=note)
        if job.kind == "invariant":
            failure = job.failure
            if failure is not None:
                names = [k.split(":", 1)[1] for k in sorted(job.used)]
                failure = self.confirmed(failure["evidence"], names)
            status = "fails" if failure is not None else "holds"
            return PropertyResult(
                **common, status=status, compared=job.decided, undecided=job.undecided, counterexample=failure
            )
        compared, failure = self._pairs(prop, job)
        return PropertyResult(
            **common,
            status="fails" if failure is not None else "holds",
            compared=compared,
            undecided=0,
            counterexample=failure,
        )

    def _pairs(self, prop: ir.Monotonic, job: Job) -> tuple[int, dict[str, Any] | None]:
        """Compare the judgement on each pair of documents that differ by the input moved up."""
        compared = 0
        for document, changed, patch, before, after in graded_pairs(self.framework, prop, job):
            compared += 1
            if breaks(prop, before, after):
                return compared, self.monotonic_counterexample(prop, document, changed, patch)
        return compared, None

    def monotonic_counterexample(
        self, prop: ir.Monotonic, document: dict[str, Any], changed: dict[str, Any], patch: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """The pair `document` -> `changed` (`patch` moved the input up) as a confirmed counterexample."""
        up = moves_up(prop)
        first, second = (document, changed) if up else (changed, document)
        return {
            "before": self.confirmed(first, [prop.judgement_name]),
            "after": self.confirmed(second, [prop.judgement_name]),
            "change": patch if up else reverse(patch, document),
        }

    def confirmed(self, document: dict[str, Any], names: list[str]) -> dict[str, Any]:
        """A counterexample as the whole rule set evaluates it (`RuleSet.evaluate`, as framework-check does)."""
        result = self.rule_set.evaluate(document, self.as_of, framework=self.framework.name)
        decisions = {**result.judgements, **result.checks}
        shown: dict[str, Any] = {"evidence": document}
        if self.as_of is not None:
            shown["as_of"] = self.as_of.isoformat()
        shown["outcomes"] = {name: _show(decisions[name]) for name in names if name in decisions}
        return shown

    def reach_result(self, job: Job) -> Reachability:
        decision: ir.Judgement = job.target
        size = job.space.size()
        location = decision.clauses[0].location if decision.clauses else self.framework.path
        if size > self.max_documents:
            return Reachability(decision=decision.name, location=location, status="too_large", documents=size)
        possible = [m.name for m in decision.type.members] if isinstance(decision.type, Choice) else []
        return Reachability(
            decision=decision.name,
            location=location,
            status="exact",
            documents=size,
            max_items=job.space.max_items,
            never_outcomes=tuple(name for name in possible if name not in job.produced),
            never_clauses=tuple(
                (clause.index + 1, clause.location) for clause in decision.clauses if clause.id not in job.reached
            ),
        )

    # -- reachability by search

    def reach_by_search(self, job: Job) -> Reachability | None:
        """Reachability of a decision whose documents are too many, when some of its documents reach every outcome
        and clause: then nothing is unreachable, and each was reached by a real document. The documents tried are,
        for a space of at most SEARCH_SPACE, documents spread across it, then its sparse ones (one entry per map,
        one item per list: small, and a clause about one item needs no more)."""
        decision: ir.Judgement = job.target
        size = job.space.size()
        possible = {m.name for m in decision.type.members} if isinstance(decision.type, Choice) else set()
        clauses = {c.id for c in decision.clauses}
        rules = self.rules(job.used, ())
        sparse = itertools.islice(job.space.sparse_documents(), min(SPARSE_DOCUMENTS, self.max_documents))
        spread = job.space.spread_documents(min(SEARCH_DOCUMENTS, self.max_documents)) if size <= SEARCH_SPACE else ()
        for searched, document in enumerate(itertools.chain(spread, sparse), start=1):
            job.see(document, self.evaluate(rules, document), 0)
            if possible <= job.produced and clauses <= job.reached:
                location = decision.clauses[0].location if decision.clauses else self.framework.path
                return Reachability(
                    decision=decision.name,
                    location=location,
                    status="exact",
                    documents=size,
                    max_items=job.space.max_items,
                    searched=searched,
                )
        return None

    # -- cuts: a decision's outcomes given as evidence

    def rules(self, used: set[str], checks: tuple[ir.Judgement, ...]) -> RuleSet:
        """`reduced`, kept for the next call with the same decisions."""
        key = (frozenset(used), tuple(c.key for c in checks))
        found = self._rules_memo.get(key)
        if found is None:
            found = self._rules_memo[key] = self.reduced(used, checks)
        return found


def decisions_named(decision: ir.Judgement, framework: ir.Framework) -> set[str]:
    """The keys of the decisions `decision` names anywhere (reasons included), through definitions too."""
    found: set[str] = set()
    seen: set[str] = set()
    pending: list[Any] = [decision]
    while pending:
        node = pending.pop()
        if isinstance(node, ir.JudgementRef | ir.ItemOutcome):
            found.add(node.key)
        if isinstance(node, ir.DefinitionRef) and node.key not in seen:
            seen.add(node.key)
            pending.append(framework.definitions[node.key].value)
        if isinstance(node, tuple | list):
            pending.extend(node)
        elif attrs.has(type(node)) and not isinstance(node, ir.Const):
            pending.extend(getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "type"))
    found.discard(decision.key)
    return found


def _within(small: tuple[Any, ...], large: tuple[Any, ...]) -> bool:
    return (
        set(small[0]) <= set(large[0])
        and set(small[1]) <= set(large[1])
        and small[2] == large[2]
        and small[3] == large[3]
    )


def _show(decision: Any) -> Any:
    """A decision's outcome as the result JSON shows it."""
    if isinstance(decision, tuple):
        return [_show(d) for d in decision]
    if decision.status == "decided":
        return _plain(decision.value)
    return decision.status


def _plain(value: Any) -> Any:
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def graded(decision: Any) -> bool:
    return (
        isinstance(decision, Decision)
        and decision.status == "decided"
        and isinstance(decision.value, Symbol)
        and decision.value.ordered
    )


def moves_up(prop: ir.Monotonic) -> bool:
    """Whether `prop`'s input moves up (better, more, grows) rather than down."""
    return prop.input_moves in ("better", "more", "grows")


def graded_pairs(
    framework: ir.Framework, prop: ir.Monotonic, job: Job
) -> Iterator[tuple[dict[str, Any], dict[str, Any], Any, Symbol, Symbol]]:
    """Each pair of `job`'s documents that differ by `prop`'s input moved up and are both
    graded on one scale: (document, the moved one, the patch, grade before, grade after)."""
    pattern = input_pattern(framework, prop.path)
    for document in job.space.documents():
        before = job.grades.get(document_key(document))
        if before is None:
            continue
        for changed, patch in moved_up(document, pattern, prop, job.space):
            after = job.grades.get(document_key(changed))
            if after is not None and after.owner == before.owner:
                yield document, changed, patch, before, after


def breaks(prop: ir.Monotonic, before: Symbol, after: Symbol) -> bool:
    """Whether the grade going from `before` to `after` as the input moves breaks `prop`.

    `before` is the grade of the document the input moved from, `after` of the one it
    moved to; rank 0 is the best grade.
    """
    old, new = (before, after) if moves_up(prop) else (after, before)
    gap = new.rank - old.rank
    return gap > 0 if prop.moves == "worse" else gap < 0
