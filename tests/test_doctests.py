"""The examples in the package's docstrings run, and give what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import framework_dsl

# The package itself (its docstring holds the API's first example), then every module in it.
MODULES = [
    "framework_dsl",
    *sorted(
        info.name
        for info in pkgutil.walk_packages(framework_dsl.__path__, prefix="framework_dsl.")
        if not info.name.endswith("__main__")
    ),
]


def _has_examples(name: str) -> bool:
    return any(test.examples for test in doctest.DocTestFinder().find(importlib.import_module(name)))


WITH_EXAMPLES = [name for name in MODULES if _has_examples(name)]


def test_the_walk_finds_the_documented_modules() -> None:
    """The collection below is not empty: a broken walk would make every example vanish unseen."""
    assert {"framework_dsl", "framework_dsl.formatter"} <= set(WITH_EXAMPLES)


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    """Every `>>>` example of the module gives the output its docstring shows."""
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert tried > 0
    assert failures == 0
