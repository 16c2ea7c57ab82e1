"""The tidy pass over generated code (`pyast.without_single_use_temporaries`): what it folds, what it leaves."""

from __future__ import annotations

import ast
import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from framework_dsl.engine import pyast as P


def _tidied(source: str) -> str:
    (function,) = ast.parse(source).body
    assert isinstance(function, ast.FunctionDef)
    return ast.unparse(P.without_single_use_temporaries(function))


def _body(source: str) -> str:
    return "\n".join(line.strip() for line in _tidied(source).splitlines()[1:])


def test_a_temporary_read_once_by_the_next_statement_becomes_its_value() -> None:
    assert _body("def f(a):\n    v1 = a >= 2\n    if v1:\n        return 1\n    return 0\n") == (
        "if a >= 2:\nreturn 1\nreturn 0"
    )
    assert _body("def f(a):\n    v1 = a[0]\n    v2 = v1 + 1\n    return v2\n") == "return a[0] + 1"
    assert _body("def f(a):\n    v1 = a[0]\n    return h_g(1, v1, a)\n") == "return h_g(1, a[0], a)"


def test_and_and_or_written_as_statements_become_expressions() -> None:
    source = "def f(a, b):\n    v1 = a\n    if v1:\n        v2 = b[0]\n        v1 = v2 >= 2\n    return v1\n"
    assert _body(source) == "return a and b[0] >= 2"
    source = "def f(a, b):\n    v1 = a\n    if not v1:\n        v1 = b\n    if v1:\n        return 1\n    return 0\n"
    assert _body(source) == "if a or b:\nreturn 1\nreturn 0"


def test_temporaries_read_elsewhere_or_bound_again_are_left() -> None:
    twice = "def f(a):\n    v1 = a >= 2\n    if v1:\n        return v1\n    return 0\n"
    assert _tidied(twice) == ast.unparse(ast.parse(twice))
    later = "def f(a):\n    v1 = a[0]\n    v2 = a[1]\n    return v1 + v2\n"  # v2 is read, but not first
    assert _tidied(later) == ast.unparse(ast.parse(later))
    looped = "def f(a):\n    for v1 in a:\n        v2 = v1\n    return v2\n"
    assert _tidied(looped) == ast.unparse(ast.parse(looped))
    attribute = "def f(a):\n    v1 = a[0]\n    return v1.key\n"  # attributes are read from names only
    assert _tidied(attribute) == ast.unparse(ast.parse(attribute))


def test_an_and_whose_left_is_read_past_a_caught_error_is_left() -> None:
    """Folded, `v1` would not be bound when `h_check` raises; the read after the `try` needs it bound."""
    source = (
        "def f(a):\n"
        "    try:\n"
        "        v1 = a\n"
        "        if v1:\n"
        "            v1 = h_check(a)\n"
        "    except h_E as e:\n"
        "        pass\n"
        "    return v1\n"
    )
    assert _tidied(source) == ast.unparse(ast.parse(source))


# ---------------------------------------------------------------- the property


class _Refused(Exception):
    pass


def _check(value: Any) -> Any:
    if value == 0:
        raise _Refused
    return value


_NAMES = ("v1", "v2", "v3")


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> ast.expr:
    leaves = st.sampled_from(["a", "b", *_NAMES]).map(P.name) | st.integers(0, 2).map(P.const)
    if depth >= 2:
        return draw(leaves)
    inner = _expressions(depth + 1)
    kind = draw(st.sampled_from(["leaf", "leaf", "compare", "and", "or", "check", "add", "ifexp"]))
    if kind == "leaf":
        return draw(leaves)
    if kind == "compare":
        op = draw(st.sampled_from([ast.Eq, ast.Lt, ast.GtE]))
        return P.cmp(draw(inner), op(), draw(inner))
    if kind in ("and", "or"):
        return ast.BoolOp(op=ast.And() if kind == "and" else ast.Or(), values=[draw(inner), draw(inner)])
    if kind == "check":
        return ast.Call(func=P.name("h_check"), args=[draw(inner)], keywords=[])
    if kind == "ifexp":
        return ast.IfExp(test=draw(inner), body=draw(inner), orelse=draw(inner))
    return ast.BinOp(left=draw(inner), op=ast.Add(), right=draw(inner))


@st.composite
def _statements(draw: st.DrawFn, depth: int = 0) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["assign", "lazy", "if", "try", "guarded"] if depth < 2 else ["assign", "lazy"]))
        target = draw(st.sampled_from(_NAMES))
        if kind == "assign":
            out.append(P.assign(target, draw(_expressions())))
        elif kind == "lazy":  # how `and` / `or` are generated
            test = P.name(target) if draw(st.booleans()) else P.not_(P.name(target))
            right = draw(_expressions())
            if draw(st.booleans()):  # often one that may raise, so a fold must not leave `target` unbound
                right = ast.Call(func=P.name("h_check"), args=[right], keywords=[])
            out += [P.assign(target, draw(_expressions())), P.if_(test, [P.assign(target, right)])]
        elif kind == "if":
            out.append(P.if_(draw(_expressions()), draw(_statements(depth + 1)), draw(_statements(depth + 1))))
        elif kind == "guarded":  # `and` / `or` whose right side may raise, caught, the code going on
            test = P.name(target) if draw(st.booleans()) else P.not_(P.name(target))
            right = ast.Call(func=P.name("h_check"), args=[draw(_expressions())], keywords=[])
            lazy = [P.assign(target, draw(_expressions())), P.if_(test, [P.assign(target, right)])]
            caught = ast.ExceptHandler(type=P.name("h_E"), name="e", body=[ast.Pass()])
            out.append(ast.Try(body=lazy, handlers=[caught], orelse=[], finalbody=[]))
        else:  # a caught error, after which the code goes on: what was bound before it must stay bound
            handled = draw(st.just([ast.Pass()]) | _statements(depth + 1))
            caught = ast.ExceptHandler(type=P.name("h_E"), name="e", body=handled)
            out.append(ast.Try(body=draw(_statements(depth + 1)), handlers=[caught], orelse=[], finalbody=[]))
    return out


def _every_name() -> ast.expr:
    return P.tuple_([P.name(ident) for ident in _NAMES])


def _run(function: ast.FunctionDef, a: int, b: int) -> tuple[str, Any]:
    module = ast.fix_missing_locations(ast.Module(body=[function], type_ignores=[]))
    namespace: dict[str, Any] = {"h_check": _check, "h_E": _Refused}
    exec(compile(module, "<tidy>", "exec"), namespace)  # a tree built by this test, never text from a user
    try:
        return "returned", namespace["f"](a, b)
    except (_Refused, NameError) as error:  # an unbound local is a NameError
        return "raised", type(error).__name__


@settings(max_examples=300, deadline=None)
@given(
    st.booleans(),
    _statements(),
    _expressions() | st.builds(_every_name),
    st.integers(0, 2),
    st.integers(0, 2),
)
def test_tidying_changes_no_outcome(bound: bool, body: list[ast.stmt], result: ast.expr, a: int, b: int) -> None:
    """On any such function and arguments: the same value returned, or the same error raised.

    The temporaries are sometimes bound first (so that what is returned is every one of them,
    rather than the first one unbound), sometimes not (so that each is bound once)."""
    first = [P.assign(ident, P.const(-1)) for ident in _NAMES] if bound else []
    function = P.function("f", ["a", "b"], [*first, *body, ast.Return(value=result)])
    tidied = P.without_single_use_temporaries(copy.deepcopy(function))
    assert _run(tidied, a, b) == _run(function, a, b), ast.unparse(function)
