"""The reference evaluator: the simplest code that runs a checked framework over one document.

It walks the IR and holds only control flow — first match and `collect`, for-each,
quantifiers and comprehensions, definitions computed once — taking every operator's
meaning from `semantics.operators` and making every decision through `engine.runtime`.
The generated code (`engine.codegen`) is what `RuleSet.evaluate` runs; this is the
oracle it is tested against, case by case and on generated evidence, and the evaluator
of example expectations.

Semantics worth stating once:

- A decision's `inputs` are the evidence values read while making it, including those
  read by the definitions and decisions it used, keyed by JSON pointer.
- An unknown condition is *pending*: if a later clause fires with a different outcome
  than a pending clause could give, the decision is undetermined (listing what was
  missing); if every pending clause would give the same outcome, it is decided.
- An evaluation error (division by zero, a number too large, a decision it uses that
  failed) makes the decision an error, reported against the clause being evaluated.
- With `explain`, each clause tried leaves a trace entry: its condition's value, the
  evidence it read and the value of every sub-expression computed for it, in the order
  computed (a definition's parts where it is first computed; a decision it uses only as
  its outcome, since that decision has its own trace).
"""

from __future__ import annotations

import datetime
from typing import Any, assert_never

from framework_dsl import ir
from framework_dsl.engine import runtime
from framework_dsl.evidence import MISSING, MapValue, RecordValue, escape_pointer
from framework_dsl.result import Decision, TraceEntry
from framework_dsl.semantics.operators import OPERATORS, decides_alone, partial_count
from framework_dsl.typesystem import ListOf, MapOf, RecordType, SetOf, Type
from framework_dsl.values import (
    EvaluationError,
    Unknown,
    display_value,
    kleene_and,
    kleene_not,
    kleene_or,
)

__all__ = ["Evaluation", "is_structure"]


def is_structure(t: Type) -> bool:
    """Records, maps and lists of them are structure: reading one is not an input worth listing."""
    if isinstance(t, RecordType | MapOf):
        return True
    if isinstance(t, ListOf | SetOf):
        return is_structure(t.element)
    return False


class Evaluation:
    """The evaluation of one framework over one validated evidence document."""

    def __init__(
        self,
        framework: ir.Framework,
        root: RecordValue,
        as_of: datetime.date,
        *,
        explain: bool = False,
        dated: datetime.date | None = None,
    ) -> None:
        self.framework = framework
        self.root = root
        self.as_of = as_of
        self.dated = as_of if dated is None else dated  # the date dated rules are tested against
        self.explain = explain
        self._decisions = {d.key: d for d in (*framework.judgements, *framework.checks)}
        self._definitions: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._outcomes: dict[str, tuple[Any, runtime.Reads] | EvaluationError] = {}
        self._results: dict[str, Decision | tuple[Decision, ...]] = {}
        self._reads: dict[str, Any] = {}
        self._item_indexes: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._steps: list[tuple[str, Any]] | None = None  # the current condition's, when explaining

    def decide_all(
        self,
    ) -> tuple[dict[str, Decision | tuple[Decision, ...]], dict[str, Decision | tuple[Decision, ...]]]:
        """(judgements, checks) by name, in declaration order."""
        judgements = {j.name: self.decide(j) for j in self.framework.judgements}
        checks = {c.name: self.decide(c) for c in self.framework.checks}
        return judgements, checks

    # -- decisions

    def decide(self, judgement: ir.Judgement) -> Decision | tuple[Decision, ...]:
        """The decision(s) of `judgement`, computed once."""
        found = self._results.get(judgement.key)
        if found is not None:
            return found
        if judgement.in_force is not None and not judgement.in_force.covers(self.dated):
            dated = runtime.out_of_force(
                judgement.name, judgement.in_force, self.dated, judgement.for_each_source is not None
            )
            self._results[judgement.key] = dated
            return dated
        outer_reads, outer_steps = self._reads, self._steps
        self._steps = None  # a decision made on the way has its own trace
        try:
            if judgement.for_each_source is None:
                result: Decision | tuple[Decision, ...] = self._decide_once(judgement, {}, None)
            else:
                result = self._decide_each(judgement)
        finally:
            self._reads, self._steps = outer_reads, outer_steps
        self._results[judgement.key] = result
        return result

    def _decide_each(self, judgement: ir.Judgement) -> tuple[Decision, ...]:
        assert judgement.for_each_source is not None and judgement.for_each_var is not None
        first = judgement.clauses[0].location
        self._reads = {}
        try:
            items = self.ev(judgement.for_each_source, {})
        except EvaluationError as error:
            return (runtime.failed(None, error, first),)
        if type(items) is Unknown:
            return (runtime.undetermined(None, (items,), first),)
        return tuple(
            self._decide_once(judgement, {judgement.for_each_var: item, _ITEM_INDEX: index}, pointer)
            for index, (pointer, item) in enumerate(runtime.item_pointers(items))
        )

    def _decide_once(self, judgement: ir.Judgement, env: dict[str, Any], item: str | None) -> Decision:
        self._reads = {}
        trace: list[TraceEntry] | None = [] if self.explain else None
        if judgement.lets:
            env = {**env}
            env[_LETS] = _LetValues({let.name: let for let in judgement.lets}, env, trace)
        try:
            if judgement.collect:
                return self._collect(judgement, env, item, trace)
            return self._first_match(judgement, env, item, trace)
        except _ClauseError as failure:
            return runtime.failed(item, failure.error, failure.location)

    def _in_force(self, clause: ir.Clause, trace: list[TraceEntry] | None) -> bool:
        """Whether `clause` is in force; a clause outside its dates is skipped, and the trace says so."""
        if clause.in_force is None or clause.in_force.covers(self.dated):
            return True
        if trace is not None:
            trace.append(runtime.skipped_entry(clause.location))
        return False

    def _condition(self, clause: ir.Clause, env: dict[str, Any], trace: list[TraceEntry] | None) -> Any:
        """The value of a clause's condition (True for `otherwise`), leaving its trace entry."""
        if clause.condition is None:
            if trace is not None:
                trace.append(runtime.otherwise_entry(clause.location))
            return True
        known = len(self._reads)
        self._steps = [] if trace is not None else None
        try:
            value = self._clause_work(clause, clause.condition, env)
        finally:
            steps, self._steps = self._steps, None
        if trace is not None:
            trace.append(runtime.trace_entry(clause.location, value, runtime.reads_since(self._reads, known), steps))
        return value

    def _clause_work(self, clause: ir.Clause, node: ir.Expr, env: dict[str, Any]) -> Any:
        """`ev(node)`, with an evaluation error reported against `clause`."""
        try:
            return self.ev(node, env)
        except EvaluationError as error:
            raise _ClauseError(error, clause.location) from error

    def _outcome(self, clause: ir.Clause, env: dict[str, Any]) -> Any:
        return runtime.settled(self._clause_work(clause, clause.outcome, env))

    def _first_match(
        self, judgement: ir.Judgement, env: dict[str, Any], item: str | None, trace: list[TraceEntry] | None
    ) -> Decision:
        pending: list[tuple[ir.Clause, Unknown]] = []
        for clause in judgement.clauses:
            if not self._in_force(clause, trace):
                continue
            value = self._condition(clause, env, trace)
            if type(value) is Unknown:
                pending.append((clause, value))
                continue
            if value is not True:
                continue
            at = len(trace) - 1 if trace is not None else 0
            outcome = self._outcome(clause, env)
            if trace is not None:
                trace[at] = runtime.with_outcome(trace[at], outcome)
            if type(outcome) is Unknown:
                return runtime.undetermined(item, [*(u for _, u in pending), outcome], clause.location, _done(trace))
            blockers = [u for c, u in pending if self._pending_outcome(c, env) != outcome]
            if blockers:
                return runtime.undetermined(item, blockers, pending[0][0].location, _done(trace))
            return self._decided(clause, outcome, env, item, trace)
        if pending:
            return runtime.undetermined(item, [u for _, u in pending], pending[0][0].location, _done(trace))
        last = judgement.clauses[-1]
        raise _ClauseError(EvaluationError(f"no clause of `{judgement.name}` applies"), last.location)

    def _pending_outcome(self, clause: ir.Clause, env: dict[str, Any]) -> Any:
        """What a pending clause would give; an outcome that cannot be computed equals nothing."""
        try:
            return self.ev(clause.outcome, env)
        except EvaluationError:
            return Unknown(frozenset())

    def _collect(
        self, judgement: ir.Judgement, env: dict[str, Any], item: str | None, trace: list[TraceEntry] | None
    ) -> Decision:
        outcomes: list[Any] = []
        fired: list[ir.Clause] = []
        pending: list[tuple[ir.Clause, Unknown]] = []
        for clause in judgement.clauses:
            if clause.condition is None or not self._in_force(clause, trace):
                continue
            value = self._condition(clause, env, trace)
            if type(value) is Unknown:
                pending.append((clause, value))
            elif value is True:
                outcome = self._outcome(clause, env)
                if type(outcome) is Unknown:
                    return runtime.undetermined(item, [outcome], clause.location, _done(trace))
                fired.append(clause)
                if outcome not in outcomes:
                    outcomes.append(outcome)
        blockers = [u for c, u in pending if self._pending_outcome(c, env) not in outcomes]
        if blockers:
            return runtime.undetermined(item, blockers, pending[0][0].location, _done(trace))
        if not fired:
            fallback = next((c for c in judgement.clauses if c.condition is None), None)
            if fallback is not None and not self._in_force(fallback, trace):
                fallback = None
            if fallback is None:
                return runtime.nothing_collected(item, self._reads, _done(trace))
            outcome = self._outcome(fallback, env)
            if type(outcome) is Unknown:
                return runtime.undetermined(item, [outcome], fallback.location, _done(trace))
            return self._decided(fallback, outcome, env, item, trace)
        reasons = [self._reason(c, env) for c in fired]
        details = [(c.citation, c.location, c.id) for c in fired]
        return runtime.collected(item, outcomes, reasons, details, self._reads, _done(trace))

    def _decided(
        self, clause: ir.Clause, outcome: Any, env: dict[str, Any], item: str | None, trace: list[TraceEntry] | None
    ) -> Decision:
        reason = self._reason(clause, env)
        return runtime.decided(
            item, outcome, reason, clause.citation, clause.location, self._reads, clause.id, _done(trace)
        )

    def _reason(self, clause: ir.Clause, env: dict[str, Any]) -> str | None:
        if not clause.reason:
            return None
        parts = []
        for part in clause.reason:
            parts.append(part if isinstance(part, str) else display_value(self._clause_work(clause, part, env)))
        return "".join(parts)

    # -- references

    def definition(self, key: str) -> Any:
        """A definition's value, computed once; its reads join the reads of whoever uses it."""
        found = self._definitions.get(key)
        if found is None:
            outer = self._reads
            self._reads = {}
            try:
                value = self.ev(self.framework.definitions[key].value, {})
            finally:
                reads, self._reads = self._reads, outer
            found = self._definitions[key] = (value, reads)
        value, reads = found
        self._reads.update(reads)
        return value

    def judgement_value(self, key: str) -> Any:
        """Another decision's outcome as a value (unknown when undetermined; a list for a for-each decision)."""
        found = self._outcomes.get(key)
        if found is None:
            decision = self._decisions[key]
            decided = self.decide(decision)
            try:
                found = (runtime.outcome_value(decision.name, decided), runtime.decision_reads(decided))
            except EvaluationError as error:
                found = error
            self._outcomes[key] = found
        if isinstance(found, EvaluationError):
            raise found
        value, reads = found
        self._reads.update(reads)
        return value

    def item_value(self, key: str, index: int) -> Any:
        """This item's outcome of a for-each decision over the same list."""
        decision = self._decisions[key]
        decided = self.decide(decision)
        one = decided[index] if isinstance(decided, tuple) else decided
        value = runtime.outcome_value(decision.name, one)
        self._reads.update(runtime.decision_reads(one))
        return value

    # -- expressions

    def ev(self, node: ir.Expr, env: dict[str, Any]) -> Any:
        """The value of `node` (an `Unknown` when it depends on absent evidence)."""
        value = self._ev(node, env)
        if self._steps is not None and type(node) is not ir.Const:
            self._steps.append((node.span.text, value))
        return value

    def _ev(self, node: ir.Expr, env: dict[str, Any]) -> Any:
        match node:
            case ir.Const():
                return node.value
            case ir.Local():
                return env[node.name]
            case ir.LetRef():
                return self._let(env[_LETS], node.name)
            case ir.ItemOutcome():
                decision = self._decisions[node.key]
                assert decision.for_each_source is not None
                key = self.ev(node.item, env)
                decided = self.decide(decision)
                cached = self._item_indexes.get(node.key)
                if cached is None:
                    outer_reads, outer_steps = self._reads, self._steps
                    self._reads, self._steps = {}, None  # the list is the decision's, not this trace's
                    try:
                        items = self.ev(decision.for_each_source, {})
                    finally:
                        source_reads, self._reads, self._steps = self._reads, outer_reads, outer_steps
                    cached = self._item_indexes[node.key] = (runtime.item_index(items), source_reads)
                indexed, source_reads = cached
                self._reads.update(source_reads)
                value, one = runtime.item_outcome(decision.name, decided, indexed, key)
                if one is not None:
                    self._reads.update(runtime.decision_reads(one))
                return value
            case ir.Lookup():
                target = self.ev(node.target, env)
                key = self.ev(node.key, env)  # as the generated code does, even when the map is unknown
                return runtime.lookup_entry(target, key, self._reads, is_structure(node.type))
            case ir.Ternary():
                operator = OPERATORS[node.op]
                return operator.evaluate(self.ev(node.first, env), self.ev(node.second, env), self.ev(node.third, env))
            case ir.EvidenceField():
                return self._read(self.root, node.name, node.type)
            case ir.GetField():
                target = self.ev(node.target, env)
                if type(target) is Unknown:
                    return target
                return self._read(target, node.name, node.type)
            case ir.DefinitionRef():
                return self.definition(node.key)
            case ir.JudgementRef():
                if node.per_item:
                    return self.item_value(node.key, env[_ITEM_INDEX])
                return self.judgement_value(node.key)
            case ir.AsOfDate():
                return self.as_of
            case ir.ListExpr():
                return tuple(self.ev(item, env) for item in node.items)
            case ir.Comprehension():
                return self._comprehension(node, env)
            case ir.Quantifier():
                return self._quantifier(node, env)
            case ir.Unary():
                operator = OPERATORS[node.op]
                operand = self.ev(node.operand, env)
                if operator.parameter is not None:
                    return operator.evaluate(operand, operator.parameter(node.type))
                return operator.evaluate(operand)
            case ir.Binary():
                operator = OPERATORS[node.op]
                left = self.ev(node.left, env)
                if operator.short_circuit is not None:
                    if decides_alone(operator, left):
                        return left
                    return operator.apply(left, self.ev(node.right, env))
                return operator.evaluate(left, self.ev(node.right, env))
            case _:
                assert_never(node)

    def _let(self, lets: _LetValues, name: str) -> Any:
        """A local value of the decision, computed when first used, leaving one trace entry of its own."""
        if name in lets.values:
            return lets.values[name]
        let = lets.lets[name]
        outer_steps = self._steps
        known = len(self._reads)
        self._steps = [] if lets.trace is not None else None
        try:
            value = self.ev(let.value, lets.env)
        finally:
            steps, self._steps = self._steps, outer_steps
        if lets.trace is not None:
            reads = runtime.reads_since(self._reads, known)
            lets.trace.append(runtime.let_entry(let.location, let.name, value, reads, steps))
        lets.values[name] = value
        return value

    def _read(self, target: Any, name: str, t: Type) -> Any:
        """A record's field or a map's entry; absent is unknown, with its pointer."""
        if isinstance(target, RecordValue):
            value = target.fields.get(name, MISSING)
        else:
            assert isinstance(target, MapValue), "a field read on a value that is not a record or map"
            value = target.entries.get(name, MISSING)
        pointer = f"{target.pointer}/{escape_pointer(name)}"
        if value is MISSING:
            return Unknown(frozenset({pointer}))
        if not is_structure(t):
            self._reads[pointer] = target.raw[name]
        return value

    def _items(self, node: ir.Expr, env: dict[str, Any]) -> Any:
        value = self.ev(node, env)
        if isinstance(value, MapValue):
            return tuple(value.entries.values())
        return value

    def _comprehension(self, node: ir.Comprehension, env: dict[str, Any]) -> Any:
        items = self._items(node.source, env)
        if type(items) is Unknown:
            return items
        result = []
        for item in items:
            inner = {**env, node.var: item}
            if node.condition is not None:
                keep = self.ev(node.condition, inner)
                if type(keep) is Unknown:
                    return keep
                if not keep:
                    continue
            result.append(self.ev(node.element, inner))
        return tuple(result)

    def _quantifier(self, node: ir.Quantifier, env: dict[str, Any]) -> Any:
        items = self._items(node.source, env)
        if type(items) is Unknown:
            return items
        match node.kind:
            case ir.QuantifierKind.COUNT:
                values = [self.ev(node.condition, {**env, node.var: item}) for item in items]
                unknowns = [v for v in values if type(v) is Unknown]
                return partial_count(sum(1 for v in values if v is True), unknowns)
            case ir.QuantifierKind.ANY:
                result: Any = False
                for item in items:
                    result = kleene_or(result, self.ev(node.condition, {**env, node.var: item}))
                    if result is True:
                        return True
                return result
            case ir.QuantifierKind.ALL:
                result = True
                for item in items:
                    result = kleene_and(result, self.ev(node.condition, {**env, node.var: item}))
                    if result is False:
                        return False
                return result
            case ir.QuantifierKind.NO:
                result = True
                for item in items:
                    result = kleene_and(result, kleene_not(self.ev(node.condition, {**env, node.var: item})))
                    if result is False:
                        return False
                return result
            case _:
                assert_never(node.kind)


# The position of the current item in a for-each decision's environment. No name in a
# rule file can contain a NUL character, so it cannot clash with a loop variable.
_ITEM_INDEX = "\0item"


# The local values of the decision being made, in its environment (a NUL cannot be in a name).
_LETS = "\0lets"


class _LetValues:
    """A decision's `let`s: their definitions, the environment they are computed in, and those computed."""

    __slots__ = ("env", "lets", "trace", "values")

    def __init__(self, lets: dict[str, ir.Let], env: dict[str, Any], trace: list[TraceEntry] | None) -> None:
        self.lets = lets
        self.env = env
        self.trace = trace
        self.values: dict[str, Any] = {}


class _ClauseError(Exception):
    """An evaluation error, with the clause it is reported against."""

    def __init__(self, error: EvaluationError, location: str) -> None:
        super().__init__(error.message)
        self.error = error
        self.location = location


def _done(trace: list[TraceEntry] | None) -> tuple[TraceEntry, ...]:
    return tuple(trace) if trace else ()
