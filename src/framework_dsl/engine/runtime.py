"""What the two evaluation paths share besides the operators: how outcomes become decisions.

The generated code (`codegen`) and the reference evaluator (`reference`) make their
decisions through these functions, so a decision's shape — its status, label, inputs,
the pointers of missing evidence, an error's message and rule, a for-each item's
pointer, a trace entry — is decided here once.

Trace entries are recorded as plain tuples while evaluating (`TraceEntry`), values
unformatted; `Decision.trace` turns them into `ClauseTrace` records when someone looks.
"""

from __future__ import annotations

import datetime
import functools
import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from framework_dsl.evidence import MapValue, PointedList, escape_pointer
from framework_dsl.result import Decision, TraceEntry, condition_shown
from framework_dsl.typesystem import Symbol
from framework_dsl.values import EvaluationError, Unknown, first_unknown, merge_unknown

if TYPE_CHECKING:
    from framework_dsl.ir import InForce

_new_record = object.__new__
_set_fields = Decision._fields.__set__  # type: ignore[attr-defined, misc]  # the record's one slot (`result.make_record`)

# What generated code builds a decided `Decision` with, in two calls made in C (no Python
# frame): `new_decision()` makes the empty record, `set_decision_fields(record, fields)`
# sets its fields, a tuple in `Decision.FIELDS` order; the generator lays it out by name.
new_decision = functools.partial(_new_record, Decision)
set_decision_fields = _set_fields

__all__ = [
    "EvaluationError",
    "Reads",
    "TraceEntry",
    "collected",
    "compiled_let_entry",
    "decided",
    "failed",
    "item_index",
    "item_outcome",
    "item_pointers",
    "label",
    "let_entry",
    "lookup_entry",
    "nothing_collected",
    "out_of_force",
    "outcome_value",
    "reads_since",
    "settled",
    "skipped_entry",
    "trace_entry",
    "undetermined",
]


def label(value: Any) -> Any:
    """A symbol's label, or the labels of a list of symbols; None for any other outcome."""
    if type(value) is Symbol:
        return value.display
    if isinstance(value, tuple) and value and all(type(v) is Symbol for v in value):
        return [v.display for v in value]
    return None


def settled(value: Any) -> Any:
    """An outcome with an unknown anywhere inside it (a list item) is itself unknown."""
    if isinstance(value, tuple):
        unknown = first_unknown(settled(v) for v in value)
        if unknown is not None:
            return unknown
    return value


def decided(
    item: str | None,
    outcome: Any,
    reason: str | None,
    cite: str | None,
    rule: str,
    reads: dict[str, Any],
    clause_id: str,
    trace: tuple[TraceEntry, ...] = (),
) -> Decision:
    """A decision made by one clause. `reads` becomes the decision's own: it is not written again.

    Generated code builds the same record in place (`new_decision`, `set_decision_fields`).
    """
    # The reads dict is kept as it is and sorted only when looked at (`Decision.inputs`);
    # trace entries become ClauseTrace records only when looked at (`Decision.trace`).
    record: Decision = _new_record(Decision)  # `make_record`, without its call
    fields = ("decided", item, outcome, label(outcome), reason, cite, rule, reads, (), None, (clause_id,), trace)
    _set_fields(record, fields)
    return record


def collected(
    item: str | None,
    outcomes: list[Any],
    reasons: list[str | None],
    fired: list[tuple[str | None, str, str]],
    reads: dict[str, Any],
    trace: tuple[TraceEntry, ...] = (),
) -> Decision:
    """A `collect` decision: every distinct outcome of the clauses that fired, with their (cite, rule, id).

    `reads` becomes the decision's own, as in `decided`.
    """
    record: Decision = _new_record(Decision)
    fields = (
        "decided",
        item,
        tuple(outcomes),
        [label(o) for o in outcomes],
        reasons,
        [cite for cite, _, _ in fired],
        [rule for _, rule, _ in fired],
        reads,
        (),
        None,
        tuple(clause_id for _, _, clause_id in fired),
        trace,
    )
    _set_fields(record, fields)
    return record


def nothing_collected(item: str | None, reads: dict[str, Any], trace: tuple[TraceEntry, ...] = ()) -> Decision:
    """A `collect` decision where no clause fired and there is no `otherwise`: the empty list."""
    return collected(item, [], [], [], reads, trace)


def undetermined(item: str | None, unknowns: Any, rule: str | None, trace: tuple[TraceEntry, ...] = ()) -> Decision:
    """A decision that missing evidence keeps open: the pointers of every unknown among `unknowns`."""
    return Decision(
        status="undetermined",
        item=item,
        missing=tuple(sorted(merge_unknown(*unknowns).missing)),
        rule=rule,
        trace=trace,  # type: ignore[arg-type]
    )


def failed(item: str | None, error: EvaluationError, rule: str | None) -> Decision:
    """A decision whose rule cannot be evaluated on this evidence (division by zero, ...)."""
    return Decision(status="error", item=item, error=error.message, rule=rule)


def out_of_force(name: str, in_force: InForce, dated: datetime.date, for_each: bool) -> Decision | tuple[Decision, ...]:
    """A dated judgement or check outside its dates: `not_in_force`, with its note, and not made.

    The note is the rule's own (`because "..."`), else a sentence giving the dates. A
    for-each decision gives a list of this one decision, with no item, as when its list
    cannot be made.
    """
    note = in_force.note or f"`{name}` is in force {in_force.period()}; this evidence is dated {dated.isoformat()}"
    decision = Decision(
        status="not_in_force",
        value=(in_force.start, in_force.until, dated),
        reason=note,
        rule=in_force.location,
    )
    return (decision,) if for_each else decision


def item_pointers(items: Any) -> list[tuple[str, Any]]:
    """(pointer, item) for each item a for-each decision goes over.

    An item from the evidence has its own pointer (a map entry's is the map's and its
    key); a list the rules built has `#` and the member's name, or `#` and a position.
    """
    if isinstance(items, MapValue):
        return [(f"{items.pointer}/{escape_pointer(key)}", value) for key, value in items.entries.items()]
    base = items.pointer if isinstance(items, PointedList) else None
    pointed = []
    for index, value in enumerate(items):
        pointer = getattr(value, "pointer", None)
        if not isinstance(pointer, str):
            if base is not None:
                pointer = f"{base}/{index}"
            elif isinstance(value, Symbol):
                pointer = f"#{value.name}"
            else:
                pointer = f"#{index}"
        pointed.append((pointer, value))
    return pointed


def outcome_value(name: str, decided: Decision | tuple[Decision, ...]) -> Any:
    """A decision's outcome as a value for the rules that use it: unknown when undetermined.

    A for-each decision gives the list of its items' outcomes. A decision (or an item of
    one) that could not be evaluated makes the rule using it fail too, naming it.
    """
    if isinstance(decided, tuple):
        if len(decided) == 1 and decided[0].item is None and decided[0].status != "decided":
            return outcome_value(name, decided[0])  # the list itself could not be made
        return tuple(outcome_value(name, d) for d in decided)
    fields = decided._fields
    status = fields[0]
    if status == "decided":
        return fields[2]
    if status == "undetermined":
        return Unknown(frozenset(fields[8]))
    if status == "not_in_force":
        raise EvaluationError(f"it uses `{name}`, which is not in force on {fields[2][2].isoformat()}: {fields[4]}")
    where = f" for {fields[1]}" if fields[1] is not None else ""
    raise EvaluationError(f"it uses `{name}`, which could not be evaluated{where}: {fields[9]}")


# What a decision read, to merge into other reads: a dict, or (pointer, value) pairs.
Reads = Mapping[str, Any] | tuple[tuple[str, Any], ...]


def decision_reads(decided: Decision | tuple[Decision, ...]) -> Reads:
    """Every evidence value a decision (every item of a for-each decision) read, to merge into
    other reads (`dict.update`); not to be changed. One decision's are its own, not a copy."""
    if not isinstance(decided, tuple):
        own: Reads = decided._fields[7]
        return own
    reads: dict[str, Any] = {}
    for decision in decided:
        reads.update(decision._fields[7])
    return reads


def reads_since(reads: dict[str, Any], count: int) -> tuple[tuple[str, Any], ...]:
    """The reads added to `reads` after its first `count`: dicts keep insertion order, and reads are only added."""
    return tuple(itertools.islice(reads.items(), count, None))


def trace_entry(
    location: str, condition: Any, reads: tuple[tuple[str, Any], ...], steps: list[tuple[str, Any]] | None
) -> TraceEntry:
    """The trace of one clause's condition: its value, what it read and the steps of its computation.

    (Generated code builds the same entry as a tuple in place: see `TraceEntry`.)
    """
    shown, missing = condition_shown(condition)
    return (location, shown, None, reads, missing, tuple(steps or ()))


def skipped_entry(location: str) -> TraceEntry:
    """The trace of a dated clause skipped because it is not in force."""
    return (location, "not_in_force", None, (), (), ())


def let_entry(
    location: str, name: str, value: Any, reads: tuple[tuple[str, Any], ...], steps: list[tuple[str, Any]] | None
) -> TraceEntry:
    """The trace of computing a local value (`let name = ...`), once per decision: `condition` is `let NAME`."""
    missing = tuple(sorted(value.missing)) if type(value) is Unknown else ()
    return (location, f"let {name}", value, reads, missing, tuple(steps or ()))


def compiled_let_entry(
    location: str, name: str, value: Any, reads: tuple[tuple[str, Any], ...], steps: list[Any]
) -> TraceEntry:
    """`let_entry` from generated code, whose steps are flat: text, value, text, value, ..."""
    return let_entry(location, name, value, reads, list(zip(steps[0::2], steps[1::2], strict=True)))


def lookup_entry(target: Any, key: Any, reads: dict[str, Any], structural: bool) -> Any:
    """`map.(key)`: the entry, recording its read unless it is structure; absent is unknown with its pointer."""
    if type(target) is Unknown:
        return target
    if type(key) is Unknown:
        return key
    name = key.name
    pointer = f"{target.pointer}/{escape_pointer(name)}"
    if name not in target.entries:
        return Unknown(frozenset({pointer}))
    if not structural:
        reads[pointer] = target.raw[name]
    return target.entries[name]


def item_index(items: Any) -> Any:
    """A for-each decision's items by value, for `item_outcome`: each value's first position.

    Built once per evaluation, so reading n items by key costs n lookups, not n scans.
    Values that cannot be hashed are kept apart and compared one by one. Unknown when the
    list is unknown.
    """
    if type(items) is Unknown:
        return items
    values = tuple(items.entries.values()) if isinstance(items, MapValue) else tuple(items)
    positions: dict[Any, int] = {}
    unhashable: list[tuple[Any, int]] = []
    for index, value in enumerate(values):
        try:
            positions.setdefault(value, index)
        except TypeError:
            unhashable.append((value, index))
    return positions, tuple(unhashable)


def item_outcome(name: str, decided: Decision | tuple[Decision, ...], indexed: Any, key: Any) -> tuple[Any, Any]:
    """(outcome, the decision) of a for-each decision for the first item equal to `key` (`indexed`: `item_index`).

    Unknown when the key or the list is unknown; an evaluation error when no item equals it.
    """
    if type(key) is Unknown:
        return key, None
    if type(indexed) is Unknown:
        return indexed, None
    positions, unhashable = indexed
    try:
        found = positions.get(key)
    except TypeError:
        found = None
    candidates = [i for v, i in unhashable if v == key]
    if candidates and (found is None or candidates[0] < found):
        found = candidates[0]
    if found is None:
        raise EvaluationError(f"`{name}` has no item `{key.display if isinstance(key, Symbol) else key}`")
    one = decided[found] if isinstance(decided, tuple) else decided
    return outcome_value(name, one), one


def put_outcome(trace: list[TraceEntry], count: int, outcome: Any) -> None:
    """Give the outcome to the trace's `count`-th entry (the clause that fired; local values may follow it)."""
    trace[count - 1] = with_outcome(trace[count - 1], outcome)


def otherwise_entry(location: str) -> TraceEntry:
    """The trace of reaching `otherwise`."""
    return (location, "otherwise", None, (), (), ())


def with_outcome(entry: TraceEntry, outcome: Any) -> TraceEntry:
    """A clause's trace entry once it fired, with the outcome it gave."""
    return (*entry[:2], outcome, *entry[3:])
