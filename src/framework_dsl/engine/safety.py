"""What keeps generated code safe: the allow-list walk, and the one place a module becomes functions.

No text from a rule file or an evidence document ever becomes code:

- generated modules are built from `ast` nodes directly (`engine.pyast`); nothing is
  parsed, and nothing built from rule text is passed to `eval` or `exec`;
- every identifier is made by the generator (`v0`, `k0`, the fixed parameter names,
  `h_` + a key of the helper table); rule literals (grade names, reasons, field names,
  numbers) enter only as `ast.Constant`, or as constants the loaded code reads as `k0`, ...;
- the only calls are to the helper table; the only attribute reads are the names in
  `ALLOWED_ATTRIBUTES`, on names; there are no imports, no dunder names and no builtins
  (the code runs with an empty `__builtins__`);
- `check_generated` walks every module before it is compiled (`compile_checked` is the
  only way to code) and rejects any node type outside `ALLOWED_NODE_TYPES`; the test
  suite runs it over every bundled framework's modules too;
- code compiled so is loaded by `load_code`, fresh or after being stored (the wheel's
  bundle, the signed per-user cache), which first checks the code objects themselves
  (`check_code`): the factory `m` and its functions, no name but the generator's, no
  global but a helper or a constant (read, never written), no attribute but the allowed
  ones, no constant but plain values.
"""

from __future__ import annotations

import ast
import dis
import marshal
import re
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from framework_dsl.engine.pyast import continues, walk

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_NODE_TYPES",
    "UnsafeCodeError",
    "check_code",
    "check_generated",
    "compile_checked",
    "load_code",
]

ALLOWED_NODE_TYPES: frozenset[type[ast.AST]] = frozenset(
    {
        # structure
        ast.Module,
        ast.FunctionDef,
        ast.arguments,
        ast.arg,
        ast.Return,
        ast.Assign,
        ast.AugAssign,
        ast.If,
        ast.For,
        ast.While,  # `while True: ...; break` only: a body run once (`_check_while`)
        ast.Break,
        ast.Continue,
        ast.Pass,
        ast.Try,
        ast.ExceptHandler,
        # expressions
        ast.Name,
        ast.Load,
        ast.Store,
        ast.Constant,
        ast.Attribute,
        ast.Subscript,
        ast.Call,
        ast.Compare,
        ast.BoolOp,
        ast.UnaryOp,
        ast.BinOp,
        ast.IfExp,
        ast.Tuple,
        ast.List,
        ast.Dict,
        ast.JoinedStr,
        ast.FormattedValue,
        # operators
        ast.And,
        ast.Or,
        ast.Not,
        ast.Add,
        ast.Sub,
        ast.Eq,
        ast.NotEq,
        ast.Lt,
        ast.LtE,
        ast.Gt,
        ast.GtE,
        ast.Is,
        ast.IsNot,
        ast.In,
        ast.NotIn,
    }
)

# Attribute names generated code may read: evidence records' and maps' (`fields`, `raw`,
# `entries`, `pointer`) and symbols' (`key`, `rank`, `display`); the evaluation state is
# a tuple, read by index. Nothing may be assigned, and no method is ever called.
ALLOWED_ATTRIBUTES: frozenset[str] = frozenset({"fields", "raw", "entries", "pointer", "key", "rank", "display"})

# Fixed parameter and local names: s = evaluation state, r = reads of the current decision
# or definition, i / n / p = the current item, its index and its pointer, F / R / A = the
# root's fields, the root's raw JSON and the evaluation date, t = the current condition's
# steps and T = the decision's trace entries (when tracing), e = a caught evaluation error,
# m = the module's factory, d / j / q = definition, decision and for-each source.
FIXED_NAMES = frozenset({"s", "r", "i", "n", "p", "F", "R", "A", "t", "T", "e", "m", "d", "j", "q"})
_GENERATED_NAME = re.compile(r"^[vk][0-9]+$")
_CONSTANT_NAME = re.compile(r"^k[0-9]+$")
CONSTANT_TYPES = (str, int, bool, type(None))


class UnsafeCodeError(Exception):
    """A generated module holds a construct outside the allow-lists (a generator bug)."""


def compile_checked(tree: ast.Module, label: str, helpers: Mapping[str, Any]) -> types.CodeType:
    """`tree`'s code, compiled once the allow-list walk passes (else `UnsafeCodeError`)."""
    _check(tree, helpers, locate=True)
    return compile(tree, f"<framework-dsl {label}>", "exec")


def load_code(code: bytes, helpers: Mapping[str, Any], used: Sequence[str], constants: Sequence[Any]) -> Any:
    """Code compiled by `compile_checked` (as `marshal` bytes, fresh or stored), checked
    (`check_code`), run, and its factory `m` called: `m()` returns the generated function(s).

    The code runs in a namespace of its own, made here for this one program: no builtins,
    the helpers it uses as `h_<key>` and its constants as `k0`, `k1`, ..., which its
    functions read as globals and never write (`check_code`).

    Raises `UnsafeCodeError` when the bytes are not such code, or `used` names a helper
    the table does not have.
    """
    try:
        loaded = marshal.loads(code)
    except (EOFError, ValueError, TypeError) as error:
        raise UnsafeCodeError(f"stored code does not load: {error}") from None
    if type(loaded) is not types.CodeType:
        raise UnsafeCodeError("stored code is not a code object")
    check_code(loaded, helpers)
    if any(key not in helpers for key in used):
        raise UnsafeCodeError("stored code takes a helper the table does not have")
    namespace: dict[str, Any] = {"__builtins__": {}}
    namespace.update((f"h_{key}", helpers[key]) for key in used)
    namespace.update((f"k{index}", constant) for index, constant in enumerate(constants))
    exec(loaded, namespace)  # a code object compiled from a checked tree (`compile_checked`), never text
    return namespace["m"]()


# Constants a stored code object may hold besides `CONSTANT_TYPES` and code: what the
# compiler folds the allowed constants into (`x in ("a", "b")` holds a frozenset).
_FOLDED_TYPES = (tuple, frozenset)


def check_code(code: types.CodeType, helpers: Mapping[str, Any]) -> None:
    """Check a code object read back from storage, as `_check` checks a tree before it is compiled.

    The module code defines `m` and nothing else; `m` and every function in it read no
    global but a helper (`h_<key>`) or a constant (`k0`, ...) and no attribute outside
    `ALLOWED_ATTRIBUTES`, write no global and import nothing, name nothing the generator
    does not make (its locals, parameters and closure cells), and hold only plain
    constants. Raises `UnsafeCodeError` otherwise.
    """
    factories = [const for const in code.co_consts if type(const) is types.CodeType]
    if code.co_names != ("m",) or len(factories) != 1 or factories[0].co_name != "m":
        raise UnsafeCodeError("stored code defines exactly one factory function `m`")
    for const in code.co_consts:
        if type(const) is not types.CodeType and not _constant_ok(const, _FOLDED_TYPES):
            raise UnsafeCodeError(f"stored code holds a constant of type {type(const).__name__}")
    stack = factories
    while stack:
        function = stack.pop()
        _check_name(function.co_name, helpers)
        for name in function.co_names:  # globals and attributes: the helpers, constants and allowed attributes
            if name not in ALLOWED_ATTRIBUTES and not _global_ok(name, helpers):
                raise UnsafeCodeError(f"stored code reads `{name}`, which is not allowed")
        opcodes = function.co_code[0::2]  # one (opcode, argument) pair of bytes an instruction
        for opcode in _WRITES_NAMES:
            if opcode in opcodes:
                raise UnsafeCodeError(f"stored code uses {dis.opname[opcode]}, which is not allowed")
        for name in (*function.co_varnames, *function.co_cellvars, *function.co_freevars):
            _check_name(name, helpers)
        for const in function.co_consts:
            if type(const) is types.CodeType:
                stack.append(const)
            elif not _constant_ok(const, _FOLDED_TYPES):
                raise UnsafeCodeError(f"stored code holds a constant of type {type(const).__name__}")


def _global_ok(name: str, helpers: Mapping[str, Any]) -> bool:
    """A global generated code may read: a helper of the table, or one of the program's constants."""
    return (name.startswith("h_") and name[2:] in helpers) or _CONSTANT_NAME.match(name) is not None


# What no generated function does: write, delete or import a name by name (its globals
# are its program's helpers and constants, read only; its own names are fast locals and cells).
_WRITES_NAMES = tuple(
    dis.opmap[name]
    for name in ("STORE_GLOBAL", "DELETE_GLOBAL", "STORE_NAME", "DELETE_NAME", "IMPORT_NAME", "IMPORT_FROM")
)


def check_generated(module: ast.Module, helpers: Mapping[str, Any]) -> None:
    """Walk a generated module; raise `UnsafeCodeError` on anything outside the allow-lists.

    Node types must be in `ALLOWED_NODE_TYPES`; names must be ones the generator makes and
    never dunder; attributes must be in `ALLOWED_ATTRIBUTES`, read from a name; calls must
    be to a helper by name, with positional arguments only; constants must be plain values;
    an `except` catches only the evaluation error, as `e`.
    """
    _check(module, helpers, locate=False)


def _check(module: ast.Module, helpers: Mapping[str, Any], *, locate: bool) -> None:
    if not (
        isinstance(module, ast.Module)
        and len(module.body) == 1
        and isinstance(module.body[0], ast.FunctionDef)
        and module.body[0].name == "m"
    ):
        raise UnsafeCodeError("a generated module holds exactly one factory function `m`")
    for node in walk([module]):
        kind = type(node)
        if kind not in ALLOWED_NODE_TYPES:
            raise UnsafeCodeError(f"node type {kind.__name__} is not allowed")
        if locate and "lineno" in node._attributes:
            node.lineno = node.end_lineno = 1  # type: ignore[attr-defined]
            node.col_offset = node.end_col_offset = 0  # type: ignore[attr-defined]
        if kind is ast.Name:
            _check_name(node.id, helpers)  # type: ignore[attr-defined]
        else:
            check = _NODE_CHECKS.get(kind)
            if check is not None:
                check(node, helpers)


def _check_arg(node: Any, helpers: Mapping[str, Any]) -> None:
    _check_name(node.arg, helpers)
    if node.annotation is not None:
        raise UnsafeCodeError("annotations are not allowed")


def _check_function(node: Any, helpers: Mapping[str, Any]) -> None:
    _check_name(node.name, helpers)
    if node.decorator_list or node.returns is not None:
        raise UnsafeCodeError("decorators and annotations are not allowed")


def _check_arguments(node: Any, helpers: Mapping[str, Any]) -> None:
    if node.vararg or node.kwarg or node.kwonlyargs or node.defaults or node.kw_defaults or node.posonlyargs:
        raise UnsafeCodeError("only plain positional parameters are allowed")


def _check_attribute(node: Any, helpers: Mapping[str, Any]) -> None:
    if node.attr not in ALLOWED_ATTRIBUTES or not isinstance(node.value, ast.Name):
        raise UnsafeCodeError(f"attribute `{node.attr}` is not allowed")
    if not isinstance(node.ctx, ast.Load):
        raise UnsafeCodeError("attributes may only be read")


def _check_call(node: Any, helpers: Mapping[str, Any]) -> None:
    if not (isinstance(node.func, ast.Name) and node.func.id.startswith("h_")) or node.keywords:
        raise UnsafeCodeError("calls go to a helper by name, with positional arguments")


def _check_subscript(node: Any, helpers: Mapping[str, Any]) -> None:
    if isinstance(node.slice, ast.Slice):  # pragma: no cover - Slice is not an allowed node type
        raise UnsafeCodeError("slices are not allowed")


def _check_display(node: Any, helpers: Mapping[str, Any]) -> None:
    if isinstance(getattr(node, "ctx", None), ast.Store):
        raise UnsafeCodeError("unpacking assignments are not allowed")
    if isinstance(node, ast.Dict) and not all(
        isinstance(key, ast.Constant) and type(key.value) is str for key in node.keys
    ):
        raise UnsafeCodeError("dict displays take only text constants as keys (no `**` unpacking)")


def _constant_ok(value: Any, containers: tuple[type, ...] = (tuple,)) -> bool:
    """A plain constant: text, a number, a truth value, None, or `containers` of them."""
    if type(value) in CONSTANT_TYPES:
        return True
    if type(value) in containers:
        return all(_constant_ok(v, containers) for v in value)
    return False


def _check_constant(node: Any, helpers: Mapping[str, Any]) -> None:
    if not _constant_ok(node.value):
        raise UnsafeCodeError(f"constant of type {type(node.value).__name__} is not allowed")


# What an `except` may catch: the table's `E` (the decisions' evaluation error; a validator's
# refused lookups), and in a fused function (`engine.fusion`) the validator's, prefixed.
_CAUGHT = frozenset({"h_E", "h_ev_E"})


def _check_handler(node: Any, helpers: Mapping[str, Any]) -> None:
    if not (isinstance(node.type, ast.Name) and node.type.id in _CAUGHT) or node.name not in (None, "e"):
        raise UnsafeCodeError("only the evaluation error may be caught, as `e`")


def _check_formatted(node: Any, helpers: Mapping[str, Any]) -> None:
    if node.format_spec is not None or node.conversion != -1:
        raise UnsafeCodeError("formatted values take no format or conversion")


def _check_while(node: Any, helpers: Mapping[str, Any]) -> None:
    """`while True:` whose body ends in `break` and holds no `continue` of its own: it runs once."""
    if not (
        type(node.test) is ast.Constant
        and node.test.value is True
        and not node.orelse
        and node.body
        and type(node.body[-1]) is ast.Break
    ):
        raise UnsafeCodeError("a `while` loop is `while True:` with a body that ends in `break`")
    if continues(node.body):
        raise UnsafeCodeError("a `while True:` loop holds no `continue` of its own")


def _check_binop(node: Any, helpers: Mapping[str, Any]) -> None:
    if not isinstance(node.op, ast.Add):
        raise UnsafeCodeError("only `+` is allowed (joining texts and pointers)")


# What each node type must satisfy beyond being allowed at all (keyed by exact type).
_NODE_CHECKS: dict[type[ast.AST], Callable[[Any, Mapping[str, Any]], None]] = {
    ast.arg: _check_arg,
    ast.FunctionDef: _check_function,
    ast.arguments: _check_arguments,
    ast.While: _check_while,
    ast.Attribute: _check_attribute,
    ast.Call: _check_call,
    ast.Subscript: _check_subscript,
    ast.Dict: _check_display,
    ast.List: _check_display,
    ast.Tuple: _check_display,
    ast.Constant: _check_constant,
    ast.ExceptHandler: _check_handler,
    ast.BinOp: _check_binop,
    ast.FormattedValue: _check_formatted,
}


def _check_name(ident: str, helpers: Mapping[str, Any]) -> None:
    if "__" in ident:
        raise UnsafeCodeError(f"dunder name `{ident}` is not allowed")
    if ident in FIXED_NAMES or _GENERATED_NAME.match(ident):
        return
    if ident.startswith("h_") and ident[2:] in helpers:
        return
    raise UnsafeCodeError(f"name `{ident}` is not one the generator makes")
