"""What would change an outcome: the smallest changes to the evidence that move a judgement.

`what_if(rule_set, evidence, "overall")` answers "what would it take to be rated good?"
by search, not by guessing: it lists candidate changes to the evidence, evaluates the
rules on each changed document, and keeps those that give the target outcome, smallest
first. Each answer is an RFC 6902 JSON Patch of the evidence, with the outcome and reason
the rules then give, so it can be applied and checked by anyone.

The search covers the finite regions of a decision:

- every grade or member a field can take (its schema says which),
- booleans flipped,
- optional fields and list items removed, and absent fields and map keys added (records
  with their required fields),
- numbers moved to the thresholds the framework compares numbers against (each
  threshold and one either side of it) and one step either side of their value.

Single changes are tried first; pairs of changes only for targets that no single
change reaches, up to a budget of evaluations. Lists shrink but do not grow (a new
breach, say, is not invented). When no change within that reach gives the target, the
answer says so and why, rather than that the target is impossible.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import itertools
from collections.abc import Iterator
from typing import Any

import attrs

from framework_dsl import ir
from framework_dsl.diagnostics import did_you_mean
from framework_dsl.result import Result
from framework_dsl.ruleset import RuleSet
from framework_dsl.semantics.operators import Op
from framework_dsl.typesystem import BOOLEAN, DECIMAL, INTEGER, Choice, ListOf, MapOf, RecordType, SetOf, Type

__all__ = [
    "MAX_EVALUATIONS",
    "Suggestion",
    "WhatIf",
    "WhatIfError",
    "apply_patch",
    "public_patch",
    "what_if",
    "what_would_change",
]

# Evaluations one question may cost at most (single changes, then pairs).
MAX_EVALUATIONS = 20_000
# How many answers each target keeps.
MAX_SUGGESTIONS = 10


@attrs.frozen(kw_only=True)
class Suggestion:
    """A change to the evidence (a JSON Patch) and what the judgement becomes with it."""

    patch: tuple[dict[str, Any], ...]  # RFC 6902 operations: add, replace, remove
    outcome: Any
    reason: str | None
    rule: str | None

    @property
    def size(self) -> int:
        """How many values the patch changes."""
        return len(self.patch)

    def describe(self) -> str:
        """The patch in words: `/key_questions/safe/rating: requires_improvement -> good`."""
        return "; ".join(_describe_operation(op) for op in self.patch)

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {"patch": public_patch(self.patch), "outcome": self.outcome, "reason": self.reason, "rule": self.rule}


@attrs.frozen(kw_only=True)
class WhatIf:
    """The answer for one judgement: its outcome now, and for each target the smallest changes that reach it."""

    judgement: str
    item: int | None
    outcome: Any  # None when not decided
    status: str
    targets: tuple[str, ...]
    suggestions: dict[str, tuple[Suggestion, ...]]
    unreachable: dict[str, str]  # target -> why no change was found
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "judgement": self.judgement,
            "item": self.item,
            "status": self.status,
            "outcome": self.outcome,
            "targets": [
                {
                    "target": target,
                    "changes": [s.to_dict() for s in self.suggestions.get(target, ())],
                    "unreachable": self.unreachable.get(target),
                }
                for target in self.targets
            ],
            "evaluations": self.evaluations,
        }


class WhatIfError(ValueError):
    """The question cannot be asked: no such judgement, item or target, or the evidence is not evaluated."""


def what_if(
    rule_set: RuleSet,
    evidence: dict[str, Any],
    judgement: str,
    *,
    item: int | None = None,
    target: str | None = None,
    as_of: datetime.date | None = None,
    framework: str | None = None,
) -> WhatIf:
    """The smallest changes to `evidence` that move `judgement` (its `item`) to `target`.

    `target` is a grade or member name, `up` or `down` (one step on the judgement's scale);
    by default one step up and one step down, or every other outcome for a judgement that
    is not graded on a scale.
    """
    base = rule_set.evaluate(evidence, as_of, framework=framework)
    if base.status != "evaluated" or base.framework is None:
        raise WhatIfError(f"the evidence is not evaluated ({base.status.replace('_', ' ')}): fix it first")
    rules = rule_set.frameworks[base.framework]
    decision = rules.decision(judgement)
    if decision is None:
        raise WhatIfError(f"{base.framework} has no judgement or check `{judgement}`")
    as_of = base.as_of  # every variant is evaluated at the date of the original

    def outcome_of(document: dict[str, Any], result: Result | None = None) -> dict[str, Any] | None:
        """The judgement's decision (its item's) as the result JSON shows it; None if not evaluated."""
        decided = result if result is not None else rule_set.evaluate(document, as_of, framework=base.framework)
        data = decided.to_dict()
        if data["status"] != "evaluated":
            return None
        found: dict[str, Any] | list[dict[str, Any]] | None = (data["judgements"] | data["checks"]).get(judgement)
        if isinstance(found, list):
            if item is None:
                raise WhatIfError(f"`{judgement}` is decided for each item: say which with --item")
            return found[item] if 0 <= item < len(found) else None
        return found

    current = outcome_of(evidence, base)  # the original, evaluated once above
    if current is None:
        raise WhatIfError(f"`{judgement}` has no item {item}")
    values = _outcomes(decision.type)
    targets = _targets(target, current.get("outcome"), values)

    candidates = list(_single_changes(evidence, rules))
    evaluations = 0
    found: dict[str, list[Suggestion]] = {t: [] for t in targets}

    def consider(patch: tuple[dict[str, Any], ...], targets: tuple[str, ...]) -> None:
        nonlocal evaluations
        evaluations += 1
        changed = outcome_of(apply_patch(evidence, patch))
        if changed is None or changed.get("status") != "decided":
            return
        reached = changed.get("outcome")
        for wanted in targets:
            if reached == wanted:
                found[wanted].append(
                    Suggestion(patch=patch, outcome=reached, reason=changed.get("reason"), rule=changed.get("rule"))
                )

    for change in candidates:
        consider((change,), targets)
    missing = tuple(t for t in targets if not found[t])  # pairs only where no single change will do
    if missing:
        for first, second in itertools.combinations(candidates, 2):
            if evaluations >= MAX_EVALUATIONS:
                break
            if first["path"] == second["path"] or _nested(first["path"], second["path"]):
                continue
            consider((first, second), missing)
    unreachable = {}
    for wanted in targets:
        if not found[wanted]:
            unreachable[wanted] = (
                f"no change of one or two of the {len(candidates)} candidate values "
                f"({evaluations} documents evaluated) gives {wanted}"
                + (" (the search stopped at its budget)" if evaluations >= MAX_EVALUATIONS else "")
            )
    return WhatIf(
        judgement=judgement,
        item=item,
        outcome=current.get("outcome"),
        status=current.get("status", "decided"),
        targets=targets,
        suggestions={t: tuple(sorted(found[t], key=_rank)[:MAX_SUGGESTIONS]) for t in targets if found[t]},
        unreachable=unreachable,
        evaluations=evaluations,
    )


def what_would_change(
    rule_set: RuleSet,
    evidence: dict[str, Any],
    *,
    as_of: datetime.date | None = None,
    framework: str | None = None,
) -> dict[str, WhatIf]:
    """For every judgement decided once, the smallest single changes one step up and one step down.

    The short form of `what_if`, for a report: each single change is evaluated once and
    read for every judgement, so the whole document costs as many evaluations as it has
    candidate changes, not that many per judgement. Pairs of changes are not tried (a
    target no single change reaches is said to be so); judgements made for each item,
    and those whose outcome is not decided, are left out. Empty when the evidence is not
    evaluated.
    """
    base = rule_set.evaluate(evidence, as_of, framework=framework)
    if base.status != "evaluated" or base.framework is None:
        return {}
    rules = rule_set.frameworks[base.framework]
    as_of = base.as_of
    now = base.to_dict()["judgements"]
    asked: dict[str, tuple[str, ...]] = {}
    for judgement in rules.judgements:
        current = now.get(judgement.name)
        if not isinstance(current, dict) or current.get("status") != "decided":
            continue
        try:
            targets = _targets(None, current.get("outcome"), _outcomes(judgement.type))
        except WhatIfError:  # a scale of one grade: nowhere to move
            continue
        if targets:
            asked[judgement.name] = targets
    found: dict[str, dict[str, list[Suggestion]]] = {name: {t: [] for t in ts} for name, ts in asked.items()}
    candidates = list(_single_changes(evidence, rules)) if asked else []
    for change in candidates:
        changed = rule_set.evaluate(apply_patch(evidence, (change,)), as_of, framework=base.framework).to_dict()
        if changed["status"] != "evaluated":
            continue
        for name, targets in asked.items():
            decided = changed["judgements"].get(name)
            if not isinstance(decided, dict) or decided.get("status") != "decided":
                continue
            reached = decided.get("outcome")
            if reached in targets:
                found[name][reached].append(
                    Suggestion(patch=(change,), outcome=reached, reason=decided.get("reason"), rule=decided.get("rule"))
                )
    answers = {}
    for name, targets in asked.items():
        answers[name] = WhatIf(
            judgement=name,
            item=None,
            outcome=now[name].get("outcome"),
            status="decided",
            targets=targets,
            suggestions={
                t: tuple(sorted(found[name][t], key=_rank)[:MAX_SUGGESTIONS]) for t in targets if found[name][t]
            },
            unreachable={
                t: f"no single change of the {len(candidates)} candidate values gives {t}"
                for t in targets
                if not found[name][t]
            },
            evaluations=len(candidates),
        )
    return answers


def _rank(suggestion: Suggestion) -> tuple[Any, ...]:
    """Smaller patches first; among equals, numbers that move less, then by pointer."""
    distance = sum((op.get("_distance", decimal.Decimal(1)) for op in suggestion.patch), decimal.Decimal(0))
    return (suggestion.size, distance, tuple(op["path"] for op in suggestion.patch))


def _targets(target: str | None, outcome: Any, values: list[Any]) -> tuple[str, ...]:
    if target is None or target in ("up", "down"):
        if outcome in values and _is_scale(values):
            at = values.index(outcome)
            up = [values[at - 1]] if at > 0 else []
            down = [values[at + 1]] if at + 1 < len(values) else []
            chosen = up if target == "up" else down if target == "down" else up + down
            if not chosen:
                raise WhatIfError(f"`{outcome}` is already at the {'top' if target == 'up' else 'bottom'} of its scale")
            return tuple(chosen)
        if target is not None:
            raise WhatIfError("`up` and `down` need a judgement graded on a scale")
        return tuple(v for v in values if v != outcome)
    if values and target not in values:
        hint = did_you_mean(target, [str(v) for v in values])
        known = ", ".join(str(v) for v in values)
        raise WhatIfError(f"`{target}` is not an outcome of this judgement; " + (hint or f"it gives one of: {known}"))
    return (target,)


def _outcomes(decision_type: Type) -> list[Any]:
    """The outcomes a judgement can give, best first on a scale, as the result JSON writes them."""
    if isinstance(decision_type, Choice):
        return [m.name for m in decision_type.members]
    if decision_type == BOOLEAN:
        return [True, False]
    return []


def _is_scale(values: list[Any]) -> bool:
    return bool(values) and not isinstance(values[0], bool)


# ---------------------------------------------------------------- candidate changes


def _single_changes(evidence: dict[str, Any], rules: ir.Framework) -> Iterator[dict[str, Any]]:
    """Every single-value change the search tries, as JSON Patch operations (`_from`: the old value)."""
    thresholds = sorted(_numeric_thresholds(rules))
    seen: set[tuple[str, str]] = set()
    for pointer, value, field_type, optional in _leaves(evidence, rules.evidence, ""):
        if pointer in ("/framework",):
            continue
        for op in _changes_at(pointer, value, field_type, optional, thresholds):
            key = (op["op"], op["path"] + "=" + repr(op.get("value")))
            if key not in seen:
                seen.add(key)
                yield op


def _changes_at(
    pointer: str, value: Any, field_type: Type, optional: bool, thresholds: list[decimal.Decimal]
) -> Iterator[dict[str, Any]]:
    absent = value is _ABSENT
    op = "add" if absent else "replace"
    if optional and not absent:
        yield {"op": "remove", "path": pointer, "_from": value}
    for new in _values_for(field_type, None if absent else value, thresholds):
        if absent or new != value:
            distance = _steps(field_type, None if absent else value, new)
            yield {"op": op, "path": pointer, "value": new, "_from": None if absent else value, "_distance": distance}


def _values_for(field_type: Type, value: Any, thresholds: list[decimal.Decimal]) -> Iterator[Any]:
    if isinstance(field_type, Choice):
        yield from (m.name for m in field_type.members)
    elif field_type == BOOLEAN:
        yield from (True, False)
    elif field_type in (INTEGER, DECIMAL):
        integral = field_type == INTEGER
        numbers: set[decimal.Decimal] = set()
        for threshold in thresholds:
            step = decimal.Decimal(1) if integral else _unit(threshold)
            numbers.update((threshold - step, threshold, threshold + step))
        if _is_number(value):
            current = decimal.Decimal(str(value))
            numbers.update((current - 1, current + 1))
        for number in sorted(numbers):
            if integral and number == number.to_integral_value():
                yield int(number)
            elif not integral:
                yield float(number) if number != number.to_integral_value() else int(number)
    elif isinstance(field_type, RecordType) and value is None:
        yield from _records(field_type, thresholds)


def _steps(field_type: Type, old: Any, new: Any) -> decimal.Decimal:
    """How far a change moves a value: places on a scale, the difference of numbers; 1 otherwise."""
    if _is_number(old) and _is_number(new):
        return abs(decimal.Decimal(str(new)) - decimal.Decimal(str(old)))
    if isinstance(field_type, Choice) and isinstance(old, str) and isinstance(new, str):
        before, after = field_type.member(old), field_type.member(new)
        if before is not None and after is not None and before.owner == after.owner and before.ordered:
            return decimal.Decimal(abs(before.rank - after.rank))
        return decimal.Decimal("1.5")  # to another scale or enumeration (`not_rated`): after a one-step move
    return decimal.Decimal(1)


def _records(record: RecordType, thresholds: list[decimal.Decimal]) -> Iterator[dict[str, Any]]:
    """Records for an absent field: every value of each required field in turn, the others at their first."""
    options: dict[str, list[Any]] = {}
    for name, info in record.fields.items():
        if info.optional:
            continue
        choices = list(_values_for(info.type, None, thresholds))
        if not choices:
            return  # a required text, date or list: nothing sensible to invent
        options[name] = choices
    if not options:
        yield {}
        return
    first = {name: choices[0] for name, choices in options.items()}
    yield dict(first)
    for name, choices in options.items():
        for choice in choices[1:]:
            yield first | {name: choice}


_ABSENT = object()


def _leaves(value: Any, field_type: Type, pointer: str) -> Iterator[tuple[str, Any, Type, bool]]:
    """(pointer, value or _ABSENT, type, optional) for every field the search may change."""
    if isinstance(field_type, RecordType) and isinstance(value, dict):
        for name, info in field_type.fields.items():
            child = pointer + "/" + name.replace("~", "~0").replace("/", "~1")
            if name in value:
                if isinstance(info.type, RecordType | ListOf | SetOf | MapOf):
                    if info.optional:
                        yield child, value[name], info.type, True
                    yield from _leaves(value[name], info.type, child)
                else:
                    yield child, value[name], info.type, info.optional
            else:
                yield child, _ABSENT, info.type, info.optional
    elif isinstance(field_type, ListOf | SetOf) and isinstance(value, list):
        for index, element in enumerate(value):
            # An item may be removed (marked optional), or changed within.
            yield f"{pointer}/{index}", element, field_type.element, True
            if isinstance(field_type.element, RecordType | ListOf | SetOf | MapOf):
                yield from _leaves(element, field_type.element, f"{pointer}/{index}")
    elif isinstance(field_type, MapOf) and isinstance(value, dict):
        for member in field_type.key.members:  # an absent key may be added
            if member.name not in value:
                yield pointer + "/" + member.name.replace("~", "~0").replace("/", "~1"), _ABSENT, field_type.value, True
        for key, element in value.items():
            child = pointer + "/" + str(key).replace("~", "~0").replace("/", "~1")
            if isinstance(field_type.value, RecordType | ListOf | SetOf | MapOf):
                yield from _leaves(element, field_type.value, child)
            else:
                yield child, element, field_type.value, False


def _numeric_thresholds(rules: ir.Framework) -> set[decimal.Decimal]:
    """Every number the framework's decisions and definitions compare against."""
    found: set[decimal.Decimal] = set()
    comparisons = {Op.LT, Op.LE, Op.GT, Op.GE, Op.EQ, Op.NE}
    pending: list[Any] = [*rules.judgements, *rules.checks, *rules.definitions.values()]
    while pending:
        node = pending.pop()
        if isinstance(node, ir.Binary) and node.op in comparisons:
            for side in (node.left, node.right):
                if isinstance(side, ir.Const) and _is_number(side.value):
                    found.add(decimal.Decimal(str(side.value)))
        if isinstance(node, tuple | list):
            pending.extend(node)
        elif attrs.has(type(node)) and not isinstance(node, ir.Const):
            pending.extend(
                getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("span", "type", "examples")
            )
    return found


def _unit(number: decimal.Decimal) -> decimal.Decimal:
    exponent = number.as_tuple().exponent
    return decimal.Decimal(1).scaleb(min(exponent, 0) if isinstance(exponent, int) else 0)


def _nested(one: str, other: str) -> bool:
    return one.startswith(other + "/") or other.startswith(one + "/")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool)


def _describe_operation(op: dict[str, Any]) -> str:
    if op["op"] == "remove":
        return f"remove {op['path']}"
    if op["op"] == "add":
        return f"add {op['path']} = {_show(op['value'])}"
    return f"{op['path']}: {_show(op.get('_from'))} -> {_show(op['value'])}"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    return str(value)


# ---------------------------------------------------------------- JSON Patch


def apply_patch(document: dict[str, Any], patch: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    """`document` with the RFC 6902 operations `add`, `replace` and `remove` applied (a copy)."""
    result = copy.deepcopy(document)
    for op in patch:
        *parents, last = [_unescape(p) for p in op["path"].split("/")[1:]]
        target: Any = result
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        key: Any = int(last) if isinstance(target, list) else last
        if op["op"] == "remove":
            del target[key]
        else:
            target[key] = copy.deepcopy(op["value"])
    return result


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def public_patch(patch: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """The patch as RFC 6902 JSON, without the old values kept for describing it."""
    return [{k: v for k, v in op.items() if not k.startswith("_")} for op in patch]
