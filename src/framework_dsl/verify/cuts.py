"""Cuts for `framework-dsl verify`: a decision's outcomes given as evidence, and documents rebuilt from pieces.

A property whose documents are too many to enumerate often reads a decision that
gathers many fields into few outcomes (saf's key question ratings: thousands of score
fields, five ratings). Cutting that decision replaces its clauses by one that reads its
outcome from a new evidence field, `verify__cut__NAME` (a map by item for a for-each
decision), whose values verify chooses: every outcome the decision can give. The rest of
the framework is unchanged, so the same compiled engine evaluates the cut framework, and
every real document has a document of the cut framework with the same outcomes (its own
fields, and the cut decision's outcomes as the new field). What holds over the cut
framework's documents holds over the real ones; a counterexample of the cut framework is
rebuilt into a real document (`graft`, `overlay`) and evaluated again before it is shown.
"""

from __future__ import annotations

from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.typesystem import Choice, FieldInfo, ListOf, MapOf, RecordType, SetOf, Type

__all__ = ["CUT_PREFIX", "cut_field", "cut_framework", "graft", "item_type", "overlay"]

CUT_PREFIX = "verify__cut__"


def cut_field(decision: ir.Judgement) -> str:
    """The evidence field that gives the cut decision's outcomes."""
    return CUT_PREFIX + decision.name


def item_type(decision: ir.Judgement) -> Choice | None:
    """The enumeration a for-each decision's items are members of (None: not for each, or items not members)."""
    if decision.for_each_source is None:
        return None
    source = decision.for_each_source.type
    if isinstance(source, ListOf | SetOf) and isinstance(source.element, Choice) and source.element.base is None:
        return source.element
    return None


def cuttable(decision: ir.Judgement) -> bool:
    """Whether the decision's outcomes can be given as evidence: one outcome (per item keyed by a member).

    A cut decision keeps its own dates (it is not in force where it was not); the dates of
    its clauses go with its clauses, their outcomes among those the cut field gives.
    """
    if decision.collect:
        return False
    return decision.for_each_source is None or item_type(decision) is not None


def cut_framework(framework: ir.Framework, keys: frozenset[str]) -> ir.Framework:
    """The framework with each decision in `keys` reading its outcome from its cut field."""
    fields = dict(framework.evidence.fields)
    judgements = []
    for decision in framework.judgements:
        if decision.key not in keys:
            judgements.append(decision)
            continue
        name = cut_field(decision)
        items = item_type(decision)
        outcome: ir.Expr
        if items is None:
            fields[name] = FieldInfo(name=name, type=decision.type, optional=True)
            outcome = ir.EvidenceField(name=name, type=decision.type, optional=True, span=decision.span)
        else:
            assert decision.for_each_var is not None
            field_type = MapOf(key=items, value=decision.type)
            fields[name] = FieldInfo(name=name, type=field_type, optional=False)
            outcome = ir.Lookup(
                target=ir.EvidenceField(name=name, type=field_type, optional=False, span=decision.span),
                key=ir.Local(name=decision.for_each_var, type=items, span=decision.span),
                type=decision.type,
                span=decision.span,
            )
        clause = ir.Clause(
            id=f"{decision.key}#cut",
            index=0,
            outcome=outcome,
            condition=None,
            reason=(),
            citation=None,
            location=decision.clauses[0].location if decision.clauses else framework.path,
            span=decision.span,
        )
        judgements.append(attrs.evolve(decision, clauses=(clause,), lets=()))
    evidence = RecordType(
        qualname=framework.evidence.qualname,
        name=framework.evidence.name,
        fields=fields,
        open_fields=framework.evidence.open_fields,
    )
    return attrs.evolve(framework, evidence=evidence, judgements=tuple(judgements), examples=())


def _same_members(a: Choice, b: Choice) -> bool:
    return [m.key for m in a.members] == [m.key for m in b.members]


def _keyed_by(t: Type, items: Choice) -> bool:
    """Whether a map keyed by `items` lies somewhere under `t` (through records and maps)."""
    if isinstance(t, MapOf):
        return _same_members(t.key, items) or _keyed_by(t.value, items)
    if isinstance(t, RecordType):
        return any(_keyed_by(info.type, items) for info in t.fields.values())
    return False


def graft(t: Type, document: Any, witness: Any, items: Choice, member: str) -> Any:
    """`document` with, at every map keyed by `items`, the entry `member` taken from `witness` (or removed)."""
    if isinstance(t, RecordType) and isinstance(witness, dict):
        out = dict(document) if isinstance(document, dict) else {}
        for name, info in t.fields.items():
            if name in witness and _keyed_by(info.type, items):
                out[name] = graft(info.type, out.get(name), witness[name], items, member)
            elif name not in out and name in witness and not info.optional:
                out[name] = witness[name]  # a required field the document lacks
        return out
    if isinstance(t, MapOf) and isinstance(witness, dict):
        out = dict(document) if isinstance(document, dict) else {}
        if _same_members(t.key, items):
            if member in witness:
                out[member] = witness[member]
            else:
                out.pop(member, None)
            return out
        for key, value in witness.items():
            if _keyed_by(t.value, items):
                out[key] = graft(t.value, out.get(key), value, items, member)
        return out
    return document if document is not None else witness


def overlay(document: Any, witness: Any) -> Any:
    """`witness` with `document`'s values wherever `document` has one (records and maps merged key by key)."""
    if isinstance(document, dict) and isinstance(witness, dict):
        out = dict(witness)
        for key, value in document.items():
            out[key] = overlay(value, witness[key]) if key in witness else value
        return out
    return document
