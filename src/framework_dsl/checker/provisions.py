"""Statutory references -> IR: provisions written in the rules, and `p within "16(3)"`.

A text written where a provision is expected (`b.paragraph within "16(3)"`, a list of
provisions, `b.paragraph = "20(3)"`) must be written as the regulations write one, or it
is a `provisions.invalid` error; `within` takes its type rule from `semantics.operators`.
"""

from __future__ import annotations

from collections.abc import Callable

from framework_dsl import ir, nodes
from framework_dsl.checker.scope import Context, Env, expr_span
from framework_dsl.semantics.operators import Mismatch, Op, resolve_within
from framework_dsl.source import Span
from framework_dsl.typesystem import BOOLEAN, ERROR, PROVISION, ListOf, Type
from framework_dsl.values import parse_provision

PROVISION_HINT = (
    "write it as the regulations do: a regulation number, then each sub-paragraph in brackets, e.g. 16(3)(b)"
)


def provision_literal(ctx: Context, node: nodes.TextLit, span: Span) -> ir.Const:
    """A provision written in the rules, checked now."""
    provision = parse_provision(node.value)
    if provision is None:
        ctx.error("provisions.invalid", f'"{node.value}" is not a provision', span, PROVISION_HINT)
        return ir.Const(value=None, type=ERROR, span=span)
    return ir.Const(value=provision, type=PROVISION, span=span)


def within(
    ctx: Context, check: Callable[[nodes.Expr, Env, Type | None], ir.Expr], node: nodes.Within, env: Env
) -> ir.Expr:
    """`provision within scope`: the scope is a provision or a list of them; `check` types an operand."""
    provision = check(node.provision, env, PROVISION)
    wanted = ListOf(PROVISION) if isinstance(node.scope, nodes.ListLit) else PROVISION
    scope = check(node.scope, env, wanted)
    resolved = resolve_within(provision.type, scope.type)
    if isinstance(resolved, Mismatch):
        ctx.error("types.mismatch", resolved.message, expr_span(node), resolved.hint)
        return ir.Binary(op=Op.WITHIN, left=provision, right=scope, type=BOOLEAN, span=node.span)
    return ir.Binary(op=resolved.op, left=provision, right=scope, type=resolved.type, span=node.span)
