"""The result model: what one evaluation of one evidence document produced.

`Result.to_dict()` is exactly the JSON of `spec/interfaces.md` — keys in the
contracted order, outcomes as the identifiers written in the rules, dates as
`YYYY-MM-DD`, decimals exact — and `to_json()` is byte-identical for the same input.
"""

from __future__ import annotations

import datetime
import functools
import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs
import msgspec

from framework_dsl import canonical_json
from framework_dsl.diagnostics import Diagnostic
from framework_dsl.evidence import MapValue, RecordValue
from framework_dsl.typesystem import Duration, Symbol
from framework_dsl.values import Unknown, display_value, iso_date


@attrs.frozen(kw_only=True)
class ClauseTrace:
    """One clause tried while making a decision (recorded only when explaining)."""

    location: str
    condition: str  # "true" | "false" | "unknown" | "otherwise"
    outcome: str | None
    reads: tuple[tuple[str, Any], ...]
    missing: tuple[str, ...] = ()
    steps: tuple[tuple[str, str], ...] = ()  # (sub-expression as written, its value)


# A clause's trace as the engine records it, cheaply: (location, condition, outcome value
# or None, reads, missing pointers, ((sub-expression, value), ...)). Values are shown as
# text only when the trace is looked at (`Decision.trace`).
TraceEntry = tuple[Any, ...]
"""A trace entry as recorded while evaluating, values unformatted; `clause_trace` reads it. Either

- (location, condition shown, outcome, ((pointer, raw value), ...), missing pointers, steps), or
- (location, condition value, outcome, reads, start, end, steps): a compiled condition's,
  its reads being items `start` to `end` of the decision's reads dict, which only grows
  (dicts keep insertion order): nothing is copied while evaluating; its steps are flat
  (text, value, text, value, ...), with no tuple for each.
"""


def clause_trace(entry: TraceEntry | ClauseTrace) -> ClauseTrace:
    """A recorded trace entry as the `ClauseTrace` people read, values shown as in reasons."""
    if isinstance(entry, ClauseTrace):
        return entry
    if len(entry) == 7:
        location, value, outcome, reads_dict, start, end, flat = entry
        reads = tuple(itertools.islice(reads_dict.items(), start, end))
        condition, missing = condition_shown(value)
        steps = zip(flat[0::2], flat[1::2], strict=True)
    else:
        location, condition, outcome, reads, missing, steps = entry
    return ClauseTrace(
        location=location,
        condition=condition,
        outcome=None if outcome is None else display_value(outcome),
        reads=reads,
        missing=missing,
        steps=tuple((text, display_value(value)) for text, value in steps),
    )


def condition_shown(value: Any) -> tuple[str, tuple[str, ...]]:
    """A condition's value as the trace shows it ("true", "false", "unknown") and the pointers it misses."""
    if type(value) is Unknown:
        return "unknown", tuple(sorted(value.missing))
    return ("true" if value else "false"), ()


def _field(index: int, doc: str) -> Any:
    """A read-only property for field `index` of a `_Frozen` record."""

    def get(self: _Frozen) -> Any:
        return self._fields[index]

    return property(get, doc=doc)


class _Frozen:
    """An immutable record whose fields live in one tuple, behind read-only properties.

    `Decision` and `Result` are built once or more for every document evaluated; a
    frozen attrs instance sets each field through `object.__setattr__`, which for a
    dozen fields costs as much as a whole hand-written evaluation. Building one of these
    is one tuple and one slot store (benchmarks/README.md). Equality, hashing, `repr`
    and pickling behave as for a frozen data class.
    """

    __slots__ = ("_fields",)
    _fields: tuple[Any, ...]
    FIELDS: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a {type(self).__name__} is immutable: cannot set `{name}`")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a {type(self).__name__} is immutable: cannot delete `{name}`")

    def _values(self) -> tuple[Any, ...]:
        """The fields as the record's public properties give them (see `Decision`)."""
        return self._fields

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in zip(self.FIELDS, self._values(), strict=True))
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (make_record, (type(self), self._values()))


_set_fields = _Frozen._fields.__set__  # type: ignore[attr-defined, misc]  # the slot, past __setattr__
_new_object = object.__new__
# Sets a record's fields, given `object.__new__(cls)` and a tuple in `cls.FIELDS` order:
# `make_record` in two C calls, for the hot path.
set_record_fields: Callable[[Any, tuple[Any, ...]], None] = _set_fields


def make_record(cls: type[_Frozen], fields: tuple[Any, ...]) -> Any:
    """A record of class `cls` from its fields in `cls.FIELDS` order, without keyword handling.

    The fast path builds its decisions and results through this; it is also how pickles load.
    """
    record = _new_object(cls)
    _set_fields(record, fields)
    return record


class Decision(_Frozen):
    """One judgement or check outcome (one item's, for a for-each judgement). Immutable.

    `outcome` is the outcome as JSON data, as `to_dict()` gives it: the identifier of a
    grade or member (`"requires_improvement"`), a number, an ISO date, a list of those
    for a collect judgement; None unless decided. `value` is the same outcome as the
    engine computes with it: a `Symbol` (with its scale, rank and label), a `date`, a
    `Decimal`, a tuple.
    """

    __slots__ = ()

    FIELDS = (
        "status",  # "decided" | "undetermined" | "error" | "not_in_force"
        "item",  # the item's JSON pointer, for a for-each judgement
        "value",  # the outcome as a runtime value; for not_in_force, (from, until, date tested)
        "label",  # the outcome's label(s)
        "reason",  # the reason text(s), values filled in; for not_in_force, the note
        "cite",  # the citation(s)
        "rule",  # file:line of the clause(s) that decided, or could not be decided
        # ((JSON pointer, raw evidence value), ...) read on the way, sorted; the compiled
        # path stores the dict it read into, and the sorting waits until someone looks.
        "inputs",
        "missing",  # the JSON pointers of absent evidence, when undetermined
        "error",  # what went wrong, when the status is "error"
        "clause_ids",  # which clauses decided it, for coverage
        "trace",  # the clauses tried (ClauseTrace), when explaining
    )

    def __init__(
        self,
        status: str,
        *,
        item: str | None = None,
        value: Any = None,
        label: Any = None,
        reason: Any = None,
        cite: Any = None,
        rule: Any = None,
        inputs: tuple[tuple[str, Any], ...] | dict[str, Any] = (),
        missing: tuple[str, ...] = (),
        error: str | None = None,
        clause_ids: tuple[str, ...] = (),
        trace: tuple[ClauseTrace, ...] = (),
    ) -> None:
        if type(inputs) is dict:
            # Kept as pairs sorted by pointer: only the engine's own decisions, whose reads
            # hold no JSON object (`_result_json`), keep a dict that the writer sorts.
            inputs = tuple(_sorted_reads(inputs).items())
        fields = (status, item, value, label, reason, cite, rule, inputs, missing, error, clause_ids, trace)
        _set_fields(self, fields)

    status: str = _field(0, '"decided", "undetermined", "error" or "not_in_force"')
    item: str | None = _field(1, "the item's JSON pointer (for-each)")
    value: Any = _field(2, "the outcome as a runtime value")
    label: Any = _field(3, "the outcome's label, or labels")
    reason: Any = _field(4, "the reason, or reasons, values filled in")
    cite: Any = _field(5, "the citation, or citations")
    rule: Any = _field(6, "file:line of the deciding (or undecidable) clause")

    @property
    def inputs(self) -> tuple[tuple[str, Any], ...]:
        """((JSON pointer, raw evidence value), ...) read on the way, sorted by pointer."""
        inputs = self._fields[7]
        return tuple(_sorted_reads(inputs).items()) if type(inputs) is dict else inputs

    missing: tuple[str, ...] = _field(8, "pointers of absent evidence")
    error: str | None = _field(9, "what went wrong, for status error")
    clause_ids: tuple[str, ...] = _field(10, "the deciding clauses' ids")

    @property
    def trace(self) -> tuple[ClauseTrace, ...]:
        """The clauses tried, in order (recorded only when explaining)."""
        return tuple(clause_trace(entry) for entry in self._fields[11])

    def _values(self) -> tuple[Any, ...]:
        fields = self._fields
        return (*fields[:7], self.inputs, *fields[8:11], self.trace)

    @property
    def outcome(self) -> Any:
        """The outcome as JSON data (an identifier, number, ISO date or list); None unless decided."""
        fields = self._fields
        return to_json_value(fields[2]) if fields[0] == "decided" else None

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The decision's JSON object, keys in the contracted order."""
        return _decision_dict(self._fields, explain)


def _decision_dict(fields: tuple[Any, ...], explain: bool) -> dict[str, Any]:
    """`Decision.to_dict` of the decision with these fields: a result writes a dozen or more of these."""
    status, item, value, label, reason, cite, rule, inputs, missing, error, _, trace = fields
    if trace and explain:
        trace = tuple(clause_trace(entry) for entry in trace)
    if status == "decided":
        # A dict display rather than key by key: every result writes a dozen of these.
        # Inputs are raw evidence JSON already: no conversion needed, only a copy.
        data = {
            "status": status,
            "outcome": to_json_value(value),
            "label": label,
            "reason": reason,
            "cite": cite,
            "rule": rule,
            "inputs": _sorted_reads(inputs) if type(inputs) is dict else dict(inputs),
        }
        if item is not None:  # a for-each item's pointer comes first
            data = {"item": item, **data}
    else:
        data = {} if item is None else {"item": item}
        data["status"] = status
        data["outcome"] = None
        if status == "undetermined":
            data["missing"] = list(missing)
        elif status == "not_in_force":
            start, until, dated = value
            data["in_force"] = {
                "from": start.isoformat() if start is not None else None,
                "until": until.isoformat() if until is not None else None,
            }
            data["dated"] = dated.isoformat()
            data["note"] = reason
        else:
            data["error"] = error
        data["rule"] = rule
    if explain and trace:
        data["trace"] = [
            {
                "rule": step.location,
                "condition": step.condition,
                "outcome": step.outcome,
                "reads": {pointer: to_json_value(v) for pointer, v in step.reads},
                **({"missing": list(step.missing)} if step.missing else {}),
                **({"steps": [{"expression": e, "value": v} for e, v in step.steps]} if step.steps else {}),
            }
            for step in trace
        ]
    return data


def _sorted_reads(reads: dict[str, Any]) -> dict[str, Any]:
    """A new dict of `reads`, by pointer (sorting the keys costs less than sorting the pairs)."""
    return {pointer: reads[pointer] for pointer in sorted(reads)} if len(reads) > 1 else dict(reads)


Outcomes = dict[str, "Decision | tuple[Decision, ...]"]

Unmade = tuple[tuple[str, ...], tuple[Any, ...]]
"""A result's judgements (or checks) before anyone looks at them: (names, entries).

`RuleSet.evaluate` hands its decisions over this way, from a fused function
(`engine.fusion`) or from the separate ones (`CompiledFramework.decide_unmade`), and the
`Decision` records are made only when the result's `judgements` or `checks` (or its
equality, repr or pickle) are first read (`Result._made`); writing the result
(`to_json_bytes`, `to_dict`, `all_decided`) reads the entries as they are. An entry is:
- one decided decision's fields, a tuple in `Decision.FIELDS` order (its first, the
  status, a text);
- a `Decision` a helper made (an error, an undetermined, one not in force);
- a for-each decision's records, one per item, in a tuple (empty for no items).
"""


def _is_fields(entry: Any) -> bool:
    """Whether an `Unmade` entry is one decision's fields (not a record, nor a for-each's records)."""
    return type(entry) is tuple and bool(entry) and type(entry[0]) is str


def made_decisions(group: Unmade) -> dict[str, Decision | tuple[Decision, ...]]:
    """The records of an `Unmade` group, by name, as `Result.judgements` holds them."""
    names, entries = group
    return {
        name: make_record(Decision, entry) if _is_fields(entry) else entry
        for name, entry in zip(names, entries, strict=True)
    }


class Result(_Frozen):
    """The evaluation of one evidence document. Immutable (see `_Frozen`)."""

    __slots__ = ()

    FIELDS = (
        "framework",
        "framework_title",
        "rules_digest",
        "source",
        "subject",
        "as_of",
        "as_of_from",  # "argument" | "evidence" | "clock": where the evaluation date came from
        "status",  # "evaluated" | "invalid_evidence" | "not_in_force"
        "judgements",
        "checks",
        "problems",
        "note",  # why the framework was not in force, for text output
    )

    def __init__(
        self,
        *,
        framework: str | None,
        framework_title: str | None,
        rules_digest: str,
        source: str | None,
        subject: Any,
        as_of: datetime.date | None,
        as_of_from: str | None = None,
        status: str,
        judgements: dict[str, Decision | tuple[Decision, ...]] | None = None,
        checks: dict[str, Decision | tuple[Decision, ...]] | None = None,
        problems: tuple[Diagnostic, ...] = (),
        note: str | None = None,
    ) -> None:
        fields = (
            framework,
            framework_title,
            rules_digest,
            source,
            subject,
            as_of,
            as_of_from,
            status,
            {} if judgements is None else judgements,
            {} if checks is None else checks,
            problems,
            note,
        )
        _set_fields(self, fields)

    framework: str | None = _field(0, "the framework's name")
    framework_title: str | None = _field(1, "the framework's title")
    rules_digest: str = _field(2, "sha256 of the rule files")
    source: str | None = _field(3, "where the evidence came from")
    subject: Any = _field(4, "the evidence's subject object, as given")
    as_of: datetime.date | None = _field(5, "the evaluation date")
    as_of_from: str | None = _field(6, '"argument", "evidence" or "clock": where `as_of` came from')
    status: str = _field(7, '"evaluated", "invalid_evidence" or "not_in_force"')

    @property
    def judgements(self) -> dict[str, Decision | tuple[Decision, ...]]:
        """Decisions by judgement (a for-each judgement's, one per item, in a tuple)."""
        group = self._fields[8]
        return group if type(group) is dict else self._made()[8]

    @property
    def checks(self) -> dict[str, Decision | tuple[Decision, ...]]:
        """Decisions by check (a for-each check's, one per item, in a tuple)."""
        group = self._fields[9]
        return group if type(group) is dict else self._made()[9]

    problems: tuple[Diagnostic, ...] = _field(10, "evidence problems, when invalid")
    note: str | None = _field(11, "why the framework was not in force")

    def _values(self) -> tuple[Any, ...]:
        fields = self._fields
        return fields if type(fields[8]) is dict else self._made()

    def _made(self) -> tuple[Any, ...]:
        """The fields, the decisions of a fused function's result (`Unmade`) made records, and kept so.

        The record is immutable to its readers: what changes is how it holds what it
        holds. Two threads reading a new result at once may each make the records;
        either's are kept, and both are equal.
        """
        fields = self._fields
        if type(fields[8]) is not dict:
            fields = (*fields[:8], made_decisions(fields[8]), made_decisions(fields[9]), *fields[10:])
            _set_fields(self, fields)
        return fields

    def to_dict(self, *, explain: bool = False) -> dict[str, Any]:
        """The result as the contracted JSON object."""
        framework, title, digest, source, subject, as_of, as_of_from, status, judgements, checks, problems, _ = (
            self._fields
        )
        return {
            "framework": framework,
            "framework_title": title,
            "rules_digest": digest,
            "source": source,
            "subject": to_json_value(subject),
            "as_of": as_of.isoformat() if as_of else None,
            "as_of_from": as_of_from,
            "status": status,
            "judgements": _outcomes_dict(judgements, explain),
            "checks": _outcomes_dict(checks, explain),
            "problems": [problem_dict(p) for p in problems],
        }

    def to_json(self, *, indent: int | None = 2, explain: bool = False) -> str:
        """Deterministic JSON text of `to_dict()`."""
        return canonical_json.dumps(self.to_dict(explain=explain), indent=indent)

    def to_json_bytes(self, *, indent: int | None = 2, explain: bool = False) -> bytes:
        """`to_json()` as UTF-8 bytes, without the round trip through text.

        Without `explain`, written from the records straight (`_ResultJSON`): the same
        bytes as `to_dict()` written by `canonical_json.dumps_bytes`, without building
        its dicts or sorting each decision's inputs in Python (the encoder sorts them);
        what msgspec's encoder refuses is written that way instead.
        """
        if not explain:
            try:
                encoded = canonical_json.encode_sorted(_result_json(self), indent=indent)
            except canonical_json.ENCODER_REFUSALS:  # from `as_given`, on a part written first
                encoded = None
            if encoded is not None:
                return encoded
        return canonical_json.dumps_bytes(self.to_dict(explain=explain), indent=indent)

    def all_decided(self) -> bool:
        """Whether every judgement and check (every item of a for-each) was settled.

        A decision outside its own dates (`not_in_force`) is settled: its rules say it does
        not apply on this date, and nothing in the evidence could change that.
        """
        return self._unsettled() is None

    def any_error(self) -> bool:
        """Whether some judgement or check (some item of a for-each) could not be evaluated (status "error")."""
        return self._unsettled() == "error"

    def ending(self) -> str:
        """How the evaluation ended, as a run's summary counts it, in one pass: the status
        when it is "invalid_evidence" or "not_in_force"; else "failed" when some decision (some
        item of a for-each) could not be evaluated; else "undetermined" when some decision
        is not settled (`all_decided`); else "evaluated"."""
        status: str = self._fields[7]
        if status != "evaluated":
            return status
        unsettled = self._unsettled()
        return "evaluated" if unsettled is None else "failed" if unsettled == "error" else "undetermined"

    def _unsettled(self) -> str | None:
        """None when every decision (every item of a for-each) is settled; "error" when one
        could not be evaluated; else "unsettled". One pass, over either form of the decisions."""
        unsettled = None
        for group in (self._fields[8], self._fields[9]):
            # Unmade entries are records, for-each records or a decided decision's fields.
            for value in group[1] if type(group) is not dict else group.values():
                if type(value) is not tuple:
                    found = value._fields[0]
                    if found not in _SETTLED:
                        if found == "error":
                            return "error"
                        unsettled = "unsettled"
                elif not value or type(value[0]) is not str:
                    for decision in value:
                        found = decision._fields[0]
                        if found not in _SETTLED:
                            if found == "error":
                                return "error"
                            unsettled = "unsettled"
        return unsettled

    def all_decisions(self) -> list[tuple[str, Decision]]:
        """Every decision (judgements then checks), flattened, with its name."""
        found: list[tuple[str, Decision]] = []
        for group in (self.judgements, self.checks):
            for name, value in group.items():
                for decision in value if isinstance(value, tuple) else (value,):
                    found.append((name, decision))
        return found


_SETTLED = frozenset({"decided", "not_in_force"})


def _outcomes_dict(outcomes: Outcomes | Unmade, explain: bool) -> dict[str, Any]:
    if type(outcomes) is not dict:
        names, entries = outcomes
        written: dict[str, Any] = {}
        for name, entry in zip(names, entries, strict=True):
            if _is_fields(entry):
                written[name] = _decision_dict(entry, explain)
            elif type(entry) is tuple:  # a for-each decision's records
                written[name] = [_decision_dict(decision._fields, explain) for decision in entry]
            else:
                written[name] = _decision_dict(entry._fields, explain)
        return written
    data: dict[str, Any] = {}
    for name, value in outcomes.items():
        if isinstance(value, tuple):
            data[name] = [_decision_dict(d._fields, explain) for d in value]
        else:
            data[name] = _decision_dict(value._fields, explain)
    return data


# The JSON objects of a result without a trace, as msgspec writes them: each class's fields
# are the object's keys, in the contracted order (`Result.to_dict`, `_decision_dict`).
# Building one is a single call, where a dict is built key by key; what they hold is
# written by the same encoder as `to_dict()`'s data, so the bytes are the same. The
# encoder sorts every dict's keys (`canonical_json.encode_sorted`): that is how a decided
# decision's inputs come out sorted by pointer. Whatever must keep its keys in the order
# given is a struct here or written first (`canonical_json.as_given`): the subject, the
# judgements and checks by name (`_outcomes_type`), an undetermined decision, the
# decisions in error or not in force, the problems. The inputs' values are JSON scalars
# or lists of them: reading a record or a map is never recorded as an input
# (`engine.reference.is_structure`), so no dict inside them is reordered. The keys of a
# decided decision's object, after a for-each item's `item`:
_DECIDED_KEYS = ("status", "outcome", "label", "reason", "cite", "rule", "inputs")
_ResultJSON = msgspec.defstruct("_ResultJSON", [(key, Any) for key in Result.FIELDS[:11]])  # `to_dict`'s keys
_DecidedJSON = msgspec.defstruct("_DecidedJSON", [(key, Any) for key in _DECIDED_KEYS])
_DecidedItemJSON = msgspec.defstruct("_DecidedItemJSON", [(key, Any) for key in ("item", *_DECIDED_KEYS)])
# An undetermined decision's keys: its missing pointers are a list of texts, so nothing in
# it is a dict for the encoder to sort, and it needs no `as_given` of its own.
_UNDETERMINED_KEYS = ("status", "outcome", "missing", "rule")
_UndeterminedJSON = msgspec.defstruct("_UndeterminedJSON", [(key, Any) for key in _UNDETERMINED_KEYS])
_UndeterminedItemJSON = msgspec.defstruct(
    "_UndeterminedItemJSON", [(key, Any) for key in ("item", *_UNDETERMINED_KEYS)]
)


@functools.lru_cache(maxsize=256)
def _outcomes_type(names: tuple[str, ...]) -> Any:
    """A struct whose fields are written as `names`, in that order: the judgements (or
    checks) of one framework. Made once per framework; the bound keeps a process that
    evaluates many rule sets from holding every one."""
    fields = [f"f{index}" for index in range(len(names))]
    return msgspec.defstruct(
        "_OutcomesJSON", [(field, Any) for field in fields], rename=dict(zip(fields, names, strict=True))
    )


def _result_json(result: Result) -> Any:
    """`result.to_dict()` (without a trace) as the objects above, for `encode_sorted` only.

    Raises what the encoder raises for a part written first (`as_given`).
    """
    framework, title, digest, source, subject, as_of, as_of_from, status, judgements, checks, problems, _ = (
        result._fields
    )
    if subject is not None:
        subject = canonical_json.as_given(to_json_value(subject))
    return _ResultJSON(
        framework,
        title,
        digest,
        source,
        subject,
        iso_date(as_of) if type(as_of) is datetime.date else as_of.isoformat() if as_of else None,
        as_of_from,
        status,
        _outcomes_json(judgements),
        _outcomes_json(checks),
        canonical_json.as_given([problem_dict(p) for p in problems]) if problems else [],
    )


def _outcomes_json(outcomes: Outcomes | Unmade) -> Any:
    if type(outcomes) is not dict:
        names, entries = outcomes
        written: list[Any] = []
        entry: Any
        for entry in entries:
            if type(entry) is not tuple:
                written.append(_decision_json(entry._fields))
            elif not entry or type(entry[0]) is not str:  # a for-each decision's records
                written.append([_decision_json(decision._fields) for decision in entry])
            elif entry[1] is None and type(entry[7]) is dict:
                # A decided decision's fields as generated code hands them over (no item, its
                # reads a dict): `_decision_json` of them, without its call, a dozen times a result.
                value = entry[2]
                kind = type(value)
                outcome = value.name if kind is Symbol else value if kind is str else _outcome_json(value)
                written.append(_DecidedJSON("decided", outcome, entry[3], entry[4], entry[5], entry[6], entry[7]))
            else:
                written.append(_decision_json(entry))
        return _outcomes_type(names)(*written)
    return _outcomes_type(tuple(outcomes))(
        *[
            [_decision_json(d._fields) for d in value] if isinstance(value, tuple) else _decision_json(value._fields)
            for value in outcomes.values()
        ]
    )


def _decision_json(fields: tuple[Any, ...]) -> Any:
    """`_decision_dict(fields, False)`: a decided decision as a `_DecidedJSON` (or `_DecidedItemJSON`),
    an undetermined one as an `_UndeterminedJSON` (or `_UndeterminedItemJSON`)."""
    status, item, value, label, reason, cite, rule, inputs, missing, _, _, _ = fields
    if status != "decided":
        if status == "undetermined":
            if item is None:
                return _UndeterminedJSON(status, None, list(missing), rule)
            return _UndeterminedItemJSON(item, status, None, list(missing), rule)
        return canonical_json.as_given(_decision_dict(fields, False))
    kind = type(value)
    outcome = value.name if kind is Symbol else value if kind is str else _outcome_json(value)
    if type(inputs) is not dict:  # pairs given in an order of their own (`Decision(inputs=...)`)
        inputs = canonical_json.as_given(dict(inputs))
    if item is None:
        return _DecidedJSON(status, outcome, label, reason, cite, rule, inputs)
    return _DecidedItemJSON(item, status, outcome, label, reason, cite, rule, inputs)


def _outcome_json(value: Any) -> Any:
    """A decided outcome that is neither a symbol nor a text, as a decision's object holds it."""
    outcome = to_json_value(value)
    if type(outcome) is dict or type(outcome) is list:  # a record's or a map's keys as given
        return canonical_json.as_given(outcome)
    return outcome


def problem_dict(problem: Diagnostic) -> dict[str, Any]:
    """An evidence problem as `{"path", "message", "expected", "found"}` (+ code, hint)."""
    data: dict[str, Any] = {
        "path": problem.pointer if problem.pointer is not None else "",
        "message": problem.message,
        "expected": problem.expected,
        "found": problem.found,
        "code": problem.code,
    }
    if problem.hint:
        data["hint"] = problem.hint
    return data


_AS_IS = frozenset({str, int, bool, type(None), Decimal})


def to_json_value(value: Any) -> Any:
    """A runtime value as JSON data: identifiers, ISO dates, exact decimals, lists."""
    kind = type(value)
    if kind in _AS_IS:  # the common cases first: plain JSON values, symbols, objects
        return value
    if kind is Symbol:
        return value.name
    if kind is datetime.date:
        return iso_date(value)
    if kind is dict:
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return value.display()
    if isinstance(value, tuple | list):
        return [to_json_value(v) for v in value]
    if isinstance(value, RecordValue | MapValue):
        return value.raw
    if isinstance(value, dict):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, bool | int | str | Decimal) or value is None:
        return value
    return str(value)
