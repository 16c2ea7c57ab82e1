"""The lint stage: checked rules -> advice (warnings and notes), never errors.

The checker rejects what cannot work; the linter points at what works but is probably
not what the author meant, or is not finished. It reads the checked frameworks
(`ir.Framework`) and the parsed files they came from (for imports and declaration
positions), and runs the examples once for clause coverage. Each lint has a stable
code `lint.*`, listed in `LINTS` and explained in `docs/lints.md`:

- clauses that can never be chosen, beyond what the checker already proves: a clause
  whose condition implies an earlier clause's (`x = a and y` after `x = a`,
  `n > 5` after `n > 3`), anything after clauses that cover every value of a subject
  that is never missing, an `otherwise` no evidence can reach;
- definitions no judgement, check or example uses; imports a file never uses;
- clauses without a reason or a citation; clauses no example exercises; frameworks
  with no examples or no `source`;
- grades of a judgement's scale that none of its constant outcomes gives;
- evidence fields no rule reads.

The reachability lints are sound, not complete: a clause reported unreachable can
never be chosen, but not every unreachable clause is found. A clause that can only be
chosen when evidence is missing (the three-valued logic lets a later clause decide
when an earlier one is unknown) is not reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from framework_dsl import ir, nodes
from framework_dsl.checker import check_program
from framework_dsl.citations import REGISTRY_FILE, RegistryError, Source, cited_parts, load_registry
from framework_dsl.diagnostics import Diagnostic, Label, Severity, has_errors, sort_diagnostics
from framework_dsl.loader import LoadedFile, LoadedRules, load_files
from framework_dsl.resources import bundled_rules_root
from framework_dsl.ruleset import RuleSet
from framework_dsl.source import Span
from framework_dsl.typesystem import DECIMAL, Choice, ListOf, MapOf, Prim, RecordType, SetOf, Symbol, Type

# code -> one-line description. docs/lints.md explains each with a bad example.
LINTS: dict[str, str] = {
    "lint.unreachable-clause": "a clause no evidence can choose, beyond what the checker already rejects",
    "lint.unreachable-otherwise": "an `otherwise` after clauses that already decide every case",
    "lint.unused-definition": "a `define` that no judgement, check or example uses",
    "lint.unused-import": "an imported name or module the file never uses",
    "lint.missing-reason": "a clause without a `because` reason",
    "lint.missing-citation": "a clause without a `cite` citation",
    "lint.unknown-citation": "a citation of a paragraph (or regulation) that its registered source does not have",
    "lint.untested-clause": "a clause that no example exercises",
    "lint.no-examples": "a framework with no examples at all",
    "lint.unproducible-grade": "a grade or member of a judgement's type that no clause can give",
    "lint.unused-evidence-field": "an evidence field that no rule reads",
    "lint.missing-source": "a framework without a `source` line naming its published source",
    "lint.unused-let": "a `let` local value that no clause, reason or later `let` of its decision uses",
    "lint.unrounded-reason": "a reason that shows a computed decimal without `round`, so it may print 34 digits",
    "lint.range-decided-comparison": "a comparison that a field's declared range makes always true or always false",
}

SEVERITIES: dict[str, Severity] = {
    "lint.unreachable-clause": Severity.WARNING,
    "lint.unreachable-otherwise": Severity.WARNING,
    "lint.unused-definition": Severity.WARNING,
    "lint.unused-import": Severity.WARNING,
    "lint.missing-reason": Severity.WARNING,
    "lint.missing-citation": Severity.WARNING,
    "lint.unknown-citation": Severity.WARNING,
    "lint.untested-clause": Severity.WARNING,
    "lint.no-examples": Severity.WARNING,
    "lint.unproducible-grade": Severity.INFO,
    "lint.unused-evidence-field": Severity.INFO,
    "lint.missing-source": Severity.WARNING,
    "lint.unused-let": Severity.WARNING,
    "lint.unrounded-reason": Severity.WARNING,
    "lint.range-decided-comparison": Severity.WARNING,
}


def lint_rules(*paths: str | Path, examples: bool = True) -> tuple[RuleSet | None, list[Diagnostic]]:
    """Check rule files or folders (default: the bundled rules) and lint them.

    Args:
        paths: rule files or folders, as for `load_rules`.
        examples: run the examples for clause coverage (`lint.untested-clause`).

    Returns:
        (the rule set, the checker's diagnostics plus every lint), sorted; or
        (None, the checker's diagnostics) when the rules do not check.

    Example:
        >>> rule_set, diagnostics = lint_rules()
        >>> all(d.code.startswith("lint.") for d in diagnostics if d.severity.value != "error")
        True
    """
    roots = [Path(p) for p in paths] or [bundled_rules_root()]
    loaded = load_files(roots)
    frameworks, diagnostics = check_program(loaded)
    diagnostics = sort_diagnostics(diagnostics)
    if has_errors(diagnostics):
        return None, diagnostics
    rule_set = RuleSet(frameworks=frameworks, digest=loaded.digest, diagnostics=tuple(diagnostics))
    return rule_set, sort_diagnostics([*diagnostics, *lint(rule_set, loaded, examples=examples)])


def lint(rule_set: RuleSet, loaded: LoadedRules, *, examples: bool = True) -> list[Diagnostic]:
    """Every lint for a checked rule set.

    Args:
        rule_set: the checked rules (`lint_rules` builds both arguments from one load).
        loaded: the parsed files the rule set was checked from, for imports and the
            positions of field declarations.
        examples: run the examples for clause coverage.

    Returns:
        The lints, sorted by file and position; warnings and notes only.
    """
    return sort_diagnostics(_Linter(rule_set, loaded).run(examples=examples))


def _lint(code: str, message: str, span: Span | None, hint: str | None = None, **extra: Any) -> Diagnostic:
    return Diagnostic(code=code, message=message, severity=SEVERITIES[code], span=span, hint=hint, **extra)


def _text(node: Any) -> str:
    """The rule text an IR node was checked from."""
    span = getattr(node, "span", None)
    if span is None:
        return "?"
    return " ".join(span.source.text[span.start : span.end].split())


_ROUNDED = (ir.Op.ROUND_HALF_UP, ir.Op.ROUND_HALF_EVEN)


def _unrounded(e: ir.Expr, lets: dict[str, ir.Expr]) -> bool:
    """Whether `e` is a decimal computed by division or `average of`, not rounded, so it may show 34 digits."""
    if e.type != DECIMAL:
        return False
    if isinstance(e, ir.LetRef) and e.name in lets:
        return _unrounded(lets[e.name], lets)
    if isinstance(e, ir.Binary | ir.Unary):
        if e.op in _ROUNDED:
            return False
        if e.op in (ir.Op.DIV, ir.Op.AVERAGE):
            return True
        parts: tuple[ir.Expr, ...] = (e.left, e.right) if isinstance(e, ir.Binary) else (e.operand,)
        return any(_unrounded(part, lets) for part in parts)
    return False


# ---------------------------------------------------------------- may a value be unknown?


class _Certainty:
    """Whether an expression may evaluate to *unknown* (absent evidence, undetermined judgement).

    Conservative: `True` means "may be unknown"; `False` is a proof that it never is.
    """

    def __init__(self, definitions: dict[str, ir.Definition], decisions: dict[str, ir.Judgement]) -> None:
        self.definitions = definitions
        self.decisions = decisions
        self._definition_memo: dict[tuple[str, bool], bool] = {}
        self._decision_memo: dict[str, bool] = {}

    def undetermined(self, decision: ir.Judgement) -> bool:
        """Whether `decision` may be undetermined for some evidence."""
        if decision.key in self._decision_memo:
            return self._decision_memo[decision.key]
        self._decision_memo[decision.key] = True  # a cycle (the checker rejects them): assume the worst
        env: dict[str, bool] = {}
        result = False
        if decision.for_each_source is not None and decision.for_each_var is not None:
            result = self.unknown(decision.for_each_source, {})
            env[decision.for_each_var] = self.elements(decision.for_each_source, {})
        for clause in decision.clauses:
            if clause.condition is not None and self.unknown(clause.condition, env):
                result = True
            if self.unknown(clause.outcome, env):
                result = True
        self._decision_memo[decision.key] = result
        return result

    def _definition(self, key: str, elements: bool) -> bool:
        memo = (key, elements)
        if memo not in self._definition_memo:
            self._definition_memo[memo] = True
            definition = self.definitions.get(key)
            value = True
            if definition is not None:
                value = self.elements(definition.value, {}) if elements else self.unknown(definition.value, {})
            self._definition_memo[memo] = value
        return self._definition_memo[memo]

    def unknown(self, e: ir.Expr, env: dict[str, bool]) -> bool:
        """Whether `e` itself may be unknown."""
        if isinstance(e, ir.Const | ir.AsOfDate | ir.ListExpr):
            return False
        if isinstance(e, ir.EvidenceField):
            return e.optional
        if isinstance(e, ir.GetField):
            return e.optional or isinstance(e.target.type, MapOf) or self.unknown(e.target, env)
        if isinstance(e, ir.Local):
            return env.get(e.name, True)
        if isinstance(e, ir.DefinitionRef):
            return self._definition(e.key, elements=False)
        if isinstance(e, ir.JudgementRef):
            decision = self.decisions.get(e.key)
            if decision is None:
                return True
            if decision.for_each_source is not None and not e.per_item:
                return self.unknown(decision.for_each_source, {})
            return self.undetermined(decision)
        if isinstance(e, ir.Comprehension):
            inner = {**env, e.var: self.elements(e.source, env)}
            return self.unknown(e.source, env) or (e.condition is not None and self.unknown(e.condition, inner))
        if isinstance(e, ir.Quantifier):
            inner = {**env, e.var: self.elements(e.source, env)}
            return self.unknown(e.source, env) or self.unknown(e.condition, inner)
        if isinstance(e, ir.Unary):
            if e.op in ("is_missing", "is_present"):
                return False
            if e.op in ("not", "count", "is_empty"):
                return self.unknown(e.operand, env)
            return self.unknown(e.operand, env) or self.elements(e.operand, env)
        if isinstance(e, ir.Binary):
            left, right = e.left, e.right
            if e.op == "if_missing":
                return self.unknown(left, env) and self.unknown(right, env)
            if e.op in ("in", "not_in"):
                return self.unknown(left, env) or self.unknown(right, env) or self.elements(right, env)
            if e.op in ("count_rated", "count_rated_in"):
                return self.unknown(left, env) or self.elements(left, env) or self.unknown(right, env)
            if e.op in ("set_diff", "union", "intersect"):
                return any((self.unknown(side, env) or self.elements(side, env)) for side in (left, right))
            return self.unknown(left, env) or self.unknown(right, env)
        return True

    def elements(self, e: ir.Expr, env: dict[str, bool]) -> bool:
        """Whether an item of the collection `e` may be unknown."""
        if isinstance(e, ir.Const | ir.EvidenceField | ir.GetField | ir.AsOfDate):
            return False  # validated evidence holds no unknown items; absent map keys are skipped
        if isinstance(e, ir.Local):
            return env.get(e.name, True)
        if isinstance(e, ir.DefinitionRef):
            return self._definition(e.key, elements=True)
        if isinstance(e, ir.JudgementRef):
            decision = self.decisions.get(e.key)
            if decision is None:
                return True
            if decision.for_each_source is not None and not e.per_item:
                return self.undetermined(decision)
            return False
        if isinstance(e, ir.ListExpr):
            return any(self.unknown(item, env) for item in e.items)
        if isinstance(e, ir.Comprehension):
            return self.unknown(e.element, {**env, e.var: self.elements(e.source, env)})
        if isinstance(e, ir.Unary) and e.op == "sorted":
            return False
        if isinstance(e, ir.Binary):
            if e.op in ("set_diff", "union", "intersect"):
                return False
            if e.op == "if_missing":
                return self.elements(e.left, env) or self.elements(e.right, env)
        return True


# ---------------------------------------------------------------- implication between conditions


@attrs.frozen
class _Range:
    """The values a subject must have for an atomic condition to be true."""

    points: frozenset[Any] | None = None  # exactly these values
    low: Any = None
    low_inclusive: bool = False
    high: Any = None
    high_inclusive: bool = False

    def contains(self, value: Any) -> bool:
        key = _order_key(value)
        if key is None:
            return False
        try:
            if self.low is not None and (key < self.low or (key == self.low and not self.low_inclusive)):
                return False
            if self.high is not None and (key > self.high or (key == self.high and not self.high_inclusive)):
                return False
        except TypeError:
            return False
        return True

    def within(self, other: _Range) -> bool:
        """Whether every value in this range is in `other` (sound, not complete)."""
        if self.points is not None:
            if other.points is not None:
                return self.points <= other.points
            return all(other.contains(p) for p in self.points)
        if other.points is not None:
            return False
        try:
            return _bound_within(self.low, self.low_inclusive, other.low, other.low_inclusive, lower=True) and (
                _bound_within(self.high, self.high_inclusive, other.high, other.high_inclusive, lower=False)
            )
        except TypeError:
            return False


def _bound_within(mine: Any, mine_inclusive: bool, theirs: Any, theirs_inclusive: bool, *, lower: bool) -> bool:
    if theirs is None:
        return True
    if mine is None:
        return False
    if mine == theirs:
        return theirs_inclusive or not mine_inclusive
    return bool(mine > theirs) if lower else bool(mine < theirs)


def _disjoint(declared: _Range, wanted: _Range) -> bool:
    """Whether no value in the interval `declared` is in `wanted` (sound, not complete)."""
    if wanted.points is not None:
        return all(not declared.contains(p) for p in wanted.points)
    try:
        below = (
            wanted.high is not None
            and declared.low is not None
            and (wanted.high < declared.low or (wanted.high == declared.low and not wanted.high_inclusive))
        )
        above = (
            wanted.low is not None
            and declared.high is not None
            and (wanted.low > declared.high or (wanted.low == declared.high and not wanted.low_inclusive))
        )
    except TypeError:
        return False
    return bool(below or above)


def _order_key(value: Any) -> Any:
    """How the evaluator orders `value`: grades by rank (better is greater), numbers and dates as themselves."""
    if isinstance(value, Symbol):
        return -value.rank if value.ordered else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or type(value).__name__ in ("Decimal", "date"):
        return value
    return None


_FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq"}


def _atom(condition: ir.Expr) -> tuple[ir.Expr, _Range] | None:
    """`S = c`, `S in [c1, c2]`, `S < c` (and the like): (S, the values of S that make it true)."""
    if not isinstance(condition, ir.Binary):
        return None
    op = condition.op
    if op == "in" and isinstance(condition.right, ir.Const) and isinstance(condition.right.value, tuple):
        if isinstance(condition.left, ir.Const):
            return None
        return condition.left, _Range(points=frozenset(condition.right.value))
    grade = op.startswith("grade_")
    base = op.removeprefix("grade_")
    if base not in _FLIP:
        return None
    subject, const = condition.left, condition.right
    if isinstance(subject, ir.Const) and not isinstance(const, ir.Const):
        subject, const = const, subject
        base = _FLIP[base]
    if not isinstance(const, ir.Const) or isinstance(subject, ir.Const):
        return None
    value = const.value
    if base == "eq":
        try:
            return subject, _Range(points=frozenset({value}))
        except TypeError:
            return None
    key = _order_key(value)
    if key is None or (grade != isinstance(value, Symbol)):
        return None
    if base in ("lt", "le"):
        return subject, _Range(high=key, high_inclusive=base == "le")
    return subject, _Range(low=key, low_inclusive=base == "ge")


def _disjuncts(condition: ir.Expr, definitions: dict[str, ir.Definition] | None = None) -> list[ir.Expr]:
    condition = _inline(condition, definitions)
    if isinstance(condition, ir.Binary) and condition.op == "or":
        return [*_disjuncts(condition.left, definitions), *_disjuncts(condition.right, definitions)]
    return [condition]


def _inline(condition: ir.Expr, definitions: dict[str, ir.Definition] | None) -> ir.Expr:
    """A definition's value in place of its name (definitions take no arguments, so this is exact)."""
    seen: set[str] = set()
    while definitions and isinstance(condition, ir.DefinitionRef) and condition.key in definitions:
        if condition.key in seen:
            break
        seen.add(condition.key)
        condition = definitions[condition.key].value
    return condition


def implies(p: ir.Expr, qs: Sequence[ir.Expr], definitions: dict[str, ir.Definition] | None = None) -> bool:
    """Whether `p` being true (three-valued) proves one of `qs` true. Sound, not complete.

    `definitions` lets a condition that names a boolean definition be compared by its value.
    """
    flat = [d for q in qs for d in _disjuncts(q, definitions)]
    return _implies(_inline(p, definitions), flat, definitions)


def _implies(p: ir.Expr, qs: list[ir.Expr], definitions: dict[str, ir.Definition] | None) -> bool:
    p = _inline(p, definitions)
    if any(p == q for q in qs):
        return True
    if isinstance(p, ir.Binary) and p.op == "or":
        return _implies(p.left, qs, definitions) and _implies(p.right, qs, definitions)
    for q in qs:
        if (
            isinstance(q, ir.Binary)
            and q.op == "and"
            and _implies(p, _disjuncts(q.left, definitions), definitions)
            and _implies(p, _disjuncts(q.right, definitions), definitions)
        ):
            return True
    if (
        isinstance(p, ir.Binary)
        and p.op == "and"
        and (_implies(p.left, qs, definitions) or _implies(p.right, qs, definitions))
    ):
        return True
    atom = _atom(p)
    if atom is None:
        return False
    subject, wanted = atom
    ranges = [r for s, r in (a for a in map(_atom, qs) if a is not None) if s == subject]
    if any(wanted.within(r) for r in ranges):
        return True
    if wanted.points is not None:  # spread over several earlier clauses: `x = a`, `x = b` cover `x in [a, b]`
        return all(any(_Range(points=frozenset({v})).within(r) for r in ranges) for v in wanted.points)
    return False


def covered_subject(conditions: Sequence[ir.Expr]) -> ir.Expr | None:
    """A subject whose every value some condition in `conditions` accepts (as `x = m` or `x in [...]`)."""
    found: dict[int, tuple[ir.Expr, set[Any]]] = {}
    order: list[ir.Expr] = []
    for condition in conditions:
        for disjunct in _disjuncts(condition):
            atom = _atom(disjunct)
            if atom is None or atom[1].points is None:
                continue
            subject, points = atom[0], atom[1].points
            match = next((s for s in order if s == subject), None)
            if match is None:
                order.append(subject)
                match = subject
            found.setdefault(id(match), (match, set()))[1].update(points)
    for subject, values in found.values():
        t = subject.type
        if isinstance(t, Choice) and t.base is None and t.members and set(t.members) <= values:
            return subject
    return None


# ---------------------------------------------------------------- the linter


class _Linter:
    def __init__(self, rule_set: RuleSet, loaded: LoadedRules) -> None:
        self.rule_set = rule_set
        self.loaded = loaded
        self.frameworks = [rule_set.frameworks[name] for name in sorted(rule_set.frameworks)]
        self.definitions: dict[str, ir.Definition] = {}
        self.decisions: dict[str, ir.Judgement] = {}
        for framework in self.frameworks:
            for key, definition in framework.definitions.items():
                self.definitions.setdefault(key, definition)
            for decision in (*framework.judgements, *framework.checks):
                self.decisions.setdefault(decision.key, decision)
        self.certainty = _Certainty(self.definitions, self.decisions)
        self.found: list[Diagnostic] = []

    def add(self, code: str, message: str, span: Span | None, hint: str | None = None, **extra: Any) -> None:
        self.found.append(_lint(code, message, span, hint, **extra))

    def run(self, *, examples: bool) -> list[Diagnostic]:
        for framework in self.frameworks:
            self.framework_header(framework)
            for decision in (*framework.judgements, *framework.checks):
                self.reasons_and_citations(decision)
                self.local_values(decision)
                self.reachability(decision)
                self.range_decided(decision)
                if decision.kind == "judgement":
                    self.unproducible(decision)
        self.citations()
        self.unused_definitions()
        self.unused_imports()
        self.unread_evidence()
        if examples:
            self.coverage()
        return self.found

    # -- headers

    def framework_header(self, framework: ir.Framework) -> None:
        if framework.source_text is None:
            self.add(
                "lint.missing-source",
                f"the framework `{framework.name}` does not name its published source",
                framework.span,
                'add `source "Publisher, document title (date), sections"` under the `framework` line',
            )

    # -- clauses

    def reasons_and_citations(self, decision: ir.Judgement) -> None:
        what = "check" if decision.kind == "check" else "judgement"
        for clause in decision.clauses:
            if not clause.reason:
                self.add(
                    "lint.missing-reason",
                    f"this clause of the {what} `{decision.name}` gives no reason",
                    clause.span,
                    'add `because "..."` saying, in words, why this outcome follows',
                )
            if clause.citation is None:
                self.add(
                    "lint.missing-citation",
                    f"this clause of the {what} `{decision.name}` cites no source",
                    clause.span,
                    'add `cite "..."` naming the published rule, with its paragraph or principle',
                )

    def citations(self) -> None:
        """Citations of a registered source name parts it has (the registry: `sources.toml` in a rules root)."""
        sources: list[Source] = []
        for root in sorted({file.root for file in self.loaded.files}):
            try:
                sources.extend(load_registry(root))
            except RegistryError as error:
                self.add("lint.unknown-citation", f"the citation registry cannot be read: {error}", None)
        if not sources:
            return
        for framework in self.frameworks:
            for cited in cited_parts(framework, tuple(sources)):
                if cited.known:
                    continue
                source = cited.source
                self.add(
                    "lint.unknown-citation",
                    f"`{cited.text}` cites {source.part} {cited.part} of {source.title}, "
                    f"which has no such {source.part}",
                    _citation_span(cited.clause, cited.text),
                    f"it has {source.part}s {_ranges(source.parts)}; correct the citation, or the registry "
                    f"({REGISTRY_FILE} in the rules root)",
                )

    def local_values(self, decision: ir.Judgement) -> None:
        """`lint.unused-let` and `lint.unrounded-reason`: local values no one reads; decimals shown unrounded."""
        used = {e.name for root in decision.expressions() for e in ir.walk(root) if isinstance(e, ir.LetRef)}
        for let in decision.lets:
            if let.name not in used:
                self.add(
                    "lint.unused-let",
                    f"the local value `{let.name}` of `{decision.name}` is never used",
                    let.span,
                    "use it in a clause or a reason, or remove the `let`",
                )
        lets = {let.name: let.value for let in decision.lets}
        for clause in decision.clauses:
            for part in clause.reason:
                if not isinstance(part, str) and _unrounded(part, lets):
                    self.add(
                        "lint.unrounded-reason",
                        f"the reason shows `{_text(part)}`, a computed decimal, with every digit it has",
                        part.span,
                        "present it as the framework publishes it: `{round x}` for a whole number, "
                        "`{round x to 1 decimal place}` for one decimal",
                    )

    def reachability(self, decision: ir.Judgement) -> None:
        env: dict[str, bool] = {}
        if decision.for_each_source is not None and decision.for_each_var is not None:
            env[decision.for_each_var] = self.certainty.elements(decision.for_each_source, {})
        earlier: list[ir.Clause] = []
        for clause in decision.clauses:
            conditions = [c.condition for c in earlier if c.condition is not None]
            subject = covered_subject(conditions)
            settled = subject is not None and not self.certainty.unknown(subject, env)
            if clause.condition is None:
                if settled:
                    assert subject is not None
                    self.add(
                        "lint.unreachable-otherwise",
                        f"this `otherwise` of `{decision.name}` can never be chosen",
                        clause.span,
                        f"the clauses above decide every value of `{_text(subject)}`, which is never missing; "
                        "remove the `otherwise`",
                    )
            elif not decision.collect:
                if settled:
                    assert subject is not None
                    self.add(
                        "lint.unreachable-clause",
                        f"this clause of `{decision.name}` can never be chosen",
                        clause.span,
                        f"the clauses above decide every value of `{_text(subject)}`, which is never missing; "
                        "move this clause above them or remove it",
                    )
                elif conditions and implies(clause.condition, conditions, self.definitions):
                    single = next(
                        (
                            c
                            for c in earlier
                            if c.condition is not None and implies(clause.condition, [c.condition], self.definitions)
                        ),
                        None,
                    )
                    self.add(
                        "lint.unreachable-clause",
                        f"this clause of `{decision.name}` can never be chosen",
                        clause.span,
                        (
                            f"whenever its condition holds, the condition on line {single.span.line} holds too, "
                            "and that clause is tried first"
                            if single is not None
                            else "whenever its condition holds, an earlier clause's condition holds too"
                        )
                        + "; move it above or remove it",
                        labels=(Label(single.span, "this clause is chosen instead"),) if single is not None else (),
                    )
            if clause.in_force is None:  # a dated clause is skipped outside its dates: it shadows nothing
                earlier.append(clause)

    def range_decided(self, decision: ir.Judgement) -> None:
        """`q.count >= 0` where `count` is `integer from 0`: the declared range already decides it."""
        for root in decision.expressions():
            for e in ir.walk(root):
                atom = _atom(e)
                if atom is None:
                    continue
                subject, wanted = atom
                # Only a field read as it is: a range can reach other expressions' types
                # (`x if missing 100`, a list with constants) without bounding their values.
                if not isinstance(subject, ir.EvidenceField | ir.GetField):
                    continue
                declared = subject.type
                if not isinstance(declared, Prim) or not declared.ranged:
                    continue
                allowed = _Range(low=declared.low, low_inclusive=True, high=declared.high, high_inclusive=True)
                if allowed.within(wanted):
                    verdict = "true"
                elif _disjoint(allowed, wanted):
                    verdict = "false"
                else:
                    continue
                self.add(
                    "lint.range-decided-comparison",
                    f"`{_text(e)}` is always {verdict} when `{_text(subject)}` is given: "
                    f"it is declared `{declared.display()}`",
                    e.span,
                    "remove the comparison (or write `is present` if that is what it asks), or correct the range",
                )

    def unproducible(self, decision: ir.Judgement) -> None:
        t = decision.type
        if not isinstance(t, Choice) or not decision.clauses:
            return
        produced: set[Symbol] = set()
        for clause in decision.clauses:
            if not isinstance(clause.outcome, ir.Const) or not isinstance(clause.outcome.value, Symbol):
                return  # a computed outcome may give anything
            produced.add(clause.outcome.value)
        for symbol_set in t.sets:
            if symbol_set.kind != "scale" and not symbol_set.name.startswith("one of ("):
                continue
            missing = [m.name for m in symbol_set.members if m not in produced]
            if not missing:
                continue
            kind = "grade" if symbol_set.kind == "scale" else "member"
            shown = ", ".join(f"`{m}`" for m in missing)
            self.add(
                "lint.unproducible-grade",
                f"`{decision.name}` can never be {shown}: no clause gives " + ("it" if len(missing) == 1 else "them"),
                decision.span,
                f"add clauses for the missing {kind}{'s' if len(missing) > 1 else ''}, or narrow the type "
                f"(`one of (...)`) if the published rule cannot give " + ("it" if len(missing) == 1 else "them"),
            )

    # -- definitions

    def _reachable_definitions(self) -> set[str]:
        used: set[str] = set()
        stack: list[ir.Expr] = []
        for framework in self.frameworks:
            for decision in (*framework.judgements, *framework.checks):
                stack.extend(decision.expressions())
            for example in framework.examples:
                stack.extend(e.value for e in example.expectations if e.value is not None)
        while stack:
            for e in ir.walk(stack.pop()):
                if isinstance(e, ir.DefinitionRef) and e.key not in used:
                    used.add(e.key)
                    definition = self.definitions.get(e.key)
                    if definition is not None:
                        stack.append(definition.value)
        return used

    def unused_definitions(self) -> None:
        used = self._reachable_definitions()
        for key, definition in self.definitions.items():
            if key in used:
                continue
            self.add(
                "lint.unused-definition",
                f"`{definition.name}` is defined but no judgement, check or example uses it",
                definition.span,
                "remove the definition, or use it where it was meant to be used",
            )

    # -- imports

    def unused_imports(self) -> None:
        by_module = {(str(f.root), f.module): f for f in self.loaded.files}
        for file in self.loaded.files:
            used = _used_names(file.tree)
            for item in file.tree.items:
                if isinstance(item, nodes.ImportModule):
                    alias = item.alias or item.path[-1]
                    if alias.text not in used:
                        dotted = ".".join(n.text for n in item.path)
                        self.add(
                            "lint.unused-import",
                            f"the module `{dotted}` is imported but `{alias.text}.` is never used",
                            item.span,
                            "remove the import",
                        )
                elif isinstance(item, nodes.ImportNames):
                    module = file.imports.get(id(item))
                    target = by_module.get((str(file.root), module)) if module is not None else None
                    for name in item.names:
                        if name.text in used:
                            continue
                        members = _members_declared(target, name.text) if target is not None else set()
                        if members & used:
                            continue  # a member used bare, found through this import
                        self.add(
                            "lint.unused-import",
                            f"`{name.text}` is imported but never used",
                            name.span,
                            f"remove `{name.text}` from the import" if len(item.names) > 1 else "remove the import",
                        )

    # -- evidence

    def unread_evidence(self) -> None:
        reads: set[tuple[str, str]] = set()
        used = self._reachable_definitions()
        for framework in self.frameworks:
            exprs: list[ir.Expr] = []
            for decision in (*framework.judgements, *framework.checks):
                exprs.extend(decision.expressions())
            exprs.extend(d.value for k, d in framework.definitions.items() if k in used)
            for root in exprs:
                for e in ir.walk(root):
                    if isinstance(e, ir.EvidenceField):
                        reads.add((framework.evidence.qualname, e.name))
                    elif isinstance(e, ir.GetField) and isinstance(e.target.type, RecordType):
                        reads.add((e.target.type.qualname, e.name))
            if framework.dated_by:
                record: Type = framework.evidence
                for name in framework.dated_by:
                    if not isinstance(record, RecordType):
                        break
                    reads.add((record.qualname, name))
                    record = record.fields[name].type if name in record.fields else record
        spans = _field_spans(self.loaded.files)
        seen: set[str] = set()
        for framework in self.frameworks:
            for record in _records(framework.evidence):
                if record.qualname in seen:
                    continue
                seen.add(record.qualname)
                for name in record.fields:
                    if name == "framework" and record is framework.evidence:
                        continue
                    if (record.qualname, name) in reads:
                        continue
                    where = "the evidence" if record is framework.evidence else f"the record `{record.name}`"
                    burden = "" if record.fields[name].optional else "producers must still supply it; "
                    self.add(
                        "lint.unused-evidence-field",
                        f"no rule reads the field `{name}` of {where}",
                        spans.get((record.qualname, name)),
                        f"{burden}write the rule that needs it, or remove it if nothing will",
                    )

    # -- examples

    def coverage(self) -> None:
        from framework_dsl.examples import run_examples

        clauses = {
            clause.id: (decision, clause)
            for framework in self.frameworks
            for decision in (*framework.judgements, *framework.checks)
            for clause in decision.clauses
        }
        without = [f for f in self.frameworks if not f.examples]
        for framework in without:
            self.add(
                "lint.no-examples",
                f"the framework `{framework.name}` has no examples",
                framework.span,
                'add `example "..." given {...} expect ...` blocks beside the rules; `framework-dsl test` runs them',
            )
        names = [f.name for f in self.frameworks if f.examples]
        if not names:
            return
        report = run_examples(self.rule_set, names)
        for entry in report.coverage:
            if entry.covered or entry.clause_id not in clauses:
                continue
            decision, clause = clauses[entry.clause_id]
            what = "check" if decision.kind == "check" else "judgement"
            self.add(
                "lint.untested-clause",
                f"no example exercises this clause of the {what} `{decision.name}`",
                clause.span,
                "add an example whose evidence makes this clause decide; "
                "`framework-dsl test --coverage` lists every such clause",
            )


def _citation_span(clause: ir.Clause, text: str) -> Span:
    """The words of the citation in the rule file, or the clause where they cannot be found."""
    source = clause.span.source
    at = source.text.find(text, clause.span.start, clause.span.end)
    return Span(source, at, at + len(text)) if at >= 0 else clause.span


def _ranges(parts: tuple[str, ...]) -> str:
    """`1-21`, or the names in order: `4, 5, ..., 20A, 22` shortened where they run in sequence."""
    if all(p.isdigit() for p in parts) and [int(p) for p in parts] == list(range(int(parts[0]), int(parts[-1]) + 1)):
        return f"{parts[0]}-{parts[-1]}"
    return ", ".join(parts)


def _used_names(tree: nodes.RuleFile) -> set[str]:
    """Every name a file's declarations refer to (outside its imports), and quoted member ids."""
    used: set[str] = set()
    stack: list[Any] = [item for item in tree.items if not isinstance(item, nodes.ImportModule | nodes.ImportNames)]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
            continue
        if not attrs.has(type(node)) or isinstance(node, Span):
            continue
        if isinstance(node, nodes.Ref):
            used.add(node.name)
        elif isinstance(node, nodes.QualifiedName) and node.parts:
            used.add(node.parts[0].text)
        elif isinstance(node, nodes.TextLit):
            used.add(node.value)
        for field in attrs.fields(type(node)):
            if field.name not in ("span", "comments"):
                stack.append(getattr(node, field.name))
    return used


def _members_declared(file: LoadedFile, name: str) -> set[str]:
    """The grades, members or outcome a shared module declares under `name`."""
    for item in file.tree.items:
        if isinstance(item, nodes.ScaleDecl) and item.name.text == name:
            return {g.name.text for g in item.grades}
        if isinstance(item, nodes.EnumDecl) and item.name.text == name:
            return {m.name.text for m in item.members}
        if isinstance(item, nodes.OutcomeDecl) and item.name.text == name:
            return {name}
    return set()


def _field_spans(files: Iterable[LoadedFile]) -> dict[tuple[str, str], Span]:
    spans: dict[tuple[str, str], Span] = {}
    for file in files:
        for item in file.tree.items:
            if isinstance(item, nodes.RecordDecl):
                owner = f"{file.module}.{item.name.text}"
            elif isinstance(item, nodes.EvidenceDecl):
                owner = f"{file.module}.evidence"
            else:
                continue
            for field in item.fields:
                spans.setdefault((owner, field.name.text), field.name.span)
    return spans


def _records(t: Type, seen: set[int] | None = None) -> Iterator[RecordType]:
    """Every record reachable from `t`, each once, `t` first."""
    seen = set() if seen is None else seen
    if isinstance(t, RecordType):
        if id(t) in seen:
            return
        seen.add(id(t))
        yield t
        for info in t.fields.values():
            yield from _records(info.type, seen)
    elif isinstance(t, ListOf | SetOf):
        yield from _records(t.element, seen)
    elif isinstance(t, MapOf):
        yield from _records(t.value, seen)
