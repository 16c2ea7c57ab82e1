"""The pipeline's layering: a stage imports only from the stages before it."""

from __future__ import annotations

import ast
from pathlib import Path

import framework_dsl

ORDER = [
    "resources",
    "cache",
    "source",
    "diagnostics",
    "canonical_json",
    "grammar",
    "nodes",
    "parser",
    "loader",
    "typesystem",
    "ir",
    "checker",
    "values",
    "evidence",
    "result",
    "evaluator",
    "compiler",
    "evidence_compiler",
    "ruleset",
    "examples",
    "formatter",
    "json_schema",
    "linter",
    "report",
    "inputs",
    "parallel",
    "cli",
]
PACKAGE = Path(framework_dsl.__file__).parent


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("framework_dsl."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.ImportFrom) and node.module == "framework_dsl":
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("framework_dsl."))
    return found


def test_no_stage_imports_a_later_stage() -> None:
    """Every module imports only modules earlier in the pipeline order (the CLI may use all)."""
    backwards = []
    for path in sorted(PACKAGE.glob("*.py")):
        stage = path.stem
        if stage in ("__init__", "__main__"):
            continue
        assert stage in ORDER, f"{stage} is not placed in the pipeline order"
        for imported in _imports(path):
            if imported in ORDER and ORDER.index(imported) >= ORDER.index(stage) and imported != stage:
                backwards.append(f"{stage} imports {imported}")
    assert backwards == []


def test_no_module_shadows_the_standard_library() -> None:
    """No module is named after a standard-library module (ast, types, trace, ...)."""
    import sys

    clashes = [p.stem for p in PACKAGE.glob("*.py") if p.stem in sys.stdlib_module_names]
    assert clashes == []
