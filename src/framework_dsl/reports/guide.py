"""What a report needs to know about a framework beyond one result: titles and headlines.

A `Result` names its decisions by identifier (`well_led`, `children_safeguarding_action`)
and its outcomes by label. A report for people also needs readable titles for the
decisions, the number of grades on each scale (to colour a grade by its place on the
scale), the labels of the members a for-each judgement runs over, and which judgements
are the headline. `FrameworkGuide.of(framework)` works these out once per framework from
the checked IR; `guides_for(rule_set)` does it for every framework of a rule set.

Titles. A decision named after a member of the framework's vocabulary takes that
member's label (`well_led` is the key question "Well-led"); any other name is written
out in words (`children_safeguarding_action` -> "Children safeguarding action").

Headline. Rule files do not mark a headline, so it is derived the same way for every
framework:

1. The *graded* judgements are those made once or for each item whose outcome can be a
   grade of a scale (`rating or not_rated`, `peel_grade or ungraded`).
2. A graded judgement that reads another graded judgement (directly or through
   definitions) leads: it is shown first and largest (CQC's overall rating reads the
   five key questions). The other graded judgements form the ratings grid below it, in
   the order the rules declare them (CQC's five key questions; NCPI's five topics).
3. A framework with no graded judgement (CLAS, JTAI, SAAS, ILACS) shows as its headline
   the judgements made once that no other judgement reads: its conclusions.

A batch report counts, for each framework, the outcomes of the leading judgements (else
of the grid's) that are made once and whose outcomes are grades or members.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.ir import walk
from framework_dsl.ruleset import RuleSet
from framework_dsl.typesystem import Choice, ListOf, MapOf, RecordType, SetOf, SymbolSet, Type
from framework_dsl.values import display_value


@attrs.frozen(kw_only=True)
class FrameworkGuide:
    """How to present one framework's results: decision titles, scales and the headline."""

    name: str
    title: str
    titles: Mapping[str, str]  # decision name -> readable title
    leading: tuple[str, ...]  # headline judgements shown first (CQC: overall)
    grid: tuple[str, ...]  # the other headline judgements (CQC: the five key questions)
    counted: tuple[str, ...]  # what a batch counts outcomes of: the leading judgements, else the grid's
    scale_sizes: Mapping[str, int]  # scale qualname -> number of grades
    item_labels: Mapping[str, Mapping[str, str]]  # for-each decision -> "#member" -> member label
    evidence: RecordType | None = None  # the evidence schema, to show values read by their labels
    # judgement -> outcome identifier -> its label, for judgements with named outcomes
    outcome_labels: Mapping[str, Mapping[str, str]] = attrs.field(factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, framework: ir.Framework) -> FrameworkGuide:
        """Work out the guide of a checked framework."""
        decisions = (*framework.judgements, *framework.checks)
        titles = {d.name: _title(d.name, framework.symbol_sets) for d in decisions}
        graded = [j for j in framework.judgements if _graded(j.type)]
        reads = _Reads(framework)
        graded_keys = {j.key for j in graded}
        leading = [j for j in graded if reads.judgements(j) & (graded_keys - {j.key})]
        if graded:
            grid = [j for j in graded if j not in leading]
        else:
            read_by_others = set().union(*(reads.judgements(j) for j in decisions)) if decisions else set()
            grid = [j for j in framework.judgements if j.for_each_source is None and j.key not in read_by_others]
            if not grid and framework.judgements:
                grid = [framework.judgements[0]]
        counted = [j.name for j in (leading or grid) if j.for_each_source is None and isinstance(j.type, Choice)]
        scale_sizes = {s.qualname: len(s.members) for s in framework.symbol_sets if s.kind == "scale"}
        item_labels = {
            d.name: MappingProxyType(labels) for d in decisions if (labels := _member_items(d.for_each_source))
        }
        return cls(
            name=framework.name,
            title=framework.title,
            titles=MappingProxyType(titles),
            leading=tuple(j.name for j in leading),
            grid=tuple(j.name for j in grid),
            counted=tuple(counted),
            scale_sizes=MappingProxyType(scale_sizes),
            item_labels=MappingProxyType(item_labels),
            evidence=framework.evidence,
            outcome_labels=MappingProxyType(
                {
                    j.name: MappingProxyType({m.name: m.display for m in j.type.members})
                    for j in framework.judgements
                    if isinstance(j.type, Choice)
                }
            ),
        )

    def title_of(self, decision: str) -> str:
        """The readable title of decision `decision` (its name in words if the rules do not know it)."""
        return self.titles.get(decision) or words(decision)

    def item_label(self, decision: str, item: str | None) -> str | None:
        """A for-each item shown for people: the member's label, else its JSON pointer."""
        if item is None:
            return None
        return self.item_labels.get(decision, {}).get(item, item)

    def outcome_label(self, decision: str, outcome: Any) -> str:
        """An outcome of `decision` as people read it: its label, else the value shown."""
        label = self.outcome_labels.get(decision, {}).get(outcome) if isinstance(outcome, str) else None
        return label if label is not None else display_value(outcome)

    def value_at(self, pointer: str, raw: Any) -> Any:
        """An evidence value read at `pointer`, with members and grades as their labels.

        `/key_questions/safe/rating` holding `"requires_improvement"` is shown as
        "Requires improvement"; a value whose type the schema does not say is kept as it is.
        """
        field_type = _type_at(self.evidence, pointer) if self.evidence is not None else None
        return _labelled(field_type, raw)


def _type_at(record: RecordType, pointer: str) -> Type | None:
    """The schema's type of the evidence at `pointer`, or None when it does not say."""
    current: Type | None = record
    for segment in pointer.split("/")[1:]:
        key = segment.replace("~1", "/").replace("~0", "~")
        if isinstance(current, RecordType):
            found = current.fields.get(key)
            current = found.type if found is not None else None
        elif isinstance(current, ListOf | SetOf):
            current = current.element
        elif isinstance(current, MapOf):
            current = current.value
        else:
            return None
    return current


def _labelled(field_type: Type | None, raw: Any) -> Any:
    if isinstance(field_type, Choice) and isinstance(raw, str):
        member = field_type.member(raw)
        return member.display if member is not None else raw
    if isinstance(field_type, ListOf | SetOf) and isinstance(raw, list):
        return [_labelled(field_type.element, item) for item in raw]
    return raw


def guides_for(rule_set: RuleSet | None) -> Mapping[str, FrameworkGuide]:
    """The guide of every framework of `rule_set` (none without one)."""
    if rule_set is None:
        return MappingProxyType({})
    return MappingProxyType({name: FrameworkGuide.of(f) for name, f in rule_set.frameworks.items()})


def words(identifier: str) -> str:
    """An identifier written out: `children_safeguarding_action` -> "Children safeguarding action"."""
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else identifier


def _title(name: str, symbol_sets: tuple[SymbolSet, ...]) -> str:
    labels = {
        member.label
        for symbol_set in symbol_sets
        if symbol_set.kind == "enum"
        for member in symbol_set.members
        if member.name == name and member.label
    }
    return labels.pop() if len(labels) == 1 else words(name)


def _graded(t: Type) -> bool:
    return isinstance(t, Choice) and any(s.kind == "scale" for s in t.sets)


def _member_items(source: ir.Expr | None) -> dict[str, str]:
    """`#member` -> label, for a for-each over a list of enumeration members (PEEL's pillars)."""
    if source is None or not isinstance(source.type, ListOf | SetOf) or not isinstance(source.type.element, Choice):
        return {}
    return {f"#{m.name}": m.display for m in source.type.element.members}


class _Reads:
    """Which judgements a decision reads, directly or through definitions."""

    def __init__(self, framework: ir.Framework) -> None:
        self._definitions = framework.definitions
        self._memo: dict[str, frozenset[str]] = {}

    def judgements(self, decision: ir.Judgement) -> frozenset[str]:
        return self._in(decision.expressions())

    def _in(self, exprs: Iterator[ir.Expr]) -> frozenset[str]:
        found: set[str] = set()
        for expr in exprs:
            for node in walk(expr):
                if isinstance(node, ir.JudgementRef | ir.ItemOutcome):
                    found.add(node.key)
                elif isinstance(node, ir.DefinitionRef):
                    found |= self._definition(node.key)
        return frozenset(found)

    def _definition(self, key: str) -> frozenset[str]:
        if key not in self._memo:
            self._memo[key] = frozenset()  # definitions are acyclic; this only stops a loop
            definition = self._definitions.get(key)
            if definition is not None:
                self._memo[key] = self._in(iter((definition.value,)))
        return self._memo[key]
