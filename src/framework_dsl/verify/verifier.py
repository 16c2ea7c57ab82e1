"""Verifying a framework: every job checked over its space, or over a cut framework when that is too large."""

from __future__ import annotations

import datetime
from typing import Any

from framework_dsl import ir
from framework_dsl.ruleset import RuleSet
from framework_dsl.typesystem import BOOLEAN, DECIMAL, INTEGER, Choice, Prim
from framework_dsl.verify.checking import Checker, Job, decisions_named
from framework_dsl.verify.cut_checking import CutRun, CutValues, item_echo
from framework_dsl.verify.cuts import cuttable, item_type
from framework_dsl.verify.limits import CUT_DOCUMENTS
from framework_dsl.verify.patches import input_pattern
from framework_dsl.verify.reads import Path
from framework_dsl.verify.results import PropertyResult, Reachability
from framework_dsl.verify.space import ABSENT, Space


class Verifier(Checker):
    """Checks every property (and reachability) of a framework: over its space, or over a cut framework."""

    def __init__(
        self,
        rule_set: RuleSet,
        framework: ir.Framework,
        max_items: int,
        max_documents: int,
        overrides: dict[Path, tuple[Any, ...]] | None = None,
    ) -> None:
        super().__init__(rule_set, framework, max_items, max_documents, overrides)
        self._cut_memo: dict[str, CutValues] = {}

    def run(self, reachability: bool) -> tuple[tuple[PropertyResult, ...], tuple[Reachability, ...]]:
        """Check every property (and reachability), each space enumerated and evaluated once.

        A space too large to enumerate is checked over a cut framework where one decision
        it reads gives its outcomes as evidence (`CutRun`), when such a cut makes it small;
        a decision's reachability with no such cut, by a search (`reach_by_search`).
        """
        jobs = [self.property_job(p) for p in self.framework.properties]
        reach_jobs = (
            [self.reach_job(d) for d in (*self.framework.judgements, *self.framework.checks)] if reachability else []
        )
        every = [*jobs, *reach_jobs]
        self.enumerate_jobs([job for job in every if job.space.size() <= self.max_documents])
        cut_results: dict[int, PropertyResult | Reachability] = {}
        runs: dict[frozenset[str], CutRun] = {}
        for index, job in enumerate(every):
            if job.space.size() <= self.max_documents:
                continue
            keys = self._choose_cut(job)
            if keys is not None:
                run = runs.get(keys)
                if run is None:
                    run = runs[keys] = CutRun(self, tuple(self.cut_values(k) for k in sorted(keys)))
                run.add(index, job)
            elif job.kind == "reach":
                searched = self.reach_by_search(job)
                if searched is not None:
                    cut_results[index] = searched
        for run in runs.values():
            cut_results.update(run.results())
            self.evaluations += run.evaluations()
        properties = tuple(
            _as_property(cut_results[i]) if i in cut_results else self.property_result(job)
            for i, job in enumerate(jobs)
        )
        reach = tuple(
            _as_reach(cut_results[i + len(jobs)]) if i + len(jobs) in cut_results else self.reach_result(job)
            for i, job in enumerate(reach_jobs)
        )
        return properties, reach

    def _choose_cut(self, job: Job) -> frozenset[str] | None:
        """The decision to cut for a job too large to enumerate: of those whose cut leaves at most CUT_DOCUMENTS
        documents, the one leaving the most (the least given up); first among those the property does not name,
        then those it names that another decision reads."""
        excluded: set[str] = set()
        named: set[str] = set()
        if job.kind == "monotonic":
            excluded.add(job.target.judgement)
        elif job.kind == "reach":
            excluded.add(job.target.key)
        elif job.check is not None:
            named = decisions_named(job.check, self.framework)
        candidates = [
            d for d in self.framework.judgements if d.key in job.used and d.key not in excluded and cuttable(d)
        ]
        if job.kind == "monotonic":
            # The input must reach the judgement only through what is enumerated, never through a cut.
            pattern = input_pattern(self.framework, job.target.path)
            candidates = [
                d for d in candidates if not any(_overlap(p, pattern) for p in self.reads.of_decision(d.key)[0])
            ]
        # Cutting a decision another one reads keeps the two consistent (the reader reads the
        # outcomes given); cutting one only the property reads loses how it follows from the rest.
        read = {k for d in job.used if d in self.reads.decisions for k in self.reads.of_decision(d)[1] if k != d}
        tiers = (
            [d for d in candidates if d.key not in named],
            [d for d in candidates if d.key in named and d.key in read],
            [d for d in candidates if d.key in named and d.key not in read],
        )
        for tier in tiers:
            best: tuple[int, str] | None = None
            for decision in tier:
                values = self._type_values(decision)
                if values is None:
                    continue
                size = CutRun(self, (values,)).size(job)
                if size <= CUT_DOCUMENTS and (best is None or size > best[0]):
                    best = (size, decision.key)
            if best is not None:
                return frozenset({best[1]})
        return None

    def cut_values(self, key: str) -> CutValues:
        """The outcomes a cut decision gives: every one its own documents give (with a document for each), when
        those are few enough to enumerate; otherwise every outcome of its type, documents found when needed."""
        found = self._cut_memo.get(key)
        if found is not None:
            return found
        decision = self.reads.decisions[key]
        reads, used = self.reads.of_decision(key)
        space = self.space(reads, used)
        exact: CutValues | None = None
        if space.size() <= CUT_DOCUMENTS:
            exact = CutValues(decision=decision, items=item_type(decision), exact=True)
            echo = item_echo(self.framework, decision)
            rules = self.reduced(used, (), (echo,) if echo is not None else ())
            for document in space.documents():
                decisions = self.evaluate(rules, document)
                if decisions is not None:
                    exact.record(decisions, document, grow=True)
            exact.options = {k: tuple(v) for k, v in exact.options.items()}
        chosen = exact or self._type_values(decision)
        assert chosen is not None  # only decisions with values by type are chosen
        self._cut_memo[key] = chosen
        return chosen

    def _type_values(self, decision: ir.Judgement) -> CutValues | None:
        """Every outcome the decision's type admits (numbers at the thresholds), and none (absent or undetermined)."""
        t = decision.type
        options: list[Any] = []
        numbers = Space(self.framework, set(), self.constants, [datetime.date(2000, 1, 1)], 1)
        if isinstance(t, Choice):
            options = [m.name for m in t.members]
            if t.base is not None:
                if t.base not in (INTEGER, DECIMAL, BOOLEAN):
                    return None
                options.extend([False, True] if t.base == BOOLEAN else numbers.numbers(t.base))
        elif t == BOOLEAN:
            options = [False, True]
        elif isinstance(t, Prim) and t in (INTEGER, DECIMAL):
            options = numbers.numbers(t)
        else:
            return None
        options.append(ABSENT)
        items = item_type(decision)
        keys = [m.name for m in items.members] if items is not None else [""]
        return CutValues(decision=decision, items=items, exact=False, options={k: tuple(options) for k in keys})


def _overlap(a: Path, b: Path) -> bool:
    """Whether two read paths can name the same place or one lies under the other."""
    return all(x == y or "*" in (x, y) for x, y in zip(a, b, strict=False))


def _as_property(found: PropertyResult | Reachability) -> PropertyResult:
    assert isinstance(found, PropertyResult)
    return found


def _as_reach(found: PropertyResult | Reachability) -> Reachability:
    assert isinstance(found, Reachability)
    return found
