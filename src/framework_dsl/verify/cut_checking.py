"""Checking over a cut framework: a cut decision's outcomes, and findings rebuilt into real documents and confirmed."""

from __future__ import annotations

import datetime
import decimal
import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.ruleset import RuleSet
from framework_dsl.typesystem import Choice, Symbol
from framework_dsl.verify.checking import Checker, Job, breaks, graded, graded_pairs
from framework_dsl.verify.cuts import CUT_PREFIX, cut_field, cut_framework, graft, item_type
from framework_dsl.verify.limits import CUT_DOCUMENTS, KEEP, SEARCH_DOCUMENTS
from framework_dsl.verify.patches import patched
from framework_dsl.verify.reads import Path
from framework_dsl.verify.results import PropertyResult, Reachability
from framework_dsl.verify.space import ABSENT


def _value_key(value: Any) -> str:
    return "absent" if value is ABSENT else repr(value)


def _json_value(value: Any) -> Any:
    """A decided outcome as evidence writes it."""
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def item_echo(framework: ir.Framework, decision: ir.Judgement) -> ir.Judgement | None:
    """A judgement over the same items as a for-each decision whose outcome is the item: which item is which."""
    items = item_type(decision)
    if items is None or decision.for_each_var is None:
        return None
    key = f"{framework.name}:verify__items__{decision.name}"
    clause = ir.Clause(
        id=f"{key}#1",
        index=0,
        outcome=ir.Local(name=decision.for_each_var, type=items, span=decision.span),
        condition=None,
        reason=(),
        citation=None,
        location=decision.clauses[0].location if decision.clauses else framework.path,
        span=decision.span,
    )
    return ir.Judgement(
        key=key,
        name=f"verify__items__{decision.name}",
        kind="judgement",
        for_each_var=decision.for_each_var,
        for_each_source=decision.for_each_source,
        type=items,
        collect=False,
        clauses=(clause,),
        span=decision.span,
    )


@attrs.define
class CutValues:
    """A cut decision's outcomes, by item (the member's name; "" for a decision made once), with documents."""

    decision: ir.Judgement
    items: Choice | None
    exact: bool  # the outcomes its own documents give; otherwise every outcome of its type
    options: dict[str, tuple[Any, ...]] = attrs.field(factory=dict)
    # (item, value key) -> real documents that give it (a few, to rebuild from)
    witnesses: dict[tuple[str, str], list[dict[str, Any]]] = attrs.field(factory=dict)
    searched: bool = False

    def record(self, decisions: dict[str, Any], document: dict[str, Any], *, grow: bool) -> None:
        """Take in one evaluated real document: its outcome for each item (and, with `grow`, as an option)."""
        made = decisions[self.decision.name]
        given: dict[str, Any] = {}
        if self.items is None:
            given[""] = _json_value(made.value) if made.status == "decided" else ABSENT
        else:
            echo = decisions[f"verify__items__{self.decision.name}"]
            if not isinstance(made, tuple) or not isinstance(echo, tuple):
                echo = made = ()  # not in force: no item has an outcome
            for item, outcome in zip(echo, made, strict=True):
                if item.status == "decided":
                    given[item.value.name] = _json_value(outcome.value) if outcome.status == "decided" else ABSENT
            for member in self.items.members:
                given.setdefault(member.name, ABSENT)  # not an item of this document
        for key, value in given.items():
            if grow:
                options = self.options.setdefault(key, ())
                if not any(_value_key(o) == _value_key(value) for o in options):
                    self.options[key] = (*options, value)
            found = self.witnesses.setdefault((key, _value_key(value)), [])
            if len(found) < 8:
                found.append(document)


class CutRun:
    """Jobs too large to enumerate, checked over one cut framework, and their findings rebuilt and confirmed."""

    def __init__(self, verifier: Checker, cuts: tuple[CutValues, ...]) -> None:
        self.verifier = verifier
        self.cuts = cuts
        keys = frozenset(c.decision.key for c in cuts)
        framework = cut_framework(verifier.framework, keys)
        overrides: dict[Path, tuple[Any, ...]] = {}
        for values in cuts:
            name = cut_field(values.decision)
            if values.items is None:
                overrides[(name,)] = values.options.get("", (ABSENT,))
            else:
                for member in values.items.members:
                    overrides[(name, member.name)] = values.options.get(member.name, (ABSENT,))
        rule_set = RuleSet(frameworks={framework.name: framework}, digest=verifier.rule_set.digest)
        self.sub = Checker(rule_set, framework, verifier.max_items, verifier.max_documents, overrides)
        self.jobs: list[tuple[int, Job, Job]] = []  # (index, the real job, the job over the cut framework)

    def _sub_job(self, job: Job) -> Job:
        if job.kind == "reach":
            return self.sub.reach_job(self.sub.reads.decisions[job.target.key])
        return self.sub.property_job(job.target)

    def size(self, job: Job) -> int:
        """How many documents of the cut framework the job would take."""
        return self._sub_job(job).space.size()

    def add(self, index: int, job: Job) -> None:
        sub_job = self._sub_job(job)
        sub_job.keep = KEEP
        self.jobs.append((index, job, sub_job))

    def evaluations(self) -> int:
        return self.sub.evaluations

    def names(self) -> tuple[tuple[str, str], ...]:
        return tuple((c.decision.name, "documents" if c.exact else "type") for c in self.cuts)

    def results(self) -> dict[int, PropertyResult | Reachability]:
        fitting = [sub for _, _, sub in self.jobs if sub.space.size() <= CUT_DOCUMENTS]
        self.sub.enumerate_jobs(fitting)
        out: dict[int, PropertyResult | Reachability] = {}
        for index, job, sub_job in self.jobs:
            if sub_job.space.size() > CUT_DOCUMENTS:
                continue
            if job.kind == "reach":
                out[index] = self._reach(job, sub_job)
            else:
                out[index] = self._property(job, sub_job)
        return out

    # -- rebuilding real documents

    def rebuild(self, abstract: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Real documents for a document of the cut framework: its own fields, with documents that give each cut
        decision's outcome grafted in (at the maps keyed by the items), for each document kept."""
        verifier = self.verifier
        document = {k: v for k, v in abstract.items() if not k.startswith(CUT_PREFIX)}
        singles: list[list[dict[str, Any]]] = []
        for values in self.cuts:
            given = abstract.get(cut_field(values.decision), ABSENT)
            keys = [""] if values.items is None else [m.name for m in values.items.members]
            for key in keys:
                value = given if key == "" else (given.get(key, ABSENT) if isinstance(given, dict) else ABSENT)
                found = values.witnesses.get((key, _value_key(value)))
                if not found and not values.exact and not values.searched:
                    find_witnesses(verifier, values)
                    found = values.witnesses.get((key, _value_key(value)))
                if not found:
                    return
                if values.items is None:
                    singles.append(found)
                else:
                    document = graft(verifier.framework.evidence, document, found[0], values.items, key)
        if not singles:
            yield document
            return
        # A decision made once: each document kept for its outcome, with this document's own fields.
        own = {loc[0] for job in self.jobs for loc in job[2].space.varied(self.sub.framework.evidence, ())}
        own |= {verifier.framework.dated_by[0]} if verifier.framework.dated_by else set()
        for choice in itertools.product(*singles):
            merged: dict[str, Any] = {}
            for witness in choice:
                merged.update(witness)
            for name in own:
                if name.startswith(CUT_PREFIX):
                    continue
                if name in document:
                    merged[name] = document[name]
                else:
                    merged.pop(name, None)
            yield merged

    # -- confirming with the real rules

    def _decisions(self, job: Job, document: dict[str, Any]) -> dict[str, Any] | None:
        checks = (job.check,) if job.check is not None else ()
        return self.verifier.evaluate(self.verifier.rules(job.used | _keys_of(job), checks), document)

    def _breaks(self, job: Job, document: dict[str, Any]) -> bool:
        assert job.check is not None
        decisions = self._decisions(job, document)
        if decisions is None:
            return False
        made = decisions[job.check.name]
        items = made if isinstance(made, tuple) else (made,)
        return any(i.status == "decided" and i.value.name == "failed" for i in items)

    def _grade(self, job: Job, document: dict[str, Any]) -> Symbol | None:
        decisions = self._decisions(job, document)
        if decisions is None:
            return None
        made = decisions[job.target.judgement_name]
        return made.value if graded(made) else None

    def _property(self, job: Job, sub_job: Job) -> PropertyResult:
        prop = job.target
        verifier = self.verifier
        common: dict[str, Any] = {
            "name": prop.name,
            "kind": job.kind,
            "location": prop.location,
            "reason": prop.reason,
            "citation": prop.citation,
            "documents": sub_job.space.size(),
            "max_items": sub_job.space.max_items,
            "cut": self.names(),
        }
        if job.kind == "invariant":
            for abstract in sub_job.failures:
                for document in self.rebuild(abstract):
                    if self._breaks(job, document):
                        names = [k.split(":", 1)[1] for k in sorted(job.used)]
                        example = verifier.confirmed(document, names)
                        return PropertyResult(
                            **common,
                            status="fails",
                            compared=sub_job.decided,
                            undecided=sub_job.undecided,
                            counterexample=example,
                        )
            status = "unproved" if sub_job.failures else "holds"
            note = (
                "documents of the cut framework break it, and no real document rebuilt from them does"
                if sub_job.failures
                else None
            )
            return PropertyResult(
                **common, status=status, compared=sub_job.decided, undecided=sub_job.undecided, note=note
            )
        compared, pair, unproved = self._pairs(job, sub_job)
        if pair is not None:
            return PropertyResult(**common, status="fails", compared=compared, undecided=0, counterexample=pair)
        note = "pairs of the cut framework break it, and no real pair rebuilt from them does" if unproved else None
        return PropertyResult(
            **common, status="unproved" if unproved else "holds", compared=compared, undecided=0, note=note
        )

    def _pairs(self, job: Job, sub_job: Job) -> tuple[int, dict[str, Any] | None, bool]:
        """As `Checker._pairs` over the cut framework; a breaking pair is rebuilt and confirmed before it counts."""
        prop = job.target
        verifier = self.verifier
        compared = 0
        tried = 0
        for abstract, _, patch, before, after in graded_pairs(self.sub.framework, prop, sub_job):
            compared += 1
            if not breaks(prop, before, after) or tried >= KEEP:
                continue
            tried += 1
            for document in self.rebuild(abstract):
                try:
                    moved = patched(document, patch)
                except (KeyError, IndexError, TypeError):
                    continue
                real_before, real_after = self._grade(job, document), self._grade(job, moved)
                if real_before is None or real_after is None or real_before.owner != real_after.owner:
                    continue
                if breaks(prop, real_before, real_after):
                    return compared, verifier.monotonic_counterexample(prop, document, moved, patch), True
        return compared, None, tried > 0

    def _reach(self, job: Job, sub_job: Job) -> Reachability:
        decision: ir.Judgement = job.target
        location = decision.clauses[0].location if decision.clauses else self.verifier.framework.path
        produced: set[str] = set()
        reached: set[str] = set()
        for key, abstract in sub_job.examples.items():
            kind, _, name = key.partition(":")
            if name in (produced if kind == "outcome" else reached):
                continue
            for document in self.rebuild(abstract):
                decisions = self._decisions(job, document)
                if decisions is None:
                    continue
                made = decisions[decision.name]
                for one in made if isinstance(made, tuple) else (made,):
                    if one.status == "decided":
                        for value in one.value if decision.collect else (one.value,):
                            if isinstance(value, Symbol):
                                produced.add(value.name)
                        reached.update(one.clause_ids or ())
                if name in (produced if kind == "outcome" else reached):
                    break
        possible = [m.name for m in decision.type.members] if isinstance(decision.type, Choice) else []
        clauses = [(c.index + 1, c.location, c.id) for c in decision.clauses]
        return Reachability(
            decision=decision.name,
            location=location,
            status="exact",
            documents=sub_job.space.size(),
            max_items=sub_job.space.max_items,
            never_outcomes=tuple(n for n in possible if n not in sub_job.produced),
            never_clauses=tuple((n, loc) for n, loc, cid in clauses if cid not in sub_job.reached),
            cut=self.names(),
            unconfirmed_outcomes=tuple(n for n in possible if n in sub_job.produced and n not in produced),
            unconfirmed_clauses=tuple(
                (n, loc) for n, loc, cid in clauses if cid in sub_job.reached and cid not in reached
            ),
        )


def _keys_of(job: Job) -> set[str]:
    """The decision a reach job is about, or the judgement a monotonic job compares (beside what they read)."""
    if job.kind == "reach":
        return {job.target.key}
    if job.kind == "monotonic":
        return {job.target.judgement}
    return set()


def find_witnesses(verifier: Checker, values: CutValues) -> None:
    """Documents for a cut decision's outcomes, from its sparse documents (at most SEARCH_DOCUMENTS)."""
    values.searched = True
    decision = values.decision
    reads, used = verifier.reads.of_decision(decision.key)
    space = verifier.space(reads, used)
    echo = item_echo(verifier.framework, decision)
    rules = verifier.reduced(used, (), (echo,) if echo is not None else ())
    wanted = {(k, _value_key(v)) for k, options in values.options.items() for v in options}
    for count, document in enumerate(space.sparse_documents()):
        if count >= SEARCH_DOCUMENTS or wanted <= values.witnesses.keys():
            break
        decisions = verifier.evaluate(rules, document)
        if decisions is not None:
            values.record(decisions, document, grow=False)
