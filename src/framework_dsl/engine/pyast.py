"""Building blocks for generated code: Python `ast` nodes, never source text.

Everything the code generators (`engine.codegen`, `evidence_compiler`) emit is built
from these, so every node they make is one the allow-list walk (`engine.safety`) knows.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


def name(ident: str) -> ast.Name:
    """Read the local or parameter `ident`."""
    return ast.Name(id=ident, ctx=ast.Load())


def store(ident: str) -> ast.Name:
    """Assign to the local `ident`."""
    return ast.Name(id=ident, ctx=ast.Store())


def assign(ident: str, value: ast.expr) -> ast.Assign:
    """`ident = value`."""
    return ast.Assign(targets=[store(ident)], value=value)


def attr(value: ast.expr, attribute: str) -> ast.Attribute:
    """`value.attribute` (the allow-list says which attributes)."""
    return ast.Attribute(value=value, attr=attribute, ctx=ast.Load())


def sub(value: ast.expr, key: ast.expr) -> ast.Subscript:
    """`value[key]`."""
    return ast.Subscript(value=value, slice=key, ctx=ast.Load())


def set_item(target: str, key: ast.expr, value: ast.expr) -> ast.Assign:
    """`target[key] = value`."""
    return ast.Assign(targets=[ast.Subscript(value=name(target), slice=key, ctx=ast.Store())], value=value)


def cmp(left: ast.expr, op: ast.cmpop, right: ast.expr) -> ast.Compare:
    """`left OP right`."""
    return ast.Compare(left=left, ops=[op], comparators=[right])


def const(value: Any) -> ast.Constant:
    """A plain constant (text, number, boolean, None, or a tuple of them)."""
    return ast.Constant(value=value)


def if_(test: ast.expr, body: Sequence[ast.stmt], orelse: Sequence[ast.stmt] | None = None) -> ast.If:
    """`if test: body else: orelse`."""
    return ast.If(test=test, body=list(body) or [ast.Pass()], orelse=list(orelse or ()))


def not_(value: ast.expr) -> ast.UnaryOp:
    """`not value`."""
    return ast.UnaryOp(op=ast.Not(), operand=value)


def or_(values: list[ast.expr]) -> ast.expr:
    """`a or b or ...` (just `a` for one)."""
    return values[0] if len(values) == 1 else ast.BoolOp(op=ast.Or(), values=values)


def and_(values: list[ast.expr]) -> ast.expr:
    """`a and b and ...` (just `a` for one)."""
    return values[0] if len(values) == 1 else ast.BoolOp(op=ast.And(), values=values)


def tuple_(items: Sequence[ast.expr]) -> ast.Tuple:
    """`(a, b, ...)`."""
    return ast.Tuple(elts=list(items), ctx=ast.Load())


def list_(items: Sequence[ast.expr] = ()) -> ast.List:
    """`[a, b, ...]`."""
    return ast.List(elts=list(items), ctx=ast.Load())


def append(ident: str, value: ast.expr, *, as_tuple: bool = False) -> ast.AugAssign:
    """`ident += [value]` (or `+= (value,)`): appending without calling a method."""
    items: ast.expr = tuple_([value]) if as_tuple else list_([value])
    return ast.AugAssign(target=store(ident), op=ast.Add(), value=items)


def function(ident: str, params: Sequence[str], body: list[ast.stmt]) -> ast.FunctionDef:
    """`def ident(params): body`, positional parameters only."""
    return ast.FunctionDef(
        name=ident,
        args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg=p) for p in params], kwonlyargs=[], kw_defaults=[], defaults=[]
        ),
        body=body or [ast.Pass()],
        decorator_list=[],
        returns=None,
    )


COMPARE_OPS: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq,
    "!=": ast.NotEq,
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
    "in": ast.In,
    "not in": ast.NotIn,
}


def walk(nodes: Iterable[Any]) -> Iterator[ast.AST]:
    """Every node under `nodes`, each once, in no particular order.

    An explicit stack over each node's fields: `ast.walk` is several times slower, and
    the allow-list walk (`engine.safety`) and the fused function's passes
    (`engine.fusion`) go over every generated module with it.
    """
    stack: list[ast.AST] = [node for node in nodes if isinstance(node, ast.AST)]
    while stack:
        node = stack.pop()
        yield node
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append(value)
