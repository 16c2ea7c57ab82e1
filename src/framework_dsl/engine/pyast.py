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


class Census:
    """How often each name is bound and read in some statements, and which are changed in place."""

    def __init__(self, statements: list[Any]) -> None:
        self.stores: dict[str, int] = {}
        self.loads: dict[str, int] = {}
        self.mutated: set[str] = set()  # `x[k] = ...`, `x[k] += ...`
        stores, loads = self.stores, self.loads
        for node in walk(statements):
            kind = type(node)
            if kind is ast.Name:
                counts = loads if type(node.ctx) is ast.Load else stores  # type: ignore[attr-defined]
                counts[node.id] = counts.get(node.id, 0) + 1  # type: ignore[attr-defined]
            elif kind is ast.AugAssign or kind is ast.For:
                target = node.target  # type: ignore[attr-defined]
                if type(target) is ast.Name:  # bound again, on each pass; an augmented assignment reads it too
                    stores[target.id] = stores.get(target.id, 0) + 1
                    loads[target.id] = loads.get(target.id, 0) + (kind is ast.AugAssign)
            elif kind is ast.ExceptHandler and node.name:  # type: ignore[attr-defined]
                stores[node.name] = stores.get(node.name, 0) + 2  # type: ignore[attr-defined]
            elif kind is ast.Subscript and type(node.ctx) is ast.Store and type(node.value) is ast.Name:  # type: ignore[attr-defined]
                self.mutated.add(node.value.id)  # type: ignore[attr-defined]


def without_single_use_temporaries(function: ast.FunctionDef) -> ast.FunctionDef:
    """`function` with its temporaries that are bound once and read once, by the very next
    statement, replaced by their values; changed in place and returned.

    The generators give every value a local of its own (`v0`, `v1`, ...), and a value read
    only by the next statement costs a store and a load in every call for nothing:

    - `v1 = a >= 2` then `if v1:` (or `x = v1`, `return v1`, or `v1` as the first operand
      of those) becomes `if a >= 2:`;
    - `v1 = a` then `if v1: v1 = b` (how `and` is generated) becomes `v1 = a and b`, and
      `if not v1: v1 = b` (`or`) becomes `v1 = a or b`.

    Each is the same computation: the value is computed at the same point, in the same
    `try`, and what is tested is the same value (Python's `and` and `or` give an operand,
    as the statements did). Names bound or read anywhere else (another statement, a loop,
    a handler, a function inside this one) are left alone. Inner blocks are tidied before
    the statements that hold them, and the counts are kept as names fold, so chains fold
    in one pass: `v1 = a; if v1: v2 = b; v1 = v2 >= 2` becomes `v1 = a and b >= 2`.
    """
    census = Census([function])
    _tidy_block(function.body, census.stores, census.loads)
    return function


def _tidy_block(statements: list[ast.stmt], stores: dict[str, int], loads: dict[str, int]) -> None:
    """`without_single_use_temporaries` on one list of statements, its inner blocks first."""
    for statement in statements:
        for block in _inner_blocks(statement):
            _tidy_block(block, stores, loads)
    if len(statements) < 2:
        return
    reads: list[dict[str, int]] | None = None  # of each statement, counted when first needed
    kept: list[ast.stmt] = []
    for index, statement in enumerate(statements):
        previous = kept[-1] if kept else None
        ident = _bound(previous)
        if ident is None or not isinstance(previous, ast.Assign):
            kept.append(statement)
            continue
        once = stores.get(ident) == 1 and loads.get(ident) == 1
        slot = _first_read(statement, ident) if once else None
        if slot is not None:  # `ident = x` then `... ident ...`: `... x ...`
            holder, field, at = slot
            if at is None:
                setattr(holder, field, previous.value)
            else:
                getattr(holder, field)[at] = previous.value
            kept[-1] = statement
            stores[ident] -= 1
            loads[ident] -= 1
        elif _lazy(statement, ident):
            # Folded, `ident` is not bound at all when `b` raises, where it was bound to `a`:
            # so every other read of it must come after, in these statements (which a raise
            # leaves). The statements after this one are as they were when counted.
            if reads is None:
                reads = [Census([later]).loads for later in statements]
            if 1 + sum(later.get(ident, 0) for later in reads[index + 1 :]) != loads.get(ident):
                kept.append(statement)
                continue
            assert isinstance(statement, ast.If) and isinstance(statement.body[0], ast.Assign)
            negated = isinstance(statement.test, ast.UnaryOp)
            op: ast.boolop = ast.Or() if negated else ast.And()
            previous.value = ast.BoolOp(op=op, values=[previous.value, statement.body[0].value])
            stores[ident] -= 1  # the `if` is gone; `previous` binds the whole
            loads[ident] -= 1
        else:
            kept.append(statement)
    statements[:] = kept


def _inner_blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The lists of statements directly inside `statement` (not inside a function in it)."""
    if isinstance(statement, ast.FunctionDef):
        return
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if type(block) is list and block:
            yield block
    if isinstance(statement, ast.Try):
        for handler in statement.handlers:
            yield handler.body


def _bound(statement: ast.stmt | None) -> str | None:
    """The local `statement` assigns, if it is `ident = value`."""
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return None
    target = statement.targets[0]
    return target.id if isinstance(target, ast.Name) else None


def _lazy(statement: ast.stmt, ident: str) -> bool:
    """Whether `statement` is `if ident: ident = b` (or `if not ident: ...`), `b` not reading `ident`."""
    if not (isinstance(statement, ast.If) and not statement.orelse and len(statement.body) == 1):
        return False
    test, then = statement.test, statement.body[0]
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test = test.operand
    return (
        isinstance(test, ast.Name)
        and test.id == ident
        and _bound(then) == ident
        and isinstance(then, ast.Assign)
        and ident not in Census([then.value]).loads
    )


# Where each kind of expression evaluates its first operand: (field, index or None). Not
# an attribute's: the allow-list reads attributes only from names (`safety`).
_FIRST_OPERAND: dict[type[ast.AST], tuple[str, int | None]] = {
    ast.Compare: ("left", None),
    ast.BinOp: ("left", None),
    ast.BoolOp: ("values", 0),
    ast.UnaryOp: ("operand", None),
    ast.Subscript: ("value", None),
    ast.IfExp: ("test", None),
}


def _first_read(statement: ast.stmt, ident: str) -> tuple[Any, str, int | None] | None:
    """(node, field, index) of the read of `ident` that `statement` evaluates before anything
    else but constants (an `if`'s test, an assignment's or `return`'s value, or the first
    operand of one, and so on down); None when what it evaluates first is not that read."""
    holder: Any
    if type(statement) is ast.If:
        holder, field, at = statement, "test", None
    elif type(statement) is ast.Assign or type(statement) is ast.Return:
        holder, field, at = statement, "value", None
    else:
        return None
    while True:
        node = getattr(holder, field) if at is None else getattr(holder, field)[at]
        kind = type(node)
        if kind is ast.Name:
            return (holder, field, at) if node.id == ident else None
        first = _FIRST_OPERAND.get(kind)
        if first is not None:
            holder, (field, at) = node, first
            continue
        if kind is ast.Call or kind is ast.Tuple or kind is ast.List:
            # A call's function is a helper's name (a plain read); then its arguments, in order.
            items = node.args if kind is ast.Call else node.elts
            leading = next((i for i, item in enumerate(items) if type(item) is not ast.Constant), None)
            if leading is None:
                return None
            holder, field, at = node, "args" if kind is ast.Call else "elts", leading
            continue
        return None


def continues(statements: list[ast.stmt]) -> bool:
    """Whether a `continue` in `statements` belongs to the loop they are the body of (not to a loop inside)."""
    stack: list[ast.AST] = list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Continue):
            return True
        if not isinstance(node, ast.For | ast.While):  # an inner loop's `continue` is its own
            stack.extend(
                child for child in ast.iter_child_nodes(node) if isinstance(child, ast.stmt | ast.excepthandler)
            )
    return False
