"""The pipeline's layering: a stage imports only from the stages before it, and no module takes another's privates."""

from __future__ import annotations

import ast
from pathlib import Path

import framework_dsl

# Pipeline order. A module may import only modules earlier in the list (a package's
# modules are listed in their own order); the CLI may use everything.
ORDER = [
    "resources",
    "cache",
    "bundle",
    "programs",
    "source",
    "diagnostics",
    "canonical_json",
    "grammar",
    "nodes",
    "syntax_hints",
    "parser",
    "loader",
    "typesystem",
    "values",
    "semantics",
    "semantics.operators",
    "ir",
    "checker",
    "checker.scope",
    "checker.resolve_types",
    "checker.dependencies",
    "checker.exhaustiveness",
    "checker.dating",
    "checker.provisions",
    "checker.expressions",
    "checker.decisions",
    "checker.declarations",
    "checker.program",
    "checker.symbols",
    "evidence",
    "result",
    "engine",
    "engine.pyast",
    "engine.safety",
    "engine.builder",
    "engine.runtime",
    "engine.reference",
    "engine.codegen",
    "evidence_compiler",
    "engine.fusion",  # joins the two compilers' output
    "ruleset",
    "bundler",
    "examples",
    "mutants",
    "whatif",
    "verify",
    "verify.limits",
    "verify.results",
    "verify.reads",
    "verify.constants",
    "verify.space",
    "verify.patches",
    "verify.checking",
    "verify.cuts",
    "verify.cut_checking",
    "verify.verifier",
    "citations",
    "formatter",
    "json_schema",
    "linter",
    "reports",
    "inputs",
    "parallel",
    "regrade",
    "service",
    "service.config",
    "service.openapi",
    "service.state",
    "service.decision_log",
    "service.app",
    "service.server",
    "lsp",
    "lsp.positions",
    "lsp.analysis",
    "lsp.features",
    "lsp.server",
    "cli",
]
PACKAGE = Path(framework_dsl.__file__).parent


def _stage(dotted: str) -> str:
    """The entry of ORDER a module belongs to: itself, else its package."""
    if dotted in ORDER:
        return dotted
    return dotted.split(".", maxsplit=1)[0]


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] in ("__init__", "__main__"):
            parts = parts[:-1]
        if parts:
            found.append((".".join(parts), path))
    return found


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module under framework_dsl, names imported from it) for each import."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("framework_dsl."):
            found.append((node.module.removeprefix("framework_dsl."), [a.name for a in node.names]))
        elif isinstance(node, ast.ImportFrom) and node.module == "framework_dsl":
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend(
                (a.name.removeprefix("framework_dsl."), []) for a in node.names if a.name.startswith("framework_dsl.")
            )
    return found


def _stages() -> list[tuple[str, Path]]:
    """(stage, module file): a top-level module is a stage; every module of a sub-package is its package's."""
    found = [(path.stem, path) for path in sorted(PACKAGE.glob("*.py")) if path.stem not in ("__init__", "__main__")]
    for package in sorted(p.parent for p in PACKAGE.glob("*/__init__.py")):
        found.extend((package.name, path) for path in sorted(package.rglob("*.py")))
    return found


def test_no_stage_imports_a_later_stage() -> None:
    """Every module imports only modules earlier in the pipeline order (the CLI may use all)."""
    backwards = []
    for dotted, path in _modules():
        stage = _stage(dotted)
        assert stage in ORDER, f"{dotted} is not placed in the pipeline order"
        if stage == "cli":
            continue
        for imported, _ in _imports(path):
            target = _stage(imported)
            if imported.startswith(stage + "."):
                continue  # a package's own `__init__` presents its modules
            if target in ORDER and ORDER.index(target) >= ORDER.index(stage) and target != stage:
                backwards.append(f"{dotted} imports {imported}")
    assert backwards == []


def test_no_module_imports_another_modules_private_names() -> None:
    """`from framework_dsl.x import _name` is refused: what a module shares, it names without an underscore."""
    private = [
        f"{dotted} imports {name} from {imported}"
        for dotted, path in _modules()
        for imported, names in _imports(path)
        for name in names
        if name.startswith("_")
    ]
    assert private == []


def test_no_module_shadows_the_standard_library() -> None:
    """No module is named after a standard-library module (ast, types, trace, ...)."""
    import sys

    clashes = [p.stem for p in PACKAGE.rglob("*.py") if p.stem in sys.stdlib_module_names]
    clashes += [p.parent.name for p in PACKAGE.glob("*/__init__.py") if p.parent.name in sys.stdlib_module_names]
    assert clashes == []
