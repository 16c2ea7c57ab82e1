"""The compile stage for evidence: a framework's schema -> one function that accepts valid documents fast.

Most evidence is valid. `evidence.validate` is the reference: it walks the schema
value by value, collecting a problem with pointer, expected and found for every
mismatch. The compiled validator makes the same type tests inline, in one generated
function per framework, and builds the same converted values (`RecordValue`,
`PointedList`, `MapValue`, symbols, dates, decimals) — but it reports nothing. On the
first thing it does not accept (a wrong type, a missing field, an unknown key, a text
or list beyond a limit, a repeated set item) it returns None, and the caller runs the
reference validator, which finds every problem and words the diagnostics. So the fast
path never accepts what the reference refuses, and every diagnostic still comes from
one place. `tests/unit/test_evidence_compiler.py` checks both halves on generated and
mutated documents for every bundled framework.

One difference of form, for speed: a record held in a field of a record is built as the
pair `(fields, raw)`, not as a `RecordValue` (whose construction cost as much as the rest
of a small document's validation). The generated decisions (`engine.codegen`) read such a
pair where the rules read its fields, and make the `RecordValue` only where the rules use
the record itself. The root comes as such a pair too (`CompiledValidator.accept`;
calling the validator makes its record); list items and map entries stay `RecordValue`s.
`compiled_form` turns `validate`'s reading into this form, for a document only the
reference validator accepted.

A schema it cannot handle (free-form `any` values, a record that contains itself)
compiles to nothing, and that framework always uses the reference validator. Nesting
is bounded by the schema, so the depth limit is settled once: a call with a smaller
`max_depth` than the schema reaches goes to the reference validator too.

The generated code follows the safety rules of `engine.safety`: `ast` nodes built here,
identifiers made here, rule text only as constants, calls only to the fixed helper
table `_HELPERS`, and the same allow-list walk before anything is compiled.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from framework_dsl import ir
from framework_dsl.engine.builder import ModuleBuilder
from framework_dsl.engine.pyast import assign as _assign
from framework_dsl.engine.pyast import cmp as _cmp
from framework_dsl.engine.pyast import const as _const
from framework_dsl.engine.pyast import if_ as _if
from framework_dsl.engine.pyast import name as _name
from framework_dsl.engine.pyast import not_ as _not
from framework_dsl.engine.pyast import or_ as _or
from framework_dsl.engine.pyast import store as _store
from framework_dsl.engine.pyast import sub as _sub
from framework_dsl.evidence import (
    Limits,
    MapValue,
    PointedList,
    RecordValue,
    echo_set_in_order,
    escape_pointer,
    parse_date,
    whole_number,
)
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    INTEGER,
    PROVISION,
    TEXT,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Symbol,
    Type,
)
from framework_dsl.values import parse_provision

__all__ = [
    "CompiledValidator",
    "compile_validator",
    "compiled_form",
    "generate_validator",
    "helpers",
    "map_builder",
    "record_builder",
]


class CompiledValidator:
    """A framework's compiled evidence validator. Immutable; threads may share it."""

    __slots__ = ("accept", "depth", "module")

    def __init__(
        self,
        accept: Callable[[Any, int, int], tuple[dict[str, Any], dict[str, Any]] | None],
        depth: int,
        module: ast.Module,
    ) -> None:
        # accept(data, max_text, max_items): what `__call__` runs once the depth allows it,
        # giving the root's (fields, raw) pair, or None.
        self.accept = accept
        self.depth = depth  # the deepest nesting the schema reaches (root = 0)
        self.module = module  # the generated module, as checked against the allow-lists

    def __call__(self, data: Any, limits: Limits) -> RecordValue | None:
        """The validated document, as `compiled_form` of what `validate` gives; None when only `validate` can say.

        None means "not accepted here": the document may be invalid, or beyond what the
        fast path handles. Either way the caller runs `evidence.validate`.
        """
        if limits.max_depth < self.depth:
            return None
        root = self.accept(data, limits.max_text, limits.max_items)
        return None if root is None else record_builder("", *root)


class _Unsupported(Exception):
    """The schema holds something the fast path does not handle."""


def compile_validator(framework: ir.Framework) -> CompiledValidator | None:
    """Compile `framework`'s evidence schema, or None when the reference validator must do it.

    Raises:
        UnsafeCodeError: the generated module failed the allow-list walk (a compiler bug).
    """
    module = ModuleBuilder(_HELPERS)
    generated = generate_validator(module, framework.evidence)
    if generated is None:
        return None
    function, depth = generated
    tree = module.module([function])
    (accept,) = module.load(tree, f"{framework.name}:evidence")
    return CompiledValidator(accept, depth, tree)


def generate_validator(module: ModuleBuilder, evidence: RecordType) -> tuple[ast.FunctionDef, int] | None:
    """The validator's function, generated into `module` (not loaded), and the deepest nesting it
    reaches; None when the schema is not handled here.

    `engine.fusion` generates it into the fused function's module, its helper keys
    prefixed (`builder.PrefixedBuilder`).
    """
    generator = _Generator(module)
    try:
        function = generator.function(evidence)
    except _Unsupported:
        return None
    return function, generator.deepest


def compiled_form(root: RecordValue) -> RecordValue:
    """`validate`'s reading of a document in the compiled validator's form: a new value, `root` untouched.

    Every record held in a field of a record becomes the pair (fields, raw); the root,
    list items and map entries stay records, with their own fields converted alike.
    """
    return record_builder(root.pointer, _compiled_fields(root.fields), root.raw)


def _compiled_fields(fields: dict[str, Any]) -> dict[str, Any]:
    converted = {}
    for name, value in fields.items():
        if type(value) is RecordValue:
            converted[name] = (_compiled_fields(value.fields), value.raw)
        else:
            converted[name] = _compiled_item(value)
    return converted


def _compiled_item(value: Any) -> Any:
    """A value in the compiled form, where a record stays a `RecordValue` (a list item, a map entry)."""
    kind = type(value)
    if kind is RecordValue:
        return record_builder(value.pointer, _compiled_fields(value.fields), value.raw)
    if kind is MapValue:
        entries = {key: _compiled_item(entry) for key, entry in value.entries.items()}
        return map_builder(value.pointer, entries, value.raw)
    if kind is PointedList:
        return PointedList([_compiled_item(item) for item in value], value.pointer)
    return value


# -- helpers of the generated validator


def _h_unique(items: list[Any]) -> bool:
    """No item is listed twice (equal and equal-hashing, as `validate` compares them)."""
    return len(set(items)) == len(items)


def _h_sort_symbols(items: list[Symbol]) -> list[Symbol]:
    """A set of symbols in the order `validate` keeps it: by owner, then rank."""
    return sorted(items, key=_SYMBOL_ORDER)


def _h_in_order(entries: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """A map's entries in the order of its key enumeration (`entries` itself, a dict the
    validator has just built, when it holds every key already in that order)."""
    if len(entries) == len(names) and tuple(entries) == names:
        return entries
    return {name: entries[name] for name in names if name in entries}


_SYMBOL_ORDER = operator.attrgetter("owner", "rank")

# A record with at most this many optional and open fields counts its keys (one `in` test
# each, which reading an optional field needs anyway); one with more tests them as a set.
_COUNTED_KEYS = 4

# What the generated validator builds its records and maps with: the classes themselves,
# each built in one C call (`evidence.RecordValue`).
record_builder: Callable[[str, dict[str, Any], dict[str, Any]], RecordValue] = RecordValue
map_builder: Callable[[str, dict[str, Any], dict[str, Any]], MapValue] = MapValue

# The fixed helper table of generated validators: they call `h_<key>` and nothing else.
_HELPERS: dict[str, Any] = {
    "type": type,
    "len": len,
    "dict": dict,
    "str": str,
    "int": int,
    "list": list,
    "Decimal": Decimal,
    "date": parse_date,
    "provision": parse_provision,
    "whole": whole_number,
    "within": frozenset.issuperset,  # within(allowed, data): every key of `data` is allowed
    "unique": _h_unique,
    "sort_symbols": _h_sort_symbols,
    "in_order": _h_in_order,
    "canonical_raw": echo_set_in_order,
    "escape": escape_pointer,
    "record": record_builder,
    "E": (KeyError, TypeError),
    "map": map_builder,
    "pointed": PointedList,
}


def helpers() -> dict[str, Any]:
    """A copy of the helper table generated validators may call (for the allow-list tests)."""
    return dict(_HELPERS)


class _Generator:
    def __init__(self, module: ModuleBuilder) -> None:
        self.m = module
        self.deepest = 0
        self.open_records: list[RecordType] = []

    def function(self, evidence: RecordType) -> ast.FunctionDef:
        data, self.max_text, self.max_items = self.m.new(), self.m.new(), self.m.new()
        body: list[ast.stmt] = []
        # The root as a pair too: `CompiledValidator.__call__` makes its record when asked.
        out = self.value(body, data, evidence, _const(""), 0, in_field=True)
        body.append(ast.Return(value=_name(out)))
        # A required field that is absent, a member that is not one, an unhashable key:
        # the lookup raises, and the reference validator says what is wrong.
        refused = ast.ExceptHandler(type=self.m.helper("E"), name=None, body=[ast.Return(value=_const(None))])
        body = [ast.Try(body=body, handlers=[refused], orelse=[], finalbody=[])]
        return ast.FunctionDef(
            name=self.m.new(),
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(arg=a) for a in (data, self.max_text, self.max_items)],
                kwonlyargs=[],
                kw_defaults=[],
                defaults=[],
            ),
            body=body,
            decorator_list=[],
            returns=None,
        )

    # -- building blocks

    def call(self, key: str, *args: ast.expr) -> ast.Call:
        return self.m.call(key, *args)

    def type_is_not(self, value: str, kind: str) -> ast.expr:
        return _cmp(self.call("type", _name(value)), ast.IsNot(), self.m.helper(kind))

    @staticmethod
    def refuse(test: ast.expr) -> ast.If:
        """`if test: return None` — the reference validator takes over."""
        return _if(test, [ast.Return(value=_const(None))])

    @staticmethod
    def child_pointer(pointer: ast.expr, segment: ast.expr) -> ast.expr:
        """`pointer + "/" + segment`, folded when both are known now."""
        if isinstance(pointer, ast.Constant) and isinstance(segment, ast.Constant):
            assert isinstance(pointer.value, str) and isinstance(segment.value, str)
            return _const(f"{pointer.value}/{segment.value}")
        parts: list[ast.expr] = []
        for part in (pointer, _const("/"), segment):
            if isinstance(part, ast.Constant):
                parts.append(_const(str(part.value)))
            else:
                parts.append(ast.FormattedValue(value=part, conversion=-1, format_spec=None))
        return ast.JoinedStr(values=parts)

    def pin(self, body: list[ast.stmt], value: ast.expr) -> ast.expr:
        """A constant stays as it is; anything else is computed once into a local."""
        if isinstance(value, ast.Constant | ast.Name):
            return value
        local = self.m.new()
        body.append(_assign(local, value))
        return _name(local)

    # -- values

    def value(
        self, body: list[ast.stmt], data: str, t: Type, pointer: ast.expr, depth: int, *, in_field: bool = False
    ) -> str:
        """Emit code that converts the JSON value in local `data`; return the local holding the result.

        `in_field`: the value is a record's field, so a record is built as (fields, raw).
        The emitted code returns None from the whole function on anything it does not accept.
        """
        self.deepest = max(self.deepest, depth)
        if isinstance(t, RecordType):
            return self.record(body, data, t, pointer, depth, in_field=in_field)
        if isinstance(t, MapOf):
            return self.map(body, data, t, pointer, depth)
        if isinstance(t, ListOf | SetOf):
            return self.list(body, data, t, pointer, depth)
        if isinstance(t, Choice):
            return self.choice(body, data, t, pointer, depth)
        if t == TEXT:
            too_long = _cmp(self.call("len", _name(data)), ast.Gt(), _name(self.max_text))
            body.append(self.refuse(_or([self.type_is_not(data, "str"), too_long])))
            return data
        if t == BOOLEAN:
            is_not: list[ast.expr] = [_cmp(_name(data), ast.IsNot(), _const(flag)) for flag in (True, False)]
            body.append(self.refuse(ast.BoolOp(op=ast.And(), values=is_not)))
            return data
        if t == INTEGER:
            # `2.0` is the integer 2 (`evidence.whole_number`); anything else it refuses is refused
            out = self.m.new()
            is_int = _cmp(self.call("type", _name(data)), ast.Is(), self.m.helper("int"))
            whole = self.call("whole", _name(data))
            body.append(_assign(out, ast.IfExp(test=is_int, body=_name(data), orelse=whole)))
            body.append(self.refuse(_cmp(_name(out), ast.Is(), _const(None))))
            self.bounds(body, out, t)
            return out
        if t == DECIMAL:
            out = self.m.new()
            kind = self.m.new()
            body.append(_assign(kind, self.call("type", _name(data))))
            body.append(
                _if(
                    _cmp(_name(kind), ast.Is(), self.m.helper("int")),
                    [_assign(out, self.call("Decimal", _name(data)))],
                    [
                        self.refuse(_cmp(_name(kind), ast.IsNot(), self.m.helper("Decimal"))),
                        _assign(out, _name(data)),
                    ],
                )
            )
            self.bounds(body, out, t)
            return out
        if t == DATE:
            out = self.m.new()
            body.append(self.refuse(self.type_is_not(data, "str")))
            body.append(_assign(out, self.call("date", _name(data))))
            body.append(self.refuse(_cmp(_name(out), ast.Is(), _const(None))))
            return out
        if t == PROVISION:
            out = self.m.new()
            body.append(self.refuse(self.type_is_not(data, "str")))
            body.append(_assign(out, self.call("provision", _name(data), self.pin(body, pointer))))
            body.append(self.refuse(_cmp(_name(out), ast.Is(), _const(None))))
            return out
        # durations are never evidence; free-form values are not compiled
        raise _Unsupported(t)

    def bounds(self, body: list[ast.stmt], value: str, t: Type) -> None:
        """Refuse a number outside a ranged type's bounds (`integer from 1 to 4`)."""
        if not isinstance(t, Prim):
            return
        outside: list[ast.expr] = []
        for bound, op in ((t.low, ast.Lt()), (t.high, ast.Gt())):
            if bound is not None:
                written = int(bound) if t == INTEGER else bound
                outside.append(_cmp(_name(value), op, self.m.constant(written)))
        if outside:
            body.append(self.refuse(_or(outside)))

    def choice(self, body: list[ast.stmt], data: str, t: Choice, pointer: ast.expr, depth: int) -> str:
        members = {symbol.name: t.member(symbol.name) for symbol in t.members}
        table = self.m.constant(members)
        out = self.m.new()
        if t.base is None:
            # Anything but a member's name (None, a number, a list) fails the lookup.
            body.append(_assign(out, _sub(table, _name(data))))
            return out
        otherwise: list[ast.stmt] = []
        converted = self.value(otherwise, data, t.base, pointer, depth)
        otherwise.append(_assign(out, _name(converted)))
        is_str = _cmp(self.call("type", _name(data)), ast.Is(), self.m.helper("str"))
        is_member = _cmp(_name(data), ast.In(), table)
        body.append(
            _if(
                ast.BoolOp(op=ast.And(), values=[is_str, is_member]),
                [_assign(out, _sub(table, _name(data)))],
                otherwise,
            )
        )
        return out

    def record(
        self, body: list[ast.stmt], data: str, t: RecordType, pointer: ast.expr, depth: int, *, in_field: bool
    ) -> str:
        if t in self.open_records:
            raise _Unsupported(t)  # a record that contains itself: no static depth
        self.open_records.append(t)
        body.append(self.refuse(self.type_is_not(data, "dict")))
        # Every required field is read below (an absent one raises), so the document has
        # no other key exactly when its keys number the required fields, and the optional
        # and open ones it has: counted when they are few, else tested as a set.
        unread = sorted(t.open_fields.difference(t.fields))
        optional = [name for name, info in t.fields.items() if info.optional]
        counted = len(optional) + len(unread) <= _COUNTED_KEYS
        if not counted:
            allowed = self.m.constant(frozenset(t.fields) | t.open_fields)
            body.append(self.refuse(_not(self.call("within", allowed, _name(data)))))
        keys: ast.expr = _const(len(t.fields) - len(optional))
        for name in unread:
            keys = ast.BinOp(left=keys, op=ast.Add(), right=_cmp(_const(name), ast.In(), _name(data)))
        converted_fields: list[ast.expr] = []
        for name, info in t.fields.items():
            key = _const(name)
            child = self.child_pointer(pointer, _const(escape_pointer(name)))
            item = self.m.new()
            if info.optional:
                given: ast.expr = _cmp(key, ast.In(), _name(data))
                if counted:
                    is_given = self.m.new()
                    body.append(_assign(is_given, given))
                    given = _name(is_given)
                    keys = ast.BinOp(left=keys, op=ast.Add(), right=_name(is_given))
                present_or_none = ast.IfExp(test=given, body=_sub(_name(data), key), orelse=_const(None))
                body.append(_assign(item, present_or_none))
                out_field = self.m.new()
                present: list[ast.stmt] = []
                converted = self.value(present, item, info.type, child, depth + 1, in_field=True)
                present.append(_assign(out_field, _name(converted)))
                absent = _cmp(_name(item), ast.Is(), _const(None))
                body.append(_if(absent, [_assign(out_field, _const(None))], present))
                converted_fields.append(_name(out_field))
            else:
                # Absent raises KeyError; null is refused by the value's own type test.
                body.append(_assign(item, _sub(_name(data), key)))
                converted_fields.append(_name(self.value(body, item, info.type, child, depth + 1, in_field=True)))
        if counted:
            body.append(self.refuse(_cmp(self.call("len", _name(data)), ast.NotEq(), keys)))
        fields = self.m.new()
        body.append(_assign(fields, ast.Dict(keys=[_const(name) for name in t.fields], values=converted_fields)))
        raw = data
        for name, info in t.fields.items():
            if isinstance(info.type, SetOf) and isinstance(info.type.element, Choice):
                if raw == data:
                    raw = self.m.new()
                    body.append(_assign(raw, _name(data)))
                value = _sub(_name(fields), _const(name))
                body.append(_assign(raw, self.call("canonical_raw", _name(raw), _name(data), _const(name), value)))
        out = self.m.new()
        if in_field:
            body.append(_assign(out, ast.Tuple(elts=[_name(fields), _name(raw)], ctx=ast.Load())))
        else:
            body.append(_assign(out, self.call("record", self.pin(body, pointer), _name(fields), _name(raw))))
        self.open_records.pop()
        return out

    def map(self, body: list[ast.stmt], data: str, t: MapOf, pointer: ast.expr, depth: int) -> str:
        names = tuple(symbol.name for symbol in t.key.members)
        body.append(self.refuse(self.type_is_not(data, "dict")))
        entries, key, item = self.m.new(), self.m.new(), self.m.new()
        body.append(_assign(entries, ast.Dict(keys=[], values=[])))
        base = self.pin(body, pointer)
        loop: list[ast.stmt] = [
            self.refuse(_cmp(_name(key), ast.NotIn(), self.m.constant(frozenset(names)))),
            _assign(item, _sub(_name(data), _name(key))),
            _if(_cmp(_name(item), ast.Is(), _const(None)), [ast.Continue()]),
        ]
        segment: ast.expr = _name(key)
        if any(escape_pointer(name) != name for name in names):
            segment = self.call("escape", _name(key))
        converted = self.value(loop, item, t.value, self.child_pointer(base, segment), depth + 1)
        loop.append(ast.Assign(targets=[_sub_store(entries, _name(key))], value=_name(converted)))
        body.append(ast.For(target=_store(key), iter=_name(data), body=loop, orelse=[]))
        ordered = self.call("in_order", _name(entries), _const(names))
        out = self.m.new()
        body.append(_assign(out, self.call("map", base, ordered, _name(data))))
        return out

    def list(self, body: list[ast.stmt], data: str, t: ListOf | SetOf, pointer: ast.expr, depth: int) -> str:
        too_many = _cmp(self.call("len", _name(data)), ast.Gt(), _name(self.max_items))
        body.append(self.refuse(_or([self.type_is_not(data, "list"), too_many])))
        items, item, index = self.m.new(), self.m.new(), self.m.new()
        base = self.pin(body, pointer)
        body.append(_assign(items, ast.List(elts=[], ctx=ast.Load())))
        body.append(_assign(index, _const(0)))
        loop: list[ast.stmt] = []
        converted = self.value(loop, item, t.element, self.child_pointer(base, _name(index)), depth + 1)
        appended = ast.List(elts=[_name(converted)], ctx=ast.Load())
        loop.append(ast.AugAssign(target=_store(items), op=ast.Add(), value=appended))
        loop.append(ast.AugAssign(target=_store(index), op=ast.Add(), value=_const(1)))
        body.append(ast.For(target=_store(item), iter=_name(data), body=loop, orelse=[]))
        if isinstance(t, SetOf) and not isinstance(t.element, RecordType | MapOf):
            # `validate` tells records apart by identity, so only plain values can repeat.
            body.append(self.refuse(_not(self.call("unique", _name(items)))))
            if isinstance(t.element, Choice) and t.element.base is None:
                body.append(_assign(items, self.call("sort_symbols", _name(items))))
        if isinstance(t, SetOf) and isinstance(t.element, Choice) and t.element.base is not None:
            raise _Unsupported(t)  # `validate` sorts these by symbol order; mixed items have none
        out = self.m.new()
        body.append(_assign(out, self.call("pointed", _name(items), base)))
        return out


def _sub_store(target: str, key: ast.expr) -> ast.Subscript:
    return ast.Subscript(value=_name(target), slice=key, ctx=ast.Store())
