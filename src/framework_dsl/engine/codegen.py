"""The generate stage: a checked framework -> one Python module of functions that decide its evidence.

Each definition becomes a function computing its value; each judgement or check a
function returning its `Decision` (for a for-each decision, one function for the list
and one for each item). The module is built as `ast` nodes, compiled by
`engine.safety.compile_checked`, which walks it against the allow-lists first, and
loaded by `engine.safety.load_code`.

What makes the code fast: every evidence value is read once into a local, values that
dominate their later uses are computed once (common sub-expressions), clauses are a plain
`if` chain, operators without bounds are written as Python operators where
`semantics.operators` says a native operator agrees (`Operator.native`), and every other
operator is a call to its one definition (`Operator.apply`, or `Operator.evaluate` where
the generator cannot rule out an unknown item).

With `tracing`, the same generator writes the variant that also records the trace
`explain` shows: every sub-expression a condition computes, in the order the reference
evaluator (`engine.reference`) computes it. It reuses values as the plain variant does; a
reused value records again the steps its computation recorded (`_Fn.ev`), consecutive
steps are written as one list (`_Fn._write_steps`), and a condition's entry keeps its
reads as a slice of the decision's reads (`result.TraceEntry`), so the trace costs little
more than its steps.

The control flow mirrors `engine.reference` (first match with pending unknown clauses,
`collect`, for-each, quantifiers); the differential tests run both on every case.
"""

from __future__ import annotations

import ast
import datetime
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, assert_never

import attrs

from framework_dsl import ir
from framework_dsl.engine import pyast as P
from framework_dsl.engine import runtime
from framework_dsl.engine.builder import ModuleBuilder, Program
from framework_dsl.engine.reference import is_structure
from framework_dsl.evidence import RecordValue, escape_pointer
from framework_dsl.result import Decision, Unmade, made_decisions
from framework_dsl.semantics.operators import (
    OPERATORS,
    Native,
    NativeOn,
    Operator,
    ShortCircuit,
    Unknowns,
    count_by_rank,
    is_native_domain,
    partial_count,
)
from framework_dsl.typesystem import (
    BOOLEAN,
    INTEGER,
    TEXT,
    Choice,
    ListOf,
    MapOf,
    RecordType,
    SetOf,
    Symbol,
    Type,
    element_type,
)
from framework_dsl.values import EvaluationError, RecordShown, Unknown, display_value, merge_unknown

__all__ = [
    "CompiledFramework",
    "DecisionGenerator",
    "FrameworkProgram",
    "compile_framework",
    "framework_program",
    "helpers",
    "load_framework",
]


# ---------------------------------------------------------------- the evaluation state and its helpers


# One evaluation of one document, as a tuple built in one step (a class's `__init__` cost
# as much as deciding a small judgement): the root's fields and raw JSON, the evaluation
# date, the date dated rules are tested against, the compiled framework, and by index,
# None until computed: a definition's (value, reads); a decision; a decision's (outcome as
# a value, reads) or the error using it gives; a for-each decision's items by value
# (`runtime.item_index`) and the reads of its list. A framework whose decisions are all
# called directly, with no definition function, uses none of the last four: they are empty.
State = tuple[Any, ...]
FIELDS, RAW, AS_OF, DATED, COMPILED, DEFS, RESULTS, OUTCOMES, INDEXES = range(9)


def _h_definition(s: State, index: int, r: dict[str, Any]) -> Any:
    """A definition's value, computed once; its reads join the caller's."""
    cached = s[DEFS][index]
    if cached is None:
        reads: dict[str, Any] = {}
        cached = s[DEFS][index] = (s[COMPILED].definitions[index](s, reads), reads)
    value, reads = cached
    if reads:
        r.update(reads)
    return value


def _h_definition_traced(s: State, index: int, r: dict[str, Any], t: list[tuple[str, Any]] | None) -> Any:
    """`_h_definition` for the tracing variant: a first computation inside a condition leaves its steps in `t`."""
    cached = s[DEFS][index]
    if cached is None:
        reads: dict[str, Any] = {}
        cached = s[DEFS][index] = (s[COMPILED].definitions[index](s, reads, t), reads)
    value, reads = cached
    if reads:
        r.update(reads)
    return value


def _h_judgement(s: State, index: int, r: dict[str, Any]) -> Any:
    """Another decision's outcome as a value (see `runtime.outcome_value`); its reads join the caller's."""
    cached = s[OUTCOMES][index]
    if cached is None:
        decided = s[RESULTS][index] or _decide(s, index)
        if type(decided) is tuple and decided and type(decided[0]) is str:
            # a decided decision's fields (`result.Unmade`): its outcome value and reads
            cached = (decided[2], decided[7])
        elif type(decided) is Decision and decided._fields[0] == "decided":
            # `outcome_value` and `decision_reads` of one decided decision, without their calls
            fields = decided._fields
            cached = (fields[2], fields[7])
        else:
            try:
                cached = (
                    runtime.outcome_value(s[COMPILED].entries[index].name, decided),
                    runtime.decision_reads(decided),
                )
            except EvaluationError as error:
                cached = error
        s[OUTCOMES][index] = cached
    if type(cached) is EvaluationError:
        raise EvaluationError(cached.message, cached.code)
    value, reads = cached
    if reads:
        r.update(reads)
    return value


def _h_item(s: State, index: int, position: int, r: dict[str, Any]) -> Any:
    """This item's outcome of a for-each decision over the same list."""
    decided = _decide(s, index)
    one = decided[position] if isinstance(decided, tuple) else decided
    value = runtime.outcome_value(s[COMPILED].entries[index].name, one)
    r.update(runtime.decision_reads(one))
    return value


def _h_item_of(s: State, index: int, key: Any, r: dict[str, Any]) -> Any:
    """A for-each decision's outcome for the item equal to `key` (`runtime.item_outcome`); reads join the caller's."""
    entry = s[COMPILED].entries[index]
    decided = _decide(s, index)
    cached = s[INDEXES][index]
    if cached is None:
        assert entry.source is not None
        reads: dict[str, Any] = {}
        cached = s[INDEXES][index] = (runtime.item_index(entry.source(s, reads)), reads)
    indexed, source_reads = cached
    r.update(source_reads)
    value, one = runtime.item_outcome(entry.name, decided, indexed, key)
    if one is not None:
        r.update(runtime.decision_reads(one))
    return value


def _decide(s: State, index: int) -> Decision | tuple[Decision, ...]:
    found: Decision | tuple[Decision, ...] | None = s[RESULTS][index]
    if found is None:
        entry = s[COMPILED].entries[index]
        if entry.in_force is not None and not entry.in_force.covers(s[DATED]):
            found = s[RESULTS][index] = runtime.out_of_force(
                entry.name, entry.in_force, s[DATED], entry.source is not None
            )
        else:
            found = s[RESULTS][index] = entry.body(s) if entry.source is None else _decide_each(s, entry)
    return found


def _h_in_force(s: State, dates: ir.InForce) -> bool:
    """Whether a dated clause is in force on the date dated rules are tested against."""
    return dates.covers(s[DATED])


def _decide_each(s: State, entry: Entry) -> tuple[Decision, ...]:
    assert entry.source is not None
    try:
        items = entry.source(s, {})
    except EvaluationError as error:
        return (runtime.failed(None, error, entry.first_location),)
    if type(items) is Unknown:
        return (runtime.undetermined(None, (items,), entry.first_location),)
    body = entry.body
    return tuple([body(s, item, index, pointer) for index, (pointer, item) in enumerate(runtime.item_pointers(items))])


def _h_unknown(pointer: str) -> Unknown:
    return Unknown(frozenset((pointer,)))


def _h_values(value: Any) -> tuple[Any, ...]:
    """A map's values, which is what iterating over a map gives."""
    return tuple(value.entries.values())


def _h_merge_all(values: tuple[Any, ...]) -> Unknown:
    return merge_unknown(*values)


def _h_blocked(
    item: str | None,
    blockers: tuple[Any, ...],
    pending: tuple[Any, ...],
    locations: tuple[str, ...],
    trace: tuple[Any, ...],
) -> Decision:
    """Undetermined by pending unknown clauses: the rule is that of the first clause that was unknown."""
    first = next(location for value, location in zip(pending, locations, strict=True) if value is not None)
    return runtime.undetermined(item, blockers, first, trace)


def _h_fell_through(
    item: str | None,
    pending: tuple[Any, ...],
    locations: tuple[str, ...],
    message: str,
    last: str,
    trace: tuple[Any, ...],
) -> Decision:
    """No clause fired: undetermined if some clause was unknown, else an error of the last clause."""
    unknowns = [value for value in pending if value is not None]
    if unknowns:
        first = next(location for value, location in zip(pending, locations, strict=True) if value is not None)
        return runtime.undetermined(item, unknowns, first, trace)
    return runtime.failed(item, EvaluationError(message), last)


def _h_record_of(pointer: str, value: Any) -> Any:
    """A record the compiled validator left as (fields, raw) (`evidence_compiler`), as the
    `RecordValue` `validate` makes; an unknown (an absent optional record) stays as it is."""
    if type(value) is tuple:
        return RecordValue(pointer, value[0], value[1])
    return value


def _operator_helpers() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for op, operator in OPERATORS.items():
        found[f"op_{op.value}"] = operator.apply
        found[f"eval_{op.value}"] = operator.evaluate
    return found


# The fixed helper table: generated code names a helper `h_<key>`; nothing else is callable.
_HELPERS: dict[str, Any] = {
    "type": type,
    "len": len,
    "tuple": tuple,
    "U": Unknown,
    "E": EvaluationError,
    "unknown": _h_unknown,
    "values": _h_values,
    "merge": merge_unknown,
    "merge_all": _h_merge_all,
    "settled": runtime.settled,
    "display": display_value,  # what a reason shows (known texts, numbers and labels are written inline)
    "record_of": _h_record_of,
    "label": runtime.label,
    "new_decision": runtime.new_decision,
    "set_decision_fields": runtime.set_decision_fields,
    "count_by_rank": count_by_rank,
    "partial_count": partial_count,
    "collected": runtime.collected,
    "nothing_collected": runtime.nothing_collected,
    "undetermined": runtime.undetermined,
    "failed": runtime.failed,
    "blocked": _h_blocked,
    "fell_through": _h_fell_through,
    "otherwise_entry": runtime.otherwise_entry,
    "skipped_entry": runtime.skipped_entry,
    "in_force": _h_in_force,
    "with_outcome": runtime.with_outcome,
    "let_entry": runtime.compiled_let_entry,
    "put_outcome": runtime.put_outcome,
    "lookup": runtime.lookup_entry,
    "reads_since": runtime.reads_since,
    "definition": _h_definition,
    "definition_traced": _h_definition_traced,
    "judgement": _h_judgement,
    "item": _h_item,
    "item_of": _h_item_of,
    **_operator_helpers(),
}


def helpers() -> dict[str, Any]:
    """A copy of the helper table generated decisions may call (for the allow-list tests)."""
    return dict(_HELPERS)


# ---------------------------------------------------------------- the compiled framework


class Entry:
    """A compiled decision: its body, and for a for-each decision the function giving its items."""

    __slots__ = ("body", "first_location", "in_force", "key", "name", "source")

    def __init__(
        self,
        key: str,
        name: str,
        body: Callable[..., Decision],
        source: Callable[..., Any] | None,
        first: str,
        in_force: ir.InForce | None = None,
    ) -> None:
        self.key = key
        self.name = name
        self.body = body
        self.source = source
        self.first_location = first
        self.in_force = in_force  # a dated decision: outside its dates it is not made


class CompiledFramework:
    """A framework compiled to Python functions. Immutable after construction; threads may share it."""

    def __init__(
        self,
        framework: ir.Framework,
        module: ast.Module | None,
        definitions: list[Callable[..., Any]],
        entries: list[Entry],
        referenced: set[int] | frozenset[int],
        tracing: bool,
    ) -> None:
        self.framework = framework
        self._module = module  # the generated module; None when loaded from a stored program
        self._stored = module is None
        self.definitions = definitions
        self.entries = entries
        self.tracing = tracing
        # (name, index, body or None): a once-made, undated decision no other decision reads
        # is called directly; the rest go through `_decide` and its cache.
        plan = [
            (e.name, i, e.body if e.source is None and e.in_force is None and i not in referenced else None)
            for i, e in enumerate(entries)
        ]
        self._judgements = plan[: len(framework.judgements)]
        self._checks = plan[len(framework.judgements) :]
        self._names = (tuple(n for n, _, _ in self._judgements), tuple(n for n, _, _ in self._checks))
        direct = all(body is not None for _, _, body in plan)
        self.all_direct = direct  # every decision called directly: none read by another, dated or for-each
        # The sizes of an evaluation's caches (`State`): none are needed when every
        # decision is called directly and no definition has a function of its own.
        self.caches = (0, 0) if direct and not definitions else (len(definitions), len(entries))
        # Every decision called directly: (name, body) pairs, judgements then checks.
        self._direct: (
            tuple[tuple[tuple[str, Callable[..., Any]], ...], tuple[tuple[str, Callable[..., Any]], ...]] | None
        ) = (
            (
                tuple((n, b) for n, _, b in self._judgements if b is not None),
                tuple((n, b) for n, _, b in self._checks if b is not None),
            )
            if direct
            else None
        )
        # The same pairs when no evaluation needs a cache (`caches` is (0, 0)).
        self._uncached = self._direct if self.caches == (0, 0) else None

    @property
    def stored(self) -> bool:
        """Whether this was loaded from a stored program (`load_framework` with no module) rather than generated."""
        return self._stored

    @property
    def module(self) -> ast.Module:
        """The generated module, as checked against the allow-lists (generated again, the
        same, for a framework loaded from a stored program: only the tests read it)."""
        if self._module is None:
            generator = DecisionGenerator(self.framework, self.tracing)
            generator.generate()
            self._module = generator.builder.module(generator.functions)
        return self._module

    def evaluate(
        self, root: RecordValue, as_of: datetime.date, dated: datetime.date | None = None
    ) -> tuple[dict[str, Decision | tuple[Decision, ...]], dict[str, Decision | tuple[Decision, ...]]]:
        """(judgements, checks) by name for one validated document, as `Evaluation.decide_all` gives them.

        `root` is in the compiled validator's form, records inside records being (fields,
        raw) pairs (`evidence_compiler.compiled_form` turns `validate`'s reading into it).
        `dated` is the date dated judgements, checks and clauses are tested against (`as_of` if None).
        """
        return self.decide(root.fields, root.raw, as_of, dated)

    def decide(
        self, fields: dict[str, Any], raw: dict[str, Any], as_of: datetime.date, dated: datetime.date | None = None
    ) -> tuple[dict[str, Decision | tuple[Decision, ...]], dict[str, Decision | tuple[Decision, ...]]]:
        """`evaluate`, given the root's converted fields and raw JSON (`CompiledValidator.accept`'s pair)."""
        judgements, checks = self.decide_unmade(fields, raw, as_of, dated)
        return made_decisions(judgements), made_decisions(checks)

    def decide_unmade(
        self, fields: dict[str, Any], raw: dict[str, Any], as_of: datetime.date, dated: datetime.date | None = None
    ) -> tuple[Unmade, Unmade]:
        """`decide`'s (judgements, checks) as `result.Unmade`, their records not made yet: what
        `RuleSet.evaluate` gives its `Result`. A decided decision of the plain variant is the
        tuple of its fields; a for-each decision's items are records, as is a decision a
        helper made (undetermined, failed, not in force)."""
        if dated is None:
            dated = as_of
        judgement_names, check_names = self._names
        s: State
        if self._uncached is not None:  # every decision called directly, no cache needed
            s = (fields, raw, as_of, dated, self, (), (), (), ())
            made_judgements, made_checks = self._uncached
            return (
                (judgement_names, tuple([make(s) for _, make in made_judgements])),
                (check_names, tuple([make(s) for _, make in made_checks])),
            )
        definitions, entries = self.caches
        s = (
            fields,
            raw,
            as_of,
            dated,
            self,
            [None] * definitions,
            [None] * entries,
            [None] * entries,
            [None] * entries,
        )
        direct = self._direct
        if direct is not None:
            return (
                (judgement_names, tuple([make(s) for _, make in direct[0]])),
                (check_names, tuple([make(s) for _, make in direct[1]])),
            )
        judged = tuple([_decide(s, index) if body is None else body(s) for _, index, body in self._judgements])
        checked = tuple([_decide(s, index) if body is None else body(s) for _, index, body in self._checks])
        return (judgement_names, judged), (check_names, checked)


def compile_framework(framework: ir.Framework, *, tracing: bool = False) -> CompiledFramework:
    """Compile every decision of `framework` (and the definitions they use) to Python functions.

    With `tracing`, the decisions also record the trace of every clause tried.

    Raises:
        UnsafeCodeError: the generated module failed the allow-list walk (a generator bug).
    """
    return DecisionGenerator(framework, tracing).run()


@attrs.frozen(eq=False)
class FrameworkProgram:
    """A framework's compiled decisions as they are stored (the wheel's bundle, the per-user
    cache): the module's `Program` and which of its functions is which. `load_framework`
    makes the `CompiledFramework` again without generating or compiling anything."""

    program: Program
    definitions: tuple[int, ...]  # the function computing definition i
    decisions: tuple[int, ...]  # the function deciding decision i (its items', for for-each)
    sources: tuple[int | None, ...]  # a for-each decision's function giving its items
    referenced: frozenset[int]  # decisions another one reads
    tracing: bool


def framework_program(framework: ir.Framework, *, tracing: bool = False) -> tuple[ast.Module, FrameworkProgram]:
    """`compile_framework`'s module, and it compiled as a program to store (`load_framework` loads it).

    Raises:
        UnsafeCodeError: the generated module failed the allow-list walk (a generator bug).
    """
    return DecisionGenerator(framework, tracing).program()


def load_framework(
    framework: ir.Framework, stored: FrameworkProgram, module: ast.Module | None = None
) -> CompiledFramework:
    """The compiled framework of `stored`, a program made from `framework` (`framework_program`).

    Raises:
        UnsafeCodeError: the program's code is not what the generator compiles (`safety.check_code`).
        ValueError: the program does not fit the framework (another framework's, or an older engine's).
    """
    decisions = (*framework.judgements, *framework.checks)
    if not len(stored.decisions) == len(stored.sources) == len(decisions):
        raise ValueError("the stored program is not this framework's")
    loaded = stored.program.load(_HELPERS)
    slots = (*stored.definitions, *stored.decisions, *(slot for slot in stored.sources if slot is not None))
    if any(type(slot) is not int or not 0 <= slot < len(loaded) for slot in slots):
        raise ValueError("the stored program is not this framework's")
    entries = [
        Entry(
            decision.key,
            decision.name,
            loaded[slot],
            loaded[source] if source is not None else None,
            decision.clauses[0].location,
            decision.in_force,
        )
        for decision, slot, source in zip(decisions, stored.decisions, stored.sources, strict=True)
    ]
    definitions = [loaded[slot] for slot in stored.definitions]
    return CompiledFramework(framework, module, definitions, entries, stored.referenced, stored.tracing)


# ---------------------------------------------------------------- what the generator knows of a value

_NO_CONST = object()


class _Val:
    """A generated expression's value: the local or constant holding it, and what it may hold."""

    __slots__ = ("clean", "const", "flat", "items", "lit", "ptr", "ref", "type", "unk")

    def __init__(
        self,
        type_: Type,
        *,
        ref: str | None = None,
        lit: Any = None,
        unk: bool = False,
        clean: bool = True,
        const: Any = _NO_CONST,
        ptr: str | None = None,
        flat: ast.expr | None = None,
        items: tuple[_Val, ...] | None = None,
    ) -> None:
        self.type = type_
        self.items = items  # a list written out in the rules (`[a, b]`): its items' values
        self.ref = ref  # the local or closure name holding the value
        self.lit = lit  # else a literal, written as an ast.Constant
        self.unk = unk  # may be an Unknown
        self.clean = clean  # no item, at any depth, is an Unknown
        self.const = const  # the value, when known while compiling
        self.ptr = ptr  # the JSON pointer of an evidence record, map or list, when known while compiling
        # A record read from a record's field, which the compiled validator leaves as the
        # pair (fields, raw) (`evidence_compiler`): the expression of its JSON pointer.
        self.flat = flat

    def expr(self) -> ast.expr:
        return P.name(self.ref) if self.ref is not None else P.const(self.lit)

    @property
    def sym(self) -> bool:
        """A symbol whenever it is not unknown."""
        return isinstance(self.type, Choice) and self.type.base is None

    @property
    def boolean(self) -> bool:
        return self.type == BOOLEAN

    @property
    def is_const(self) -> bool:
        return self.const is not _NO_CONST


def _is_collection(t: Type) -> bool:
    return isinstance(t, ListOf | SetOf | MapOf)


def _expr_key(node: ir.Expr, env: dict[str, _Val], depth: int = 0) -> Any:
    """A structural key for reusing values: equal keys mean equal values in the same scope."""
    match node:
        case ir.Const():
            return ("c", type(node.value), repr(node.value))
        case ir.Local():
            return ("l", env[node.name].ref)
        case ir.LetRef():
            return ("let", node.name)
        case ir.ItemOutcome():
            return ("i", node.key, _expr_key(node.item, env, depth))
        case ir.Lookup():
            return ("k", _expr_key(node.target, env, depth), _expr_key(node.key, env, depth))
        case ir.Ternary():
            parts = (node.first, node.second, node.third)
            return ("t", node.op, *(_expr_key(part, env, depth) for part in parts))
        case ir.EvidenceField():
            return ("f", node.name)
        case ir.GetField():
            return ("g", _expr_key(node.target, env, depth), node.name)
        case ir.DefinitionRef():
            return ("d", node.key)
        case ir.JudgementRef():
            return ("j", node.key, node.per_item)
        case ir.AsOfDate():
            return ("a",)
        case ir.ListExpr():
            return ("L", *(_expr_key(item, env, depth) for item in node.items))
        case ir.Comprehension():
            inner = {**env, node.var: _Val(node.type, ref=f"@{depth}")}
            condition = _expr_key(node.condition, inner, depth + 1) if node.condition is not None else None
            return ("C", _expr_key(node.source, env, depth), condition, _expr_key(node.element, inner, depth + 1))
        case ir.Quantifier():
            inner = {**env, node.var: _Val(node.type, ref=f"@{depth}")}
            return ("Q", node.kind, _expr_key(node.source, env, depth), _expr_key(node.condition, inner, depth + 1))
        case ir.Unary():
            return ("u", node.op, _expr_key(node.operand, env, depth), repr(node.type))
        case ir.Binary():
            return ("b", node.op, _expr_key(node.left, env, depth), _expr_key(node.right, env, depth))
        case _:
            assert_never(node)


def _plain(node: ir.Expr, definitions: dict[str, ir.Definition], depth: int = 0) -> bool:
    """Whether `node` only reads evidence fields and lists them (cheaper computed where used than cached)."""
    if depth > 8:
        return False
    match node:
        case ir.Const() | ir.EvidenceField():
            return True
        case ir.GetField():
            return _plain(node.target, definitions, depth + 1)
        case ir.ListExpr():
            return all(_plain(item, definitions, depth + 1) for item in node.items)
        case ir.DefinitionRef():
            return _plain(definitions[node.key].value, definitions, depth + 1)
        case _:
            return False


# ---------------------------------------------------------------- the generator


class DecisionGenerator:
    """Generates one framework's module: every function, the helpers they use and their constants."""

    def __init__(
        self,
        framework: ir.Framework,
        tracing: bool,
        builder: ModuleBuilder | None = None,
        records: bool | None = None,
    ) -> None:
        self.framework = framework
        self.tracing = tracing
        # False: a clause that decides a decision (not a for-each item) returns the
        # decision's fields, a tuple in `Decision.FIELDS` order, not the record
        # (`result.Unmade`); the record is made only if someone reads it. None: as the
        # separate functions are generated, records only in the tracing variant
        # (`CompiledFramework.decide_unmade` hands the plain variant's over as they are).
        self.records = tracing if records is None else records
        self.decisions = (*framework.judgements, *framework.checks)
        self.decision_index = {d.key: i for i, d in enumerate(self.decisions)}
        self.definition_index: dict[str, int] = {}
        self.definition_vals: list[_Val] = []
        self.functions: list[ast.FunctionDef] = []
        self.definition_slots: list[int] = []  # which function is definition i
        self.decision_slots: list[int] = []  # which function is decision i (its items', for for-each)
        self.referenced: set[int] = set()
        # Definitions a decision may compute inline: by key, the one decision that reads them
        # (`_Fn._inline_traced`), or that every reading of them is in (`_Fn._inline_plain`).
        self.sole_reader = _sole_readers(framework) if tracing else {}
        self.owner = {} if tracing else _owners(framework)
        self.shown: dict[str, RecordShown] = {}  # by pointer, the stand-ins trace steps record for records
        self.builder = ModuleBuilder(_HELPERS) if builder is None else builder
        self.new = self.builder.new
        self.helper = self.builder.helper
        self.call = self.builder.call
        self.constant = self.builder.constant

    # -- the module

    def generate(self) -> list[int | None]:
        """Generate every decision's function (and the definitions they use) into `functions`.

        Returns, by decision, the slot of its items' function (for-each) or None."""
        return [self.decision(decision) for decision in self.decisions]

    def run(self) -> CompiledFramework:
        tree, stored = self.program()
        return load_framework(self.framework, stored, tree)

    def program(self) -> tuple[ast.Module, FrameworkProgram]:
        """The generated module, and it compiled as a program (`framework_program`)."""
        sources = self.generate()
        tree = self.builder.module(self.functions)
        label = f"{self.framework.name}{' (tracing)' if self.tracing else ''}"
        stored = FrameworkProgram(
            self.builder.compile(tree, label),
            tuple(self.definition_slots),
            tuple(self.decision_slots),
            tuple(sources),
            frozenset(self.referenced),
            self.tracing,
        )
        return tree, stored

    def add_function(self, function: ast.FunctionDef) -> int:
        function.name = self.new()  # every function gets a generated name
        self.functions.append(function)
        return len(self.functions) - 1

    def definition(self, key: str) -> tuple[int, _Val]:
        """Compile a definition once (the checker rules out cycles and long chains): its index and value."""
        index = self.definition_index.get(key)
        if index is not None:
            return index, self.definition_vals[index]
        definition = self.framework.definitions[key]
        params = ("s", "r", "t") if self.tracing else ("s", "r")
        fn = _Fn(self, params, steps="guarded" if self.tracing else None)
        value = fn.ev(definition.value, {})
        fn.emit(ast.Return(value=value.expr()))
        slot = self.add_function(fn.function())
        index = len(self.definition_slots)
        self.definition_slots.append(slot)
        self.definition_vals.append(value)
        self.definition_index[key] = index
        return index, value

    def decision(self, judgement: ir.Judgement) -> int | None:
        """Compile a decision; the slot of its items' function for a for-each decision, else None."""
        if judgement.for_each_source is None:
            fn = _Fn(self, ("s",), steps=None)
            fn.decision(judgement, {}, P.const(None))
            self.decision_slots.append(self.add_function(fn.function()))
            return None
        assert judgement.for_each_var is not None
        source_fn = _Fn(self, ("s", "r"), steps=None)
        source = source_fn.ev(judgement.for_each_source, {})
        source_fn.emit(ast.Return(value=source.expr()))
        source_slot = self.add_function(source_fn.function())
        body = _Fn(self, ("s", "i", "n", "p"), steps=None)
        body.index_ref = "n"
        item = _element(source, "i")
        body.decision(judgement, {judgement.for_each_var: item}, P.name("p"))
        self.decision_slots.append(self.add_function(body.function()))
        return source_slot


# Who reads a definition: ("decision", its key; "" for a for-each decision) or ("definition", its key).
_Reader = tuple[str, str]


def _definition_readers(framework: ir.Framework) -> dict[str, set[_Reader]]:
    """By definition key, every decision and definition whose expressions read it."""
    readers: dict[str, set[_Reader]] = {}
    for key, definition in framework.definitions.items():
        for node in ir.walk(definition.value):
            if type(node) is ir.DefinitionRef:
                readers.setdefault(node.key, set()).add(("definition", key))
    for decision in (*framework.judgements, *framework.checks):
        name = "" if decision.for_each_source is not None else decision.key
        for root in decision.expressions():
            for node in ir.walk(root):
                if type(node) is ir.DefinitionRef:
                    readers.setdefault(node.key, set()).add(("decision", name))
    return readers


def _sole_readers(framework: ir.Framework) -> dict[str, str]:
    """Definitions read by exactly one decision, not a for-each one, and by no definition: by key, that decision's.

    Definitions are computed once per evaluation, and a trace records a definition's own
    steps only where it is first computed. When one decision alone reads a definition and
    the first reading dominates the rest of its function, computing it there inline records
    the same trace as the shared, cached call.
    """
    sole: dict[str, str] = {}
    for key, readers in _definition_readers(framework).items():
        if len(readers) == 1:
            ((kind, name),) = readers
            if kind == "decision" and name:
                sole[key] = name
    return sole


def _owners(framework: ir.Framework) -> dict[str, str]:
    """Definitions every reading of which is in one decision, not a for-each one: by key, that decision's.

    A definition is read in a decision when the decision reads it, or a definition read
    there does (computed inline there, `_Fn._inline_plain`, so are the ones it reads).
    """
    readers = _definition_readers(framework)
    owners: dict[str, str] = {}
    settled = False
    while not settled:  # definitions read by definitions settle once those have (no cycles: the checker)
        settled = True
        for key, names in readers.items():
            if key not in owners:
                found = {name if kind == "decision" else owners.get(name, "") for kind, name in names}
                if len(found) == 1 and "" not in found:
                    owners[key] = found.pop()
                    settled = False
    return owners


# How long a list written out in the rules may be for `count ... rated` to count it inline
# (one statement an item) rather than by a call of `operators.count_by_rank`.
_COUNTED_INLINE = 8


def _is_reads(node: ast.expr) -> bool:
    return type(node) is ast.Name and node.id == "r"


def _read_pointer(statement: ast.stmt) -> str | None:
    """The pointer of a read `r["/pointer"] = value`, else None."""
    if type(statement) is ast.Assign and len(statement.targets) == 1:
        target = statement.targets[0]
        if type(target) is ast.Subscript and _is_reads(target.value) and type(target.slice) is ast.Constant:
            pointer = target.slice.value
            return pointer if type(pointer) is str else None
    return None


def _uses_steps(node: ast.AST) -> bool:
    """Whether a statement or expression reads or writes the trace steps `t`."""
    return any(type(inner) is ast.Name and inner.id == "t" for inner in ast.walk(node))


def _element(source: _Val, ref: str) -> _Val:
    """The value of one item of `source` (a loop variable)."""
    t = element_type(source.type) or source.type
    return _Val(t, ref=ref, unk=not source.clean, clean=source.clean)


class _Capture:
    """The trace steps one computation records, for recording them again where its value is reused."""

    __slots__ = ("depth", "steps", "straight")

    def __init__(self, depth: int) -> None:
        self.depth = depth  # the block the computation starts in
        self.steps: list[tuple[str, ast.expr]] = []
        self.straight = True  # every step recorded in that block: none of them can have been skipped


class _Fn:
    """One generated function: its statement blocks, and the values known to hold where they dominate.

    `steps` says whether the code being emitted records trace steps: None (it does not),
    "list" (into the local `t`, a list: a condition's code) or "guarded" (into `t` when it
    is not None: a definition's code, which may run inside a condition or outside one).
    """

    def __init__(self, gen: DecisionGenerator, params: tuple[str, ...], *, steps: str | None) -> None:
        self.g = gen
        self.params = params
        self.blocks: list[list[ast.stmt]] = [[]]
        # Each block's trace steps not yet written: consecutive steps become one `t += [...]`.
        self.pending: list[list[tuple[str, ast.expr, bool]]] = [[]]
        self.layers: list[dict[Any, Any]] = [{}]
        self.captures: list[_Capture] = []
        self.uses_fields = False
        self.uses_raw = False
        self.uses_as_of = False
        self.index_ref: str | None = None
        self.steps = steps
        # The decision's local values (`let`): their definitions, the environment they are
        # computed in, the local holding each (None until computed) and what it may hold.
        self.lets: dict[str, ir.Let] = {}
        self.let_env: dict[str, _Val] = {}
        self.let_locals: dict[str, str] = {}
        self.let_vals: dict[str, _Val] = {}
        self.end_of_reads: str | int = ""  # the last traced condition's count of reads: a local, or known
        # Tracing: the pointers read so far in straight-line code, while every read has been
        # (then `len(r)` is known while generating); None once a read may or may not happen.
        self.straight_reads: set[str] | None = set()
        # Tracing a first-match decision without local values or dated clauses: its trace
        # entries so far, each in a local (the trace is then a tuple of them, no list `T`).
        self.entries: list[str] | None = None
        self.decision_key = ""  # the decision being generated, if any
        # Tracing: a condition's `t = []` and its block, while no statement of that block has
        # used `t` since; its first steps there then become `t = [...]` (`_write_steps`). Code in
        # a nested block runs only once the statement holding it is placed, after those steps.
        self.opening: tuple[ast.stmt, list[ast.stmt]] | None = None
        self.inlined: dict[str, bool] = {}  # whether each definition read is computed inline here

    # -- emitting

    def emit(self, *statements: ast.stmt) -> None:
        block = self.blocks[-1]
        for statement in statements:
            if self.pending[-1] and not self._keeps_steps_pending(statement):
                self._write_steps()
            # A statement of a nested block is placed by the one holding it, checked here in turn.
            if self.opening is not None and self.opening[1] is block and _uses_steps(statement):
                self.opening = None
            if self.straight_reads is not None and self.g.tracing:
                self._count_reads(statement)
            block.append(statement)

    def _count_reads(self, statement: ast.stmt) -> None:
        """Keep `straight_reads`: a read `r[pointer] = ...` in straight-line code adds its pointer;
        a read anywhere else, or a helper given `r` to add reads to, makes the count unknown.

        The statements of a nested block were emitted, and counted, one by one; a read the
        generator places in a block of its own making calls `_conditional_read`.
        """
        pointer = _read_pointer(statement)
        if pointer is not None and len(self.blocks) <= 2:
            assert self.straight_reads is not None
            self.straight_reads.add(pointer)
            return
        kind = type(statement)
        parts: list[ast.AST]
        if kind is ast.If:
            parts = [statement.test]  # type: ignore[attr-defined]
        elif kind is ast.For:
            parts = [statement.iter]  # type: ignore[attr-defined]
        elif kind is ast.Try:
            parts = []
        else:
            parts = [statement]
        for node in (node for part in parts for node in ast.walk(part)):
            if (type(node) is ast.Subscript and type(node.ctx) is ast.Store and _is_reads(node.value)) or (
                type(node) is ast.Call
                and not (type(node.func) is ast.Name and node.func.id == "h_len")
                and any(_is_reads(arg) for arg in node.args)
            ):
                self.straight_reads = None
                return

    def _conditional_read(self) -> None:
        """A read placed in a block that may not run: the count of reads is unknown from here on."""
        self.straight_reads = None

    def _reads_count(self) -> int | None:
        """`len(r)` when it is known while generating (`straight_reads`), else None."""
        return None if self.straight_reads is None else len(self.straight_reads)

    def _keeps_steps_pending(self, statement: ast.stmt) -> bool:
        """Whether the pending steps may be written after `statement`: it reads evidence or
        computes a new local, changing no value a pending step shows and recording no step
        of its own (an error it raises fails the clause, and the trace goes with it)."""
        if type(statement) is ast.AugAssign:  # an item of a local list (counts by rank) changed
            changed = statement.target
            shown = {value.id for _, value, _ in self.pending[-1] if type(value) is ast.Name}
            return (
                type(changed) is ast.Subscript
                and type(changed.value) is ast.Name
                and changed.value.id not in shown
                and changed.value.id not in ("t", "T", "r")
                and not _uses_steps(statement)
            )
        if type(statement) is not ast.Assign:
            return False
        if _uses_steps(statement.value):
            return False  # it records steps of its own (a definition computed here)
        shown = {value.id for _, value, _ in self.pending[-1] if type(value) is ast.Name}
        for target in statement.targets:
            if type(target) is ast.Name:
                if target.id == "t" or target.id in shown:
                    return False
            elif not (type(target) is ast.Subscript and type(target.value) is ast.Name and target.value.id == "r"):
                return False
        return True

    def _write_steps(self) -> None:
        """Write the block's pending steps: one `t += [...]` for each run recorded alike."""
        pending = self.pending[-1]
        block = self.blocks[-1]
        while pending:
            guarded = pending[0][2]
            run = 0
            while run < len(pending) and pending[run][2] == guarded:
                run += 1
            # Flat, text then value (`result.TraceEntry`): no tuple for each step.
            flat = [part for text, value, _ in pending[:run] for part in (P.const(text), value)]
            record: ast.stmt = ast.AugAssign(target=P.store("t"), op=ast.Add(), value=P.list_(flat))
            if self.opening is not None and self.opening[1] is block:
                opening = self.opening[0]
                self.opening = None
                if not guarded:
                    # Nothing used `t` since `t = []`: the first steps make the list instead.
                    block.remove(opening)
                    record = P.assign("t", P.list_(flat))
            if guarded:
                block.append(P.if_(P.cmp(P.name("t"), ast.IsNot(), P.const(None)), [record]))
            else:
                block.append(record)
            del pending[:run]

    def _push_block(self, statements: list[ast.stmt]) -> None:
        self.blocks.append(statements)
        self.pending.append([])

    def _pop_block(self) -> None:
        self._write_steps()
        self.blocks.pop()
        self.pending.pop()

    @contextmanager
    def block(self) -> Iterator[list[ast.stmt]]:
        """A nested block: code that may not run, so what it computes is forgotten after it."""
        statements: list[ast.stmt] = []
        self._push_block(statements)
        self.layers.append({})
        try:
            yield statements
        finally:
            self._pop_block()
            self.layers.pop()

    @contextmanager
    def recording(self, steps: str | None) -> Iterator[None]:
        saved = self.steps
        self.steps = steps
        try:
            yield
        finally:
            self.steps = saved

    def new(self) -> str:
        return self.g.new()

    def call(self, key: str, *args: ast.expr) -> ast.Call:
        return self.g.call(key, *args)

    def is_unknown(self, value: _Val) -> ast.expr:
        # Unknown has no subclasses (values.py), so its exact type decides.
        return P.cmp(self.call("type", value.expr()), ast.Is(), self.g.helper("U"))

    def unknown_test(self, *values: _Val) -> ast.expr | None:
        tests = [self.is_unknown(v) for v in values if v.unk]
        return P.or_(tests) if tests else None

    def function(self) -> ast.FunctionDef:
        prologue: list[ast.stmt] = []
        if self.uses_fields:
            prologue.append(P.assign("F", P.sub(P.name("s"), P.const(FIELDS))))
        if self.uses_raw:
            prologue.append(P.assign("R", P.sub(P.name("s"), P.const(RAW))))
        if self.uses_as_of:
            prologue.append(P.assign("A", P.sub(P.name("s"), P.const(AS_OF))))
        assert len(self.blocks) == 1
        self._write_steps()
        return P.function("f", self.params, prologue + self.blocks[0])

    def assign_value(self, value: ast.expr, type_: Type, **flags: Any) -> _Val:
        out = self.new()
        self.emit(P.assign(out, value))
        return _Val(type_, ref=out, **flags)

    # -- expressions

    def ev(self, node: ir.Expr, env: dict[str, _Val], *, flat: bool = False) -> _Val:
        """Emit the code computing `node`; return where its value is.

        A value computed where it dominates is reused. While recording a trace, a reused
        value also records again the steps its computation recorded (`_replay`), so the
        trace is what computing it again would give; a value whose steps were recorded in
        code that may not have run (the right operand of `and`, a loop) is computed again.

        `flat`: the caller reads a record's fields and takes one the validator left as
        (fields, raw) as it is; any other caller gets a `RecordValue` (`_as_value`).
        """
        if type(node) is ir.Const:
            return self._ev(node, env)
        if type(node) is ir.Local and self.steps is None:
            return env[node.name]
        key = _expr_key(node, env)
        if self.g.tracing:
            key = (key, node.span.text)  # the steps' texts are the source's, so its spelling counts
        found: _Val | None = self._known(key)
        if found is not None:
            if self.steps is None:
                return self._as_value(found, key, flat)
            replay = self._known(("steps", key))
            if replay is not None:
                for text, value in replay:
                    self._record_step(text, value)
                return self._as_value(found, key, flat)
        capture = _Capture(len(self.blocks))
        self.captures.append(capture)
        try:
            result = self._ev(node, env)
            if self.steps is not None:
                self._record_step(node.span.text, self._shown(result, key))
        finally:
            self.captures.pop()
        if self.steps is not None and capture.straight:
            self.layers[-1][("steps", key)] = tuple(capture.steps)
        self.layers[-1][key] = result
        return self._as_value(result, key, flat)

    def _as_value(self, value: _Val, key: Any, flat: bool) -> _Val:
        """`value`, unless `flat` with a record the validator left as (fields, raw) made a
        `RecordValue`, once where it dominates."""
        if value.flat is None or flat:
            return value
        made: _Val | None = self._known(("record", key))
        if made is None:
            call = self.call("record_of", value.flat, value.expr())
            made = self.assign_value(call, value.type, unk=value.unk, clean=value.clean, ptr=value.ptr)
            self.layers[-1][("record", key)] = made
        return made

    def _shown(self, value: _Val, key: Any) -> ast.expr:
        """What a trace step records for `value`: a record left as (fields, raw), known to be there,
        by a stand-in that shows as the record does (`values.RecordShown`)."""
        if value.flat is not None and value.ptr is not None and not value.unk:
            shown = self.g.shown.get(value.ptr)
            if shown is None:
                shown = self.g.shown[value.ptr] = RecordShown(value.ptr)
            return self.g.constant(shown)
        return self._as_value(value, key, False).expr()

    def _known(self, key: Any) -> Any:
        for layer in reversed(self.layers):
            found = layer.get(key)
            if found is not None:
                return found
        return None

    def _record_step(self, text: str, value: ast.expr) -> None:
        """Record one trace step; the computations being captured for replay record it too."""
        self.pending[-1].append((text, value, self.steps == "guarded"))
        depth = len(self.blocks)
        for capture in self.captures:
            capture.steps.append((text, value))
            if capture.depth != depth:
                capture.straight = False

    def _literal(self, value: Any, type_: Type) -> _Val:
        expr = self.g.constant(value)
        if isinstance(expr, ast.Name):
            return _Val(type_, ref=expr.id, const=value)
        return _Val(type_, lit=value, const=value)

    def _ev(self, node: ir.Expr, env: dict[str, _Val]) -> _Val:
        match node:
            case ir.Const():
                return self._literal(node.value, node.type)
            case ir.Local():
                return env[node.name]
            case ir.LetRef():
                return self._let(node)
            case ir.ItemOutcome():
                key = self.ev(node.item, env)
                index = self.g.decision_index[node.key]
                self.g.referenced.add(index)
                call = self.call("item_of", P.name("s"), P.const(index), key.expr(), P.name("r"))
                return self.assign_value(call, node.type, unk=True, clean=not _is_collection(node.type))
            case ir.Lookup():
                return self._lookup(node, env)
            case ir.Ternary():
                return self._ternary(node, env)
            case ir.EvidenceField():
                return self._evidence_field(node)
            case ir.GetField():
                return self._get_field(node, env)
            case ir.DefinitionRef():
                return self._definition(node)
            case ir.JudgementRef():
                return self._judgement(node)
            case ir.AsOfDate():
                self.uses_as_of = True
                return _Val(node.type, ref="A")
            case ir.ListExpr():
                items = tuple(self.ev(item, env) for item in node.items)
                clean = all(not v.unk and v.clean for v in items)
                return self.assign_value(P.tuple_([v.expr() for v in items]), node.type, clean=clean, items=items)
            case ir.Comprehension():
                return self._comprehension(node, env)
            case ir.Quantifier():
                return self._quantifier(node, env)
            case ir.Unary():
                return self._unary(node, env)
            case ir.Binary():
                return self._binary(node, env)
            case _:
                assert_never(node)

    def _record_read(self, pointer: ast.expr, raw: ast.expr) -> ast.stmt:
        return P.set_item("r", pointer, raw)

    def _evidence_field(self, node: ir.EvidenceField) -> _Val:
        self.uses_fields = True
        out = self.new()
        pointer = "/" + escape_pointer(node.name)
        self.emit(P.assign(out, P.sub(P.name("F"), P.const(node.name))))
        record: list[ast.stmt] = []
        if not is_structure(node.type):
            self.uses_raw = True
            record.append(self._record_read(P.const(pointer), P.sub(P.name("R"), P.const(node.name))))
        if node.optional:
            missing = self.g.constant(Unknown(frozenset({pointer})))
            if record:
                self._conditional_read()
            self.emit(P.if_(P.cmp(P.name(out), ast.Is(), P.const(None)), [P.assign(out, missing)], record))
        else:
            self.emit(*record)
        flat = P.const(pointer) if isinstance(node.type, RecordType) else None
        return _Val(node.type, ref=out, unk=node.optional, ptr=pointer, flat=flat)

    def _get_field(self, node: ir.GetField, env: dict[str, _Val]) -> _Val:
        target = self.ev(node.target, env, flat=True)
        segment = "/" + escape_pointer(node.name)
        static = target.ptr + segment if target.ptr is not None else None
        base = target.flat if target.flat is not None else P.attr(target.expr(), "pointer")
        pointer: ast.expr = (
            P.const(static) if static is not None else ast.BinOp(left=base, op=ast.Add(), right=P.const(segment))
        )
        # A record's fields and raw JSON: `.fields` and `.raw` of a `RecordValue`, items 0
        # and 1 of a record the validator left as (fields, raw).
        fields, raw = self._parts(target)
        missing: ast.expr = (
            self.g.constant(Unknown(frozenset({static}))) if static is not None else self.call("unknown", pointer)
        )
        structural = is_structure(node.type)
        out = self.new()
        present: list[ast.stmt] = []
        is_map = isinstance(node.target.type, MapOf)
        if is_map:
            entries = P.attr(target.expr(), "entries")
            then: list[ast.stmt] = [P.assign(out, P.sub(entries, P.const(node.name)))]
            if not structural:
                self._conditional_read()
                then.append(self._record_read(pointer, P.sub(P.attr(target.expr(), "raw"), P.const(node.name))))
            present.append(P.if_(P.cmp(P.const(node.name), ast.In(), entries), then, [P.assign(out, missing)]))
        else:
            present.append(P.assign(out, P.sub(fields, P.const(node.name))))
            record: list[ast.stmt] = []
            if not structural:
                record.append(self._record_read(pointer, P.sub(raw, P.const(node.name))))
            if node.optional:
                if record:
                    self._conditional_read()
                present.append(P.if_(P.cmp(P.name(out), ast.Is(), P.const(None)), [P.assign(out, missing)], record))
            else:
                present.extend(record)
        if target.unk:
            if not structural:
                self._conditional_read()
            self.emit(P.if_(self.is_unknown(target), [P.assign(out, target.expr())], present))
        else:
            self.emit(*present)
        flat = pointer if isinstance(node.type, RecordType) and not is_map else None
        return _Val(node.type, ref=out, unk=target.unk or node.optional or is_map, ptr=static, flat=flat)

    def _parts(self, target: _Val) -> tuple[ast.expr, ast.expr]:
        """A record's fields and raw JSON; of a (fields, raw) pair known to be there, in locals
        taken once where they dominate."""
        if target.flat is None:
            return P.attr(target.expr(), "fields"), P.attr(target.expr(), "raw")
        if target.unk or target.ref is None:
            return P.sub(target.expr(), P.const(0)), P.sub(target.expr(), P.const(1))
        key = ("parts", target.ref)
        parts: tuple[str, str] | None = self._known(key)
        if parts is None:
            parts = (self.new(), self.new())
            self.emit(
                P.assign(parts[0], P.sub(target.expr(), P.const(0))),
                P.assign(parts[1], P.sub(target.expr(), P.const(1))),
            )
            self.layers[-1][key] = parts
        return P.name(parts[0]), P.name(parts[1])

    def _let(self, node: ir.LetRef) -> _Val:
        """A local value: computed into its local where first needed (`if v is None: ...`), once per decision.

        Where an earlier computation dominates, `ev` finds the local among the known
        values and no test is emitted. With tracing, the computation leaves one trace
        entry of its own, as in `engine.reference`.
        """
        let = self.lets[node.name]
        local = self.let_locals[node.name]
        known = self.let_vals.get(node.name)
        if known is None:
            with self.block(), self.recording(None):  # what the value may hold, from code thrown away
                probe = self.ev(let.value, self.let_env)
            known = self.let_vals[node.name] = _Val(
                let.type, ref=local, unk=probe.unk, clean=probe.clean, ptr=probe.ptr
            )
        with self.block() as compute:
            if self.g.tracing:
                saved, count = self.new(), self.new()
                self.emit(
                    P.assign(saved, P.name("t")),
                    P.assign("t", P.list_()),
                    P.assign(count, self.call("len", P.name("r"))),
                )
                with self.recording("list"):
                    value = self.ev(let.value, self.let_env)
                self.emit(P.assign(local, value.expr()))
                entry = self.call(
                    "let_entry",
                    P.const(let.location),
                    P.const(let.name),
                    P.name(local),
                    self.call("reads_since", P.name("r"), P.name(count)),
                    P.name("t"),
                )
                self.emit(P.append("T", entry), P.assign("t", P.name(saved)))
            else:
                value = self.ev(let.value, self.let_env)
                self.emit(P.assign(local, value.expr()))
        self.emit(P.if_(P.cmp(P.name(local), ast.Is(), P.const(None)), compute))
        return known

    def _lookup(self, node: ir.Lookup, env: dict[str, _Val]) -> _Val:
        """`map.(key)`: the entry by a key computed at run time (`runtime.lookup_entry`)."""
        target = self.ev(node.target, env)
        key = self.ev(node.key, env)
        structural = P.const(is_structure(node.type))
        call = self.call("lookup", target.expr(), key.expr(), P.name("r"), structural)
        return self.assign_value(call, node.type, unk=True)

    def _ternary(self, node: ir.Ternary, env: dict[str, _Val]) -> _Val:
        operator = OPERATORS[node.op]
        operands = [self.ev(part, env) for part in (node.first, node.second, node.third)]
        folded = self._fold(operator, operands, node.type)
        if folded is not None:
            return folded
        call = self.call(f"eval_{node.op.value}", *(v.expr() for v in operands))
        return self.assign_value(call, node.type, unk=any(v.unk or not v.clean for v in operands))

    def _definition(self, node: ir.DefinitionRef) -> _Val:
        definitions = self.g.framework.definitions
        definition = definitions[node.key]
        if isinstance(definition.value, ir.Const):
            return self._literal(definition.value.value, definition.value.type)
        if _plain(definition.value, definitions):
            # Only evidence reads and lists of them: computing it here costs less than the
            # cached call, and records the same reads.
            if not self.g.tracing:
                return self.ev(definition.value, {}, flat=True)
            if self._inline_traced(node.key):
                return self._inline_definition(definition)
        elif not self.g.tracing and self._inline_plain(node.key):
            return self.ev(definition.value, {})
        index, value = self.g.definition(node.key)
        if self.g.tracing:
            steps = P.name("t") if self.steps is not None else P.const(None)
            call = self.call("definition_traced", P.name("s"), P.const(index), P.name("r"), steps)
        else:
            call = self.call("definition", P.name("s"), P.const(index), P.name("r"))
        return self.assign_value(call, value.type, unk=value.unk, clean=value.clean, ptr=value.ptr)

    def _inline_traced(self, key: str) -> bool:
        """Tracing: whether definition `key` is computed inline here, decided at its first reading in this function.

        Inline when this decision alone reads it (`_sole_readers`) and the first reading is
        in a condition's straight-line code, which runs before anything else could read it
        and dominates every later reading: there the trace records its steps once, as the
        cached call would. Once read any other way, it stays a call in this function.
        """
        inline = self.inlined.get(key)
        if inline is None:
            inline = self.inlined[key] = (
                self.g.sole_reader.get(key) == self.decision_key and self.steps == "list" and len(self.blocks) == 2
            )
        return inline

    def _inline_plain(self, key: str) -> bool:
        """Without tracing: whether computed definition `key` is computed inline here, decided at
        its first reading in this function.

        Inline when every reading of it is in this decision (`_owners`) and the first
        reading is in straight-line code (a clause's, or the function's own), where the
        value stays known for every later reading: the same code, values and reads as the
        cached call (whose reads join the decision's), without the call or the cache. An
        error it raises fails the clause reading it, as the call's does. Read first anywhere
        else, it stays a call in this function. (Either way the value is the same; computing
        a definition inline where another decision reads it too would compute it twice.)
        """
        inline = self.inlined.get(key)
        if inline is None:
            inline = self.inlined[key] = self.g.owner.get(key) == self.decision_key and len(self.blocks) <= 2
        return inline

    def _inline_definition(self, definition: ir.Definition) -> _Val:
        """A definition computed inline in a traced condition: its steps are recorded here, but a
        later reading records only the definition's own step, as a cached definition's does."""
        outer, self.captures = self.captures, []
        try:
            return self.ev(definition.value, {}, flat=True)
        finally:
            self.captures = outer

    def _judgement(self, node: ir.JudgementRef) -> _Val:
        index = self.g.decision_index[node.key]
        self.g.referenced.add(index)
        if node.per_item:
            assert self.index_ref is not None
            call = self.call("item", P.name("s"), P.const(index), P.name(self.index_ref), P.name("r"))
        else:
            call = self.call("judgement", P.name("s"), P.const(index), P.name("r"))
        return self.assign_value(call, node.type, unk=True, clean=not _is_collection(node.type))

    def _items(self, value: _Val) -> ast.expr:
        """The items to loop over, for a value known not to be unknown: a map's values."""
        if isinstance(value.type, MapOf):
            return self.call("values", value.expr())
        return value.expr()

    def _comprehension(self, node: ir.Comprehension, env: dict[str, _Val]) -> _Val:
        if type(node.source) is ir.ListExpr and len(node.source.items) == 1:
            return self._comprehension_of_one(node, node.source.items[0], env)
        source = self.ev(node.source, env)
        out = self.new()
        with self.block() as present:
            acc = self.new()
            var = self.new()
            inner = {**env, node.var: _element(source, var)}
            can_stop = False
            with self.block() as body:
                if node.condition is not None:
                    keep = self.ev(node.condition, inner)
                    if keep.unk:
                        can_stop = True
                        self.emit(P.if_(self.is_unknown(keep), [P.assign(out, keep.expr()), ast.Break()]))
                    self.emit(P.if_(P.not_(keep.expr()), [ast.Continue()]))
                element = self.ev(node.element, inner)
                self.emit(P.append(acc, element.expr()))
            finish = P.assign(out, self.call("tuple", P.name(acc)))
            self.emit(
                P.assign(acc, P.list_()),
                ast.For(target=P.store(var), iter=self._items(source), body=body, orelse=[finish] if can_stop else []),
            )
            if not can_stop:
                self.emit(finish)
        if source.unk:
            self.emit(P.if_(self.is_unknown(source), [P.assign(out, source.expr())], present))
        else:
            self.emit(*present)
        return _Val(node.type, ref=out, unk=source.unk or can_stop, clean=not element.unk and element.clean)

    def _comprehension_of_one(self, node: ir.Comprehension, item: ir.Expr, env: dict[str, _Val]) -> _Val:
        """`[element for var in [item] where condition]` as a test, not a loop.

        The loop over a one-item list gives `(element,)` when the condition holds, `()`
        when it does not, and the condition's unknown when it is one; so does this, with
        no list built, stepped or copied. (`key_question.safe for r in [safe] where r =
        inadequate` is how a rule keeps one item of a list if a test holds.) A trace still
        shows the list: its step is recorded, the tuple it shows built only then."""
        if self.steps is None:
            value = self.ev(item, env)
        else:
            source = self.ev(node.source, env)
            assert source.items is not None and len(source.items) == 1
            (value,) = source.items
        inner = {**env, node.var: value}
        out = self.new()
        keep = self.ev(node.condition, inner) if node.condition is not None else None
        with self.block() as kept:
            element = self.ev(node.element, inner)
            self.emit(P.assign(out, P.tuple_([element.expr()])))
        clean = not element.unk and element.clean
        if keep is None:
            self.emit(*kept)
            return _Val(node.type, ref=out, clean=clean)
        dropped = [P.assign(out, P.tuple_([]))]
        tested = P.if_(keep.expr(), kept, dropped)
        if keep.unk:
            self.emit(P.if_(self.is_unknown(keep), [P.assign(out, keep.expr())], [tested]))
        else:
            self.emit(tested)
        return _Val(node.type, ref=out, unk=keep.unk, clean=clean)

    def _quantifier(self, node: ir.Quantifier, env: dict[str, _Val]) -> _Val:
        source = self.ev(node.source, env)
        out = self.new()
        kind = node.kind
        with self.block() as present:
            var = self.new()
            unknowns = self.new()
            inner = {**env, node.var: _element(source, var)}
            count = self.new()
            with self.block() as body:
                value = self.ev(node.condition, inner)
                plain = value.boolean and not value.unk
                remember = [P.append(unknowns, value.expr(), as_tuple=True)]
                match kind:
                    case ir.QuantifierKind.COUNT:
                        test = value.expr() if plain else P.cmp(value.expr(), ast.Is(), P.const(True))
                        bump = ast.AugAssign(target=P.store(count), op=ast.Add(), value=P.const(1))
                        orelse = [P.if_(self.is_unknown(value), remember)] if value.unk else []
                        self.emit(P.if_(test, [bump], orelse))
                    case ir.QuantifierKind.ANY:
                        test = value.expr() if plain else P.cmp(value.expr(), ast.Is(), P.const(True))
                        self.emit(P.if_(test, [P.assign(out, P.const(True)), ast.Break()]))
                        if value.unk:
                            self.emit(P.if_(self.is_unknown(value), remember))
                    case ir.QuantifierKind.ALL:
                        test = P.not_(value.expr()) if plain else P.cmp(value.expr(), ast.Is(), P.const(False))
                        self.emit(P.if_(test, [P.assign(out, P.const(False)), ast.Break()]))
                        if value.unk:
                            self.emit(P.if_(self.is_unknown(value), remember))
                    case ir.QuantifierKind.NO:
                        stop = [P.assign(out, P.const(False)), ast.Break()]
                        if value.unk:
                            self.emit(P.if_(self.is_unknown(value), remember, [P.if_(value.expr(), stop)]))
                        else:
                            self.emit(P.if_(value.expr(), stop))
                    case _:
                        assert_never(kind)
            if value.unk:
                self.emit(P.assign(unknowns, P.tuple_([])))

            def settle(known: ast.expr) -> ast.stmt:
                if not value.unk:
                    return P.assign(out, known)
                merged = self.call("merge_all", P.name(unknowns))
                return P.assign(out, ast.IfExp(test=P.name(unknowns), body=merged, orelse=known))

            iterate = self._items(source)
            if kind is ir.QuantifierKind.COUNT:
                counted = self.call("partial_count", P.name(count), P.name(unknowns)) if value.unk else P.name(count)
                self.emit(
                    P.assign(count, P.const(0)),
                    ast.For(target=P.store(var), iter=iterate, body=body, orelse=[]),
                    P.assign(out, counted),
                )
            else:
                result = P.const(kind is not ir.QuantifierKind.ANY)
                self.emit(ast.For(target=P.store(var), iter=iterate, body=body, orelse=[settle(result)]))
        if source.unk:
            self.emit(P.if_(self.is_unknown(source), [P.assign(out, source.expr())], present))
        else:
            self.emit(*present)
        return _Val(node.type, ref=out, unk=source.unk or value.unk)

    # -- operators

    def _fold(self, operator: Operator, operands: Sequence[_Val], type_: Type) -> _Val | None:
        """An operator on constants, computed now; None when it must wait (it would fail, or gives no constant)."""
        if not all(v.is_const for v in operands):
            return None
        args = [v.const for v in operands]
        if operator.parameter is not None:
            args.append(operator.parameter(type_))
        try:
            value = operator.evaluate(*args)
        except EvaluationError:
            return None  # the error belongs to the clause that evaluates it, at run time
        out = self._literal(value, type_)
        out.unk = type(value) is Unknown
        return out

    def _unary(self, node: ir.Unary, env: dict[str, _Val]) -> _Val:
        operator = OPERATORS[node.op]
        value = self.ev(node.operand, env)
        folded = self._fold(operator, [value], node.type)
        if folded is not None:
            return folded
        args = [value.expr()]
        if operator.parameter is not None:
            args.append(self.g.constant(operator.parameter(node.type)))
        native = self._native_unary(operator, value)
        if operator.unknown is Unknowns.OWN:
            if native is not None:
                return self.assign_value(native, node.type)
            return self.assign_value(self.call(f"op_{node.op.value}", *args), node.type, unk=True)
        if operator.unknown is Unknowns.ITEMS and not value.clean:
            return self.assign_value(self.call(f"eval_{node.op.value}", *args), node.type, unk=True)
        known = native if native is not None else self.call(f"op_{node.op.value}", *args)
        return self._strict(known, [value], node.type)

    def _native_unary(self, operator: Operator, value: _Val) -> ast.expr | None:
        match operator.native:
            case Native.NOT:
                return P.not_(value.expr()) if value.boolean and not value.unk else None
            case Native.IS_UNKNOWN:
                return self.is_unknown(value) if value.unk else P.const(False)
            case Native.IS_KNOWN:
                return P.not_(self.is_unknown(value)) if value.unk else P.const(True)
            case Native.LEN:
                return self.call("len", self._sized(value)) if _is_collection(value.type) else None
            case Native.EMPTY:
                if not (_is_collection(value.type) or value.type == TEXT):
                    return None
                return P.cmp(self.call("len", self._sized(value)), ast.Eq(), P.const(0))
            case _:
                return None

    def _sized(self, value: _Val) -> ast.expr:
        return P.attr(value.expr(), "entries") if isinstance(value.type, MapOf) else value.expr()

    def _strict(self, known: ast.expr, operands: Sequence[_Val], type_: Type, *, op: ir.Op | None = None) -> _Val:
        """A strict operator: unknown (merging the pointers) when an operand is, else `known`.

        With `op` (an operator of `Unknowns.BOUNDS`), an unknown operand goes to the
        operator's full definition, which decides from a count's bounds where it can.
        """
        test = self.unknown_test(*operands)
        out = self.new()
        if test is None:
            self.emit(P.assign(out, known))
            return _Val(type_, ref=out)
        args = [v.expr() for v in operands]
        unknown = self.call(f"eval_{op.value}", *args) if op is not None else self.call("merge", *args)
        self.emit(P.if_(test, [P.assign(out, unknown)], [P.assign(out, known)]))
        return _Val(type_, ref=out, unk=True)

    def _binary(self, node: ir.Binary, env: dict[str, _Val]) -> _Val:
        operator = OPERATORS[node.op]
        if operator.short_circuit is not None:
            return self._lazy(node, operator, env)
        left = self.ev(node.left, env)
        right = self.ev(node.right, env)
        folded = self._fold(operator, [left, right], node.type)
        if folded is not None:
            return folded
        if node.op is ir.Op.COUNT_RATED:
            counted = self._count_by_rank(left, right)
            if counted is not None:
                return counted
        native = self._native_binary(operator, left, right)
        if operator.unknown is Unknowns.OWN:
            if native is not None and not left.unk:
                return self.assign_value(native, node.type)
            # Known whenever no operand, nor an item of one, may be unknown (`Unknowns.OWN`).
            may_be_unknown = operator.imprecise or left.unk or right.unk or not (left.clean and right.clean)
            call = self.call(f"op_{node.op.value}", left.expr(), right.expr())
            return self.assign_value(call, node.type, unk=may_be_unknown)
        if operator.unknown is Unknowns.ITEMS and not (left.clean and right.clean):
            call = self.call(f"eval_{node.op.value}", left.expr(), right.expr())
            return self.assign_value(call, node.type, unk=True)
        known = native if native is not None else self.call(f"op_{node.op.value}", left.expr(), right.expr())
        by_bounds = operator.unknown is Unknowns.BOUNDS
        value = self._strict(known, [left, right], node.type, op=node.op if by_bounds else None)
        if node.op in (ir.Op.AT_MOST, ir.Op.AT_LEAST):
            value.clean = left.clean
        return value

    def _count_by_rank(self, items: _Val, grade: _Val) -> _Val | None:
        """`count of items rated g` read from one count of the list by rank (`operators.count_by_rank`).

        Only for known items, every one a member of the one symbol set `g` belongs to,
        whose members rank 0, 1, 2, ...: there, the same rank is the same member. The list
        is counted once where it dominates, and each `count ... rated` after it is a lookup.
        """
        symbol = grade.const
        element = element_type(items.type)
        if not isinstance(symbol, Symbol) or items.unk or not items.clean or items.ref is None:
            return None
        if not isinstance(element, Choice) or element.base is not None or len(element.sets) != 1:
            return None
        members = element.sets[0].members
        ranked = [m.rank for m in members] == list(range(len(members)))
        if not ranked or members[symbol.rank : symbol.rank + 1] != (symbol,):
            return None
        key = ("count_by_rank", items.ref)
        counts: _Val | None = None
        for layer in reversed(self.layers):
            counts = layer.get(key)
            if counts is not None:
                break
        if counts is None and items.items is not None and len(items.items) <= _COUNTED_INLINE:
            # A short list written out: counted here, item by item, with no call.
            counts = self.assign_value(P.list_([P.const(0)] * len(members)), ListOf(INTEGER))
            for item in items.items:
                rank = ast.Subscript(value=counts.expr(), slice=P.attr(item.expr(), "rank"), ctx=ast.Store())
                self.emit(ast.AugAssign(target=rank, op=ast.Add(), value=P.const(1)))
            self.layers[-1][key] = counts
        if counts is None:
            counts = self.assign_value(self.call("count_by_rank", items.expr(), P.const(len(members))), ListOf(INTEGER))
            self.layers[-1][key] = counts
        return self.assign_value(P.sub(counts.expr(), P.const(symbol.rank)), INTEGER)

    def _native_binary(self, operator: Operator, left: _Val, right: _Val) -> ast.expr | None:
        """The Python operator agreeing with `operator.apply` on these operands, when `semantics` says one does."""
        if operator.native is None:
            return None
        python = P.COMPARE_OPS[operator.native.value]()
        match operator.native_on:
            case NativeOn.VALUES:
                if operator.native in (Native.EQ, Native.NE):
                    if left.sym and right.sym:
                        # Symbols are equal exactly when their keys are (typesystem.Symbol).
                        return P.cmp(self._key(left), python, self._key(right))
                    return P.cmp(left.expr(), python, right.expr())
                if is_native_domain(left.type) and is_native_domain(right.type):
                    return P.cmp(left.expr(), python, right.expr())
                return None
            case NativeOn.RANKS:
                if _pure_scale(left) and _pure_scale(right):
                    return P.cmp(self._rank(right), python, self._rank(left))
                return None
            case NativeOn.ITEMS:
                items = right.const
                if not isinstance(items, tuple) or any(type(v) is Unknown for v in items):
                    return None
                if left.sym and items and all(type(v) is Symbol for v in items):
                    keys = frozenset(v.key for v in items)
                    return P.cmp(self._key(left), python, self.g.constant(keys))
                plain = (str,) if left.type == TEXT else (int,) if left.type == INTEGER else ()
                if plain and all(type(v) in plain for v in items):
                    return P.cmp(left.expr(), python, self.g.constant(frozenset(items)))
                return None
            case _:
                assert_never(operator.native_on)

    def _key(self, value: _Val) -> ast.expr:
        if isinstance(value.const, Symbol):
            return P.const(value.const.key)
        return P.attr(value.expr(), "key")

    def _rank(self, value: _Val) -> ast.expr:
        if isinstance(value.const, Symbol):
            return P.const(value.const.rank)
        return P.attr(value.expr(), "rank")

    def _lazy(self, node: ir.Binary, operator: Operator, env: dict[str, _Val]) -> _Val:
        """`and`, `or`, `if missing`: the right operand is computed only when the left is not the answer."""
        left = self.ev(node.left, env)
        short = operator.short_circuit
        if short is ShortCircuit.WHEN_KNOWN and not left.unk:
            return left  # never unknown: always the answer
        out = self.new()
        self.emit(P.assign(out, left.expr()))
        plain_left = left.boolean and not left.unk
        with self.block() as rest:
            right = self.ev(node.right, env)
            if short is ShortCircuit.WHEN_KNOWN or (plain_left and operator.identity is not None):
                # The left is not the answer, and can only be unknown (`if missing`) or the
                # operator's identity (`true and x` is x): the answer is the right operand.
                self.emit(P.assign(out, right.expr()))
            else:
                self.emit(P.assign(out, self.call(f"op_{node.op.value}", P.name(out), right.expr())))
        test: ast.expr
        match short:
            case ShortCircuit.WHEN_FALSE:
                test = P.name(out) if plain_left else P.cmp(P.name(out), ast.IsNot(), P.const(False))
            case ShortCircuit.WHEN_TRUE:
                test = P.not_(P.name(out)) if plain_left else P.cmp(P.name(out), ast.IsNot(), P.const(True))
            case ShortCircuit.WHEN_KNOWN:
                test = self.is_unknown(left)
            case None:  # pragma: no cover - only lazy operators come here
                raise AssertionError(node.op)
            case _:
                assert_never(short)
        self.emit(P.if_(test, rest))
        if short is ShortCircuit.WHEN_KNOWN:
            return _Val(node.type, ref=out, unk=right.unk, clean=left.clean and right.clean)
        return _Val(BOOLEAN, ref=out, unk=left.unk or right.unk)

    # -- decisions

    def decision(self, judgement: ir.Judgement, env: dict[str, _Val], item: ast.expr) -> None:
        self.decision_key = judgement.key
        self.emit(P.assign("r", ast.Dict(keys=[], values=[])))
        if self.g.tracing and not (judgement.collect or judgement.lets or any(c.in_force for c in judgement.clauses)):
            # One entry for each clause tried, in order, each recorded where it dominates
            # what follows (a clause that fires returns): known while generating.
            self.entries = []
        elif self.g.tracing:
            self.emit(P.assign("T", P.list_()))
        if judgement.lets:
            self.lets = {let.name: let for let in judgement.lets}
            self.let_env = env
            self.let_locals = {let.name: self.new() for let in judgement.lets}
            self.emit(*(P.assign(local, P.const(None)) for local in self.let_locals.values()))
            if self.g.tracing:
                # A local value first needed by an outcome or reason saves `t` before any condition set it.
                self.emit(P.assign("t", P.const(None)))
        if judgement.collect:
            self._collect(judgement, env, item)
        else:
            self._first_match(judgement, env, item)

    def _trace(self) -> ast.expr:
        if self.entries is not None:
            return P.tuple_([P.name(entry) for entry in self.entries])
        return self.call("tuple", P.name("T")) if self.g.tracing else P.tuple_([])

    def _record_entry(self, entry: ast.expr) -> None:
        """Add a clause's trace entry: to `T`, or into a local of its own (`entries`)."""
        if self.entries is None:
            self.emit(P.append("T", entry))
            return
        local = self.new()
        self.emit(P.assign(local, entry))
        self.entries.append(local)

    def _settled(self, outcome: _Val) -> _Val:
        """An outcome list with an unknown anywhere inside is unknown (`runtime.settled`)."""
        if not _is_collection(outcome.type) or outcome.clean:
            return outcome
        return self.assign_value(self.call("settled", outcome.expr()), outcome.type, unk=True)

    def _test(self, value: _Val) -> ast.expr:
        if value.boolean and not value.unk:
            return value.expr()
        return P.cmp(value.expr(), ast.Is(), P.const(True))

    @contextmanager
    def clause(self, clause: ir.Clause, item: ast.expr) -> Iterator[None]:
        """The code of one clause, in a `try` that reports an evaluation error against it."""
        statements: list[ast.stmt] = []
        self._push_block(statements)
        try:
            yield
        finally:
            self._pop_block()
        failed = self.call("failed", item, P.name("e"), P.const(clause.location))
        handler = ast.ExceptHandler(type=self.g.helper("E"), name="e", body=[ast.Return(value=failed)])
        # Values computed in the try body dominate what follows: had it failed, the function
        # would have returned. So the layer of known values is kept.
        self.emit(ast.Try(body=statements or [ast.Pass()], handlers=[handler], orelse=[], finalbody=[]))

    def _condition(self, clause: ir.Clause, env: dict[str, _Val]) -> _Val:
        """The condition's value, with its trace entry when tracing."""
        value, entry = self._traced_condition(clause, env)
        if entry is not None:
            self._record_entry(entry(P.const(None)))
        return value

    def _traced_condition(
        self, clause: ir.Clause, env: dict[str, _Val], start: str | int | None = None
    ) -> tuple[_Val, Callable[[ast.expr], ast.expr] | None]:
        """The condition's value and, when tracing, its trace entry given the outcome (not yet recorded).

        `start`: how many reads `r` holds already, when that is known: a local holding it, or 0.
        """
        assert clause.condition is not None
        if not self.g.tracing:
            return self.ev(clause.condition, env), None
        opening = P.assign("t", P.list_())
        self.emit(opening)
        self.opening = (opening, self.blocks[-1])
        if start is None:
            start = self._reads_count()
            if start is None:
                start = self.new()
                self.emit(P.assign(start, self.call("len", P.name("r"))))
        with self.recording("list"):
            value = self.ev(clause.condition, env)
        end: str | int | None = self._reads_count()
        if end is None:
            end = self.new()
            self.emit(P.assign(end, self.call("len", P.name("r"))))
        self.end_of_reads = end
        # The entry as `result.TraceEntry` lays a compiled condition's out: its reads are
        # a slice of `r`, shown (like its value) only when someone reads the trace.
        location = P.const(clause.location)

        def entry(outcome: ast.expr) -> ast.expr:
            assert start is not None
            begin = P.const(start) if isinstance(start, int) else P.name(start)
            finish = P.const(end) if isinstance(end, int) else P.name(end)
            return P.tuple_([location, value.expr(), outcome, P.name("r"), begin, finish, P.name("t")])

        return value, entry

    @contextmanager
    def dated(self, clause: ir.Clause, *preset: tuple[str, Any]) -> Iterator[None]:
        """Code that runs only while `clause` is in force: outside its dates it is skipped
        (and the trace says so). `preset` locals are given their value first, for the code
        after the clause that reads them."""
        if clause.in_force is None:
            yield
            return
        for name, value in preset:
            self.emit(P.assign(name, P.const(value)))
        with self.block() as body:
            yield
        skipped = [P.append("T", self.call("skipped_entry", P.const(clause.location)))] if self.g.tracing else []
        test = self.call("in_force", P.name("s"), self.g.constant(clause.in_force))
        self.emit(P.if_(test, body, skipped))

    def _first_match(self, judgement: ir.Judgement, env: dict[str, _Val], item: ast.expr) -> None:
        pending: list[tuple[ir.Clause, str]] = []
        # How many reads `r` held when the last condition ended: where the next one's start
        # (nothing reads between them: a clause that fires returns; a dated one may not run).
        reads_so_far: str | int | None = 0  # before the first condition nothing is read
        for clause in judgement.clauses:
            if clause.condition is None:
                with self.dated(clause), self.clause(clause, item):
                    if self.g.tracing and self.lets:
                        self.emit(P.append("T", self.call("otherwise_entry", P.const(clause.location))))
                        self._fire(clause, env, item, pending)
                    elif self.g.tracing:
                        self._fire(clause, env, item, pending, entry=_otherwise_entry(clause.location))
                    else:
                        self._fire(clause, env, item, pending)
                if clause.in_force is None:
                    return  # clauses after `otherwise` never run
                continue  # a dated `otherwise` is skipped outside its dates: the clauses after it are tried
            slot = self.new()
            with self.dated(clause, (slot, None)), self.clause(clause, item):
                # Without local values, the entry is recorded once it is known whether the
                # clause fired, with the outcome if it did (the block that fires returns).
                value, entry = self._traced_condition(clause, env, reads_so_far if clause.in_force is None else None)
                reads_so_far = self.end_of_reads if clause.in_force is None and entry is not None else None
                if entry is not None and self.lets:
                    self.emit(P.append("T", entry(P.const(None))))
                    entry = None
                with self.block() as fire:
                    self._fire(clause, env, item, pending, entry=entry)
                if value.unk:
                    # Only read after this `try` completed: had it failed, the function returned.
                    remember = [P.if_(self.is_unknown(value), [P.assign(slot, value.expr())])]
                    self.emit(P.assign(slot, P.const(None)), P.if_(self._test(value), fire, remember))
                else:
                    self.emit(P.if_(self._test(value), fire))
                if entry is not None:
                    self._record_entry(entry(P.const(None)))
            if value.unk:
                pending.append((clause, slot))
        self.emit(
            ast.Return(
                value=self.call(
                    "fell_through",
                    item,
                    P.tuple_([P.name(slot) for _, slot in pending]),
                    P.const(tuple(c.location for c, _ in pending)),
                    P.const(f"no clause of `{judgement.name}` applies"),
                    P.const(judgement.clauses[-1].location),
                    self._trace(),
                )
            )
        )

    def _pending_outcome(self, clause: ir.Clause, env: dict[str, _Val]) -> ast.expr:
        """A pending clause's outcome; one that cannot be computed is an unknown, equal to nothing."""
        if isinstance(clause.outcome, ir.Const):
            return self.g.constant(clause.outcome.value)
        out = self.new()
        with self.block() as attempt:
            value = self.ev(clause.outcome, env)
            self.emit(P.assign(out, value.expr()))
        handler = ast.ExceptHandler(
            type=self.g.helper("E"), name=None, body=[P.assign(out, self.g.constant(Unknown(frozenset())))]
        )
        self.emit(ast.Try(body=attempt, handlers=[handler], orelse=[], finalbody=[]))
        return P.name(out)

    def _blocked(self, pending: list[tuple[ir.Clause, str]], env: dict[str, _Val], item: ast.expr, test: Any) -> None:
        """Return undetermined if a pending clause, one that was unknown, would give what `test` says differs."""
        blockers = self.new()
        self.emit(P.assign(blockers, P.tuple_([])))
        for other, slot in pending:
            with self.block() as check:
                theirs = self._pending_outcome(other, env)
                self.emit(P.if_(test(theirs), [P.append(blockers, P.name(slot), as_tuple=True)]))
            self.emit(P.if_(P.cmp(P.name(slot), ast.IsNot(), P.const(None)), check))
        blocked = self.call(
            "blocked",
            item,
            P.name(blockers),
            P.tuple_([P.name(slot) for _, slot in pending]),
            P.const(tuple(c.location for c, _ in pending)),
            self._trace(),
        )
        self.emit(P.if_(P.name(blockers), [ast.Return(value=blocked)]))

    def _fire(
        self,
        clause: ir.Clause,
        env: dict[str, _Val],
        item: ast.expr,
        pending: list[tuple[ir.Clause, str]],
        *,
        entry: Callable[[ast.expr], ast.expr] | None = None,
    ) -> None:
        """The clause's condition holds: decide, unless its outcome or a pending clause is unknown.

        `entry`: the clause's trace entry given its outcome, to record here (else it is in `T` already).
        """
        count: str | None = None
        if self.g.tracing and self.lets:
            # Computing the outcome may add a local value's entry after the clause's own.
            count = self.new()
            self.emit(P.assign(count, self.call("len", P.name("T"))))
        outcome = self._settled(self.ev(clause.outcome, env))
        recorded = self.entries[:] if self.entries is not None else None
        if count is not None:
            self.emit(P.assign(self.new(), self.call("put_outcome", P.name("T"), P.name(count), outcome.expr())))
        elif entry is not None:
            self._record_entry(entry(outcome.expr()))
        elif self.g.tracing:
            assert self.entries is None, "a decision with its entries in locals records each with its outcome"
            last = ast.Subscript(value=P.name("T"), slice=P.const(-1), ctx=ast.Store())
            given = self.call("with_outcome", P.sub(P.name("T"), P.const(-1)), outcome.expr())
            self.emit(ast.Assign(targets=[last], value=given))
        if outcome.unk:
            unknowns = P.tuple_([*(P.name(slot) for _, slot in pending), outcome.expr()])
            undetermined = self.call("undetermined", item, unknowns, P.const(clause.location), self._trace())
            self.emit(P.if_(self.is_unknown(outcome), [ast.Return(value=undetermined)]))
        if pending:
            self._blocked(pending, env, item, lambda theirs: P.cmp(theirs, ast.NotEq(), outcome.expr()))
        self._return_decided(clause, outcome, env, item)
        self.entries = recorded  # the block returned: its entry is not in the trace of what follows

    def _return_decided(self, clause: ir.Clause, outcome: _Val, env: dict[str, _Val], item: ast.expr) -> None:
        shown: ast.expr
        if outcome.is_const:
            shown = self.g.constant(runtime.label(outcome.const))
        elif outcome.sym:
            shown = P.attr(outcome.expr(), "display")  # known here: an unknown outcome returned above
        else:
            shown = self.call("label", outcome.expr())
        # `runtime.decided`, written out: the record made and filled by two calls made in C.
        fields = {
            "status": P.const("decided"),
            "item": item,
            "value": outcome.expr(),
            "label": shown,
            "reason": self._reason(clause, env),
            "cite": P.const(clause.citation),
            "rule": P.const(clause.location),
            "inputs": P.name("r"),
            "missing": P.const(()),
            "error": P.const(None),
            "clause_ids": P.const((clause.id,)),
            "trace": self._trace(),
        }
        values = P.tuple_([fields[name] for name in Decision.FIELDS])
        if not self.g.records and isinstance(item, ast.Constant):  # a for-each item's is a record still
            self.emit(ast.Return(value=values))
            return
        decided, ignored = self.new(), self.new()
        self.emit(
            P.assign(decided, self.call("new_decision")),
            # Assigned (it is None) because the allow-list admits no bare call.
            P.assign(ignored, self.call("set_decision_fields", P.name(decided), values)),
            ast.Return(value=P.name(decided)),
        )

    def _reason(self, clause: ir.Clause, env: dict[str, _Val]) -> ast.expr:
        if not clause.reason:
            return P.const(None)
        parts: list[ast.expr] = []
        for part in clause.reason:
            if isinstance(part, str):
                parts.append(P.const(part))
                continue
            value = self.ev(part, env)
            if value.is_const:
                parts.append(P.const(display_value(value.const)))
                continue
            if value.unk:
                shown: ast.expr = self.call("display", value.expr())
            elif value.type in (INTEGER, TEXT):
                shown = value.expr()  # formatting an int or a text is what display_value gives
            elif value.sym:
                shown = P.attr(value.expr(), "display")
            else:
                shown = self.call("display", value.expr())
            parts.append(ast.FormattedValue(value=shown, conversion=-1, format_spec=None))
        return ast.JoinedStr(values=parts)

    def _collect(self, judgement: ir.Judgement, env: dict[str, _Val], item: ast.expr) -> None:
        outcomes = self.new()
        self.emit(P.assign(outcomes, P.list_()))
        conditional = [c for c in judgement.clauses if c.condition is not None]
        flags: list[str] = []
        pending: list[tuple[ir.Clause, str]] = []
        for clause in conditional:
            flag = self.new()
            slot = self.new()
            flags.append(flag)
            self.emit(P.assign(flag, P.const(False)))
            with self.dated(clause, (slot, None)), self.clause(clause, item):
                value = self._condition(clause, env)
                with self.block() as fire:
                    outcome = self._settled(self.ev(clause.outcome, env))
                    if outcome.unk:
                        undetermined = self.call(
                            "undetermined", item, P.tuple_([outcome.expr()]), P.const(clause.location), self._trace()
                        )
                        self.emit(P.if_(self.is_unknown(outcome), [ast.Return(value=undetermined)]))
                    self.emit(
                        P.assign(flag, P.const(True)),
                        P.if_(
                            P.cmp(outcome.expr(), ast.NotIn(), P.name(outcomes)), [P.append(outcomes, outcome.expr())]
                        ),
                    )
                if value.unk:
                    remember = [P.if_(self.is_unknown(value), [P.assign(slot, value.expr())])]
                    self.emit(P.assign(slot, P.const(None)), P.if_(self._test(value), fire, remember))
                else:
                    self.emit(P.if_(self._test(value), fire))
            if value.unk:
                pending.append((clause, slot))
        if pending:
            self._blocked(pending, env, item, lambda theirs: P.cmp(theirs, ast.NotIn(), P.name(outcomes)))
        fallback = next((c for c in judgement.clauses if c.condition is None), None)
        with self.block() as none_fired:
            if fallback is None:
                self.emit(ast.Return(value=self.call("nothing_collected", item, P.name("r"), self._trace())))
            else:
                with self.dated(fallback), self.clause(fallback, item):
                    outcome = self._settled(self.ev(fallback.outcome, env))
                    if outcome.unk:
                        undetermined = self.call(
                            "undetermined", item, P.tuple_([outcome.expr()]), P.const(fallback.location), self._trace()
                        )
                        self.emit(P.if_(self.is_unknown(outcome), [ast.Return(value=undetermined)]))
                    self._return_decided(fallback, outcome, env, item)
                if fallback.in_force is not None:
                    self.emit(ast.Return(value=self.call("nothing_collected", item, P.name("r"), self._trace())))
        if not flags:
            self.emit(*none_fired)
            return
        self.emit(P.if_(P.not_(P.or_([P.name(f) for f in flags])), none_fired))
        reasons = self.new()
        fired = self.new()
        self.emit(P.assign(reasons, P.list_()), P.assign(fired, P.list_()))
        for clause, flag in zip(conditional, flags, strict=True):
            with self.block() as add:
                with self.clause(clause, item):
                    self.emit(P.append(reasons, self._reason(clause, env)))
                details = P.const((clause.citation, clause.location, clause.id))
                self.emit(P.append(fired, details))
            self.emit(P.if_(P.name(flag), add))
        collected = self.call(
            "collected", item, P.name(outcomes), P.name(reasons), P.name(fired), P.name("r"), self._trace()
        )
        self.emit(ast.Return(value=collected))


def _otherwise_entry(location: str) -> Callable[[ast.expr], ast.expr]:
    """The trace entry of reaching `otherwise`, given its outcome (`runtime.otherwise_entry`, with it)."""

    def reached(outcome: ast.expr) -> ast.expr:
        return P.tuple_([P.const(location), P.const("otherwise"), outcome, P.tuple_([]), P.tuple_([]), P.tuple_([])])

    return reached


def _pure_scale(value: _Val) -> bool:
    return isinstance(value.type, Choice) and value.type.is_pure_scale
