"""Declared properties -> IR: `invariant` conditions typed like clause conditions, and
`monotonic` declarations resolved to a judgement on a scale and an evidence input that
can move (`framework-dsl verify` checks both)."""

from __future__ import annotations

from framework_dsl import ir, nodes
from framework_dsl.checker.expressions import ExpressionChecker
from framework_dsl.checker.scope import Context, DecisionEntity, Env, FileScope, LocalName, listing
from framework_dsl.diagnostics import Label, did_you_mean
from framework_dsl.source import Span
from framework_dsl.typesystem import (
    BOOLEAN,
    DECIMAL,
    ERROR,
    INTEGER,
    Choice,
    ListOf,
    MapOf,
    RecordType,
    SetOf,
    Type,
    element_type,
)

# The words a monotonic declaration moves by, and what each means.
MOVES: dict[str, str] = {
    "improves": "better",
    "improve": "better",
    "worsens": "worse",
    "worsen": "worse",
    "rises": "more",
    "rise": "more",
    "falls": "less",
    "fall": "less",
    "grows": "grows",
    "grow": "grows",
}
_ON_A_SCALE = ("improves", "worsens")
_FOR_A_NUMBER = ("rises", "falls")


class PropertyChecker:
    """Checks the `invariant` and `monotonic` declarations of a framework file."""

    def __init__(self, ctx: Context, expressions: ExpressionChecker) -> None:
        self.ctx = ctx
        self.expressions = expressions

    def check(self, scope: FileScope, items: tuple[nodes.Decl, ...]) -> tuple[ir.Property, ...]:
        """Every property of the file, in order; a name used twice is reported."""
        found: list[ir.Property] = []
        seen: dict[str, nodes.Name] = {}
        for item in items:
            if not isinstance(item, nodes.InvariantDecl | nodes.MonotonicDecl):
                continue
            first = seen.get(item.name.text)
            if first is not None:
                self.ctx.error(
                    "names.duplicate",
                    f"the property `{item.name.text}` is declared twice",
                    item.name.span,
                    "give each invariant and monotonic declaration its own name",
                    labels=(Label(first.span, "first declared here"),),
                )
                continue
            seen[item.name.text] = item.name
            built: ir.Property | None
            if isinstance(item, nodes.InvariantDecl):
                built = self.invariant(scope, item)
            else:
                built = self.monotonic(scope, item)
            if built is not None:
                found.append(built)
        return tuple(found)

    def invariant(self, scope: FileScope, decl: nodes.InvariantDecl) -> ir.Invariant:
        env = Env(scope, {}, None)
        for_var = None
        for_source = None
        if decl.for_each is not None:
            for_source = self.expressions.expr(decl.for_each.source, env, None)
            item_type = element_type(for_source.type)
            if item_type is None:
                self.ctx.error(
                    "types.mismatch",
                    f"`for each` needs a list, but this is {for_source.type.display()}",
                    decl.for_each.source.span,
                )
                item_type = ERROR
            for_var = decl.for_each.var.text
            env.locals[for_var] = item_type
            env.local_spans[for_var] = decl.for_each.var.span
            self.ctx.refer(decl.for_each.var.span, LocalName(for_var, item_type, decl.for_each.var.span))
            env.for_each = decl.for_each.source
        condition = self.expressions.expr(decl.condition, env, BOOLEAN)
        self.expressions.expect(condition, BOOLEAN, decl.condition, "an invariant")
        guard = None
        if decl.guard is not None:
            guard = self.expressions.expr(decl.guard, env, BOOLEAN)
            self.expressions.expect(guard, BOOLEAN, decl.guard, "the condition after `when`")
        return ir.Invariant(
            name=decl.name.text,
            for_each_var=for_var,
            for_each_source=for_source,
            condition=condition,
            guard=guard,
            reason=decl.reason.raw if decl.reason is not None else None,
            citation=decl.citation.value if decl.citation is not None else None,
            location=f"{decl.span.source.path}:{decl.span.line}",
            span=decl.name.span,
        )

    def monotonic(self, scope: FileScope, decl: nodes.MonotonicDecl) -> ir.Monotonic | None:
        name = decl.judgement.text
        entity = scope.decisions.get(name)
        if not isinstance(entity, DecisionEntity):
            self.ctx.error(
                "names.unknown",
                f"there is no judgement `{name}` to be monotonic",
                decl.judgement.span,
                did_you_mean(name, list(scope.decisions)) or listing("the judgements are", list(scope.decisions)),
            )
            return None
        self.ctx.refer(decl.judgement.span, entity)
        ok = True
        outcome = entity.outcome_type
        if entity.decl.for_each is not None or entity.collect:
            self.ctx.error(
                "properties.cannot-move",
                f"`{name}` gives one outcome for each item, so it cannot rise or fall as a whole",
                decl.judgement.span,
                "declare the property of a judgement made once per document, or write an invariant with `all`",
            )
            ok = False
        elif not (isinstance(outcome, Choice) and any(m.ordered for m in outcome.members)):
            self.ctx.error(
                "properties.cannot-move",
                f"`{name}` gives {outcome.display()}, which is not on a scale, so it cannot improve or worsen",
                decl.judgement.span,
                "monotonic declarations are for judgements graded on a scale",
            )
            ok = False
        moves = self._word(decl.moves, _ON_A_SCALE, "a judgement on a scale")
        input_type = self._input(scope, decl.input)
        input_moves: str | None = None
        if input_type is not None:
            if isinstance(input_type, Choice) and any(m.ordered for m in input_type.members):
                input_moves = self._word(decl.input_moves, _ON_A_SCALE, "a field on a scale")
            elif input_type in (INTEGER, DECIMAL):
                input_moves = self._word(decl.input_moves, _FOR_A_NUMBER, "a number")
            elif isinstance(input_type, ListOf | SetOf):
                input_moves = self._word(decl.input_moves, ("grows",), "a list or set")
            else:
                self.ctx.error(
                    "properties.cannot-move",
                    f"`{_path(decl.input)}` is {input_type.display()}, which cannot improve, rise or grow",
                    _path_span(decl.input),
                    "name a field on a scale, a number, or a list or set (which grows by an item)",
                )
        if not ok or moves is None or input_type is None or input_moves is None:
            return None
        return ir.Monotonic(
            name=decl.name.text,
            judgement=entity.key,
            judgement_name=name,
            moves=moves,
            path=tuple(n.text for n in decl.input),
            input_type=input_type,
            input_moves=input_moves,
            reason=decl.reason.raw if decl.reason is not None else None,
            citation=decl.citation.value if decl.citation is not None else None,
            location=f"{decl.span.source.path}:{decl.span.line}",
            span=decl.name.span,
        )

    def _word(self, word: nodes.Name, allowed: tuple[str, ...], what: str) -> str | None:
        meaning = MOVES.get(word.text)
        if meaning is not None and any(MOVES[a] == meaning for a in allowed):
            return meaning
        known = " or ".join(f"`{a}`" for a in allowed)
        hint = did_you_mean(word.text, list(allowed)) if meaning is None else None
        self.ctx.error(
            "properties.cannot-move",
            f"`{word.text}` is not how {what} moves: it {'' if len(allowed) == 1 else 'either '}{known}",
            word.span,
            hint or f"write {known}",
        )
        return None

    def _input(self, scope: FileScope, path: tuple[nodes.Name, ...]) -> Type | None:
        """The type at the end of an evidence path; through a map or list, each of its values."""
        current: Type = scope.names["__evidence__"]
        for name in path:
            selected = False
            while isinstance(current, MapOf | ListOf | SetOf):
                if isinstance(current, MapOf):
                    selected = current.key.member(name.text) is not None
                    current = current.value
                    if selected:
                        break
                else:
                    current = current.element
            if selected:
                continue
            if not isinstance(current, RecordType) or name.text not in current.fields:
                fields = list(current.fields) if isinstance(current, RecordType) else []
                self.ctx.error(
                    "names.unknown",
                    f"there is no evidence field `{name.text}` at `{_path(path)}`",
                    name.span,
                    did_you_mean(name.text, fields) or listing("the fields here are", fields),
                )
                return None
            current = current.fields[name.text].type
        return current


def _path(path: tuple[nodes.Name, ...]) -> str:
    return ".".join(n.text for n in path)


def _path_span(path: tuple[nodes.Name, ...]) -> Span:
    first, last = path[0].span, path[-1].span
    return Span(first.source, first.start, last.end)
