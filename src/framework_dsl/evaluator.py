"""The evaluate stage: a checked framework + validated evidence -> decisions.

This tree-walking evaluator is the reference semantics of the language: the simplest
code that is obviously right. Per document it computes each definition and judgement
at most once, records which evidence values each decision read (`inputs`), and turns
absent evidence into `Unknown` values that make a first-match judgement undetermined
only where the missing value could change the answer.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from framework_dsl import ir
from framework_dsl.evidence import MISSING, MapValue, PointedList, RecordValue, escape_pointer
from framework_dsl.result import ClauseTrace, Decision
from framework_dsl.typesystem import Choice, Duration, ListOf, MapOf, RecordType, SetOf, Symbol, Type
from framework_dsl.values import (
    DECIMAL_CONTEXT,
    Unknown,
    add_duration,
    display_value,
    duration_key,
    first_unknown,
    kleene_and,
    kleene_not,
    kleene_or,
    merge_unknown,
)

# The position of the current item in a for-each decision's environment. No name in
# a rule file can contain a NUL character, so it cannot clash with a loop variable.
ITEM_INDEX = "\0item"


class EvaluationError(Exception):
    """A rule that cannot be evaluated on this evidence (division by zero, ...)."""

    def __init__(self, message: str, code: str = "eval.error") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _records_value(t: Type) -> bool:
    """True for types whose values are structure, not a value worth listing in inputs."""
    if isinstance(t, RecordType | MapOf):
        return True
    if isinstance(t, ListOf | SetOf):
        return _records_value(t.element)
    return False


class Evaluation:
    """The evaluation of one framework over one evidence document."""

    def __init__(
        self,
        framework: ir.Framework,
        root: RecordValue,
        as_of: datetime.date,
        *,
        explain: bool = False,
    ) -> None:
        self.framework = framework
        self.root = root
        self.as_of = as_of
        self.explain = explain
        self.decisions_by_key = {j.key: j for j in (*framework.judgements, *framework.checks)}
        self._definitions: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._outcomes: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._results: dict[str, Decision | tuple[Decision, ...]] = {}
        self._reads: dict[str, Any] = {}
        self._in_progress: set[str] = set()
        self._steps: list[tuple[str, str]] | None = None

    # -- decisions

    def decide(self, judgement: ir.Judgement) -> Decision | tuple[Decision, ...]:
        """The decision(s) for `judgement`, computed once."""
        if judgement.key in self._results:
            return self._results[judgement.key]
        if judgement.key in self._in_progress:  # the checker rejects cycles; defensive
            raise EvaluationError(f"`{judgement.name}` depends on itself")
        self._in_progress.add(judgement.key)
        outer_rule = self._current_rule  # a decision made on the way keeps the caller's clause
        try:
            if judgement.for_each_source is None:
                result: Decision | tuple[Decision, ...] = self._decide_once(judgement, {}, None)
            else:
                result = self._decide_each(judgement)
        finally:
            self._in_progress.discard(judgement.key)
            self._current_rule = outer_rule
        self._results[judgement.key] = result
        return result

    def _decide_each(self, judgement: ir.Judgement) -> tuple[Decision, ...]:
        assert judgement.for_each_source is not None and judgement.for_each_var is not None
        saved = self._reads
        self._reads = {}
        try:
            items = self.ev(judgement.for_each_source, {})
        except EvaluationError as error:
            self._reads = saved
            return (Decision(status="error", error=error.message, rule=judgement.clauses[0].location),)
        self._reads = saved
        if isinstance(items, Unknown):
            return (
                Decision(
                    status="undetermined",
                    item=None,
                    missing=tuple(sorted(items.missing)),
                    rule=judgement.clauses[0].location if judgement.clauses else None,
                ),
            )
        if isinstance(items, MapValue):
            keyed = [(f"{items.pointer}/{escape_pointer(key)}", value) for key, value in items.entries.items()]
        else:
            base = _pointer_of(items)
            keyed = [(_item_pointer(base, index, value), value) for index, value in enumerate(items)]
        decisions = []
        for index, (pointer, item) in enumerate(keyed):
            env = {judgement.for_each_var: item, ITEM_INDEX: index}
            decisions.append(self._decide_once(judgement, env, pointer))
        return tuple(decisions)

    def _decide_once(self, judgement: ir.Judgement, env: dict[str, Any], item: str | None) -> Decision:
        saved = self._reads
        self._reads = {}
        try:
            if judgement.collect:
                return self._collect(judgement, env, item)
            return self._first_match(judgement, env, item)
        except EvaluationError as error:
            return Decision(status="error", item=item, error=error.message, rule=self._current_rule)
        finally:
            self._reads = saved

    _current_rule: str | None = None

    def _condition(self, clause: ir.Clause, env: dict[str, Any], trace: list[ClauseTrace] | None) -> Any:
        self._current_rule = clause.location
        if clause.condition is None:
            value: Any = True
        else:
            reads_before = self._reads
            known_before = len(reads_before)
            self._steps = [] if trace is not None else None
            value = self.ev(clause.condition, env)
            if trace is not None:
                # The reads this condition added. A dict keeps insertion order and reads
                # are only ever added (nested decisions read into dicts of their own and
                # merge), so they are the entries after the first `known_before`.
                assert self._reads is reads_before
                reads = tuple(itertools.islice(self._reads.items(), known_before, None))
                trace.append(
                    ClauseTrace(
                        location=clause.location,
                        condition="unknown" if isinstance(value, Unknown) else ("true" if value else "false"),
                        outcome=None,
                        reads=reads,
                        missing=tuple(sorted(value.missing)) if isinstance(value, Unknown) else (),
                        steps=tuple(self._steps or ()),
                    )
                )
                self._steps = None
        return value

    def _first_match(self, judgement: ir.Judgement, env: dict[str, Any], item: str | None) -> Decision:
        trace: list[ClauseTrace] | None = [] if self.explain else None
        pending: list[tuple[ir.Clause, Unknown]] = []
        for clause in judgement.clauses:
            value = self._condition(clause, env, trace)
            if clause.condition is None and trace is not None:
                trace.append(ClauseTrace(location=clause.location, condition="otherwise", outcome=None, reads=()))
            if isinstance(value, Unknown):
                pending.append((clause, value))
                continue
            if value is not True:
                continue
            outcome = _settled(self.ev(clause.outcome, env))
            if trace is not None:
                trace[-1] = _with_outcome(trace[-1], outcome)
            if isinstance(outcome, Unknown):
                return self._undetermined(item, [*(u for _, u in pending), outcome], clause, trace)
            blockers = [u for c, u in pending if self._pending_outcome(c, env) != outcome]
            if blockers:
                return self._undetermined(item, blockers, pending[0][0], trace)
            return self._decided(judgement, clause, outcome, env, item, (clause.id,), trace)
        if pending:
            return self._undetermined(item, [u for _, u in pending], pending[0][0], trace)
        raise EvaluationError(f"no clause of `{judgement.name}` applies")

    def _pending_outcome(self, clause: ir.Clause, env: dict[str, Any]) -> Any:
        try:
            return self.ev(clause.outcome, env)
        except EvaluationError:
            return Unknown(frozenset())

    def _collect(self, judgement: ir.Judgement, env: dict[str, Any], item: str | None) -> Decision:
        trace: list[ClauseTrace] | None = [] if self.explain else None
        outcomes: list[Any] = []
        fired: list[ir.Clause] = []
        pending: list[tuple[ir.Clause, Unknown]] = []
        for clause in judgement.clauses:
            if clause.condition is None:
                continue
            value = self._condition(clause, env, trace)
            if isinstance(value, Unknown):
                pending.append((clause, value))
            elif value is True:
                outcome = _settled(self.ev(clause.outcome, env))
                if isinstance(outcome, Unknown):
                    return self._undetermined(item, [outcome], clause, trace)
                fired.append(clause)
                if outcome not in outcomes:
                    outcomes.append(outcome)
        blockers = [u for c, u in pending if self._pending_outcome(c, env) not in outcomes]
        if blockers:
            return self._undetermined(item, blockers, pending[0][0], trace)
        if not fired:
            fallback = next((c for c in judgement.clauses if c.condition is None), None)
            if fallback is None:
                return Decision(
                    status="decided",
                    item=item,
                    value=(),
                    label=[],
                    reason=[],
                    cite=[],
                    rule=[],
                    inputs=tuple(sorted(self._reads.items())),
                    trace=tuple(trace or ()),
                )
            outcome = _settled(self.ev(fallback.outcome, env))
            return self._decided(judgement, fallback, outcome, env, item, (fallback.id,), trace)
        reasons = [self._reason(c, env) for c in fired]
        return Decision(
            status="decided",
            item=item,
            value=tuple(outcomes),
            label=[_label(o) for o in outcomes],
            reason=reasons,
            cite=[c.citation for c in fired],
            rule=[c.location for c in fired],
            inputs=tuple(sorted(self._reads.items())),
            clause_ids=tuple(c.id for c in fired),
            trace=tuple(trace or ()),
        )

    def _decided(
        self,
        judgement: ir.Judgement,
        clause: ir.Clause,
        outcome: Any,
        env: dict[str, Any],
        item: str | None,
        clause_ids: tuple[str, ...],
        trace: list[ClauseTrace] | None,
    ) -> Decision:
        if isinstance(outcome, Unknown):
            return self._undetermined(item, [outcome], clause, trace)
        reason = self._reason(clause, env)
        return Decision(
            status="decided",
            item=item,
            value=outcome,
            label=_label(outcome),
            reason=reason,
            cite=clause.citation,
            rule=clause.location,
            inputs=tuple(sorted(self._reads.items())),
            clause_ids=clause_ids,
            trace=tuple(trace or ()),
        )

    def _undetermined(
        self, item: str | None, unknowns: list[Unknown], clause: ir.Clause, trace: list[ClauseTrace] | None
    ) -> Decision:
        missing = merge_unknown(*unknowns).missing
        return Decision(
            status="undetermined",
            item=item,
            missing=tuple(sorted(missing)),
            rule=clause.location,
            trace=tuple(trace or ()),
        )

    def _reason(self, clause: ir.Clause, env: dict[str, Any]) -> str | None:
        if not clause.reason:
            return None
        parts = []
        for part in clause.reason:
            if isinstance(part, str):
                parts.append(part)
            else:
                parts.append(display_value(self.ev(part, env)))
        return "".join(parts)

    # -- references

    def definition(self, key: str) -> Any:
        """The value of a definition, computed once; its reads join the caller's."""
        if key not in self._definitions:
            saved = self._reads
            self._reads = {}
            try:
                value = self.ev(self.framework.definitions[key].value, {})
            finally:
                reads = self._reads
                self._reads = saved
            self._definitions[key] = (value, reads)
        value, reads = self._definitions[key]
        self._reads.update(reads)
        return value

    def judgement_value(self, key: str) -> Any:
        """Another judgement's outcome as a value (Unknown when undetermined)."""
        if key not in self._outcomes:
            judgement = self.decisions_by_key[key]
            decided = self.decide(judgement)
            reads: dict[str, Any] = {}
            if isinstance(decided, tuple):
                if len(decided) == 1 and decided[0].item is None and decided[0].status != "decided":
                    value: Any = _as_value(decided[0])
                else:
                    value = tuple(_as_value(d) for d in decided)
                for d in decided:
                    reads.update(d.inputs)
            else:
                value = _as_value(decided)
                reads.update(decided.inputs)
            self._outcomes[key] = (value, reads)
        value, reads = self._outcomes[key]
        if isinstance(value, _Failed):
            raise EvaluationError(f"it uses `{value.name}`, which could not be evaluated: {value.message}")
        self._reads.update(reads)
        return value

    def item_value(self, key: str, index: int) -> Any:
        """This item's outcome of a for-each judgement over the same list."""
        decided = self.decide(self.decisions_by_key[key])
        decision = decided[index] if isinstance(decided, tuple) else decided
        value = _as_value(decision)
        if isinstance(value, _Failed):
            raise EvaluationError(f"it uses `{key.split(':', 1)[1]}`, which could not be evaluated: {value.message}")
        self._reads.update(decision.inputs)
        return value

    # -- expressions

    def ev(self, node: ir.Expr, env: dict[str, Any]) -> Any:
        """The value of `node` (or an `Unknown`)."""
        value = self._ev(node, env)
        if self._steps is not None and type(node) is not ir.Const:
            self._steps.append((_source_text(node), display_value(value)))
        return value

    def _ev(self, node: ir.Expr, env: dict[str, Any]) -> Any:
        # By exact type (no IR node class has subclasses): a chain of `is` tests costs
        # less than a chain of isinstance calls, and explain walks every node this way.
        # `type(node) is C` is written out in each test so that mypy narrows `node`.
        if type(node) is ir.Binary:
            return self._binary(node, env)
        if type(node) is ir.Const:
            return node.value
        if type(node) is ir.Local:
            return env[node.name]
        if type(node) is ir.EvidenceField:
            return self._read(self.root, node.name, node.type)
        if type(node) is ir.GetField:
            target = self.ev(node.target, env)
            if isinstance(target, Unknown):
                return target
            return self._read(target, node.name, node.type)
        if type(node) is ir.DefinitionRef:
            return self.definition(node.key)
        if type(node) is ir.JudgementRef:
            if node.per_item:
                return self.item_value(node.key, env[ITEM_INDEX])
            return self.judgement_value(node.key)
        if type(node) is ir.AsOfDate:
            return self.as_of
        if type(node) is ir.ListExpr:
            return tuple(self.ev(item, env) for item in node.items)
        if type(node) is ir.Comprehension:
            return self._comprehension(node, env)
        if type(node) is ir.Quantifier:
            return self._quantifier(node, env)
        if type(node) is ir.Unary:
            return self._unary(node, env)
        raise AssertionError(f"unhandled IR node {type(node).__name__}")  # pragma: no cover

    def _read(self, target: Any, name: str, t: Type) -> Any:
        if isinstance(target, RecordValue):
            value = target.fields.get(name, MISSING)
            pointer = f"{target.pointer}/{escape_pointer(name)}"
            if value is MISSING:
                return Unknown(frozenset({pointer}))
            if not _records_value(t):
                self._reads[pointer] = target.raw[name]
            return value
        if isinstance(target, MapValue):
            value = target.entries.get(name, MISSING)
            pointer = f"{target.pointer}/{escape_pointer(name)}"
            if value is MISSING:
                return Unknown(frozenset({pointer}))
            if not _records_value(t):
                self._reads[pointer] = target.raw[name]
            return value
        raise AssertionError("field read on a non-record")  # pragma: no cover

    def _items(self, node: ir.Expr, env: dict[str, Any]) -> Any:
        value = self.ev(node, env)
        if isinstance(value, MapValue):
            return tuple(value.entries.values())
        return value

    def _comprehension(self, node: ir.Comprehension, env: dict[str, Any]) -> Any:
        items = self._items(node.source, env)
        if isinstance(items, Unknown):
            return items
        result = []
        for item in items:
            inner = {**env, node.var: item}
            if node.condition is not None:
                keep = self.ev(node.condition, inner)
                if isinstance(keep, Unknown):
                    return keep
                if not keep:
                    continue
            result.append(self.ev(node.element, inner))
        return tuple(result)

    def _quantifier(self, node: ir.Quantifier, env: dict[str, Any]) -> Any:
        items = self._items(node.source, env)
        if isinstance(items, Unknown):
            return items
        if node.kind == "count":
            values = [self.ev(node.condition, {**env, node.var: item}) for item in items]
            unknown = first_unknown(values)
            return unknown if unknown is not None else sum(1 for v in values if v is True)
        result: Any = node.kind != "any"  # any: false; all and no: true
        for item in items:
            value = self.ev(node.condition, {**env, node.var: item})
            if node.kind == "any":
                result = kleene_or(result, value)
                if result is True:
                    return True
            elif node.kind == "all":
                result = kleene_and(result, value)
                if result is False:
                    return False
            else:
                result = kleene_and(result, kleene_not(value))
                if result is False:
                    return False
        return result

    def _unary(self, node: ir.Unary, env: dict[str, Any]) -> Any:
        op = node.op
        if op == "is_missing":
            return isinstance(self.ev(node.operand, env), Unknown)
        if op == "is_present":
            return not isinstance(self.ev(node.operand, env), Unknown)
        value = self._items(node.operand, env) if op != "not" else self.ev(node.operand, env)
        if op == "not":
            return kleene_not(value)
        if isinstance(value, Unknown):
            return value
        if op == "count":
            return len(value)
        if op == "is_empty":
            return len(value) == 0
        if op in ("worst", "best"):
            return _extreme(op, value, node.type)
        unknown = first_unknown(value)
        if unknown is not None:
            return unknown
        if op == "sorted":
            return tuple(sorted(value, key=_sort_key))
        if op == "sum":
            total: Any = 0
            for item in value:
                total = _add(total, item)
            return total
        if op in ("min", "max"):
            if not value:
                raise EvaluationError(f"`{op} of` an empty list has no value")
            if any(isinstance(v, Duration) for v in value):
                chosen = (min if op == "min" else max)(value, key=_duration_sort_key)
                return chosen
            return (min if op == "min" else max)(value)
        raise AssertionError(f"unhandled unary {op}")  # pragma: no cover

    def _binary(self, node: ir.Binary, env: dict[str, Any]) -> Any:
        op = node.op
        if op == "and":
            left = self.ev(node.left, env)
            if left is False:
                return False
            return kleene_and(left, self.ev(node.right, env))
        if op == "or":
            left = self.ev(node.left, env)
            if left is True:
                return True
            return kleene_or(left, self.ev(node.right, env))
        if op == "if_missing":
            left = self.ev(node.left, env)
            return self.ev(node.right, env) if isinstance(left, Unknown) else left
        left = self.ev(node.left, env)
        right = self.ev(node.right, env)
        handler = _BINARY.get(op)
        if handler is None:
            raise AssertionError(f"unhandled binary {op}")  # pragma: no cover
        return handler(left, right, node)


def _settled(value: Any) -> Any:
    """An outcome with an unknown anywhere inside it is itself unknown."""
    if isinstance(value, tuple):
        unknown = first_unknown(_settled(v) for v in value)
        if unknown is not None:
            return unknown
    return value


class _Failed:
    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message

    def __str__(self) -> str:
        return f"(could not be evaluated: {self.message})"

    __repr__ = __str__


def _as_value(decision: Decision) -> Any:
    if decision.status == "decided":
        return decision.value
    if decision.status == "undetermined":
        return Unknown(frozenset(decision.missing))
    return _Failed(decision.rule or "?", decision.error or "error")


def _with_outcome(step: ClauseTrace, outcome: Any) -> ClauseTrace:
    return ClauseTrace(
        location=step.location,
        condition=step.condition,
        outcome=display_value(outcome),
        reads=step.reads,
        missing=step.missing,
        steps=step.steps,
    )


def _label(value: Any) -> Any:
    if isinstance(value, Symbol):
        return value.display
    if isinstance(value, tuple) and value and all(isinstance(v, Symbol) for v in value):
        return [v.display for v in value]
    return None


def _item_pointer(base: str | None, index: int, value: Any) -> str:
    """Where an item of a for-each list is: its own pointer, its place in an evidence
    list, or — for a list the rules built — `#` and the member's name or position."""
    pointer = getattr(value, "pointer", None)
    if isinstance(pointer, str):
        return pointer
    if base is not None:
        return f"{base}/{index}"
    if isinstance(value, Symbol):
        return f"#{value.name}"
    return f"#{index}"


def _pointer_of(value: Any) -> str | None:
    if isinstance(value, PointedList | MapValue):
        return value.pointer
    return None


def _source_text(node: ir.Expr) -> str:
    return node.span.text


def _sort_key(value: Any) -> Any:
    if isinstance(value, Symbol):
        return (0, value.owner, value.rank)
    if isinstance(value, Duration):
        return (1, *duration_key(value))
    if isinstance(value, bool):
        return (2, value)
    return (3, value)


def _duration_sort_key(value: Any) -> Any:
    unit, amount = duration_key(value)
    return (unit, amount)


def _extreme(op: str, items: Any, t: Type) -> Any:
    known = [v for v in items if not isinstance(v, Unknown)]
    grades = [v for v in known if isinstance(v, Symbol) and v.ordered]
    scale = t.scale if isinstance(t, Choice) else None
    limit_rank = 0 if op == "best" else (len(scale.members) - 1 if scale else None)
    if any(v.rank == limit_rank for v in grades) or len(known) == len(items):
        if not grades:
            if len(known) != len(items):
                return merge_unknown(*items)
            raise EvaluationError(f"`{op} of` a list with no grades has no value")
        return (max if op == "worst" else min)(grades, key=lambda s: s.rank)
    return merge_unknown(*items)


# Results beyond these bounds are evaluation errors rather than numbers no JSON reader
# (nor Python's own int-to-text conversion) could take.
MAX_INTEGER_BITS = 10_000


def _checked(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INTEGER_BITS:
        raise EvaluationError("the number is too large (over 3,000 digits)")
    return value


def _add(left: Any, right: Any) -> Any:
    try:
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            return DECIMAL_CONTEXT.add(Decimal(left), Decimal(right))
        return _checked(left + right)
    except ArithmeticError as error:
        raise EvaluationError(f"the arithmetic failed ({type(error).__name__})") from error


def _strict(function: Callable[[Any, Any, ir.Binary], Any]) -> Callable[[Any, Any, ir.Binary], Any]:
    def wrapper(left: Any, right: Any, node: ir.Binary) -> Any:
        if isinstance(left, Unknown) or isinstance(right, Unknown):
            return merge_unknown(left, right)
        return function(left, right, node)

    return wrapper


def _known_items(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, MapValue):
        value = tuple(value.entries.values())
    unknown = first_unknown(value)
    return unknown if unknown is not None else value


def _membership(left: Any, right: Any, node: ir.Binary) -> Any:
    if isinstance(right, MapValue):
        right = tuple(right.entries.values())
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return merge_unknown(left, right)
    found = left in [v for v in right if not isinstance(v, Unknown)]
    if not found and any(isinstance(v, Unknown) for v in right):
        return merge_unknown(*right)
    return found if node.op == "in" else not found


def _count_rated(left: Any, right: Any, node: ir.Binary) -> Any:
    items = _known_items(left)
    if isinstance(items, Unknown) or isinstance(right, Unknown):
        return merge_unknown(items, right)
    if node.op == "count_rated_in":
        return sum(1 for v in items if v in right)
    return sum(1 for v in items if v == right)


def _compare(left: Any, right: Any, node: ir.Binary) -> Any:
    op = node.op
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if op.startswith("grade_"):
        if not (isinstance(left, Symbol) and left.ordered and isinstance(right, Symbol) and right.ordered):
            raise EvaluationError(f"`{display_value(left)}` and `{display_value(right)}` cannot be ordered")
        # a better grade has a smaller rank: `x >= good` means x.rank <= good.rank
        a: Any = right.rank
        b: Any = left.rank
        op = op.removeprefix("grade_")
    elif isinstance(left, Duration) and isinstance(right, Duration):
        a, b = duration_key(left), duration_key(right)
        if a[0] != b[0]:
            raise EvaluationError(f"{left.display()} and {right.display()} cannot be compared exactly")
    else:
        a, b = left, right
    return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}[op]


def _arith(left: Any, right: Any, node: ir.Binary) -> Any:
    op = node.op
    try:
        if op == "add":
            return _add(left, right)
        if op == "sub":
            if isinstance(left, Decimal) or isinstance(right, Decimal):
                return DECIMAL_CONTEXT.subtract(Decimal(left), Decimal(right))
            return _checked(left - right)
        if op == "mul":
            if isinstance(left, Decimal) or isinstance(right, Decimal):
                return DECIMAL_CONTEXT.multiply(Decimal(left), Decimal(right))
            if left.bit_length() + right.bit_length() > MAX_INTEGER_BITS + 1:
                raise EvaluationError("the number is too large (over 3,000 digits)")
            return left * right
        if op == "div":
            if right == 0:
                raise EvaluationError("division by zero", "eval.division-by-zero")
            return DECIMAL_CONTEXT.divide(Decimal(left), Decimal(right))
    except (DivisionByZero, InvalidOperation, ArithmeticError) as error:
        raise EvaluationError(f"the arithmetic failed ({type(error).__name__})") from error
    raise AssertionError(op)  # pragma: no cover


def _dates(left: Any, right: Any, node: ir.Binary) -> Any:
    try:
        if node.op == "date_add":
            return add_duration(left, right)
        if node.op == "date_sub":
            return add_duration(left, right, -1)
    except OverflowError as error:
        raise EvaluationError("the date is outside the years 1 to 9999") from error
    return (left - right).days


def _set_op(left: Any, right: Any, node: ir.Binary) -> Any:
    left = _known_items(left)
    right = _known_items(right)
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        return merge_unknown(left, right)
    lookup_right = _lookup(right)
    if node.op == "set_diff":
        return tuple(v for v in left if v not in lookup_right)
    if node.op == "intersect":
        return tuple(v for v in left if v in lookup_right)
    lookup_left = _lookup(left)
    return tuple(left) + tuple(v for v in right if v not in lookup_left)


def _lookup(items: Any) -> Any:
    """A set for membership tests in linear time; the items as they are if not hashable."""
    try:
        return set(items)
    except TypeError:
        return items


def _bound(left: Any, right: Any, node: ir.Binary) -> Any:
    if not (isinstance(left, Symbol) and left.ordered):
        return left  # a non-grade outcome (not_rated) is neither capped nor floored
    if node.op == "at_most":
        return left if left.rank >= right.rank else right
    return left if left.rank <= right.rank else right


_BINARY: dict[str, Callable[[Any, Any, ir.Binary], Any]] = {
    **{op: _strict(_compare) for op in ("eq", "ne", "lt", "le", "gt", "ge")},
    **{f"grade_{op}": _strict(_compare) for op in ("lt", "le", "gt", "ge")},
    "in": _membership,
    "not_in": _membership,
    "count_rated": _count_rated,
    "count_rated_in": _count_rated,
    **{op: _strict(_arith) for op in ("add", "sub", "mul", "div")},
    **{op: _strict(_dates) for op in ("date_add", "date_sub", "date_diff")},
    **{op: _set_op for op in ("set_diff", "union", "intersect")},
    "at_most": _strict(_bound),
    "at_least": _strict(_bound),
}
