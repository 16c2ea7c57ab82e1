"""The compile stage: a checked framework -> Python functions that decide as the evaluator does.

The tree-walking evaluator (`evaluator.py`) stays the reference semantics. This module
is the fast path for evaluation without `--explain`: each definition and each
judgement or check becomes one Python function, built as an `ast.Module` from the IR
nodes and compiled with `compile()`. What makes it fast: each evidence value is read
once into a local, shared sub-expressions are computed once where they dominate their
uses, clauses are a plain `if` chain, and `inputs` are recorded into a dict as the
reads happen, exactly where the evaluator records them.

What keeps it safe: no text from a rule file or an evidence document ever becomes code.

- The module is built from `ast` nodes directly; nothing is parsed, and nothing built
  from rule text is passed to `eval` or `exec`.
- Every identifier is made here (`v0`, `k0`, fixed parameter names, `h_` + a key of
  the fixed helper table); rule literals (grade names, reasons, field names, numbers)
  enter only as `ast.Constant`, or as closure constants passed to the module's factory.
- The only calls are to the fixed helper table; the only attribute reads are the fixed
  names in `ALLOWED_ATTRIBUTES`, on the runtime's own values (the evaluation state,
  evidence records and maps, symbols); there are no imports, no dunder names and no
  builtins (the generated code runs with an empty `__builtins__`).
- `check_generated` walks every generated module and rejects any node type outside
  `ALLOWED_NODE_TYPES`; it runs on every module before it is compiled, and the test
  suite runs it over every bundled framework.

The compiled path agrees with the evaluator on every decision: outcomes, labels,
reasons, citations, rules, `inputs`, missing pointers and errors (including which
rule an error is reported against). Tracing is not compiled: `explain` stays on the
evaluator. Operators with no exact inline form call the evaluator's own functions;
the control flow of `Evaluation` (`_first_match`, `_collect`, `_decide_each`,
`definition`, `judgement_value`, `item_value`, the tail of `_unary`) is mirrored here,
so a change there needs the same change here: `tests/unit/test_compiler.py` checks
the two agree on every bundled framework and on generated evidence.
"""

from __future__ import annotations

import ast
import datetime
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from framework_dsl import ir
from framework_dsl.evaluator import (
    _BINARY,
    EvaluationError,
    _add,
    _as_value,
    _duration_sort_key,
    _extreme,
    _Failed,
    _item_pointer,
    _label,
    _pointer_of,
    _records_value,
    _settled,
    _sort_key,
)
from framework_dsl.evidence import MapValue, PointedList, RecordValue, echo_set_in_order, escape_pointer, parse_date
from framework_dsl.result import Decision
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    TEXT,
    Choice,
    Duration,
    ListOf,
    MapOf,
    Prim,
    SetOf,
    Symbol,
    Type,
    element_type,
)
from framework_dsl.values import Unknown, display_value, first_unknown, kleene_and, kleene_or, merge_unknown

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_NODE_TYPES",
    "CompiledFramework",
    "UnsafeCodeError",
    "check_generated",
    "compile_framework",
]

# ---------------------------------------------------------------- the allow-lists

ALLOWED_NODE_TYPES: frozenset[type[ast.AST]] = frozenset(
    {
        # structure
        ast.Module,
        ast.FunctionDef,
        ast.arguments,
        ast.arg,
        ast.Return,
        ast.Assign,
        ast.AugAssign,
        ast.If,
        ast.For,
        ast.Break,
        ast.Continue,
        ast.Pass,
        ast.Try,
        ast.ExceptHandler,
        # expressions
        ast.Name,
        ast.Load,
        ast.Store,
        ast.Constant,
        ast.Attribute,
        ast.Subscript,
        ast.Call,
        ast.Compare,
        ast.BoolOp,
        ast.UnaryOp,
        ast.BinOp,
        ast.IfExp,
        ast.Tuple,
        ast.List,
        ast.Dict,
        ast.JoinedStr,
        ast.FormattedValue,
        # operators
        ast.And,
        ast.Or,
        ast.Not,
        ast.Add,
        ast.Sub,
        ast.Mult,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.Is,
        ast.IsNot,
        ast.In,
        ast.NotIn,
    }
)

# Attribute names the generated code may read (or, for `rule`, write): the evaluation
# state's (`f`, `raw`, `as_of`, `rule`), evidence records' and maps' (`fields`, `raw`,
# `entries`, `pointer`) and symbols' (`name`, `owner`, `rank`, `display`).
ALLOWED_ATTRIBUTES: frozenset[str] = frozenset(
    {"f", "raw", "as_of", "rule", "fields", "entries", "pointer", "name", "owner", "rank", "display"}
)

# Fixed parameter and local names: s = evaluation state, r = reads of the current
# decision or definition, i / n / p = the current item, its index and its pointer,
# F / R / A = the root's fields, the root's raw JSON and the evaluation date,
# m = the module's factory, d / j / q = definition, decision and for-each source.
_FIXED_NAMES = frozenset({"s", "r", "i", "n", "p", "F", "R", "A", "m", "d", "j", "q"})
_GENERATED_NAME = re.compile(r"^[vk][0-9]+$")
_CONSTANT_TYPES = (str, int, bool, type(None))


class UnsafeCodeError(Exception):
    """A generated module holds a construct outside the allow-lists (a compiler bug)."""


# ---------------------------------------------------------------- runtime helpers


class _Op:
    """Stands in for an `ir.Binary` node: the evaluator's operators read only `.op`."""

    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op


def _binary_helper(op: str) -> Callable[[Any, Any], Any]:
    handler = _BINARY[op]
    node = _Op(op)

    def helper(left: Any, right: Any) -> Any:
        return handler(left, right, node)  # type: ignore[arg-type]

    return helper


def _h_unknown(pointer: str) -> Unknown:
    return Unknown(frozenset((pointer,)))


def _h_merge(left: Any, right: Any) -> Unknown:
    return merge_unknown(left, right)


def _h_merge_all(values: tuple[Any, ...]) -> Unknown:
    return merge_unknown(*values)


def _h_items(value: Any) -> Any:
    """The evaluator's `_items`: a map's values as a tuple; anything else unchanged."""
    if isinstance(value, MapValue):
        return tuple(value.entries.values())
    return value


_RANK = operator.attrgetter("rank")


def _h_worst(items: Any) -> Any:
    """`worst of` a list of grades of one scale, none unknown."""
    if not items:
        raise EvaluationError("`worst of` a list with no grades has no value")
    return max(items, key=_RANK)


def _h_best(items: Any) -> Any:
    """`best of` a list of grades of one scale, none unknown."""
    if not items:
        raise EvaluationError("`best of` a list with no grades has no value")
    return min(items, key=_RANK)


def _h_rest(op: str, value: Any) -> Any:
    """`sorted`, `sum of`, `min of`, `max of`: the evaluator's `_unary` after its Unknown test."""
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
    if not value:
        raise EvaluationError(f"`{op} of` an empty list has no value")
    if any(isinstance(v, Duration) for v in value):
        return (min if op == "min" else max)(value, key=_duration_sort_key)
    return (min if op == "min" else max)(value)


_SEQUENCES = (tuple, PointedList)
_COUNT_RATED = _binary_helper("count_rated")
_SET_OPS = {op: _binary_helper(op) for op in ("union", "intersect", "set_diff")}


def _h_count_symbol(items: Any, symbol: Symbol) -> Any:
    """`count of items rated GRADE` for a grade written in the rules.

    The evaluator compares with `==`; for a symbol that is owner and name, compared here
    without calling the attrs `__eq__`. Anything but a plain list of known values goes
    to the evaluator's operator, so unknowns and odd values behave exactly as there.
    """
    if type(items) not in _SEQUENCES:
        return _COUNT_RATED(items, symbol)
    name = symbol.name
    owner = symbol.owner
    count = 0
    for value in items:
        if type(value) is Symbol:
            if value is symbol or (value.name == name and value.owner == owner):
                count += 1
        elif isinstance(value, Unknown):
            return _COUNT_RATED(items, symbol)
        elif value == symbol:
            count += 1
    return count


def _h_tally(items: Any, size: int) -> list[int]:
    """How many of `items` (known symbols of one set, ranks 0..size-1) have each rank."""
    counts = [0] * size
    for value in items:
        counts[value.rank] += 1
    return counts


def _symbol_index(items: Any) -> dict[str, set[str]] | None:
    """The names of the items by owner, or None unless every item is a symbol."""
    index: dict[str, set[str]] = {}
    for value in items:
        if type(value) is not Symbol:
            return None
        names = index.get(value.owner)
        if names is None:
            index[value.owner] = {value.name}
        else:
            names.add(value.name)
    return index


_EMPTY: frozenset[str] = frozenset()


def _set_op_helper(op: str) -> Callable[[Any, Any], Any]:
    reference = _SET_OPS[op]

    def helper(left: Any, right: Any) -> Any:
        """`union`, `intersect` or `-` on lists of symbols, comparing owner and name as `==` does."""
        if type(left) not in _SEQUENCES or type(right) not in _SEQUENCES:
            return reference(left, right)
        keep: list[Any] = []
        if op == "union":
            index = _symbol_index(left)
            if index is None:
                return reference(left, right)
            for value in right:
                if type(value) is not Symbol:
                    return reference(left, right)
                if value.name not in index.get(value.owner, _EMPTY):
                    keep.append(value)
            return tuple(left) + tuple(keep)
        index = _symbol_index(right)
        if index is None:
            return reference(left, right)
        wanted = op == "intersect"
        for value in left:
            if type(value) is not Symbol:
                return reference(left, right)
            if (value.name in index.get(value.owner, _EMPTY)) is wanted:
                keep.append(value)
        return tuple(keep)

    return helper


def _h_display(value: Any) -> str:
    """`display_value`, with the common cases first."""
    kind = type(value)
    if kind is Symbol:
        return value.display  # type: ignore[no-any-return]
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    if kind is tuple or kind is PointedList:
        if not value:
            return "none"
        return ", ".join([v.display if type(v) is Symbol else _h_display(v) for v in value])
    return display_value(value)


def _h_label(value: Any) -> Any:
    """The evaluator's `_label`: a symbol's label, or the labels of a list of symbols, else None."""
    kind = type(value)
    if kind is Symbol:
        return value.display
    if kind is tuple:
        labels = []
        for item in value:
            if type(item) is not Symbol:
                return _label(value)
            labels.append(item.display)
        return labels or None
    return _label(value)


def _h_undetermined(item: str | None, unknowns: tuple[Any, ...], rule: str | None) -> Decision:
    return Decision(
        status="undetermined",
        item=item,
        missing=tuple(sorted(merge_unknown(*unknowns).missing)),
        rule=rule,
    )


def _h_blocked(
    item: str | None, blockers: tuple[Any, ...], pending: tuple[Any, ...], locations: tuple[str, ...]
) -> Decision:
    """Undetermined by pending unknown clauses; the rule is the first pending clause's."""
    rule = next(location for value, location in zip(pending, locations, strict=True) if value is not None)
    return _h_undetermined(item, blockers, rule)


def _h_fell_through(item: str | None, pending: tuple[Any, ...], locations: tuple[str, ...], message: str) -> Decision:
    """No clause fired: undetermined if some clause was unknown, else an error."""
    if any(value is not None for value in pending):
        return _h_blocked(item, pending, pending, locations)
    raise EvaluationError(message)


def _h_decided(
    item: str | None,
    outcome: Any,
    label: Any,
    reason: str | None,
    cite: str | None,
    rule: str,
    reads: dict[str, Any],
    clause_ids: tuple[str, ...],
) -> Decision:
    # `reads` is this decision's own dict, never written again: the Decision keeps it
    # and sorts it only when its inputs are looked at (`Decision.inputs`, `to_dict`).
    record = _new_object(Decision)
    _set_decision(record, ("decided", item, outcome, label, reason, cite, rule, reads, (), None, clause_ids, ()))
    return record


def _h_collected(
    item: str | None,
    outcomes: list[Any],
    fired: tuple[bool, ...],
    reasons: list[str | None],
    reads: dict[str, Any],
    clauses: tuple[tuple[str | None, str, str], ...],
) -> Decision:
    chosen = [clause for clause, did in zip(clauses, fired, strict=True) if did]
    return Decision(
        status="decided",
        item=item,
        value=tuple(outcomes),
        label=[_h_label(o) for o in outcomes],
        reason=reasons,
        cite=[c[0] for c in chosen],
        rule=[c[1] for c in chosen],
        inputs=tuple(sorted(reads.items())),
        clause_ids=tuple(c[2] for c in chosen),
    )


def _h_collected_none(item: str | None, reads: dict[str, Any]) -> Decision:
    return Decision(
        status="decided",
        item=item,
        value=(),
        label=[],
        reason=[],
        cite=[],
        rule=[],
        inputs=tuple(sorted(reads.items())),
    )


# -- helpers of the compiled evidence validator (`evidence_compiler.py`)


def _h_unique(items: list[Any]) -> bool:
    """No item is listed twice (equal and equal-hashing, as `validate` compares them)."""
    return len(set(items)) == len(items)


def _h_sort_symbols(items: list[Symbol]) -> list[Symbol]:
    """A set of symbols in the order `validate` keeps it: by owner, then rank."""
    return sorted(items, key=_SYMBOL_ORDER)


def _h_in_order(entries: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A map's entries in the order of its key enumeration."""
    return {name: entries[name] for name in names if name in entries}


_SYMBOL_ORDER = operator.attrgetter("owner", "rank")
_new_object = object.__new__
_set_decision = Decision._fields.__set__  # type: ignore[attr-defined, misc]  # the slot, as `make_record` sets it


def _slot_builder(cls: type[Any], first: str, second: str, third: str) -> Callable[[Any, Any, Any], Any]:
    """`cls(a, b, c)` for a frozen attrs class of three slots, set past its `__setattr__`.

    The validator makes one record per evidence object; this costs two thirds of the
    attrs `__init__`, which goes through `object.__setattr__` for every field.
    """
    set_first, set_second, set_third = (getattr(cls, name).__set__ for name in (first, second, third))

    def build(a: Any, b: Any, c: Any) -> Any:
        value = _new_object(cls)
        set_first(value, a)
        set_second(value, b)
        set_third(value, c)
        return value

    return build


_h_record: Callable[[str, dict[str, Any], dict[str, Any]], RecordValue] = _slot_builder(
    RecordValue, "pointer", "fields", "raw"
)
_h_map: Callable[[str, dict[str, Any], dict[str, Any]], MapValue] = _slot_builder(MapValue, "pointer", "entries", "raw")


class _State:
    """One evaluation of one document: caches, and the rule an error is reported against."""

    __slots__ = ("as_of", "compiled", "defs", "f", "outcomes", "raw", "results", "rule")

    def __init__(self, compiled: CompiledFramework, root: RecordValue, as_of: datetime.date) -> None:
        self.compiled = compiled
        self.f = root.fields
        self.raw = root.raw
        self.as_of = as_of
        # The evaluator's `_current_rule`: the clause whose condition was tried last,
        # anywhere in the evaluation. An error decision reports it.
        self.rule: str | None = None
        # By index, None until computed: (value, reads), decisions, (outcome value, reads).
        self.defs: list[tuple[Any, dict[str, Any]] | None] = [None] * compiled._definition_count
        self.results: list[Decision | tuple[Decision, ...] | None] = [None] * compiled._entry_count
        self.outcomes: list[tuple[Any, dict[str, Any]] | None] = [None] * compiled._entry_count


def _h_definition(s: _State, index: int, r: dict[str, Any]) -> Any:
    """A definition's value, computed once; its reads join the caller's."""
    cached = s.defs[index]
    if cached is None:
        reads: dict[str, Any] = {}
        value = s.compiled._definition_fns[index](s, reads)
        s.defs[index] = (value, reads)
    else:
        value, reads = cached
    if reads:
        r.update(reads)
    return value


def _h_judgement(s: _State, index: int, r: dict[str, Any]) -> Any:
    """Another judgement's outcome as a value: the evaluator's `judgement_value`."""
    cached = s.outcomes[index]
    if cached is None:
        decided = _decide(s, index)
        reads: dict[str, Any] = {}
        if isinstance(decided, tuple):
            if len(decided) == 1 and decided[0].item is None and decided[0].status != "decided":
                value: Any = _as_value(decided[0])
            else:
                value = tuple(_as_value(d) for d in decided)
            for d in decided:
                reads.update(d._fields[7])  # its inputs as stored: a dict, or sorted pairs
        else:
            fields = decided._fields
            value = fields[2] if fields[0] == "decided" else _as_value(decided)
            reads.update(decided._fields[7])
        cached = s.outcomes[index] = (value, reads)
    value, reads = cached
    if type(value) is _Failed:
        raise EvaluationError(f"it uses `{value.name}`, which could not be evaluated: {value.message}")
    if reads:
        r.update(reads)
    return value


def _h_item(s: _State, index: int, position: int, r: dict[str, Any]) -> Any:
    """This item's outcome of a for-each judgement over the same list: `item_value`."""
    decided = _decide(s, index)
    decision = decided[position] if isinstance(decided, tuple) else decided
    value = _as_value(decision)
    if isinstance(value, _Failed):
        key = s.compiled._entries[index].key
        raise EvaluationError(f"it uses `{key.split(':', 1)[1]}`, which could not be evaluated: {value.message}")
    r.update(decision._fields[7])
    return value


def _decide(s: _State, index: int) -> Decision | tuple[Decision, ...]:
    result = s.results[index]
    if result is None:
        entry = s.compiled._entries[index]
        outer_rule = s.rule  # a decision made on the way keeps the caller's clause
        try:
            if entry.source is None:
                try:
                    result = entry.body(s)
                except EvaluationError as error:
                    result = Decision(status="error", item=None, error=error.message, rule=s.rule)
            else:
                result = _decide_each(s, entry)
        finally:
            s.rule = outer_rule
        s.results[index] = result
    return result


def _decide_each(s: _State, entry: _Entry) -> tuple[Decision, ...]:
    assert entry.source is not None
    try:
        items = entry.source(s, {})
    except EvaluationError as error:
        return (Decision(status="error", error=error.message, rule=entry.first_location),)
    if isinstance(items, Unknown):
        return (
            Decision(status="undetermined", item=None, missing=tuple(sorted(items.missing)), rule=entry.first_location),
        )
    if isinstance(items, MapValue):
        keyed = [(f"{items.pointer}/{escape_pointer(key)}", value) for key, value in items.entries.items()]
    else:
        base = _pointer_of(items)
        keyed = [(_item_pointer(base, index, value), value) for index, value in enumerate(items)]
    body = entry.body
    decisions = []
    for index, (pointer, item) in enumerate(keyed):
        try:
            decisions.append(body(s, item, index, pointer))
        except EvaluationError as error:
            decisions.append(Decision(status="error", item=pointer, error=error.message, rule=s.rule))
    return tuple(decisions)


# The fixed helper table. Generated code names a helper `h_<key>`; nothing else is callable.
_HELPERS: dict[str, Any] = {
    "isinstance": isinstance,
    "len": len,
    "tuple": tuple,
    "U": Unknown,
    "E": EvaluationError,
    "unknown": _h_unknown,
    "merge": _h_merge,
    "merge_all": _h_merge_all,
    "kand": kleene_and,
    "kor": kleene_or,
    "items": _h_items,
    "worst": _h_worst,
    "best": _h_best,
    "extreme": _extreme,
    "settled": _settled,
    "rest": _h_rest,
    "display": _h_display,
    "count_symbol": _h_count_symbol,
    "tally": _h_tally,
    **{"sym_" + op: _set_op_helper(op) for op in _SET_OPS},
    "label": _h_label,
    "undetermined": _h_undetermined,
    "blocked": _h_blocked,
    "fell_through": _h_fell_through,
    "decided": _h_decided,
    "collected": _h_collected,
    "collected_none": _h_collected_none,
    "definition": _h_definition,
    "judgement": _h_judgement,
    "item": _h_item,
    **{"bin_" + op: _binary_helper(op) for op in _BINARY},
    # the compiled evidence validator's
    "type": type,
    "dict": dict,
    "str": str,
    "int": int,
    "list": list,
    "Decimal": Decimal,
    "date": parse_date,
    "within": frozenset.issuperset,  # within(allowed, data): every key of `data` is allowed
    "unique": _h_unique,
    "sort_symbols": _h_sort_symbols,
    "in_order": _h_in_order,
    "canonical_raw": echo_set_in_order,
    "escape": escape_pointer,
    "record": _h_record,
    "map": _h_map,
    "pointed": PointedList,
}


# ---------------------------------------------------------------- the compiled framework


class _Entry:
    __slots__ = ("body", "first_location", "key", "name", "source")

    def __init__(
        self, key: str, name: str, body: Callable[..., Decision], source: Callable[..., Any] | None, first: str | None
    ) -> None:
        self.key = key
        self.name = name
        self.body = body
        self.source = source
        self.first_location = first


class CompiledFramework:
    """A framework compiled to Python functions. Immutable after construction; threads may share it."""

    def __init__(
        self,
        framework: ir.Framework,
        modules: dict[str, ast.Module],
        definition_fns: list[Callable[..., Any]],
        entries: list[_Entry],
        referenced: set[int] = frozenset(),  # type: ignore[assignment]
    ) -> None:
        self.framework = framework
        self.modules = modules  # the generated modules, by definition or decision key
        self._definition_fns = definition_fns
        self._entries = entries
        self._definition_count = len(definition_fns)
        self._entry_count = len(entries)
        # (name, index, body): a decision no other decision reads, and not for-each, is
        # called directly (body); the rest go through `_decide` and its cache (body None).
        plan = [
            (d.name, i, entries[i].body if entries[i].source is None and i not in referenced else None)
            for i, d in enumerate((*framework.judgements, *framework.checks))
        ]
        self._judgements = plan[: len(framework.judgements)]
        self._checks = plan[len(framework.judgements) :]

    def evaluate(
        self, root: RecordValue, as_of: datetime.date
    ) -> tuple[dict[str, Decision | tuple[Decision, ...]], dict[str, Decision | tuple[Decision, ...]]]:
        """Decide every judgement and check of one validated document (no trace).

        Returns:
            (judgements, checks): the same keys, order and decisions as
            `{j.name: Evaluation(framework, root, as_of).decide(j)}`.
        """
        s = _State(self, root, as_of)
        judgements: dict[str, Decision | tuple[Decision, ...]] = {}
        checks: dict[str, Decision | tuple[Decision, ...]] = {}
        for plan, decided in ((self._judgements, judgements), (self._checks, checks)):
            for name, index, body in plan:
                if body is None:
                    decided[name] = _decide(s, index)
                    continue
                # A decision nothing else reads: called directly, no cache, and the rule
                # an error is reported against starts from None again afterwards.
                try:
                    decided[name] = body(s)
                except EvaluationError as error:
                    decided[name] = Decision(status="error", item=None, error=error.message, rule=s.rule)
                s.rule = None
        return judgements, checks


def compile_framework(framework: ir.Framework) -> CompiledFramework:
    """Compile every definition and decision of `framework` to Python functions.

    Raises:
        UnsafeCodeError: a generated module failed the allow-list walk (a compiler bug).
    """
    return _Compiler(framework).run()


# ---------------------------------------------------------------- ast building blocks


def _name(ident: str) -> ast.Name:
    return ast.Name(id=ident, ctx=ast.Load())


def _store(ident: str) -> ast.Name:
    return ast.Name(id=ident, ctx=ast.Store())


def _assign(ident: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[_store(ident)], value=value)


def _attr(value: ast.expr, attr: str) -> ast.Attribute:
    assert attr in ALLOWED_ATTRIBUTES
    return ast.Attribute(value=value, attr=attr, ctx=ast.Load())


def _sub(value: ast.expr, key: ast.expr) -> ast.Subscript:
    return ast.Subscript(value=value, slice=key, ctx=ast.Load())


def _cmp(left: ast.expr, op: ast.cmpop, right: ast.expr) -> ast.Compare:
    return ast.Compare(left=left, ops=[op], comparators=[right])


def _const(value: Any) -> ast.Constant:
    return ast.Constant(value=value)


def _if(test: ast.expr, body: Sequence[ast.stmt], orelse: Sequence[ast.stmt] | None = None) -> ast.If:
    return ast.If(test=test, body=list(body) or [ast.Pass()], orelse=list(orelse or ()))


def _not(value: ast.expr) -> ast.UnaryOp:
    return ast.UnaryOp(op=ast.Not(), operand=value)


def _or(values: list[ast.expr]) -> ast.expr:
    return values[0] if len(values) == 1 else ast.BoolOp(op=ast.Or(), values=values)


def _and(values: list[ast.expr]) -> ast.expr:
    return values[0] if len(values) == 1 else ast.BoolOp(op=ast.And(), values=values)


def _append(ident: str, value: ast.expr, *, as_tuple: bool = False) -> ast.AugAssign:
    items: ast.expr = ast.Tuple(elts=[value], ctx=ast.Load()) if as_tuple else ast.List(elts=[value], ctx=ast.Load())
    return ast.AugAssign(target=_store(ident), op=ast.Add(), value=items)


_COMPARE_OPS: dict[str, Callable[[], ast.cmpop]] = {
    "lt": ast.Lt,
    "le": ast.LtE,
    "gt": ast.Gt,
    "ge": ast.GtE,
}

_NO_CONST = object()


class _Val:
    """A compiled expression: a local or constant holding its value, and what it may hold."""

    __slots__ = ("clean", "const", "efail", "eunk", "fail", "lit", "ptr", "ref", "type", "unk")

    def __init__(
        self,
        type_: Type,
        *,
        ref: str | None = None,
        lit: Any = None,
        unk: bool = False,
        eunk: bool = False,
        fail: bool = False,
        efail: bool = False,
        clean: bool = False,
        const: Any = _NO_CONST,
        ptr: str | None = None,
    ) -> None:
        self.type = type_
        self.ref = ref  # the local or closure name holding the value
        self.lit = lit  # else a literal, written as an ast.Constant
        self.unk = unk  # may be an Unknown
        self.eunk = eunk  # its items may be Unknown
        self.fail = fail  # may be a failed judgement's stand-in (`_Failed`)
        self.efail = efail  # its items may be
        self.clean = clean  # evidence or constant: items (and their items) are what the type says
        self.const = const  # the value, when known while compiling
        self.ptr = ptr  # the JSON pointer of an evidence record/map/list, when known while compiling

    def expr(self) -> ast.expr:
        return _name(self.ref) if self.ref is not None else _const(self.lit)

    @property
    def sym(self) -> bool:
        """A symbol whenever it is not Unknown."""
        return isinstance(self.type, Choice) and self.type.base is None and not self.fail

    @property
    def boolean(self) -> bool:
        """A Python bool whenever it is not Unknown."""
        return self.type == BOOLEAN and not self.fail


def _is_list_type(t: Type) -> bool:
    return isinstance(t, ListOf | SetOf | MapOf)


def _expr_key(node: ir.Expr, env: dict[str, _Val], depth: int = 0) -> Any:
    """A structural key for common-subexpression reuse: equal keys mean equal values."""
    if isinstance(node, ir.Const):
        return ("c", type(node.value), repr(node.value))
    if isinstance(node, ir.Local):
        bound = env[node.name]
        return ("l", bound.ref)
    if isinstance(node, ir.EvidenceField):
        return ("f", node.name)
    if isinstance(node, ir.GetField):
        return ("g", _expr_key(node.target, env, depth), node.name)
    if isinstance(node, ir.DefinitionRef):
        return ("d", node.key)
    if isinstance(node, ir.JudgementRef):
        return ("j", node.key, node.per_item)
    if isinstance(node, ir.AsOfDate):
        return ("a",)
    if isinstance(node, ir.ListExpr):
        return ("L", *(_expr_key(item, env, depth) for item in node.items))
    if isinstance(node, ir.Comprehension | ir.Quantifier):
        inner = {**env, node.var: _Val(node.type, ref=f"@{depth}")}
        source = _expr_key(node.source, env, depth)
        condition = _expr_key(node.condition, inner, depth + 1) if node.condition is not None else None
        if isinstance(node, ir.Quantifier):
            return ("Q", node.kind, source, condition)
        return ("C", source, condition, _expr_key(node.element, inner, depth + 1))
    if isinstance(node, ir.Unary):
        extra = node.type if node.op in ("worst", "best") else None
        return ("u", node.op, _expr_key(node.operand, env, depth), extra)
    if isinstance(node, ir.Binary):
        return ("b", node.op, _expr_key(node.left, env, depth), _expr_key(node.right, env, depth))
    raise AssertionError(f"unhandled IR node {type(node).__name__}")  # pragma: no cover


# ---------------------------------------------------------------- the compiler


class _Compiler:
    def __init__(self, framework: ir.Framework) -> None:
        self.framework = framework
        decisions = (*framework.judgements, *framework.checks)
        self.decision_index = {d.key: i for i, d in enumerate(decisions)}
        self.definition_index: dict[str, int] = {}
        self.definition_vals: dict[str, _Val] = {}
        self.definition_fns: list[Callable[..., Any]] = []
        self.modules: dict[str, ast.Module] = {}
        self.referenced: set[int] = set()  # decisions whose outcome another decision reads

    def run(self) -> CompiledFramework:
        # Definitions are compiled when first referenced: `framework.definitions` may
        # also hold other frameworks' definitions, which this one never evaluates.
        entries = []
        for decision in (*self.framework.judgements, *self.framework.checks):
            entries.append(self.decision(decision))
        return CompiledFramework(self.framework, self.modules, self.definition_fns, entries, self.referenced)

    # -- definitions

    def definition(self, key: str) -> tuple[int, _Val]:
        """Compile a definition once (the checker rules out cycles); its index and value flags."""
        if key in self.definition_index:
            return self.definition_index[key], self.definition_vals[key]
        definition = self.framework.definitions[key]
        module = _Module(self, self.modules)
        fn = _Fn(module, ("s", "r"))
        value = fn.ev(definition.value, {})
        fn.emit(ast.Return(value=value.expr()))
        loaded = module.load(key, fn.function("d"), f"{self.framework.name}:{definition.name}")
        index = len(self.definition_fns)
        self.definition_fns.append(loaded)
        self.definition_index[key] = index
        self.definition_vals[key] = value
        return index, value

    # -- decisions

    def decision(self, judgement: ir.Judgement) -> _Entry:
        module = _Module(self, self.modules)
        first = judgement.clauses[0].location if judgement.clauses else None
        if judgement.for_each_source is None:
            fn = _Fn(module, ("s",))
            fn.decision(judgement, {}, _const(None))
            loaded = module.load(judgement.key, fn.function("j"), f"{self.framework.name}:{judgement.name}")
            return _Entry(judgement.key, judgement.name, loaded, None, first)
        assert judgement.for_each_var is not None
        source_fn = _Fn(module, ("s", "r"))
        source = source_fn.ev(judgement.for_each_source, {})
        source_fn.emit(ast.Return(value=source.expr()))
        body_fn = _Fn(module, ("s", "i", "n", "p"))
        body_fn.index_ref = "n"
        item = _element(source, judgement.for_each_source.type, "i")
        body_fn.decision(judgement, {judgement.for_each_var: item}, _name("p"))
        loaded = module.load(
            judgement.key, [source_fn.function("q"), body_fn.function("j")], f"{self.framework.name}:{judgement.name}"
        )
        source_loaded, body_loaded = loaded
        return _Entry(judgement.key, judgement.name, body_loaded, source_loaded, first)


def _plain(node: ir.Expr, definitions: Any, depth: int = 0) -> bool:
    """Whether `node` only reads evidence fields and lists them (cheap to compute where used)."""
    if depth > 8:
        return False
    if isinstance(node, ir.Const | ir.EvidenceField):
        return True
    if isinstance(node, ir.GetField):
        return _plain(node.target, definitions, depth + 1)
    if isinstance(node, ir.ListExpr):
        return all(_plain(item, definitions, depth + 1) for item in node.items)
    if isinstance(node, ir.DefinitionRef):
        return _plain(definitions[node.key].value, definitions, depth + 1)
    return False


def _element(source: _Val, source_type: Type, ref: str) -> _Val:
    """The value of one item of `source` (a loop variable)."""
    t = element_type(source_type)
    if t is None:  # pragma: no cover - the checker types every loop source as a collection
        t = source_type
    nested = _is_list_type(t)
    return _Val(
        t,
        ref=ref,
        unk=source.eunk,
        fail=source.efail,
        eunk=nested and not source.clean,
        efail=nested and not source.clean,
        clean=source.clean,
    )


class _Module:
    """One generated module: a factory taking helpers and constants, returning the function(s)."""

    def __init__(self, compiler: _Compiler | None, modules: dict[str, ast.Module]) -> None:
        self.compiler = compiler  # None when not compiling a framework's decisions
        self.modules = modules
        self.helpers: dict[str, None] = {}
        self.constants: list[Any] = []
        self.constant_names: dict[int, str] = {}
        self.counter = 0

    @property
    def framework_compiler(self) -> _Compiler:
        assert self.compiler is not None
        return self.compiler

    def new(self) -> str:
        name = f"v{self.counter}"
        self.counter += 1
        return name

    def helper(self, key: str) -> ast.Name:
        assert key in _HELPERS, key
        self.helpers[key] = None
        return _name("h_" + key)

    def call(self, key: str, *args: ast.expr) -> ast.Call:
        return ast.Call(func=self.helper(key), args=list(args), keywords=[])

    def constant(self, value: Any) -> ast.expr:
        """A constant from the rules: an ast.Constant for plain values, else a closure constant."""
        if type(value) in _CONSTANT_TYPES:
            return _const(value)
        if type(value) is tuple and all(type(v) in _CONSTANT_TYPES for v in value):
            return _const(value)
        name = self.constant_names.get(id(value))
        if name is None:
            name = f"k{len(self.constants)}"
            self.constants.append(value)
            self.constant_names[id(value)] = name
        return _name(name)

    def load(self, key: str, functions: ast.FunctionDef | list[ast.FunctionDef], label: str) -> Any:
        """Check, compile and run the module; keep its tree as `modules[key]`; return the function(s)."""
        many = isinstance(functions, list)
        defs = functions if isinstance(functions, list) else [functions]
        helper_names = sorted(self.helpers)
        params = [ast.arg(arg="h_" + key) for key in helper_names]
        params += [ast.arg(arg=f"k{i}") for i in range(len(self.constants))]
        result: ast.expr = (
            ast.Tuple(elts=[_name(f.name) for f in defs], ctx=ast.Load()) if many else _name(defs[0].name)
        )
        factory = ast.FunctionDef(
            name="m",
            args=ast.arguments(posonlyargs=[], args=params, kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=[*defs, ast.Return(value=result)],
            decorator_list=[],
            returns=None,
        )
        tree = ast.Module(body=[factory], type_ignores=[])
        _check(tree, locate=True)
        self.modules[key] = tree
        code = compile(tree, f"<framework-dsl {label}>", "exec")
        namespace: dict[str, Any] = {"__builtins__": {}}
        exec(code, namespace)  # a code object compiled from the ast above, never text
        return namespace["m"](*(_HELPERS[key] for key in helper_names), *self.constants)


class _Fn:
    """One generated function: statement blocks, and values known to hold where they dominate."""

    def __init__(self, module: _Module, params: tuple[str, ...]) -> None:
        self.m = module
        self.params = params
        self.blocks: list[list[ast.stmt]] = [[]]
        self.layers: list[dict[Any, _Val]] = [{}]
        self.uses_fields = False
        self.uses_raw = False
        self.uses_as_of = False
        self.index_ref: str | None = None

    # -- emitting

    def emit(self, *statements: ast.stmt) -> None:
        self.blocks[-1].extend(statements)

    @contextmanager
    def block(self) -> Iterator[list[ast.stmt]]:
        """A nested block: code that may not run, so what it computes is forgotten after it."""
        statements: list[ast.stmt] = []
        self.blocks.append(statements)
        self.layers.append({})
        try:
            yield statements
        finally:
            self.blocks.pop()
            self.layers.pop()

    def new(self) -> str:
        return self.m.new()

    def call(self, key: str, *args: ast.expr) -> ast.Call:
        return self.m.call(key, *args)

    def is_unknown(self, value: _Val) -> ast.expr:
        # Unknown has no subclasses (values.py), so its exact type decides, at half the cost.
        return _cmp(self.call("type", value.expr()), ast.Is(), self.m.helper("U"))

    def unknown_test(self, *values: _Val) -> ast.expr | None:
        tests = [self.is_unknown(v) for v in values if v.unk]
        return _or(tests) if tests else None

    def function(self, name: str) -> ast.FunctionDef:
        prologue: list[ast.stmt] = []
        if self.uses_fields:
            prologue.append(_assign("F", _attr(_name("s"), "f")))
        if self.uses_raw:
            prologue.append(_assign("R", _attr(_name("s"), "raw")))
        if self.uses_as_of:
            prologue.append(_assign("A", _attr(_name("s"), "as_of")))
        assert len(self.blocks) == 1
        return ast.FunctionDef(
            name=name,
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(arg=p) for p in self.params],
                kwonlyargs=[],
                kw_defaults=[],
                defaults=[],
            ),
            body=prologue + self.blocks[0],
            decorator_list=[],
            returns=None,
        )

    # -- expressions

    def ev(self, node: ir.Expr, env: dict[str, _Val]) -> _Val:
        """Emit the code computing `node`; return where its value is."""
        if isinstance(node, ir.Const):
            value = node.value
            return _Val(node.type, **self._literal(value), const=value, clean=True)
        if isinstance(node, ir.Local):
            return env[node.name]
        key = _expr_key(node, env)
        for layer in reversed(self.layers):
            found: _Val | None = layer.get(key)
            if found is not None:
                return found
        result = self._ev(node, env)
        self.layers[-1][key] = result
        return result

    def _literal(self, value: Any) -> dict[str, Any]:
        expr = self.m.constant(value)
        if isinstance(expr, ast.Name):
            return {"ref": expr.id}
        return {"lit": value}

    def _ev(self, node: ir.Expr, env: dict[str, _Val]) -> _Val:
        if isinstance(node, ir.EvidenceField):
            return self._evidence_field(node)
        if isinstance(node, ir.GetField):
            return self._get_field(node, env)
        if isinstance(node, ir.DefinitionRef):
            return self._definition(node)
        if isinstance(node, ir.JudgementRef):
            return self._judgement(node)
        if isinstance(node, ir.AsOfDate):
            self.uses_as_of = True
            return _Val(node.type, ref="A", clean=True)
        if isinstance(node, ir.ListExpr):
            items = [self.ev(item, env) for item in node.items]
            out = self.new()
            self.emit(_assign(out, ast.Tuple(elts=[v.expr() for v in items], ctx=ast.Load())))
            return _Val(
                node.type,
                ref=out,
                eunk=any(v.unk for v in items),
                efail=any(v.fail for v in items),
            )
        if isinstance(node, ir.Comprehension):
            return self._comprehension(node, env)
        if isinstance(node, ir.Quantifier):
            return self._quantifier(node, env)
        if isinstance(node, ir.Unary):
            return self._unary(node, env)
        if isinstance(node, ir.Binary):
            return self._binary(node, env)
        raise AssertionError(f"unhandled IR node {type(node).__name__}")  # pragma: no cover

    def _record_read(self, pointer: ast.expr, raw: ast.expr) -> ast.stmt:
        return ast.Assign(targets=[ast.Subscript(value=_name("r"), slice=pointer, ctx=ast.Store())], value=raw)

    def _evidence_field(self, node: ir.EvidenceField) -> _Val:
        self.uses_fields = True
        out = self.new()
        pointer = "/" + escape_pointer(node.name)
        self.emit(_assign(out, _sub(_name("F"), _const(node.name))))
        record: list[ast.stmt] = []
        if not _records_value(node.type):
            self.uses_raw = True
            record.append(self._record_read(_const(pointer), _sub(_name("R"), _const(node.name))))
        if node.optional:
            missing = self.m.constant(Unknown(frozenset({pointer})))
            self.emit(_if(_cmp(_name(out), ast.Is(), _const(None)), [_assign(out, missing)], record))
        else:
            self.emit(*record)
        return _Val(node.type, ref=out, unk=node.optional, clean=True, ptr=pointer)

    def _pointer_of(self, value: _Val) -> ast.expr:
        if value.ptr is not None:
            return _const(value.ptr)
        return _attr(value.expr(), "pointer")

    def _get_field(self, node: ir.GetField, env: dict[str, _Val]) -> _Val:
        target = self.ev(node.target, env)
        segment = "/" + escape_pointer(node.name)
        static = target.ptr + segment if target.ptr is not None else None
        pointer: ast.expr = (
            _const(static)
            if static is not None
            else ast.BinOp(left=self._pointer_of(target), op=ast.Add(), right=_const(segment))
        )
        missing: ast.expr = (
            self.m.constant(Unknown(frozenset({static}))) if static is not None else self.call("unknown", pointer)
        )
        structural = _records_value(node.type)
        out = self.new()
        present: list[ast.stmt] = []
        is_map = isinstance(node.target.type, MapOf)
        if is_map:
            entries = _attr(target.expr(), "entries")
            then: list[ast.stmt] = [_assign(out, _sub(entries, _const(node.name)))]
            if not structural:
                then.append(self._record_read(pointer, _sub(_attr(target.expr(), "raw"), _const(node.name))))
            present.append(
                _if(_cmp(_const(node.name), ast.In(), _attr(target.expr(), "entries")), then, [_assign(out, missing)])
            )
        else:
            present.append(_assign(out, _sub(_attr(target.expr(), "fields"), _const(node.name))))
            record: list[ast.stmt] = []
            if not structural:
                record.append(self._record_read(pointer, _sub(_attr(target.expr(), "raw"), _const(node.name))))
            if node.optional:
                present.append(_if(_cmp(_name(out), ast.Is(), _const(None)), [_assign(out, missing)], record))
            else:
                present.extend(record)
        if target.unk:
            self.emit(_if(self.is_unknown(target), [_assign(out, target.expr())], present))
        else:
            self.emit(*present)
        return _Val(
            node.type,
            ref=out,
            unk=target.unk or node.optional or is_map,
            clean=True,
            ptr=static,
        )

    def _definition(self, node: ir.DefinitionRef) -> _Val:
        definitions = self.m.framework_compiler.framework.definitions
        definition = definitions[node.key]
        if isinstance(definition.value, ir.Const):
            value = definition.value.value
            return _Val(definition.value.type, **self._literal(value), const=value, clean=True)
        if _plain(definition.value, definitions):
            # Only evidence reads and lists of them: computing it here costs less than
            # the cached call, and records the same reads.
            return self.ev(definition.value, {})
        index, flags = self.m.framework_compiler.definition(node.key)
        out = self.new()
        self.emit(_assign(out, self.call("definition", _name("s"), _const(index), _name("r"))))
        return _Val(
            flags.type,
            ref=out,
            unk=flags.unk,
            eunk=flags.eunk,
            fail=flags.fail,
            efail=flags.efail,
            clean=flags.clean,
            ptr=flags.ptr,
        )

    def _judgement(self, node: ir.JudgementRef) -> _Val:
        index = self.m.framework_compiler.decision_index[node.key]
        self.m.framework_compiler.referenced.add(index)
        out = self.new()
        if node.per_item:
            assert self.index_ref is not None
            value = self.call("item", _name("s"), _const(index), _name(self.index_ref), _name("r"))
        else:
            value = self.call("judgement", _name("s"), _const(index), _name("r"))
        self.emit(_assign(out, value))
        many = _is_list_type(node.type)
        return _Val(node.type, ref=out, unk=True, eunk=many, efail=many)

    def _items(self, value: _Val, t: Type) -> ast.expr:
        """The evaluator's `_items` for a value known not to be Unknown."""
        if isinstance(t, MapOf):
            return self.call("items", value.expr())
        return value.expr()

    def _comprehension(self, node: ir.Comprehension, env: dict[str, _Val]) -> _Val:
        source = self.ev(node.source, env)
        out = self.new()
        with self.block() as present:
            acc = self.new()
            var = self.new()
            item = _element(source, node.source.type, var)
            inner = {**env, node.var: item}
            can_stop = False
            with self.block() as body:
                if node.condition is not None:
                    keep = self.ev(node.condition, inner)
                    if keep.unk:
                        can_stop = True
                        self.emit(_if(self.is_unknown(keep), [_assign(out, keep.expr()), ast.Break()]))
                    self.emit(_if(_not(keep.expr()), [ast.Continue()]))
                element = self.ev(node.element, inner)
                self.emit(_append(acc, element.expr()))
            finish = _assign(out, self.call("tuple", _name(acc)))
            self.emit(
                _assign(acc, ast.List(elts=[], ctx=ast.Load())),
                ast.For(
                    target=_store(var),
                    iter=self._items(source, node.source.type),
                    body=body,
                    orelse=[finish] if can_stop else [],
                ),
            )
            if not can_stop:
                self.emit(finish)
        if source.unk:
            self.emit(_if(self.is_unknown(source), [_assign(out, source.expr())], present))
        else:
            self.emit(*present)
        return _Val(
            node.type,
            ref=out,
            unk=source.unk or can_stop,
            eunk=element.unk,
            efail=element.fail,
        )

    def _quantifier(self, node: ir.Quantifier, env: dict[str, _Val]) -> _Val:
        source = self.ev(node.source, env)
        out = self.new()
        kind = node.kind
        with self.block() as present:
            var = self.new()
            unknowns = self.new()
            item = _element(source, node.source.type, var)
            inner = {**env, node.var: item}
            count = self.new() if kind == "count" else None
            with self.block() as body:
                value = self.ev(node.condition, inner)
                fast = value.boolean and not value.unk
                accumulate = [_append(unknowns, value.expr(), as_tuple=True)]
                if kind == "count":
                    assert count is not None
                    test = value.expr() if fast else _cmp(value.expr(), ast.Is(), _const(True))
                    bump = ast.AugAssign(target=_store(count), op=ast.Add(), value=_const(1))
                    orelse = [_if(self.is_unknown(value), accumulate)] if value.unk else []
                    self.emit(_if(test, [bump], orelse))
                elif kind == "any":
                    test = value.expr() if fast else _cmp(value.expr(), ast.Is(), _const(True))
                    self.emit(_if(test, [_assign(out, _const(True)), ast.Break()]))
                    if value.unk:
                        self.emit(_if(self.is_unknown(value), accumulate))
                elif kind == "all":
                    test = _not(value.expr()) if fast else _cmp(value.expr(), ast.Is(), _const(False))
                    self.emit(_if(test, [_assign(out, _const(False)), ast.Break()]))
                    if value.unk:
                        self.emit(_if(self.is_unknown(value), accumulate))
                else:  # no: stop at the first item whose condition holds (is truthy)
                    stop = [_assign(out, _const(False)), ast.Break()]
                    if value.unk:
                        self.emit(_if(self.is_unknown(value), accumulate, [_if(value.expr(), stop)]))
                    else:
                        self.emit(_if(value.expr(), stop))
            if value.unk:
                self.emit(_assign(unknowns, ast.Tuple(elts=[], ctx=ast.Load())))

            def settle(known: ast.expr) -> ast.stmt:
                if not value.unk:
                    return _assign(out, known)
                merged = self.call("merge_all", _name(unknowns))
                return _assign(out, ast.IfExp(test=_name(unknowns), body=merged, orelse=known))

            iterate = self._items(source, node.source.type)
            if kind == "count":
                assert count is not None
                self.emit(
                    _assign(count, _const(0)),
                    ast.For(target=_store(var), iter=iterate, body=body, orelse=[]),
                    settle(_name(count)),
                )
            else:
                result = _const(kind != "any")
                self.emit(ast.For(target=_store(var), iter=iterate, body=body, orelse=[settle(result)]))
        if source.unk:
            self.emit(_if(self.is_unknown(source), [_assign(out, source.expr())], present))
        else:
            self.emit(*present)
        return _Val(node.type, ref=out, unk=source.unk or value.unk)

    def _unary(self, node: ir.Unary, env: dict[str, _Val]) -> _Val:
        op = node.op
        value = self.ev(node.operand, env)
        if op in ("is_missing", "is_present"):
            if not value.unk:
                return _Val(BOOLEAN, lit=op == "is_present", const=op == "is_present", clean=True)
            test = self.is_unknown(value)
            out = self.new()
            self.emit(_assign(out, test if op == "is_missing" else _not(test)))
            return _Val(BOOLEAN, ref=out)
        out = self.new()
        flags: dict[str, Any] = {}
        if op == "not":
            known: ast.expr = _not(value.expr())
            flags["unk"] = value.unk
        else:
            operand_type = node.operand.type
            is_map = isinstance(operand_type, MapOf)
            if op in ("count", "is_empty") and isinstance(value.const, tuple):
                size = len(value.const)  # a list written in the rules: its size is known now
                folded = size if op == "count" else size == 0
                return _Val(node.type, lit=folded, const=folded, clean=True)
            if op in ("count", "is_empty"):
                sized = _attr(value.expr(), "entries") if is_map else value.expr()
                known = self.call("len", sized)
                if op == "is_empty":
                    known = _cmp(known, ast.Eq(), _const(0))
                flags["unk"] = value.unk
            elif op in ("worst", "best"):
                items = self._items(value, operand_type)
                element = element_type(operand_type)
                clean = isinstance(element, Choice) and element.is_pure_scale and not value.eunk and not value.efail
                if clean:
                    known = self.call(op, items)
                    flags["unk"] = value.unk
                else:
                    known = self.call("extreme", _const(op), items, self.m.constant(node.type))
                    flags["unk"] = True
            else:  # sorted, sum, min, max
                known = self.call("rest", _const(op), self._items(value, operand_type))
                flags["unk"] = value.unk or value.eunk or value.efail
                if op == "sorted":
                    flags["efail"] = value.efail
                else:
                    flags["fail"] = value.efail
        if value.unk:
            self.emit(_if(self.is_unknown(value), [_assign(out, value.expr())], [_assign(out, known)]))
        else:
            self.emit(_assign(out, known))
        return _Val(node.type, ref=out, **flags)

    def _binary(self, node: ir.Binary, env: dict[str, _Val]) -> _Val:
        op = node.op
        if op in ("and", "or"):
            return self._logic(node, env)
        if op == "if_missing":
            left = self.ev(node.left, env)
            if not left.unk:
                return left
            out = self.new()
            self.emit(_assign(out, left.expr()))
            with self.block() as fallback:
                right = self.ev(node.right, env)
                self.emit(_assign(out, right.expr()))
            self.emit(_if(self.is_unknown(left), fallback))
            return _Val(
                node.type,
                ref=out,
                unk=right.unk,
                eunk=left.eunk or right.eunk,
                fail=left.fail or right.fail,
                efail=left.efail or right.efail,
                clean=left.clean and right.clean,
            )
        left = self.ev(node.left, env)
        right = self.ev(node.right, env)
        if op == "count_rated" and isinstance(right.const, Symbol):
            tally = self._tally(left, right.const)
            if tally is not None:
                out = self.new()
                self.emit(_assign(out, _sub(_name(tally), _const(right.const.rank))))
                return _Val(node.type, ref=out)
        out = self.new()
        fast = self._fast_binary(op, left, right)
        if fast is None:
            helper = "bin_" + op
            if op == "count_rated" and isinstance(right.const, Symbol):
                helper = "count_symbol"
            elif op in _SET_OPS and _symbol_items(left) and _symbol_items(right):
                helper = "sym_" + op
            self.emit(_assign(out, self.call(helper, left.expr(), right.expr())))
            return _Val(node.type, ref=out, **_binary_flags(op, left, right))
        test = self.unknown_test(left, right)
        if test is None:
            self.emit(_assign(out, fast))
        else:
            merged = self.call("merge", left.expr(), right.expr())
            self.emit(_if(test, [_assign(out, merged)], [_assign(out, fast)]))
        return _Val(node.type, ref=out, unk=left.unk or right.unk)

    def _tally(self, items: _Val, grade: Symbol) -> str | None:
        """A local counting the items of `items` by rank, for `count of items rated grade`.

        Only for a list whose items are all known symbols of the one scale or enumeration
        `grade` belongs to: there, counting by rank is counting by equality. The tally is
        made once where it dominates, so each `count ... rated` after it is one lookup.
        """
        t = items.type
        if not isinstance(t, ListOf | SetOf) or items.ref is None:
            return None
        if items.unk or items.fail or items.eunk or items.efail:
            return None
        element = t.element
        if not isinstance(element, Choice) or element.base is not None or len(element.sets) != 1:
            return None
        members = element.sets[0].members
        if grade.owner != element.sets[0].qualname or [m.rank for m in members] != list(range(len(members))):
            return None
        if not (0 <= grade.rank < len(members) and members[grade.rank] == grade):
            return None
        key = ("tally", items.ref)
        for layer in reversed(self.layers):
            found = layer.get(key)
            if found is not None:
                tally: str = found.ref
                return tally
        out = self.new()
        self.emit(_assign(out, self.call("tally", items.expr(), _const(len(members)))))
        self.layers[-1][key] = _Val(t, ref=out)
        return out

    def _fast_binary(self, op: str, left: _Val, right: _Val) -> ast.expr | None:
        """Inline code for an operator on known (not Unknown) operands, where it is exact."""
        if op in ("eq", "ne"):
            if left.sym and right.sym:
                same = self._symbol_eq(left, right)
                return same if op == "eq" else _not(same)
            return _cmp(left.expr(), ast.Eq() if op == "eq" else ast.NotEq(), right.expr())
        if op in _COMPARE_OPS:
            plain = (INTEGER, DECIMAL, DATE, TEXT)
            numeric = (INTEGER, DECIMAL)
            comparable = (left.type in numeric and right.type in numeric) or (
                left.type == right.type and left.type in plain
            )
            if comparable and not (left.fail or right.fail):
                return _cmp(left.expr(), _COMPARE_OPS[op](), right.expr())
            return None
        if op.startswith("grade_"):
            if (
                left.sym
                and right.sym
                and isinstance(left.type, Choice)
                and isinstance(right.type, Choice)
                and left.type.is_pure_scale
                and right.type.is_pure_scale
            ):
                # a better grade has a smaller rank: `x >= good` is good.rank >= x.rank
                return _cmp(self._rank(right), _COMPARE_OPS[op.removeprefix("grade_")](), self._rank(left))
            return None
        if op in ("in", "not_in"):
            if right.unk or right.const is _NO_CONST or not isinstance(right.const, tuple):
                return None
            items = right.const
            found: ast.expr | None = None
            if left.sym and items and all(isinstance(v, Symbol) for v in items):
                owners = {v.owner for v in items}
                if len(owners) == 1:
                    names = frozenset(v.name for v in items)
                    found = _and(
                        [
                            _cmp(_attr(left.expr(), "owner"), ast.Eq(), _const(next(iter(owners)))),
                            _cmp(_attr(left.expr(), "name"), ast.In(), self.m.constant(names)),
                        ]
                    )
            elif left.type == TEXT and not left.fail and all(type(v) is str for v in items):
                found = _cmp(left.expr(), ast.In(), _const(items))
            if found is None:
                return None
            return found if op == "in" else _not(found)
        if op in ("add", "sub", "mul") and left.type == INTEGER and right.type == INTEGER:
            if left.fail or right.fail:
                return None
            operator_ = {"add": ast.Add, "sub": ast.Sub, "mul": ast.Mult}[op]()
            return ast.BinOp(left=left.expr(), op=operator_, right=right.expr())
        return None

    def _rank(self, value: _Val) -> ast.expr:
        if isinstance(value.const, Symbol):
            return _const(value.const.rank)
        return _attr(value.expr(), "rank")

    def _symbol_eq(self, left: _Val, right: _Val) -> ast.expr:
        """Symbol equality (owner and name) without calling the attrs `__eq__`."""
        if isinstance(left.const, Symbol):
            left, right = right, left
        if isinstance(right.const, Symbol):
            symbol = right.const
            return _or(
                [
                    _cmp(left.expr(), ast.Is(), right.expr()),
                    _and(
                        [
                            _cmp(_attr(left.expr(), "name"), ast.Eq(), _const(symbol.name)),
                            _cmp(_attr(left.expr(), "owner"), ast.Eq(), _const(symbol.owner)),
                        ]
                    ),
                ]
            )
        return _or(
            [
                _cmp(left.expr(), ast.Is(), right.expr()),
                _and(
                    [
                        _cmp(_attr(left.expr(), "name"), ast.Eq(), _attr(right.expr(), "name")),
                        _cmp(_attr(left.expr(), "owner"), ast.Eq(), _attr(right.expr(), "owner")),
                    ]
                ),
            ]
        )

    def _logic(self, node: ir.Binary, env: dict[str, _Val]) -> _Val:
        """Kleene `and` / `or`, evaluating the right side only when the left does not decide."""
        is_and = node.op == "and"
        left = self.ev(node.left, env)
        out = self.new()
        self.emit(_assign(out, left.expr()))
        plain_left = left.boolean and not left.unk
        with self.block() as rest:
            right = self.ev(node.right, env)
            if plain_left and right.boolean:
                # the left is exactly True (for and) / False (for or): the right decides
                self.emit(_assign(out, right.expr()))
            else:
                self.emit(_assign(out, self.call("kand" if is_and else "kor", _name(out), right.expr())))
        if plain_left:
            test: ast.expr = _name(out) if is_and else _not(_name(out))
        else:
            test = _cmp(_name(out), ast.IsNot(), _const(not is_and))
        self.emit(_if(test, rest))
        return _Val(BOOLEAN, ref=out, unk=left.unk or right.unk)

    # -- decisions

    def decision(self, judgement: ir.Judgement, env: dict[str, _Val], item: ast.expr) -> None:
        self.emit(_assign("r", ast.Dict(keys=[], values=[])))
        if judgement.collect:
            self._collect(judgement, env, item)
        else:
            self._first_match(judgement, env, item)

    def _settled(self, outcome: _Val) -> _Val:
        """The evaluator's `_settled`: an outcome list with an unknown anywhere inside is unknown."""
        if isinstance(outcome.type, Choice | Prim) or outcome.clean:
            return outcome  # not a list, or evidence and constants: nothing unknown inside
        out = self.new()
        self.emit(_assign(out, self.call("settled", outcome.expr())))
        return _Val(
            outcome.type,
            ref=out,
            unk=True,
            eunk=outcome.eunk,
            fail=outcome.fail,
            efail=outcome.efail,
        )

    def _set_rule(self, clause: ir.Clause) -> None:
        self.emit(
            ast.Assign(
                targets=[ast.Attribute(value=_name("s"), attr="rule", ctx=ast.Store())],
                value=_const(clause.location),
            )
        )

    def _test(self, value: _Val) -> ast.expr:
        if value.boolean and not value.unk:
            return value.expr()
        return _cmp(value.expr(), ast.Is(), _const(True))

    def _first_match(self, judgement: ir.Judgement, env: dict[str, _Val], item: ast.expr) -> None:
        pending: list[tuple[ir.Clause, str]] = []
        for clause in judgement.clauses:
            self._set_rule(clause)
            if clause.condition is None:
                self._fire(judgement, clause, env, item, pending)
                return  # clauses after `otherwise` never run
            value = self.ev(clause.condition, env)
            with self.block() as fire:
                self._fire(judgement, clause, env, item, pending)
            if value.unk:
                slot = self.new()
                self.emit(
                    _assign(slot, _const(None)),
                    _if(self._test(value), fire, [_if(self.is_unknown(value), [_assign(slot, value.expr())])]),
                )
                pending.append((clause, slot))
            else:
                self.emit(_if(self._test(value), fire))
        message = f"no clause of `{judgement.name}` applies"
        self.emit(
            ast.Return(
                value=self.call(
                    "fell_through",
                    item,
                    ast.Tuple(elts=[_name(slot) for _, slot in pending], ctx=ast.Load()),
                    _const(tuple(c.location for c, _ in pending)),
                    _const(message),
                )
            )
        )

    def _pending_outcome(self, clause: ir.Clause, env: dict[str, _Val]) -> ast.expr:
        """A pending clause's outcome; an evaluation error makes it an Unknown (never equal)."""
        if isinstance(clause.outcome, ir.Const):
            return self.m.constant(clause.outcome.value)
        out = self.new()
        with self.block() as attempt:
            value = self.ev(clause.outcome, env)
            self.emit(_assign(out, value.expr()))
        handler = ast.ExceptHandler(
            type=self.m.helper("E"), name=None, body=[_assign(out, self.m.constant(Unknown(frozenset())))]
        )
        self.emit(ast.Try(body=attempt, handlers=[handler], orelse=[], finalbody=[]))
        return _name(out)

    def _fire(
        self,
        judgement: ir.Judgement,
        clause: ir.Clause,
        env: dict[str, _Val],
        item: ast.expr,
        pending: list[tuple[ir.Clause, str]],
    ) -> None:
        """The clause's condition holds: decide, unless its outcome or a pending clause is unknown."""
        outcome = self._settled(self.ev(clause.outcome, env))
        if outcome.unk:
            unknowns = ast.Tuple(elts=[*(_name(slot) for _, slot in pending), outcome.expr()], ctx=ast.Load())
            undetermined = self.call("undetermined", item, unknowns, _const(clause.location))
            self.emit(_if(self.is_unknown(outcome), [ast.Return(value=undetermined)]))
        if pending:
            blockers = self.new()
            self.emit(_assign(blockers, ast.Tuple(elts=[], ctx=ast.Load())))
            for other, slot in pending:
                block_it = _append(blockers, _name(slot), as_tuple=True)
                if isinstance(other.outcome, ir.Const) and outcome.const is not _NO_CONST:
                    if other.outcome.value != outcome.const:
                        self.emit(_if(_cmp(_name(slot), ast.IsNot(), _const(None)), [block_it]))
                    continue
                with self.block() as check:
                    theirs = self._pending_outcome(other, env)
                    self.emit(_if(_cmp(theirs, ast.NotEq(), outcome.expr()), [block_it]))
                self.emit(_if(_cmp(_name(slot), ast.IsNot(), _const(None)), check))
            blocked = self.call(
                "blocked",
                item,
                _name(blockers),
                ast.Tuple(elts=[_name(slot) for _, slot in pending], ctx=ast.Load()),
                _const(tuple(c.location for c, _ in pending)),
            )
            self.emit(_if(_name(blockers), [ast.Return(value=blocked)]))
        self._return_decided(clause, outcome, env, item)

    def _return_decided(self, clause: ir.Clause, outcome: _Val, env: dict[str, _Val], item: ast.expr) -> None:
        reason = self._reason(clause, env)
        if outcome.const is not _NO_CONST and isinstance(outcome.const, Symbol):
            label: ast.expr = _const(_label(outcome.const))
        elif outcome.sym:
            label = _attr(outcome.expr(), "display")  # known here: an Unknown outcome returned above
        else:
            label = self.call("label", outcome.expr())
        decided = self.call(
            "decided",
            item,
            outcome.expr(),
            label,
            reason,
            _const(clause.citation),
            _const(clause.location),
            _name("r"),
            _const((clause.id,)),
        )
        self.emit(ast.Return(value=decided))

    def _reason(self, clause: ir.Clause, env: dict[str, _Val]) -> ast.expr:
        if not clause.reason:
            return _const(None)
        parts: list[ast.expr] = []
        for part in clause.reason:
            if isinstance(part, str):
                parts.append(_const(part))
                continue
            value = self.ev(part, env)
            if value.const is not _NO_CONST:
                parts.append(_const(display_value(value.const)))
                continue
            if value.unk or value.fail:
                shown: ast.expr = self.call("display", value.expr())
            elif value.type in (INTEGER, TEXT):
                shown = value.expr()  # format(int) and format(str) are what display_value gives
            elif value.sym:
                shown = _attr(value.expr(), "display")
            else:
                shown = self.call("display", value.expr())
            parts.append(ast.FormattedValue(value=shown, conversion=-1, format_spec=None))
        return ast.JoinedStr(values=parts)

    def _collect(self, judgement: ir.Judgement, env: dict[str, _Val], item: ast.expr) -> None:
        outcomes = self.new()
        self.emit(_assign(outcomes, ast.List(elts=[], ctx=ast.Load())))
        conditional = [c for c in judgement.clauses if c.condition is not None]
        fired_flags: list[str] = []
        pending: list[tuple[ir.Clause, str]] = []
        for clause in conditional:
            assert clause.condition is not None
            flag = self.new()
            fired_flags.append(flag)
            self.emit(_assign(flag, _const(False)))
            self._set_rule(clause)
            value = self.ev(clause.condition, env)
            with self.block() as fire:
                outcome = self._settled(self.ev(clause.outcome, env))
                if outcome.unk:
                    undetermined = self.call(
                        "undetermined",
                        item,
                        ast.Tuple(elts=[outcome.expr()], ctx=ast.Load()),
                        _const(clause.location),
                    )
                    self.emit(_if(self.is_unknown(outcome), [ast.Return(value=undetermined)]))
                self.emit(
                    _assign(flag, _const(True)),
                    _if(_cmp(outcome.expr(), ast.NotIn(), _name(outcomes)), [_append(outcomes, outcome.expr())]),
                )
            if value.unk:
                slot = self.new()
                self.emit(
                    _assign(slot, _const(None)),
                    _if(self._test(value), fire, [_if(self.is_unknown(value), [_assign(slot, value.expr())])]),
                )
                pending.append((clause, slot))
            else:
                self.emit(_if(self._test(value), fire))
        if pending:
            blockers = self.new()
            self.emit(_assign(blockers, ast.Tuple(elts=[], ctx=ast.Load())))
            for clause, slot in pending:
                with self.block() as check:
                    theirs = self._pending_outcome(clause, env)
                    self.emit(
                        _if(_cmp(theirs, ast.NotIn(), _name(outcomes)), [_append(blockers, _name(slot), as_tuple=True)])
                    )
                self.emit(_if(_cmp(_name(slot), ast.IsNot(), _const(None)), check))
            blocked = self.call(
                "blocked",
                item,
                _name(blockers),
                ast.Tuple(elts=[_name(slot) for _, slot in pending], ctx=ast.Load()),
                _const(tuple(c.location for c, _ in pending)),
            )
            self.emit(_if(_name(blockers), [ast.Return(value=blocked)]))
        fallback = next((c for c in judgement.clauses if c.condition is None), None)
        with self.block() as none_fired:
            if fallback is None:
                self.emit(ast.Return(value=self.call("collected_none", item, _name("r"))))
            else:
                outcome = self._settled(self.ev(fallback.outcome, env))
                if outcome.unk:
                    undetermined = self.call(
                        "undetermined",
                        item,
                        ast.Tuple(elts=[outcome.expr()], ctx=ast.Load()),
                        _const(fallback.location),
                    )
                    self.emit(_if(self.is_unknown(outcome), [ast.Return(value=undetermined)]))
                self._return_decided(fallback, outcome, env, item)
        if fired_flags:
            self.emit(_if(_not(_or([_name(f) for f in fired_flags])), none_fired))
        else:
            self.emit(*none_fired)
            return
        reasons = self.new()
        self.emit(_assign(reasons, ast.List(elts=[], ctx=ast.Load())))
        for clause, flag in zip(conditional, fired_flags, strict=True):
            with self.block() as add:
                reason = self._reason(clause, env)
                self.emit(_append(reasons, reason))
            self.emit(_if(_name(flag), add))
        info = tuple((c.citation, c.location, c.id) for c in conditional)
        self.emit(
            ast.Return(
                value=self.call(
                    "collected",
                    item,
                    _name(outcomes),
                    ast.Tuple(elts=[_name(f) for f in fired_flags], ctx=ast.Load()),
                    _name(reasons),
                    _name("r"),
                    _const(info),
                )
            )
        )


def _symbol_items(value: _Val) -> bool:
    """A list whose items are symbols (or Unknown), never a failed judgement's stand-in."""
    element = element_type(value.type)
    return isinstance(element, Choice) and element.base is None and not value.efail


def _binary_flags(op: str, left: _Val, right: _Val) -> dict[str, Any]:
    """What the evaluator's binary operator may give, for operators run through a helper."""
    if op in ("set_diff", "union", "intersect"):
        # Unknown when a side or an item of a side is (a missing list is not iterable:
        # the evaluator fails there, and so does this path, through the same code)
        return {
            "unk": left.unk or right.unk or left.eunk or right.eunk,
            "efail": left.efail or right.efail,
            "clean": left.clean and right.clean,  # its items come from the two sides
        }
    if op in ("at_most", "at_least"):
        return {"unk": left.unk or right.unk, "fail": left.fail or right.fail}
    if op in ("in", "not_in", "count_rated", "count_rated_in"):
        return {"unk": left.unk or right.unk or left.eunk or right.eunk or left.efail or right.efail}
    return {"unk": left.unk or right.unk}


# ---------------------------------------------------------------- the allow-list walk


def _constant_ok(value: Any) -> bool:
    if type(value) in _CONSTANT_TYPES:
        return True
    if type(value) is tuple:
        return all(_constant_ok(v) for v in value)
    return False


def check_generated(module: ast.Module) -> None:
    """Walk a generated module; raise `UnsafeCodeError` on anything outside the allow-lists.

    Node types must be in `ALLOWED_NODE_TYPES`; names must be ones the compiler makes
    (`v0`, `k0`, its fixed parameter names, `h_` + a helper-table key) and never dunder;
    attributes must be in `ALLOWED_ATTRIBUTES` and read from a name; calls must be to a
    helper by name, with positional arguments only; constants must be plain values.
    """
    _check(module, locate=False)


def _check(module: ast.Module, *, locate: bool) -> None:
    """`check_generated`; with `locate`, also give every node a position (all on line 1)."""
    if not (
        isinstance(module, ast.Module)
        and len(module.body) == 1
        and isinstance(module.body[0], ast.FunctionDef)
        and module.body[0].name == "m"
    ):
        raise UnsafeCodeError("a generated module holds exactly one factory function `m`")
    # An explicit stack over each node's fields: `ast.walk` made this check most of
    # the cost of compiling a framework. Every node is visited, in some order.
    stack: list[ast.AST] = [module]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind not in ALLOWED_NODE_TYPES:
            raise UnsafeCodeError(f"node type {kind.__name__} is not allowed")
        if locate and "lineno" in node._attributes:
            node.lineno = node.end_lineno = 1  # type: ignore[attr-defined]
            node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]
        check = _NODE_CHECKS.get(kind)
        if check is not None:
            check(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)


def _check_name_node(node: Any) -> None:
    _check_name(node.id)


def _check_arg(node: Any) -> None:
    _check_name(node.arg)
    if node.annotation is not None:
        raise UnsafeCodeError("annotations are not allowed")


def _check_function(node: Any) -> None:
    _check_name(node.name)
    if node.decorator_list or node.returns is not None:
        raise UnsafeCodeError("decorators and annotations are not allowed")


def _check_arguments(node: Any) -> None:
    if node.vararg or node.kwarg or node.kwonlyargs or node.defaults or node.kw_defaults:
        raise UnsafeCodeError("only plain positional parameters are allowed")


def _check_attribute(node: Any) -> None:
    if node.attr not in ALLOWED_ATTRIBUTES or not isinstance(node.value, ast.Name):
        raise UnsafeCodeError(f"attribute `{node.attr}` is not allowed")
    if isinstance(node.ctx, ast.Store) and not (node.attr == "rule" and node.value.id == "s"):
        raise UnsafeCodeError("only the state's `rule` may be assigned")


def _check_call(node: Any) -> None:
    if not (isinstance(node.func, ast.Name) and node.func.id.startswith("h_")) or node.keywords:
        raise UnsafeCodeError("calls go to a helper by name, with positional arguments")
    if any(isinstance(a, ast.Starred) for a in node.args):  # pragma: no cover - Starred is not allowed
        raise UnsafeCodeError("starred arguments are not allowed")


def _check_display(node: Any) -> None:
    if isinstance(getattr(node, "ctx", None), ast.Store):
        raise UnsafeCodeError("unpacking assignments are not allowed")
    if isinstance(node, ast.Dict) and node.keys:
        raise UnsafeCodeError("only empty dict displays are allowed")


def _check_constant(node: Any) -> None:
    if not _constant_ok(node.value):
        raise UnsafeCodeError(f"constant of type {type(node.value).__name__} is not allowed")


def _check_handler(node: Any) -> None:
    if not (isinstance(node.type, ast.Name) and node.type.id == "h_E") or node.name is not None:
        raise UnsafeCodeError("only the evaluation error may be caught, unnamed")


# What each node type must satisfy beyond being allowed at all (keyed by exact type).
_NODE_CHECKS: dict[type[ast.AST], Callable[[Any], None]] = {
    ast.Name: _check_name_node,
    ast.arg: _check_arg,
    ast.FunctionDef: _check_function,
    ast.arguments: _check_arguments,
    ast.Attribute: _check_attribute,
    ast.Call: _check_call,
    ast.Dict: _check_display,
    ast.List: _check_display,
    ast.Tuple: _check_display,
    ast.Constant: _check_constant,
    ast.ExceptHandler: _check_handler,
}


def _check_name(ident: str) -> None:
    if "__" in ident:
        raise UnsafeCodeError(f"dunder name `{ident}` is not allowed")
    if ident in _FIXED_NAMES or _GENERATED_NAME.match(ident):
        return
    if ident.startswith("h_") and ident[2:] in _HELPERS:
        return
    raise UnsafeCodeError(f"name `{ident}` is not one the compiler makes")
