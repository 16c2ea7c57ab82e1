"""One generated module being built: its names, the helpers it calls, its constants, and loading it.

Both code generators use this: the decisions' (`engine.codegen`) and the evidence
validator's (`evidence_compiler`), each with its own fixed helper table.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from typing import Any

from framework_dsl.engine import pyast as P
from framework_dsl.engine.safety import CONSTANT_TYPES, load_module


class ModuleBuilder:
    """Makes the identifiers of one module, records the helpers and constants it uses, and loads it."""

    def __init__(self, helpers: Mapping[str, Any]) -> None:
        self.helpers = helpers
        self.used: dict[str, None] = {}
        self.constants: list[Any] = []
        self.constant_names: dict[int, str] = {}
        self.counter = 0

    def new(self) -> str:
        """A fresh local name (`v0`, `v1`, ...)."""
        name = f"v{self.counter}"
        self.counter += 1
        return name

    def helper(self, key: str) -> ast.Name:
        """The name of helper `key` (`h_key`), which must be in the table."""
        assert key in self.helpers, key
        self.used[key] = None
        return P.name("h_" + key)

    def call(self, key: str, *args: ast.expr) -> ast.Call:
        """`h_key(args...)`."""
        return ast.Call(func=self.helper(key), args=list(args), keywords=[])

    def constant(self, value: Any) -> ast.expr:
        """A constant from the rules: an `ast.Constant` for plain values, else a constant passed to the factory."""
        if type(value) in CONSTANT_TYPES or (type(value) is tuple and all(type(v) in CONSTANT_TYPES for v in value)):
            return P.const(value)
        name = self.constant_names.get(id(value))
        if name is None:
            name = f"k{len(self.constants)}"
            self.constants.append(value)
            self.constant_names[id(value)] = name
        return P.name(name)

    def module(self, functions: Sequence[ast.FunctionDef]) -> ast.Module:
        """The module: one factory `m` taking the helpers and constants, returning the functions."""
        used = sorted(self.used)
        params = [f"h_{key}" for key in used] + [f"k{i}" for i in range(len(self.constants))]
        result = P.tuple_([P.name(f.name) for f in functions])
        return ast.Module(body=[P.function("m", params, [*functions, ast.Return(value=result)])], type_ignores=[])

    def load(self, tree: ast.Module, label: str) -> tuple[Any, ...]:
        """Check and load `tree` (from `module`): the functions, in order."""
        loaded: tuple[Any, ...] = load_module(tree, label, self.helpers, sorted(self.used), self.constants)
        return loaded
